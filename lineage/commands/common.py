"""Helpers shared by commands: parsing CLI dates and opening the pseudonymizer."""

from __future__ import annotations

from datetime import date

import click

from lineage.errors import UsageError
from lineage.pseudonym import Pseudonymizer


class IsoDate(click.ParamType):
    """A click parameter type for ISO dates (YYYY-MM-DD); a bad value exits 2."""

    name = "DATE"

    def convert(self, value, param, ctx):  # noqa: D102
        if value is None or isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not an ISO date (YYYY-MM-DD)", param, ctx)


ISO_DATE = IsoDate()


def pseudonymizer(ctx: click.Context) -> Pseudonymizer:
    """The pseudonymizer from settings (raises ConfigurationError without a key)."""
    return Pseudonymizer.from_settings(ctx.find_root().obj.lineage)


def check_window(since: date | None, until: date | None) -> None:
    """Raise UsageError when ``until`` is before ``since``."""
    if since and until and until < since:
        raise UsageError(f"--until {until} is before --since {since}")
