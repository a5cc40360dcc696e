"""Helpers shared by commands: parsing CLI dates and IDs, opening the pseudonymizer."""

from __future__ import annotations

from datetime import date

import click

from lineage.core.errors import UsageError
from lineage.core.pseudonym import Pseudonymizer, normalise_id, verify_key


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


class IdParam(click.ParamType):
    """A click parameter type for actor and dataset IDs: normalised like every ID the product
    reads (Unicode NFC, surrounding white space removed; :func:`lineage.pseudonym.normalise_id`)."""

    name = "ID"

    def convert(self, value, param, ctx):  # noqa: D102
        return value if value is None else normalise_id(str(value))


ID = IdParam()


def pseudonymizer(ctx: click.Context) -> Pseudonymizer:
    """The pseudonymizer from settings (raises ConfigurationError without a key)."""
    return Pseudonymizer.from_settings(ctx.find_root().obj.lineage)


def check_key_if_set(ctx: click.Context, store) -> None:
    """For questions that list pseudonyms without needing the key (``impact``): when
    ``LINEAGE_PSEUDONYM_KEY`` is set, it must be the graph's key (ConfigurationError, exit 2),
    since the district maps the pseudonyms back with it."""
    settings = ctx.find_root().obj.lineage
    if settings.pseudonym_key is not None and settings.pseudonym_key.get_secret_value():
        verify_key(store, Pseudonymizer.from_settings(settings))


def check_window(since: date | None, until: date | None) -> None:
    """Raise UsageError when ``until`` is before ``since``."""
    if since and until and until < since:
        raise UsageError(f"--until {until} is before --since {since}")
