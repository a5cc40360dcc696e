"""Breach impact (docs/rules.md, Impact) agrees with ``lineage exposure`` on a real Neo4j:

* a window is tested against the days an actor touched a student's records, never the span
  from the first to the last (a re-enrolment after a gap at a school-scoped grant's school:
  no student is affected by a breach inside the gap; rules 3 and 7);
* the students an actor's access log records it as having read are affected on the days of
  the events (rule 10), with the elements ``lineage exposure`` reports (Riverside, V3).
"""

from __future__ import annotations

import json
from datetime import date

import pytest
import yaml
from click.testing import CliRunner

from lineage.cli import main
from lineage.graph.writer import load, read_sources
from lineage.questions import datasets
from lineage.questions import student as answers
from tests.helpers import PSEUDO, RIVERSIDE, S1A, S2, load_riverside
from tests.test_exposure import SIS
from tests.test_rules_reference import write_and_load

D = date.fromisoformat
SN, DOB = "Student Name", "Date of Birth"
METHODS = ["classes", "per_student"]

# --- F5: a gap between two enrolments at the grant's school -----------------------------------

GAP_INVENTORY = {
    "name": "impact gap case (synthetic)",
    "actors": [{"id": "d1", "role": "district"},
               {"id": "sA", "role": "school", "part_of": "d1"},
               {"id": "sB", "role": "school", "part_of": "d1"},
               {"id": "staffA", "role": "other"}],
    "datasets": [{"id": "sis", "holder": "d1", "granularity": "student",
                  "coverage": [{"org": "d1"}], "elements": [SN, DOB]}],
    "grants": [{"id": "GA", "actor": "staffA", "dataset": "sis", "scope": "school",
                "scope_org": "sA"}],
}
GAP_ENROLMENTS = [
    # the tester's student: at sA, a gap from 2024-03-02 to 2024-08-31, back at sA
    {"student_id": "G-1", "org": "sA", "valid_from": "2023-08-15", "valid_to": "2024-03-01"},
    {"student_id": "G-1", "org": "sA", "valid_from": "2024-09-01"},
    # at sA throughout
    {"student_id": "G-2", "org": "sA", "valid_from": "2023-08-15"},
    # moves to the district's other school: the SIS holds it throughout, the grant ends
    {"student_id": "G-3", "org": "sA", "valid_from": "2023-08-15", "valid_to": "2024-03-01"},
    {"student_id": "G-3", "org": "sB", "valid_from": "2024-03-02"},
    # never at sA
    {"student_id": "G-4", "org": "sB", "valid_from": "2024-03-02", "valid_to": "2024-08-31"},
]
OPEN = {"elements": [DOB, SN], "first_date": "2023-08-15", "last_date": None,
        "datasets": ["sis"]}
GAP_ROWS = {"G-1": OPEN, "G-2": OPEN,
            "G-3": {**OPEN, "last_date": "2024-03-01"}}

#: (since, until) -> the students a breach at staffA affects
GAP_WINDOWS = [
    ((D("2024-03-02"), D("2024-08-31")), {"G-2"}),               # the gap exactly
    ((D("2024-05-01"), D("2024-06-30")), {"G-2"}),               # inside the gap
    ((D("2024-03-01"), D("2024-03-01")), {"G-1", "G-2", "G-3"}),  # its eve
    ((D("2024-02-01"), D("2024-04-01")), {"G-1", "G-2", "G-3"}),  # over its start
    ((D("2024-08-31"), D("2024-09-01")), {"G-1", "G-2"}),         # over its end
    ((D("2024-09-01"), None), {"G-1", "G-2"}),
    ((D("2024-03-02"), None), {"G-1", "G-2"}),
    ((D("2024-01-01"), D("2024-12-31")), {"G-1", "G-2", "G-3"}),  # spanning it
    ((None, D("2023-08-14")), set()),                             # before anything
    ((None, None), {"G-1", "G-2", "G-3"}),
]


@pytest.fixture(scope="class")
def gap(store):
    write_and_load(store, GAP_INVENTORY, {"enrolments": GAP_ENROLMENTS})
    return store


def _rows(store, **kw) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for r in datasets.impact(store, **kw):
        key = r.pop("student")
        assert key not in out, "a student listed twice"
        out[key] = r
    return out


class TestGap:
    @pytest.mark.parametrize("method", METHODS)
    @pytest.mark.parametrize(("window", "affected"), GAP_WINDOWS,
                             ids=[f"{a}..{b}" for (a, b), _ in GAP_WINDOWS])
    def test_exact_students_per_window(self, gap, window, affected, method):
        since, until = window
        got = _rows(gap, actor="staffA", since=since, until=until, method=method)
        assert got == {PSEUDO(s): GAP_ROWS[s] for s in affected}

    @pytest.mark.parametrize("day", ["2023-08-14", "2023-08-15", "2024-03-01", "2024-03-02",
                                     "2024-06-01", "2024-08-30", "2024-08-31", "2024-09-01",
                                     "2025-01-01"])
    def test_one_day_window_agrees_with_exposure_as_of_that_day(self, gap, day):
        """A student is affected by a breach on day D exactly when ``exposure --as-of D`` shows
        staffA with a window still open on D or ending on D (rule 9). On the eve of the
        re-enrolment (2024-08-31) exposure showed G-1's window as still open because it resumes
        the day after; it ended on 2024-03-01 (rule 9: a window starting later does not count
        yet)."""
        listed = set(_rows(gap, actor="staffA", since=D(day), until=D(day)))
        for s in ("G-1", "G-2", "G-3", "G-4"):
            rows = {a["actor_id"]: a for a in
                    answers.exposure(gap, PSEUDO, s, as_of=D(day))["actors"]}
            staff = rows.get("staffA")
            on_day = staff is not None and staff["last_date"] in (None, day)
            assert (PSEUDO(s) in listed) == on_day, (s, day)

    def test_the_district_sis_still_holds_them_all_in_the_gap(self, gap):
        """A breach of the dataset itself: kept records are held through the gap (rule 6)."""
        got = _rows(gap, dataset="sis", since=D("2024-03-02"), until=D("2024-08-31"))
        assert set(got) == {PSEUDO(s) for s in ("G-1", "G-2", "G-3", "G-4")}
        assert got[PSEUDO("G-4")] == {**OPEN, "first_date": "2024-03-02"}

    def test_cli_the_testers_window(self, gap, env):
        r = CliRunner().invoke(main, ["impact", "--actor", "staffA", "--since", "2024-03-02",
                                      "--until", "2024-08-31", "--format", "json"], env=env)
        assert r.exit_code == 0, r.output
        assert [s["student"] for s in json.loads(r.output)["students"]] == [PSEUDO("G-2")]


# --- F6: what the access log records an actor as having read ---------------------------------

#: extra access-log events on top of Riverside (the tester's download, a vendor reading a
#: student outside its own population, a vendor reading after its copy ended)
EXTRA_EVENTS = [
    "2025-02-03,teacher-diaz,RSD-1001,rsd-sis,download",
    "2024-09-10,learnco,RSD-2028,rsd-sis,download",
    "2025-09-01,routeco,RSD-1001,rsd-sis,read",
]


def _load_events(store, tmp_path_factory, lines: list[str]) -> None:
    base = tmp_path_factory.mktemp("access")
    (base / "extra_access_log.csv").write_text(
        "at,actor,student_id,dataset,action\n" + "\n".join(lines) + "\n")
    (base / "extra.yaml").write_text(yaml.safe_dump({
        "name": "extra access log (synthetic)",
        "bulk": [{"kind": "access_log", "path": "extra_access_log.csv"}]}))
    load(store, read_sources([base / "extra.yaml"]), PSEUDO)


@pytest.fixture(scope="class")
def logged(store, tmp_path_factory):
    load_riverside(store)
    _load_events(store, tmp_path_factory, EXTRA_EVENTS)
    return store


def _roster(section: str) -> set[str]:
    import csv
    with (RIVERSIDE / "rosters.csv").open() as fh:
        return {r["student_id"] for r in csv.DictReader(fh) if r["section"] == section}


def _exposure_row(store, student: str, actor: str) -> dict:
    return next(a for a in answers.exposure(store, PSEUDO, student)["actors"]
                if a["actor_id"] == actor)


TEACHER_ROW = {"elements": sorted(S1A), "first_date": "2024-08-20", "last_date": "2025-06-10",
               "datasets": ["rsd-sis"]}


class TestAccessLog:
    def test_exposure_shows_the_download(self, logged):
        diaz = _exposure_row(logged, "RSD-1001", "teacher-diaz")
        assert (diaz["access"], diaz["accessed"], diaz["could"]) == ("identifiable", True, False)

    @pytest.mark.parametrize("method", METHODS)
    def test_teacher_diaz_download_is_in_her_impact(self, logged, method):
        got = _rows(logged, actor="teacher-diaz", method=method)
        diaz = _exposure_row(logged, "RSD-1001", "teacher-diaz")
        expected = {PSEUDO(s): TEACHER_ROW for s in _roster("LIN-3A-2024")}
        expected[PSEUDO("RSD-1001")] = {"elements": sorted(S1A), "first_date": "2025-02-03",
                                        "last_date": "2025-02-03", "datasets": ["rsd-sis"]}
        assert len(expected) == 48
        assert got == expected
        assert got[PSEUDO("RSD-1001")] == {k: diaz[k] for k in (
            "elements", "first_date", "last_date", "datasets")}

    @pytest.mark.parametrize(("since", "until", "listed"), [
        ("2025-02-03", "2025-02-03", True), ("2025-01-01", "2025-02-03", True),
        ("2025-02-03", None, True), ("2025-02-04", None, False), (None, "2025-02-02", False),
        ("2024-08-20", "2025-02-02", False)])
    def test_the_event_day_is_what_counts(self, logged, since, until, listed):
        got = _rows(logged, actor="teacher-diaz", since=since and D(since),
                    until=until and D(until))
        assert (PSEUDO("RSD-1001") in got) is listed
        assert set(got) - {PSEUDO("RSD-1001")} == {PSEUDO(s) for s in _roster("LIN-3A-2024")}

    @pytest.mark.parametrize("method", METHODS)
    def test_vendor_read_outside_its_population(self, logged, method):
        """learnco (classes of students) never received RSD-2028 (left before its feed began)
        but read the student's SIS record: the whole record held that day, as exposure says."""
        got = _rows(logged, actor="learnco", method=method)
        row = {"elements": sorted(SIS), "first_date": "2024-09-10", "last_date": "2024-09-10",
               "datasets": ["rsd-sis"]}
        assert got[PSEUDO("RSD-2028")] == row
        ex = _exposure_row(logged, "RSD-2028", "learnco")
        assert (ex["could"], ex["accessed"]) == (False, True)
        assert row == {k: ex[k] for k in ("elements", "first_date", "last_date", "datasets")}
        assert PSEUDO("RSD-2028") not in _rows(logged, actor="learnco", method=method,
                                               since=D("2024-09-11"))

    @pytest.mark.parametrize("method", METHODS)
    def test_vendor_read_after_its_copy_ended(self, logged, method):
        """routeco's copy of RSD-1001 ended 2025-06-13 (retention current); its read of the SIS
        on 2025-09-01 puts the student in a breach of September 2025, with the elements
        exposure reports and the read's day as the last; the other students' rows are as
        before the read."""
        sept = _rows(logged, actor="routeco", since=D("2025-09-01"), until=D("2025-09-30"),
                     method=method)
        row = {"elements": sorted(S2), "first_date": "2023-08-01", "last_date": "2025-09-01",
               "datasets": ["routeco-routes", "rsd-sis"]}
        assert sept[PSEUDO("RSD-1001")] == row
        ex = _exposure_row(logged, "RSD-1001", "routeco")
        assert (ex["could"], ex["accessed"], ex["elements"]) == (True, True, sorted(S2))
        every = _rows(logged, actor="routeco", method=method)
        assert every[PSEUDO("RSD-1001")] == row
        assert all(r["datasets"] == ["routeco-routes"] and r["elements"] == sorted(S2)
                   for k, r in every.items() if k != PSEUDO("RSD-1001"))
        # June 2025 (before the read): the held copy's days decide, as before
        june = _rows(logged, actor="routeco", since=D("2025-06-14"), until=D("2025-06-30"),
                     method=method)
        assert PSEUDO("RSD-1001") not in june

    def test_cli_the_testers_command(self, logged, env):
        r = CliRunner().invoke(main, ["impact", "--actor", "teacher-diaz", "--format", "csv"],
                               env=env)
        assert r.exit_code == 0, r.output
        line = next(x for x in r.output.splitlines() if x.startswith(PSEUDO("RSD-1001")))
        assert line == (f"{PSEUDO('RSD-1001')},{'; '.join(sorted(S1A))},2025-02-03,2025-02-03,"
                        "rsd-sis")


class TestViolationV3:
    @pytest.mark.parametrize("method", METHODS)
    def test_teacher_park_read_rsd_1001(self, violated, method):
        """V3 (shared/cases/riverside.md): teacher-park read RSD-1001's record on 2025-01-15
        without a covering grant; a breach at teacher-park affects RSD-1001 with the elements
        of his grant, on that day, besides the students of his section."""
        got = _rows(violated, actor="teacher-park", method=method)
        expected = {PSEUDO(s): TEACHER_ROW for s in _roster("LIN-4A-2024")}
        expected[PSEUDO("RSD-1001")] = {"elements": sorted(S1A), "first_date": "2025-01-15",
                                        "last_date": "2025-01-15", "datasets": ["rsd-sis"]}
        assert got == expected
        assert _rows(violated, actor="teacher-park", since=D("2025-01-16"),
                     method=method).get(PSEUDO("RSD-1001")) is None
