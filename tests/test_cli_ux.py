"""The CLI as a person sees it (issue 16): colour of the access class on a colour terminal only,
the exposure summary line and short element lists, the demo's answer, the impact progress bar,
an example in every command's help, shell completion; and JSON/CSV byte-for-byte as before.
Commands run through CliRunner against the real database (clean Riverside, the test key)."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from rich.console import Console

from lineage.cli import main
from lineage.commands import datasets
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
CSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")  # every control sequence (cursor moves too)


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
        # what is saved never holds the raw student ID (only a terminal shows the ID typed)
        assert r.output.startswith("This student: 10 identifiable · 1 de-identified only · "
                                   "2 aggregate only (ever)\n")
        assert "RSD-1001" not in r.output


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


# --- 4. demo: the answer as a person reads it -------------------------------------------------

DEMO_80 = """\
RSD-1001: 10 identifiable · 1 de-identified only · 2 aggregate only (ever)

Could see information that identifies RSD-1001 (10):
  guardian-r        Guardian R · parent / eligible student
  lincoln-es        Lincoln Elementary School · school official
  riverside-sd      Riverside School District
  state-doe         State Department of Education · audit/evaluation
  routeco           RouteCo · school official, DPA-TR-09
  teacher-lee       Ms. Lee (grade 4) · school official
  learnco           LearnCo · school official, NDPA-2024-017
  univ-reading-lab  University Reading Lab · studies, RDA-2025-03
  county-ems        County Emergency Medical Services · health or safety
                    emergency
  hill-sd           Hill School District · other school (transfer)

Received only de-identified rows (identity removed) (1):
  univ-econ-lab     University Economics Lab · studies, RDA-2024-11

Received only counts of many students (aggregate) (2):
  us-ed             U.S. Department of Education · federal reporting
  public            The public

Record of disclosures (FERPA §99.32): state-doe (audit_evaluation, 2022-10-01),
univ-reading-lab (studies, 2025-03-15), county-ems (health_safety_emergency,
2025-04-10), hill-sd (other_school, 2025-07-20)

The commands below need the demo key (synthetic data only):
  export LINEAGE_PSEUDONYM_KEY=\\
demo-key-synthetic-data-only-never-for-real-students

Try next:
  lineage exposure RSD-1001  # every actor: elements, dates, basis
  lineage path RSD-1001 univ-reading-lab  # how one actor got the data
  lineage report RSD-1001 --format md  # the answer to a parent
  lineage impact --actor routeco  # students in a vendor breach
  lineage demo --violations && lineage check  # the policy audit
"""


@pytest.fixture(scope="class")
def demo_graph(store):
    """An empty graph for the demo (it writes only into an empty graph or its own)."""
    store.reset()
    return store


@pytest.mark.usefixtures("demo_graph")
class TestDemo:
    def test_the_answer_at_80_columns(self, env, monkeypatch):
        out = run_in(env, ["demo", "--no-server"], monkeypatch, 80)
        assert out.startswith("loaded Riverside (304 enrolments, 13 flows)\n\n")
        assert out.split("\n\n", 1)[1] == DEMO_80
        assert fits(out, 80)

    def test_at_120_columns_the_long_lines_stay_whole(self, env, monkeypatch):
        out = run_in(env, ["demo", "--no-server"], monkeypatch, 120)
        assert fits(out, 120)
        assert ("  county-ems        County Emergency Medical Services · health or safety "
                "emergency\n") in out
        assert ("  export LINEAGE_PSEUDONYM_KEY=demo-key-synthetic-data-only-never-for-real-"
                "students\n") in out
        # the same words as at 80 columns, wrapped differently (there the key is continued)
        at_80 = run_in(env, ["demo", "--no-server"], monkeypatch, 80).replace("=\\\n", "=")
        assert out.split() == at_80.split()

    def test_the_groups_in_colour_on_a_colour_terminal(self, env, monkeypatch):
        out = run_in(env, ["demo", "--no-server", "--student", "RSD-1002"], monkeypatch, 80,
                     "truecolor")
        assert f"{RED}Could see information that identifies RSD-1002 (" in out
        assert f"{BLUE}Received only counts of many students (aggregate) (2):{RESET}" in out
        assert "  lineage exposure RSD-1002  # every actor" in out
        assert fits(out, 80)


# --- 3. impact: a progress bar on a terminal's standard error only -----------------------------

IMPACT = ["impact", "--actor", "routeco", "--since", "2024-01-01", "--until", "2024-12-31"]


@pytest.mark.usefixtures("clean")
class TestImpactProgress:
    def test_no_bar_and_nothing_on_stderr_without_a_terminal(self, env):
        r = CliRunner().invoke(main, [*IMPACT, "--format", "csv"], env=env)
        assert r.exit_code == 0, r.output
        assert r.stderr == ""
        assert "\x1b" not in r.stdout

    @pytest.mark.parametrize("width", [80, 120])
    def test_a_terminal_sees_the_bar_and_the_counts_at_the_end(self, env, monkeypatch, width):
        plain = CliRunner().invoke(main, [*IMPACT, "--format", "csv"], env=env)
        n = len(plain.stdout.splitlines()) - 1
        screen = io.StringIO()
        monkeypatch.setattr(datasets, "progress_console", lambda: Console(
            file=screen, force_terminal=True, width=width, color_system=None))
        r = CliRunner().invoke(main, [*IMPACT, "--format", "csv"], env=env)
        assert r.exit_code == 0, r.output
        # the rows are the same (streamed in no particular order), with nothing of the bar
        assert sorted(r.stdout.splitlines()) == sorted(plain.stdout.splitlines())
        shown = ANSI.sub("", screen.getvalue())
        assert f"impact: {n:,} students found" in shown  # the bar's last state
        assert shown.endswith(f"{n} students affected by a breach of actor routeco "
                              "(2024-01-01 .. 2024-12-31)\n")
        bar = [line for line in CSI.sub("", shown).replace("\r", "\n").splitlines()
               if "students found" in line]
        assert bar and all(len(line) <= width for line in bar)


def test_load_progress_draws_nothing_off_a_terminal(capsys):
    """``lineage load``'s bars (conversion, then each bulk file) are drawn only on a terminal:
    piped or captured output gets nothing of them, not even a blank line."""
    from lineage.commands.load import progress_bar

    with progress_bar(True) as report:
        assert report is None
    assert capsys.readouterr() == ("", "")


def test_load_progress_counts_converted_rows_on_a_terminal(monkeypatch):
    """Converting an export: an open-ended bar with the rows converted so far (the total is
    not known until the end), gone when done."""
    import rich

    from lineage.commands.load import progress_bar

    screen = io.StringIO()
    monkeypatch.setattr(rich, "_console", Console(file=screen, force_terminal=True, width=80,
                                                  color_system=None))
    with progress_bar(True) as report:
        report("converting export.zip", 40_000, None)
        report("converting export.zip", 60_000, None)
        report("enrolments (enrolments.csv)", 5, 10)
    shown = CSI.sub("", ANSI.sub("", screen.getvalue()))
    assert "converting export.zip" in shown and "60000/?" in shown
    assert "enrolments (enrolments.csv)" in shown and "5/10" in shown


# --- 5. an example in every command's help; shell completion ----------------------------------

def every_command(group=main, path=()):
    """``(path, command)`` for the group itself and every command and subcommand under it."""
    yield path, group
    ctx = click.Context(group)  # a group's commands as click finds them (imported on demand)
    for name in group.list_commands(ctx) if isinstance(group, click.Group) else ():
        cmd = group.get_command(ctx, name)
        if isinstance(cmd, click.Group):
            yield from every_command(cmd, (*path, name))
        else:
            yield (*path, name), cmd


def test_every_command_is_walked():
    paths = {" ".join(p) for p, _ in every_command()}
    assert {"", "exposure", "db", "db start", "users add", "keys revoke", "completion",
            "sources", "forget"} <= paths
    assert len(paths) == 34


@pytest.mark.parametrize("path", [p for p, _ in every_command()], ids=" ".join)
def test_every_help_has_an_example(path):
    r = CliRunner().invoke(main, [*path, "--help"], prog_name="lineage")
    assert r.exit_code == 0, r.output
    lines = [line.strip() for line in r.output.splitlines()]
    heads = [i for i, line in enumerate(lines) if line in ("Example:", "Examples:")]
    assert heads, r.output
    examples = lines[heads[0] + 1:]
    assert examples and examples[0].startswith("lineage ")
    for e in examples:  # each example runs this command
        words = re.findall(r"[\w-]+", e)
        assert "lineage" in words and all(w in words for w in path), e


@pytest.mark.parametrize("shell, marker", [("bash", "_lineage_completion()"),
                                           ("zsh", "#compdef lineage"),
                                           ("fish", "complete --no-files --command lineage")])
def test_completion_script_is_clicks(shell, marker):
    script = CliRunner().invoke(main, ["completion", shell]).output
    documented = CliRunner().invoke(main, [], prog_name="lineage",
                                    env={"_LINEAGE_COMPLETE": f"{shell}_source"}).output
    assert marker in script
    assert script == documented


def test_completion_completes_commands_and_choices():
    def complete(words, cword):
        return CliRunner().invoke(main, [], prog_name="lineage", env={
            "_LINEAGE_COMPLETE": "bash_complete", "COMP_WORDS": words,
            "COMP_CWORD": str(cword)}).output.split()

    assert complete("lineage expo", 1) == ["plain,exposure"]
    assert complete("lineage exposure RSD-1001 --view ", 4) == ["plain,actors", "plain,record"]
    assert complete("lineage completion ", 2) == ["plain,bash", "plain,zsh", "plain,fish"]


def test_next_commands_put_a_long_comment_below():
    assert answers.next_commands([("lineage exposure RSD-1001", "every actor")], width=42) == (
        "Try next:\n  lineage exposure RSD-1001  # every actor\n")
    assert answers.next_commands([("lineage path RSD-1001 univ-reading-lab",
                                   "how one actor got the data")], width=40) == (
        "Try next:\n  lineage path RSD-1001 univ-reading-lab\n"
        "    # how one actor got the data\n")


@pytest.mark.parametrize("width, expected", [
    (None, "  export K=abc-def\n"),
    (18, "  export K=abc-def\n"),
    (17, "  export K=\\\nabc-def\n"),       # continued: the shell joins the word back
    (5, "  export K=abc-def\n"),            # nowhere to break: left whole, never cut
])
def test_shell_command_breaks_only_with_a_continuation(width, expected):
    assert answers.shell_command("export K=abc-def", width) == expected
