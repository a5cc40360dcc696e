"""Helpers shared by commands: parsing CLI dates and IDs, opening the pseudonymizer."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import click

from lineage.core.errors import RenderError, UsageError
from lineage.core.pseudonym import Pseudonymizer, normalise_id
from lineage.core.windows import parse_day
from lineage.render.tables import atomic_file


class IsoDate(click.ParamType):
    """A click parameter type for ISO dates (YYYY-MM-DD); a bad value exits 2."""

    name = "DATE"

    def convert(self, value, param, ctx):  # noqa: D102
        if value is None or isinstance(value, date):
            return value
        try:
            return parse_day(str(value))
        except ValueError as exc:
            self.fail(f"{str(value)[:40]!r} is {exc}", param, ctx)


ISO_DATE = IsoDate()


class IsoDateTime(click.ParamType):
    """A click parameter type for an ISO date (``YYYY-MM-DD``: the day from 00:00 UTC) or an
    ISO date-time (``YYYY-MM-DDTHH:MM[:SS]``, UTC unless it gives an offset or ``Z``), for
    timestamped records (look-ups). Returns a :class:`date` or an aware :class:`datetime` in
    UTC; a bad value exits 2."""

    name = "DATE[THH:MM]"

    def convert(self, value, param, ctx):  # noqa: D102
        if value is None or isinstance(value, date):
            return value
        text = str(value).strip()
        if len(text) <= 10:
            return ISO_DATE.convert(text, param, ctx)
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            self.fail(f"{text[:40]!r} is not an ISO date or date-time (YYYY-MM-DD or "
                      "YYYY-MM-DDTHH:MM, UTC)", param, ctx)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc)


ISO_DATETIME = IsoDateTime()


class IdParam(click.ParamType):
    """A click parameter type for actor and dataset IDs: normalised like every ID the product
    reads (Unicode NFC, surrounding white space removed; :func:`lineage.core.pseudonym.normalise_id`)."""

    name = "ID"

    def convert(self, value, param, ctx):  # noqa: D102
        return value if value is None else normalise_id(str(value))


ID = IdParam()


class StudentIdParam(click.ParamType):
    """A click parameter type for a student ID as the user types it (the district's ID; it is
    hashed, never stored). Empty or blank after normalisation (:func:`normalise_id`): exit 2."""

    name = "STUDENT_ID"

    def convert(self, value, param, ctx):  # noqa: D102
        if value is not None and not normalise_id(str(value)):
            self.fail("the student ID is empty: type the district's student ID "
                      "(for example RSD-1001)", param, ctx)
        return value


STUDENT_ID = StudentIdParam()


class OutPath(click.Path):
    """``--out FILE``: a file path whose folder must exist (exit 2 before any work is done,
    rather than a failed write after it)."""

    def __init__(self) -> None:
        super().__init__(dir_okay=False, path_type=Path)

    def convert(self, value, param, ctx):  # noqa: D102
        path = super().convert(value, param, ctx)
        folder = Path(path).parent
        if not folder.is_dir():
            self.fail(f"the folder {str(folder)!r} does not exist: create it first, "
                      "or choose another file", param, ctx)
        return path


OUT_PATH = OutPath()


def pseudonymizer(ctx: click.Context) -> Pseudonymizer:
    """The pseudonymizer from settings (raises ConfigurationError without a key)."""
    return Pseudonymizer.from_settings(ctx.find_root().obj.lineage)


def check_key_if_set(ctx: click.Context, store) -> None:
    """For questions that list pseudonyms without needing the key (``impact``): when
    ``LINEAGE_PSEUDONYM_KEY`` is set, it must be the graph's key (ConfigurationError, exit 2),
    since the district maps the pseudonyms back with it."""
    from lineage.graph.keys import verify_key

    settings = ctx.find_root().obj.lineage
    if settings.pseudonym_key is not None and settings.pseudonym_key.get_secret_value():
        verify_key(store, Pseudonymizer.from_settings(settings))


def warn_if_incomplete(store) -> list[dict]:
    """Ask :func:`lineage.questions.sources.unfinished_sources` and, when a source's last load
    did not finish, write :func:`~lineage.questions.sources.incomplete_warning` on standard
    error (standard output stays exactly the answer, whatever the format). Returns the
    unfinished sources (for documents that show the note themselves)."""
    from lineage.questions.sources import incomplete_warning, unfinished_sources

    unfinished = unfinished_sources(store)
    text = incomplete_warning(unfinished)
    if text:
        click.echo(text, err=True)
    return unfinished


def check_window(since: date | None, until: date | None) -> None:
    """Raise UsageError when ``until`` is before ``since``."""
    if since and until and until < since:
        raise UsageError(f"--until {until} is before --since {since}")


def out_option():
    """The shared ``--out`` click option: a file to write (default: standard output)."""
    return click.option("--out", type=OUT_PATH,
                        help="Write to this file (default: standard output).")


def write_output(text: str | bytes, out: Path | None) -> None:
    """Write ``text`` to ``out`` (created or replaced whole: written under a temporary name,
    then renamed, :func:`lineage.render.tables.atomic_file`), or to standard output.

    Raises :class:`RenderError` when the file cannot be written.
    """
    if out is None:
        if isinstance(text, bytes):
            stream = click.get_binary_stream("stdout")
            stream.write(text)
            stream.flush()
        else:
            click.echo(text, nl=False)
        return
    try:
        with atomic_file(out, binary=isinstance(text, bytes)) as fh:
            fh.write(text)
    except OSError as exc:
        raise RenderError(f"cannot write {out}: {exc.strerror or exc}") from None
    click.echo(f"wrote {out}", err=True)


def examples(*lines: str) -> str:
    """The ``Example:`` section of a command's ``--help`` (click's epilog): one command per
    line, printed as written (``\\b`` stops click from re-wrapping it)."""
    head = "Example:" if len(lines) == 1 else "Examples:"
    return "\b\n" + head + "\n" + "\n".join(f"  {line}" for line in lines)
