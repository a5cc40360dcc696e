"""Messages a new user's trial found wrong (input files, options): each names what is true,
exits 2 on bad input, and writes nothing. CLI through CliRunner against the real database."""

from __future__ import annotations

import json

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lineage.cli import main
from lineage.questions.lookups import os_user
from lineage.sources.inventory import not_utf8
from tests.helpers import ROOT

FIX = ROOT / "tests" / "fixtures"


def _count(store) -> int:
    return store.counts()["nodes"]


def test_oneroster_parent_folder_names_its_subfolders(store, env):
    store.reset()
    folder = FIX / "oneroster-1.2"
    r = CliRunner().invoke(main, ["load", str(FIX / "maple-grove.yaml"), "--oneroster",
                                  str(folder), "--district", "maple-sd", "--no-progress"],
                           env=env)
    assert r.exit_code == 2, r.output
    assert r.output.splitlines()[1] == (
        f"  - {folder}: no OneRoster files (orgs.csv, academicSessions.csv, classes.csv, "
        f"users.csv, enrollments.csv, roles.csv, manifest.csv) in {folder}; found sub-folders "
        "bulk/, delta/ — give one of them")
    assert "lineage-import" not in r.output and "inventory defines nothing" not in r.output
    assert _count(store) == 0


def test_oneroster_empty_folder(store, env, tmp_path):
    store.reset()
    r = CliRunner().invoke(main, ["load", "--oneroster", str(tmp_path), "--district",
                                  "maple-sd", "--no-progress"], env=env)
    assert r.exit_code == 2, r.output
    assert r.output.splitlines()[1] == (
        f"  - {tmp_path}: no OneRoster files (orgs.csv, academicSessions.csv, classes.csv, "
        f"users.csv, enrollments.csv, roles.csv, manifest.csv) in {tmp_path}; give the "
        "export's folder or .zip")
    assert _count(store) == 0


def test_edfi_folder_without_edfi_files(store, env, tmp_path):
    store.reset()
    (tmp_path / "notes.json").write_text('{"a": 1}')
    (tmp_path / "other.xml").write_text("<catalog><book/></catalog>")
    r = CliRunner().invoke(main, ["load", "--edfi", str(tmp_path), "--district", "maple-sd",
                                  "--no-progress"], env=env)
    assert r.exit_code == 2, r.output
    assert r.output.splitlines()[1] == (
        f"  - {tmp_path}: no Ed-Fi interchange files (Interchange*.xml) or API resource files "
        "(localEducationAgencies.json, schools.json, studentSchoolAssociations.json, ...) in "
        f"{tmp_path}; give the folder of the Ed-Fi export")
    assert _count(store) == 0


def test_latin1_byte_in_data_row_names_that_row(store, env, tmp_path):
    store.reset()
    (tmp_path / "inv.yaml").write_text("actors:\n  - {id: d1, role: district}\nbulk:\n"
                                       "  - {kind: enrolments, path: enrol.csv}\n")
    (tmp_path / "enrol.csv").write_bytes(b"student_id,org,valid_from,valid_to\n"
                                         b"S-1,d1,2024-08-20,\nS-\xe9,d1,2024-08-20,\n")
    r = CliRunner().invoke(main, ["load", str(tmp_path / "inv.yaml"), "--no-progress"],
                           env=env)
    assert r.exit_code == 2, r.output
    assert r.output.splitlines()[1] == (
        f"  - {tmp_path / 'enrol.csv'}, row 3: not UTF-8 text (a spreadsheet's 'CSV' in a "
        "local code page, e.g. Latin-1); export the file as 'CSV UTF-8' and load it again")
    assert "header" not in r.output and "0xe9" not in r.output
    assert _count(store) == 0


@given(st.lists(st.text(st.characters(min_codepoint=32, max_codepoint=0x2FFF,
                                      blacklist_characters="\r\n"), max_size=30),
                min_size=1, max_size=40), st.data())
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_not_utf8_names_the_first_bad_line(tmp_path_factory, lines, data):
    bad = data.draw(st.integers(1, len(lines)))
    raw = [x.encode("utf-8") for x in lines]
    raw[bad - 1] += data.draw(st.sampled_from([b"\xe9", b"\xff", b"\xc3(", b"\x80"]))
    path = tmp_path_factory.mktemp("u") / "f.csv"
    path.write_bytes(b"\n".join(raw) + b"\n")
    assert not_utf8(path).row == bad


class TestSuggestions:
    def test_element_synonym_is_suggested(self, clean, env):
        r = CliRunner().invoke(main, ["exposure", "RSD-1001", "--element", "Birthdate"], env=env)
        assert r.exit_code == 2, r.output
        assert "error: unknown data element 'Birthdate'; closest: 'Date of Birth'" in r.output

    def test_path_unknown_actor_names_closest_ids(self, clean, env):
        r = CliRunner().invoke(main, ["path", "RSD-1001", "routec"], env=env)
        assert r.exit_code == 1, r.output
        assert r.output.splitlines()[0] == "error: actor not found: 'routec'; closest: 'routeco'"

    def test_lookups_since_keeps_the_time(self, clean, env):
        from datetime import datetime, timedelta, timezone

        r = CliRunner().invoke(main, ["exposure", "RSD-1001", "--format", "json"], env=env)
        assert r.exit_code == 0, r.output
        now = datetime.now(timezone.utc)
        later = (now + timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M")
        earlier = (now - timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M")
        got = {}
        for since in (earlier, later):
            r = CliRunner().invoke(main, ["lookups", "--since", since, "--format", "json",
                                          "--user", os_user()], env=env)
            assert r.exit_code == 0, r.output
            got[since] = [x["what"] for x in json.loads(r.output)["lookups"]]
        assert got[later] == [] and got[earlier][0] == "exposure"
        r = CliRunner().invoke(main, ["lookups", "--since", "2026-12-01T25:00"], env=env)
        assert r.exit_code == 2
        assert ("'2026-12-01T25:00' is not an ISO date or date-time (YYYY-MM-DD or "
                "YYYY-MM-DDTHH:MM, UTC)") in r.output

    def test_report_received_after_today_exit_2(self, clean, env):
        from datetime import date, timedelta

        today = date.today()
        r = CliRunner().invoke(main, ["report", "RSD-1001", "--format", "json", "--received",
                                      (today + timedelta(days=1)).isoformat()], env=env)
        assert r.exit_code == 2, r.output
        assert r.output.splitlines()[0] == (
            f"error: the inquiry cannot be received after today ({today}); give the date the "
            "inquiry reached the district")


def test_us_date_warning_names_rows_once():
    from lineage.sources.common import UsDates

    one, many = UsDates(), UsDates()
    one.add("f.csv", "beginDate", 5)
    for row in (5, 6, 9, 12, 14, 20, 31):
        many.add("g.csv", "endDate", row)
    assert [str(w) for w in one.warnings() + many.warnings()] == [
        ("f.csv, row 5, field 'beginDate': US date read as month/day/year; write ISO dates "
         "(YYYY-MM-DD) to silence this warning"),
        ("g.csv, field 'endDate': US dates read as month/day/year in rows 5, 6, 9, 12, 14 and 2 "
         "more; write ISO dates (YYYY-MM-DD) to silence this warning")]


def test_demo_refuses_its_graph_once_other_data_is_loaded(store, env):
    store.reset()
    r = CliRunner().invoke(main, ["demo", "--no-server"], env=env)
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["load", "--dictionary", str(ROOT / "seeds" / "cedar-valley" /
                                  "metadata-dictionary.csv"), "--district", "cedar-valley-sd",
                                  "--no-progress"], env=env)
    assert r.exit_code == 0, r.output
    before = store.counts()
    r = CliRunner().invoke(main, ["demo", "--no-server"], env=env)
    assert r.exit_code == 2, r.output
    assert ("error: the graph 'lineage demo' made now also holds data it did not load (16 other "
            "actor(s), e.g. 'brightpath-learning', 'cedar-valley-education-foundation', "
            "'cedar-valley-sd'): the demo writes only into an empty database or its own graph; "
            "nothing was written") in " ".join(r.output.split())
    assert store.counts() == before


def test_demo_note_says_where_v1_v4_came_from(store, env):
    store.reset()
    r = CliRunner().invoke(main, ["demo", "--no-server"], env=env)
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["load", str(ROOT / "seeds" / "riverside" / "violations.yaml"),
                                  "--no-progress"], env=env)
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["demo", "--no-server"], env=env)
    assert r.exit_code == 0, r.output
    assert ("note: the graph still holds the violations V1-V4 (seeds/riverside/violations.yaml, "
            "loaded into it earlier), so the answer below includes them; 'lineage db reset "
            "--yes' empties it for the clean answer") in r.output
    assert "earlier 'lineage demo --violations'" not in r.output


def test_dictionary_again_says_no_changes(store, env):
    store.reset()
    args = ["load", "--dictionary", str(ROOT / "seeds" / "cedar-valley" /
                                        "metadata-dictionary.csv"),
            "--district", "cedar-valley-sd", "--no-progress"]
    first = CliRunner().invoke(main, args, env=env)
    assert first.exit_code == 0, first.output
    assert "graph changes: nothing created" not in first.output
    again = CliRunner().invoke(main, args, env=env)
    assert again.exit_code == 0, again.output
    last = again.output.splitlines()[-1]
    assert last.startswith("graph changes: nothing created, no definition changed; ")
    assert last.endswith(" properties written (the same values again, or new end dates of rows "
                         "already in the graph)")


def test_synth_native_prints_load_hint(tmp_path):
    r = CliRunner().invoke(main, ["synth", "--students", "20", "--out", str(tmp_path / "s")])
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[-1] == f"load with: lineage load {tmp_path / 's' / 'inventory.yaml'}"


def test_password_on_command_line_warns_on_stderr(env):
    from lineage.cli import PASSWORD_WARNING

    given = {k: v for k, v in env.items() if k != "NEO4J_PASSWORD"}
    r = CliRunner().invoke(main, ["--password", env.get("NEO4J_PASSWORD", "x"), "lookups",
                                  "--limit", "1", "--format", "json"], env=given)
    assert r.stderr.splitlines()[0] == PASSWORD_WARNING
    assert env.get("NEO4J_PASSWORD", "x") not in r.stderr
    r = CliRunner().invoke(main, ["lookups", "--limit", "1", "--format", "json"], env=env)
    assert PASSWORD_WARNING not in r.stderr     # from the environment: no warning
    h = CliRunner().invoke(main, ["--help"])
    assert "prefer NEO4J_PASSWORD or the local server's password file" in " ".join(h.output.split())
