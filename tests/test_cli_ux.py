"""The CLI as a person sees it (issue 16): colour of the access class on a colour terminal only,
the exposure summary line and short element lists, the demo's answer, the impact progress bar,
an example in every command's help, shell completion; and JSON/CSV byte-for-byte as before.
Commands run through CliRunner against the real database (clean Riverside, the test key)."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from lineage.cli import main
from lineage.render import answers, tables

GOLDEN = Path(__file__).resolve().parent / "fixtures" / "golden"


def run(env, args):
    r = CliRunner().invoke(main, args, env=env)
    assert r.exit_code == 0, r.output
    return r.output


@pytest.mark.usefixtures("clean")
class TestListingsUnchanged:
    """Scripts read ``--format json|csv``: the bytes stay what they were before issue 16
    (pinned from the code before the change: tests/fixtures/golden/)."""

    @pytest.mark.parametrize("fmt, name", [("json", "exposure-RSD-1001.json"),
                                           ("csv", "exposure-RSD-1001.csv"),
                                           ("csv", "exposure-RSD-1001-record.csv")])
    def test_exposure_json_and_csv_bytes(self, env, fmt, name):
        args = ["exposure", "RSD-1001", "--format", fmt]
        if "record" in name:
            args += ["--view", "record"]
        assert run(env, args) == (GOLDEN / name).read_text(encoding="utf-8")


# --- helpers ----------------------------------------------------------------------------------

#: The ANSI codes of the picture's three class colours (lineage.render.dot.CLASS_STYLE), bold,
#: as a truecolor terminal gets them.
RED = "\x1b[1;38;2;176;58;46m"     # identifiable  #b03a2e
AMBER = "\x1b[1;38;2;185;119;14m"  # de-identified #b9770e
BLUE = "\x1b[1;38;2;31;97;141m"    # aggregate     #1f618d
RESET = "\x1b[0m"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def terminal(monkeypatch, width, colors=None):
    """Make the commands see a terminal of ``width`` columns (``None``: a pipe) with the colour
    system ``colors`` (``None``: no colour), as ``output_width``/``output_colors`` report it."""
    monkeypatch.setattr(tables, "output_width", lambda: width)
    monkeypatch.setattr(tables, "output_colors", lambda: colors)


def run_in(env, args, monkeypatch, width, colors=None):
    terminal(monkeypatch, width, colors)
    # color=True: click keeps ANSI codes in captured output (it strips them for a pipe)
    r = CliRunner().invoke(main, args, env=env, color=colors is not None)
    assert r.exit_code == 0, r.output
    return r.output


def fits(text, width):
    return [line for line in ANSI.sub("", text).splitlines() if len(line) > width] == []


# --- 1. colour of the access class ----------------------------------------------------------------

@pytest.mark.usefixtures("clean")
class TestColour:
    @pytest.mark.parametrize("width", [80, 120, 220])
    def test_a_colour_terminal_gets_the_class_colours(self, env, monkeypatch, width):
        out = run_in(env, ["exposure", "RSD-1001"], monkeypatch, width, "truecolor")
        assert out.splitlines()[0] == (
            f"RSD-1001: {RED}10 identifiable{RESET} · {AMBER}1 de-identified only{RESET} · "
            f"{BLUE}2 aggregate only{RESET} (ever)")
        body = "\n".join(out.splitlines()[1:])
        assert body.count(f"{RED}identifiable{RESET}") == 10
        assert body.count(f"{AMBER}deidentified{RESET}") == 1
        assert body.count(f"{BLUE}aggregate{RESET}") == 2
        assert fits(out, width)
        # colour never changes the text: without the codes it is the plain terminal output
        assert ANSI.sub("", out) == run_in(env, ["exposure", "RSD-1001"], monkeypatch, width)

    def test_path_colours_its_access_column(self, env, monkeypatch):
        out = run_in(env, ["path", "RSD-1001", "univ-reading-lab"], monkeypatch, 80, "256")
        assert out.count("\x1b[1;38;5;") == 4  # the four steps, in 256 colours
        assert fits(out, 80)

    @pytest.mark.parametrize("width", [80, 120, None])
    def test_no_colour_codes_without_a_colour_terminal(self, env, monkeypatch, width):
        out = run_in(env, ["exposure", "RSD-1001"], monkeypatch, width)
        assert "\x1b" not in out

    def test_a_pipe_gets_no_colour_codes(self, env):
        # nothing patched: CliRunner's standard output is not a terminal
        r = CliRunner().invoke(main, ["exposure", "RSD-1001"], env=env, color=True)
        assert r.exit_code == 0, r.output
        assert "\x1b" not in r.output
        assert r.output.startswith("RSD-1001: 10 identifiable · 1 de-identified only · "
                                   "2 aggregate only (ever)\n")


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("environ, expected", [
    ({"TERM": "xterm-256color"}, "256"),
    ({"TERM": "xterm-256color", "COLORTERM": "truecolor"}, "truecolor"),
    ({"TERM": "xterm-256color", "NO_COLOR": "1"}, None),
    ({"TERM": "xterm-256color", "NO_COLOR": ""}, "256"),  # no-color.org: "" does not count
    ({"TERM": "dumb"}, None),
])
def test_output_colors_of_a_terminal(monkeypatch, environ, expected):
    for var in ("NO_COLOR", "FORCE_COLOR", "COLORTERM", "TTY_COMPATIBLE", "TTY_INTERACTIVE",
                "TERM", "JUPYTER_COLUMNS", "JUPYTER_LINES"):
        monkeypatch.delenv(var, raising=False)
    for k, v in environ.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr(sys, "stdout", FakeTerminal())
    assert tables.output_colors() == expected


def test_output_colors_of_a_pipe(monkeypatch):
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLORTERM", "truecolor")
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    assert tables.output_colors() is None


# --- 2. exposure: the summary line, short element lists, --wide ---------------------------------

def test_summary_line_counts_every_class_and_adds_the_warnings():
    data = {"student": "pseudonym", "as_of": "2026-12-01", "actors": [
        {"actor_id": "a", "access": "identifiable"}, {"actor_id": "b", "access": "aggregate"},
        {"actor_id": "c", "access": "identifiable"}]}
    assert answers.exposure_summary(data, "RSD-1001") == (
        "RSD-1001: 2 identifiable · 0 de-identified only · 1 aggregate only (as of 2026-12-01)\n")
    assert answers.exposure_summary(
        {**data, "as_of": None}, "RSD-1001",
        ["the graph may be incomplete: source edfi-2025 did not finish"]) == (
        "RSD-1001: 2 identifiable · 0 de-identified only · 1 aggregate only (ever)\n"
        "warning: the graph may be incomplete: source edfi-2025 did not finish\n")


@pytest.mark.parametrize("elements, expected", [
    ([], ""),
    (["Student Name"], "1 element: Student Name"),
    (["A", "B", "C"], "3 elements: A; B; C"),
    (["A", "B", "C", "D"], "4 elements: A; B; C; …"),
])
def test_short_elements(elements, expected):
    assert answers.short_elements(elements) == expected


LINCOLN_SHORT = ("22 elements: Date of Birth; English language learner information; "
                 "Ethnicity or race; …")


@pytest.mark.usefixtures("clean")
class TestExposureReadable:
    @pytest.mark.parametrize("width", [80, 120])
    def test_first_line_and_short_elements(self, env, monkeypatch, width):
        out = run_in(env, ["exposure", "RSD-1001"], monkeypatch, width)
        assert out.splitlines()[:2] == [
            "RSD-1001: 10 identifiable · 1 de-identified only · 2 aggregate only (ever)", ""]
        flat = " ".join(out.split())
        assert flat.count(LINCOLN_SHORT) == 2  # lincoln-es and riverside-sd
        assert "3 elements: Medical alerts/health data; Parent/Guardian Phone; Student Name " \
               "first date" in flat  # county-ems: three, all shown, no "…"
        assert "Teacher names" not in flat  # last of every list it is in
        assert fits(out, width)

    def test_as_of_in_the_first_line(self, env, monkeypatch):
        out = run_in(env, ["exposure", "RSD-1001", "--as-of", "2024-06-01"], monkeypatch, 80)
        assert out.splitlines()[0] == ("RSD-1001: 5 identifiable · 0 de-identified only · "
                                       "2 aggregate only (as of 2024-06-01)")

    @pytest.mark.parametrize("width", [80, 120])
    def test_wide_lists_every_element(self, env, monkeypatch, width):
        out = run_in(env, ["exposure", "RSD-1001", "--wide"], monkeypatch, width)
        flat = " ".join(out.split())
        assert "22 elements" not in flat and "…" not in flat
        assert flat.count("Teacher names") == 3  # lincoln-es, riverside-sd, learnco
        assert fits(out, width)

    def test_a_pipe_keeps_every_element(self, env, monkeypatch):
        out = run_in(env, ["exposure", "RSD-1001"], monkeypatch, None)
        assert "…" not in out and "22 elements" not in out
        assert out.count("Teacher") == 3  # the full table wraps "Teacher names" in its cell

    @pytest.mark.parametrize("width", [80, 120])
    def test_record_view_short_elements(self, env, monkeypatch, width):
        flat = " ".join(run_in(env, ["exposure", "RSD-1001", "--view", "record"], monkeypatch,
                               width).split())
        assert ("elements 10 elements: Date of Birth; English language learner information; "
                "Ethnicity or race; … discloser id riverside-sd") in flat
        wide = " ".join(run_in(env, ["exposure", "RSD-1001", "--view", "record", "--wide"],
                               monkeypatch, width).split())
        assert "Student school enrollment discloser id riverside-sd" in wide

    @pytest.mark.parametrize("width", [80, 120])
    def test_path_short_elements(self, env, monkeypatch, width):
        out = run_in(env, ["path", "RSD-1001", "univ-reading-lab"], monkeypatch, width)
        flat = " ".join(out.split())
        assert flat.count("4 elements: English language learner information; Standardized "
                          "test scores; State ID number; …") == 2
        assert "Student school (daily) attendance data" not in flat
        assert fits(out, width)
        wide = run_in(env, ["path", "RSD-1001", "univ-reading-lab", "--wide"], monkeypatch,
                      width)
        assert " ".join(wide.split()).count("Student school (daily) attendance data") == 4
