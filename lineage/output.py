"""Pure renderers shared by every listing command: one ``--format`` option (table, json, csv).

Renderers take plain rows (dicts) and return text; they never touch the database, so tests
compare whole outputs. Lists inside cells are joined with ``"; "`` in table and CSV output.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from typing import Any

import click
from rich import box
from rich.console import Console
from rich.table import Table

FORMATS = ("table", "json", "csv")


def format_option(choices: Sequence[str] = FORMATS, default: str = "table"):
    """The shared ``--format`` click option."""
    return click.option("--format", "fmt", type=click.Choice(list(choices)), default=default,
                        show_default=True, help="Output format.")


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


def render_csv(rows: Iterable[dict], columns: Sequence[str]) -> str:
    """CSV with a header row (``columns``), lists joined by '; '."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([cell(r.get(c)) for c in columns])
    return buf.getvalue()


def render_table(rows: Iterable[dict], columns: Sequence[str], *, title: str | None = None,
                 headers: dict[str, str] | None = None, width: int = 160,
                 caption: str | None = None) -> str:
    """A rich table rendered to plain text (no colour codes), for terminals and tests."""
    table = Table(title=title, box=box.SIMPLE_HEAVY, caption=caption, show_lines=False,
                  title_justify="left")
    for c in columns:
        table.add_column((headers or {}).get(c, c.replace("_", " ")), overflow="fold")
    for r in rows:
        table.add_row(*[cell(r.get(c)) for c in columns])
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None,
                      highlight=False)
    console.print(table)
    return console.export_text()


def render_rows(rows: list[dict], columns: Sequence[str], fmt: str, *, json_data: Any = None,
                title: str | None = None, caption: str | None = None) -> str:
    """Render ``rows`` in ``fmt``; JSON renders ``json_data`` when given (the documented shape)."""
    if fmt == "json":
        return render_json(json_data if json_data is not None else rows)
    if fmt == "csv":
        return render_csv(rows, columns)
    return render_table(rows, columns, title=title, caption=caption)
