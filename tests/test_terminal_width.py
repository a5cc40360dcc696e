"""Tables as a person's terminal shows them: at 80 and 120 columns no line is longer than the
terminal and every value is there (a too-wide table becomes one block per row); to a file or a
pipe the full-width table is unchanged. Commands run through CliRunner against the real
database, with the terminal's width set as ``output_width`` reports it."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from lineage.cli import main
from lineage.render import tables

RIVERSIDE_ACTORS = ["guardian-r", "lincoln-es", "riverside-sd", "state-doe", "routeco",
                    "teacher-lee", "learnco", "univ-reading-lab", "county-ems", "hill-sd",
                    "univ-econ-lab", "us-ed", "public"]

COMMANDS = {
    "exposure": (["exposure", "RSD-1001"], RIVERSIDE_ACTORS),
    "record": (["exposure", "RSD-1001", "--view", "record"],
               ["state-doe", "univ-reading-lab", "hill-sd", "county-ems"]),
    "path": (["path", "RSD-1001", "univ-reading-lab"],
             ["rsd-sis", "state-slds", "reading-study-file", "RDA-2025-03"]),
    "downstream": (["downstream", "rsd-sis"], ["state-slds", "routeco-routes", "hill-sis"]),
    "check-rules": (["check", "--list-rules"], ["small-cell", "roster-access"]),
}


def run(env, args, width, monkeypatch):
    monkeypatch.setattr(tables, "output_width", lambda: width)
    r = CliRunner().invoke(main, args, env=env)
    assert r.exit_code == 0, r.output
    return r.output


@pytest.mark.usefixtures("clean")
class TestTerminalWidth:
    @pytest.mark.parametrize("width", [80, 120])
    @pytest.mark.parametrize("name", list(COMMANDS))
    def test_lines_fit_the_terminal_and_every_id_is_shown(self, env, monkeypatch, name, width):
        args, ids = COMMANDS[name]
        out = run(env, args, width, monkeypatch)
        too_long = [line for line in out.splitlines() if len(line) > width]
        assert too_long == []
        flat = " ".join(out.split())
        for i in ids:
            assert i in flat

    def test_every_element_is_shown_at_80_columns_with_wide(self, env, monkeypatch):
        # issue 16: a terminal shows a count and the first few elements; --wide all of them
        out = " ".join(run(env, ["exposure", "RSD-1001", "--wide"], 80, monkeypatch).split())
        for element in ("English language learner information", "Standardized test scores",
                        "Student school (daily) attendance data", "RDA-2025-03"):
            assert element in out

    def test_a_pipe_keeps_the_full_width_table(self, env, monkeypatch):
        wide = run(env, ["exposure", "RSD-1001"], None, monkeypatch)
        assert max(len(line) for line in wide.splitlines()) == tables.FILE_WIDTH
        assert "━━━" in wide  # the table itself, not blocks


def test_blocks_wrap_long_values_and_leave_out_empty_ones():
    rows = [{"actor_id": "a-very-long-actor-identifier", "elements": ["x" * 70, "Student Name"],
             "last_date": None}]
    text = tables.render_blocks(rows, ["actor_id", "elements", "last_date"], width=40)
    assert all(len(line) <= 40 for line in text.splitlines())
    assert "last date" not in text
    assert "".join(text.split()).count("x" * 70) == 1
