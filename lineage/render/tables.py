"""Pure renderers shared by every listing command: one ``--format`` option (table, json, csv).

Renderers take plain rows (dicts) and return text; they never touch the database, so tests
compare whole outputs. Lists inside cells are joined with ``"; "`` in table and CSV output.

Every CSV the product writes goes through :func:`csv_cell`: a cell that a spreadsheet would read
as a formula (first character ``=``, ``+``, ``-``, ``@``, tab or carriage return) is prefixed
with ``'`` (OWASP, "CSV Injection"), so opening an export never runs a formula. A streamed
export that stops part-way is never mistaken for a complete one: :func:`atomic_file` writes a
``--out`` file under a temporary name and renames it only when complete, and on standard output
the stream ends with an :data:`INCOMPLETE` line before the command exits non-zero.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

if TYPE_CHECKING:  # rich is imported when a table is drawn, not by the commands' --help
    from rich.style import Style
    from rich.text import Text

#: The one vocabulary of output formats, by output. Listings (every ``--format`` of a command
#: that prints rows) are ``table``/``json``/``csv``; documents add ``md``/``html``/``pdf``; the
#: picture's format is its file's suffix. A new format is added here, then rendered where its
#: output is made (``render/tables.py`` for listings, ``render/documents.py`` for documents).
OUTPUT_FORMATS: dict[str, tuple[str, ...]] = {
    "listing": ("table", "json", "csv"),
    "report": ("md", "html", "pdf", "json"),
    "inventory": ("md", "html", "csv", "json"),
    "picture": (".svg", ".html", ".png"),
}
FORMATS = OUTPUT_FORMATS["listing"]
REPORT_FORMATS = OUTPUT_FORMATS["report"]
INVENTORY_FORMATS = OUTPUT_FORMATS["inventory"]
PICTURE_SUFFIXES = OUTPUT_FORMATS["picture"]


def format_option(choices: Sequence[str] = FORMATS, default: str = "table",
                  help: str = "Output format."):  # noqa: A002 (click's name)
    """The one ``--format`` click option of every command (choices from :data:`OUTPUT_FORMATS`)."""
    return click.option("--format", "fmt", type=click.Choice(list(choices)), default=default,
                        show_default=True, help=help)


def cell(value: Any) -> str:
    """One value as text: lists joined by '; ', None as '', booleans as yes/no."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple, set)):
        return "; ".join(cell(v) for v in value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def render_json(data: Any) -> str:
    """Indented JSON (dates as ISO strings), ending with a newline."""
    return json.dumps(data, indent=2, default=cell, ensure_ascii=False) + "\n"


#: First characters that make a spreadsheet (Excel, LibreOffice, Google Sheets) read a cell as a
#: formula or command (OWASP, "CSV Injection"), with their full-width forms.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")

#: The start of the last line of a streamed export that stopped part-way (see :func:`incomplete_line`).
INCOMPLETE = "# INCOMPLETE:"


def csv_cell(value: Any) -> str:
    """One value as a CSV cell (:func:`cell`), safe to open in a spreadsheet: text starting with
    one of :data:`FORMULA_PREFIXES` gets a leading ``'`` (``=HYPERLINK(...)`` becomes
    ``'=HYPERLINK(...)``, shown as text). The CSV quoting itself is the ``csv`` module's."""
    text = cell(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def csv_row(row: dict, columns: Sequence[str]) -> list[str]:
    """The cells of ``row`` for ``columns``, each through :func:`csv_cell`."""
    return [csv_cell(row.get(c)) for c in columns]


def csv_writer(out: IO[str]):
    """A ``csv.writer`` on ``out`` with the product's dialect (``\\n`` line ends, minimal quoting).
    Write rows through :func:`csv_row`."""
    return csv.writer(out, lineterminator="\n")


def render_csv(rows: Iterable[dict], columns: Sequence[str]) -> str:
    """CSV with a header row (``columns``), lists joined by '; ', formula prefixes neutralised
    (:func:`csv_cell`)."""
    buf = io.StringIO()
    w = csv_writer(buf)
    w.writerow([csv_cell(c) for c in columns])
    for r in rows:
        w.writerow(csv_row(r, columns))
    return buf.getvalue()


def incomplete_line(done: int, what: str, reason: str) -> str:
    """The last line of an export that stopped part-way:
    ``# INCOMPLETE: stopped after <done> <what>; <reason>`` plus a newline (commas, quotes and
    line breaks of ``reason`` replaced, so a CSV reader sees one cell starting with ``#``)."""
    clean = " ".join(reason.replace(",", ";").replace('"', "'").split())
    return f"{INCOMPLETE} stopped after {done} {what}; {clean}\n"


@contextmanager
def atomic_file(path: Path, *, binary: bool = False) -> Iterator[IO]:
    """Open a temporary file next to ``path`` for writing; rename it to ``path`` when the block
    ends normally, delete it when the block raises (``path`` is then left as it was: an
    interrupted export never looks complete). The file gets the usual mode (0666 minus umask).

    Raises :class:`OSError` when the folder cannot be written.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent or Path("."), prefix=f".{path.name}.",
                               suffix=".partial")
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        with (os.fdopen(fd, "wb") if binary else
              os.fdopen(fd, "w", encoding="utf-8", newline="")) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


#: Columns never wrapped in tables (identifiers and dates stay whole and greppable).
NO_WRAP = {"actor_id", "id", "student", "first_date", "last_date", "date", "access", "role",
           "depth", "rule", "severity", "chain", "step", "kind", "accessed", "could",
           "granularity", "holder", "holder_role", "discloser_id", "redisclosure"}


#: Width of a table written to a file or a pipe: wide enough to keep lines whole.
FILE_WIDTH = 200


def output_width() -> int | None:
    """The columns of the terminal standard output is (at least 40), or ``None`` for a file
    or a pipe (tables then keep :data:`FILE_WIDTH` and their full text)."""
    import shutil
    import sys

    if not sys.stdout.isatty():
        return None
    return max(40, shutil.get_terminal_size((FILE_WIDTH, 24)).columns)


#: Columns whose values are access classes, coloured on a colour terminal (:func:`paint`).
CLASS_COLUMNS = {"access"}

_DETECT: Any = object()  # "ask the terminal" (a sentinel: ``None`` means no colour)


def output_colors() -> str | None:
    """The colour system of the terminal standard output is (rich's names: ``"standard"``,
    ``"256"``, ``"truecolor"``, ``"windows"``), or ``None`` for no colour: a file or a pipe,
    ``NO_COLOR`` set to anything but "" (https://no-color.org), or ``TERM=dumb``."""
    import sys

    if not sys.stdout.isatty() or os.environ.get("NO_COLOR") or \
            os.environ.get("TERM", "") == "dumb":
        return None
    from rich.console import Console

    return Console(file=sys.stdout).color_system


def class_style(access: str | None) -> Style | None:
    """The rich style of an access class (``identifiable`` / ``deidentified`` /
    ``aggregate``): bold, in the class's colour of the picture
    (:data:`lineage.render.dot.CLASS_STYLE`); ``None`` for anything else."""
    from rich.style import Style

    from lineage.render.dot import CLASS_STYLE

    found = CLASS_STYLE.get(access or "")
    return Style(color=found["color"], bold=True) if found else None


def paint(text: str, access: str | None, colors: str | None) -> str:
    """``text`` in the colour of ``access`` (ANSI codes for the colour system ``colors``, see
    :func:`output_colors`); unchanged when ``colors`` is ``None`` or ``access`` is no class."""
    if colors is None:
        return text
    from rich.console import COLOR_SYSTEMS

    style = class_style(access)
    if style is None:
        return text
    return style.render(text, color_system=COLOR_SYSTEMS[colors])


def render_table(rows: Iterable[dict], columns: Sequence[str], *, title: str | None = None,
                 headers: dict[str, str] | None = None, width: int | None = None,
                 caption: str | None = None, colors: str | None = _DETECT) -> str:
    """A rich table rendered to text, for terminals and tests.

    ``width``: the terminal's columns (default :func:`output_width`); ``None`` (a file or a
    pipe) renders at :data:`FILE_WIDTH`. A table wider than a terminal becomes one block per
    row (:func:`render_blocks`), so no line is longer than the terminal and no value is cut.
    Identifier and date columns (:data:`NO_WRAP`) are never wrapped; lists wrap at '; '.
    ``colors``: the colour system (default :func:`output_colors`); with one, the access class
    (:data:`CLASS_COLUMNS`) is coloured as in the picture; ``None`` gives plain text (no
    ANSI codes). The layout is decided on the plain text, so colour never changes it.
    """
    rows = list(rows)
    width = output_width() if width is None else width
    colors = output_colors() if colors is _DETECT else colors
    if not CLASS_COLUMNS.intersection(columns):
        colors = None  # nothing to colour: the plain table, as in a file
    text = _table_text(rows, columns, title, headers, caption, FILE_WIDTH)
    if width is None or width >= FILE_WIDTH:
        return _table_text(rows, columns, title, headers, caption, FILE_WIDTH, colors) \
            if colors else text
    if max((len(line.rstrip()) for line in text.split("\n")), default=0) <= width:
        if colors:
            text = _table_text(rows, columns, title, headers, caption, FILE_WIDTH, colors)
        return "\n".join(line.rstrip() for line in text.split("\n"))
    return render_blocks(rows, columns, title=title, headers=headers, width=width,
                         caption=caption, colors=colors)


def render_blocks(rows: Iterable[dict], columns: Sequence[str], *, width: int,
                  title: str | None = None, headers: dict[str, str] | None = None,
                  caption: str | None = None, colors: str | None = None) -> str:
    """Rows as blocks for a narrow terminal: the first column's value as the block's heading,
    then ``name: value`` lines wrapped at ``width`` (empty values left out). Every value is
    shown whole; no line is longer than ``width`` (ANSI codes not counted). ``colors``: as
    :func:`render_table` (an access class that fits one line is coloured)."""
    import textwrap

    out: list[str] = []
    if title:
        out += textwrap.wrap(title, width) + [""]
    names = {c: (headers or {}).get(c, c.replace("_", " ")) for c in columns}
    pad = max((len(names[c]) for c in columns[1:]), default=0)
    for r in rows:
        out += textwrap.wrap(f"{names[columns[0]]}: {cell(r.get(columns[0]))}", width)
        for c in columns[1:]:
            value = cell(r.get(c))
            if not value:
                continue
            lead = f"  {names[c]:<{pad}}  "
            lines = textwrap.wrap(value, width, initial_indent=lead,
                                  subsequent_indent=" " * len(lead), break_on_hyphens=False)
            if c in CLASS_COLUMNS and lines == [lead + value]:
                lines = [lead + paint(value, value, colors)]
            out += lines
        out.append("")
    if caption:
        out += textwrap.wrap(caption, width)
    return "\n".join(out) + "\n"


def _table_text(rows: list[dict], columns: Sequence[str], title: str | None,
                headers: dict[str, str] | None, caption: str | None, width: int,
                colors: str | None = None) -> str:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, box=box.SIMPLE_HEAVY, caption=caption, show_lines=True,
                  title_justify="left")
    for c in columns:
        table.add_column((headers or {}).get(c, c.replace("_", " ")),
                         no_wrap=c in NO_WRAP, overflow="fold",
                         min_width=len(c) if c in NO_WRAP else None)
    for r in rows:
        table.add_row(*[_class_text(cell(r.get(c))) if colors and c in CLASS_COLUMNS
                        else cell(r.get(c)) for c in columns])
    console = Console(width=width, record=True, file=io.StringIO(), color_system=colors,
                      force_terminal=bool(colors), highlight=False)
    console.print(table)
    return console.export_text(styles=bool(colors))


def _class_text(value: str) -> Text:
    """An access class as rich text styled over the word only (the cell's padding stays plain)."""
    from rich.text import Text

    text = Text(value)
    style = class_style(value)
    if style is not None:
        text.stylize(style, 0, len(value))
    return text


def render_rows(rows: list[dict], columns: Sequence[str], fmt: str, *, json_data: Any = None,
                title: str | None = None, caption: str | None = None,
                table_rows: list[dict] | None = None) -> str:
    """Render ``rows`` in ``fmt``; JSON renders ``json_data`` when given (the documented shape).
    ``table_rows``: what the table shows instead of ``rows`` (e.g. short element lists,
    :func:`lineage.render.answers.readable_rows`); JSON and CSV never use it."""
    if fmt == "json":
        return render_json(json_data if json_data is not None else rows)
    if fmt == "csv":
        return render_csv(rows, columns)
    return render_table(rows if table_rows is None else table_rows, columns, title=title,
                        caption=caption)
