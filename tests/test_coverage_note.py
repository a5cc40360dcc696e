"""Cedar Valley per-student answers keep the "could have" caveat (shared/cases/cedar-valley.md):
a metadata dictionary gives each recipient's STUDENT POPULATION in words, without rosters, so
every student of the district is counted; exposure (table/json/csv), the parent report and the
web student page show the population text and say so. Real Neo4j, CLI through CliRunner."""

from __future__ import annotations

import csv
import io
import json

import pytest
import yaml
from click.testing import CliRunner

from lineage.cli import main
from tests.helpers import CEDAR_VALLEY, report_text

#: recipient id -> STUDENT POPULATION of its row(s) in seeds/cedar-valley/metadata-dictionary.csv
POPULATIONS = {
    "state-board-of-education": "All students", "brightpath-learning": "All students",
    "mathquest": "Grades 3-8", "readwell-assessment": "Grades K-6",
    "saferide-transportation": "Bus riders", "lunchline-pos": "All students",
    "cloudsis-hosting": "All students", "notifynow": "All students",
    "photoday-portraits": "All students without directory opt-out",
    "yearbook-pro": "All students without directory opt-out",
    "state-university-early-literacy-center": "Grades K-3",
    "cedar-valley-education-foundation": "Grade 12 applicants",
    "county-juvenile-court": "Students referred by court order",
    "counseling-connect": "Students with signed consent", "testprep-online": "Grades 11-12",
}
BUS_NOTE = ("could have: the district lists this recipient's population as 'Bus riders' but not "
            "its members; every student of the district is counted")


@pytest.fixture(scope="class")
def cedar(store, env, tmp_path_factory):
    """Cedar Valley imported as the README shows, plus one enrolled student CV-1."""
    store.reset()
    tmp = tmp_path_factory.mktemp("cedar")
    r = CliRunner().invoke(main, ["load", "--dictionary", str(CEDAR_VALLEY), "--district",
                                  "cedar-valley-sd", "--no-progress"], env=env)
    assert r.exit_code == 0, r.output
    (tmp / "students.yaml").write_text(yaml.safe_dump(
        {"bulk": [{"kind": "enrolments", "path": "enrol.csv"}]}))
    (tmp / "enrol.csv").write_text("student_id,org,valid_from,valid_to\n"
                                   "CV-1,cedar-valley-sd,2024-08-20,\n")
    r = CliRunner().invoke(main, ["load", str(tmp / "students.yaml"), "--no-progress"], env=env)
    assert r.exit_code == 0, r.output
    return store


@pytest.mark.usefixtures("cedar")
class TestCedarValleyCouldHave:
    def test_json_names_population_and_note(self, env):
        r = CliRunner().invoke(main, ["exposure", "CV-1", "--format", "json"], env=env)
        assert r.exit_code == 0, r.output
        actors = {a["actor_id"]: a for a in json.loads(r.output)["actors"]}
        assert {a: x.get("population") for a, x in actors.items()} == {
            **POPULATIONS, "cedar-valley-sd": None}
        assert actors["saferide-transportation"]["coverage_note"] == BUS_NOTE
        assert "coverage_note" not in actors["cedar-valley-sd"]  # the district's own SIS

    def test_csv_has_population_columns(self, env):
        r = CliRunner().invoke(main, ["exposure", "CV-1", "--format", "csv"], env=env)
        assert r.exit_code == 0, r.output
        rows = list(csv.DictReader(io.StringIO(r.output)))
        assert list(rows[0])[-2:] == ["population", "coverage_note"]
        bus = next(x for x in rows if x["actor_id"] == "saferide-transportation")
        assert (bus["population"], bus["coverage_note"]) == ("Bus riders", BUS_NOTE)
        sis = next(x for x in rows if x["actor_id"] == "cedar-valley-sd")
        assert (sis["population"], sis["coverage_note"]) == ("", "")

    def test_table_shows_population_and_says_could_have(self, env):
        r = CliRunner().invoke(main, ["exposure", "CV-1", "--wide"], env=env,
                               terminal_width=400)
        assert r.exit_code == 0, r.output
        line = next(x for x in r.output.splitlines() if "saferide-transportation" in x)
        assert "Bus riders" in line
        assert ("could have: a population given only in words (no roster): every student of "
                "the district is counted for it") in " ".join(r.output.split())

    def test_report_md_lists_could_have(self, env, tmp_path):
        out = tmp_path / "r.md"
        r = CliRunner().invoke(main, ["report", "CV-1", "--format", "md", "--out", str(out)],
                               env=env)
        assert r.exit_code == 0, r.output
        text = out.read_text()
        assert ("- SafeRide Transportation (saferide-transportation): population 'Bus riders'; "
                + BUS_NOTE + "\n") in text
        assert text.count("every student of the district is counted\n") == 15

    def test_report_html_lists_could_have(self, env, tmp_path):
        out = tmp_path / "r.html"
        r = CliRunner().invoke(main, ["report", "CV-1", "--format", "html", "--out",
                                      str(out)], env=env)
        assert r.exit_code == 0, r.output
        text = out.read_text()
        assert ("<li>SafeRide Transportation (saferide-transportation): population "
                "'Bus riders'; " + BUS_NOTE.replace("'", "&#39;") + "</li>") in text

    #: the sheet's flows that disclose CV-1's records and need a record entry (§99.32(d)
    #: exempts school officials, consent and directory information): recipient, basis
    RECORDED = [("county-juvenile-court", "juvenile_justice"),
                ("lunchline-pos", "child_nutrition"),
                ("state-board-of-education", "audit_evaluation"),
                ("state-board-of-education", "audit_evaluation"),
                ("state-university-early-literacy-center", "studies"),
                ("testprep-online", "studies")]

    def test_record_says_the_sheet_gives_no_dates(self, env):
        # a metadata dictionary's rows have no dates: each entry starts on the student's first
        # day (2024-08-20) but that is not a day on record, and every output says so
        r = CliRunner().invoke(main, ["exposure", "CV-1", "--view", "record", "--format",
                                      "json"], env=env)
        assert r.exit_code == 0, r.output
        got = [(d["actor_id"], d["legal_basis"], d["date"], d["date_recorded"])
               for d in json.loads(r.output)["disclosures"]]
        assert got == [(a, b, "2024-08-20", False) for a, b in self.RECORDED]
        r = CliRunner().invoke(main, ["exposure", "CV-1", "--view", "record", "--format",
                                      "csv"], env=env)
        assert r.exit_code == 0, r.output
        rows = list(csv.DictReader(io.StringIO(r.output)))
        assert [(x["actor_id"], x["date"], x["date_recorded"]) for x in rows] == [
            (a, "2024-08-20", "no") for a, _ in self.RECORDED]

    @pytest.mark.parametrize("fmt", ["md", "html"])
    def test_report_says_date_not_recorded(self, env, tmp_path, fmt):
        text = report_text(env, "CV-1", fmt, tmp_path)
        head = "### " if fmt == "md" else "<h3>"
        assert text.count(head + "date not recorded, from 2024-08-20: ") == 6
        assert head + "2024-08-20" not in text
        assert text.count("the district's records give no date for this disclosure; it could "
                          "have included the student's records from 2024-08-20") == 6

    def test_web_student_page_shows_population(self, store):
        from lineage.web import accounts, service
        from tests.web_helpers import PASSWORDS, Riverside, sign_in

        service.prepare(store)
        accounts.add_user(store, "arthur", "analyst", PASSWORDS["arthur"])
        c = Riverside(store, {}).client()
        token = sign_in(c, "arthur")
        page = c.post("/student", data={"student_id": "CV-1", "csrf": token})
        assert page.status_code == 200, page.text[:300]
        assert ('<small class="could-have">population \'Bus riders\': '
                + BUS_NOTE.replace("'", "&#39;") + "</small>") in page.text
