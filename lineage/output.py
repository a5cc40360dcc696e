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


#: Columns never wrapped in tables (identifiers and dates stay whole and greppable).
NO_WRAP = {"actor_id", "id", "student", "first_date", "last_date", "date", "access", "role",
           "depth", "rule", "severity", "chain", "step", "kind", "accessed", "could",
           "granularity", "holder", "holder_role", "discloser_id", "redisclosure"}


def render_table(rows: Iterable[dict], columns: Sequence[str], *, title: str | None = None,
                 headers: dict[str, str] | None = None, width: int = 200,
                 caption: str | None = None) -> str:
    """A rich table rendered to plain text (no colour codes), for terminals and tests.

    Identifier and date columns (:data:`NO_WRAP`) are never wrapped; lists wrap at '; '.
    """
    table = Table(title=title, box=box.SIMPLE_HEAVY, caption=caption, show_lines=True,
                  title_justify="left")
    for c in columns:
        table.add_column((headers or {}).get(c, c.replace("_", " ")),
                         no_wrap=c in NO_WRAP, overflow="fold",
                         min_width=len(c) if c in NO_WRAP else None)
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
