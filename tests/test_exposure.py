"""The Riverside acceptance case (shared/cases/riverside.md) as exact tests on a real Neo4j."""

from __future__ import annotations

import csv
import json
from datetime import date

import pytest
from click.testing import CliRunner

from lineage.cli import main
from lineage.questions import datasets
from lineage.questions import student as answers
from tests.helpers import (
    PSEUDO,
    RIVERSIDE,
    S1A,
    S1C,
    S1D,
    S1E,
    S2,
    S3A,
    S4A,
    S4C,
    S5,
    S6,
)

SIS = set()  # filled from the seed below
with (RIVERSIDE / "inventory.yaml").open() as fh:
    import yaml

    SIS = set(next(d for d in yaml.safe_load(fh)["datasets"] if d["id"] == "rsd-sis")["elements"])

#: actor -> (access, elements, first date, legal bases, agreements)
EXPECTED_RSD_1001 = {
    "teacher-lee": ("identifiable", S1A, "2024-08-20", ["school_official"], []),
    "learnco": ("identifiable", S1C | S1D, "2024-08-25",
                ["school_official"], ["NDPA-2024-017"]),
    "guardian-r": ("identifiable", S1E, "2022-08-15", ["parent"], []),
    "routeco": ("identifiable", S2, "2023-08-01", ["school_official"], ["DPA-TR-09"]),
    "state-doe": ("identifiable", S3A, "2022-10-01", ["audit_evaluation"], []),
    "univ-reading-lab": ("identifiable", S4A, "2025-03-15", ["studies"], ["RDA-2025-03"]),
    "hill-sd": ("identifiable", S5, "2025-07-20", ["other_school"], []),
    "county-ems": ("identifiable", S6, "2025-04-10", ["health_safety_emergency"], []),
    "univ-econ-lab": ("deidentified", S4C, "2024-09-15", ["studies"], ["RDA-2024-11"]),
    "us-ed": ("aggregate", set(), "2023-01-15", ["federal_reporting"], []),
    "public": ("aggregate", set(), "2023-09-01", [], []),
    "riverside-sd": ("identifiable", SIS, "2022-08-15", [], []),
    "lincoln-es": ("identifiable", SIS, "2022-08-15", ["school_official"], []),
}


def summary(data: dict) -> dict:
    return {a["actor_id"]: (a["access"], set(a["elements"]), a["first_date"], a["legal_bases"],
                            a["agreements"]) for a in data["actors"]}


class TestClean:
    def test_rsd_1001_ever_exact(self, clean):
        data = answers.exposure(clean, PSEUDO, "RSD-1001")
        assert summary(data) == EXPECTED_RSD_1001
        assert data["student"] == PSEUDO("RSD-1001")
        assert data["as_of"] is None

    def test_one_round_trip_reads_what_a_transaction_reads(self, clean):
        """exposure_context through read_one_trip (auto-commit) equals the managed read, and
        carries the graph's key check value (a student question is one round trip)."""
        params = {"student_keys": [PSEUDO("RSD-1001")], "subgraph": True, "all_flows": False,
                  "starts": [], "orgs": [], "people": [], "subject_flows": [], "within": None}
        one = clean.read_one_trip("queries/exposure_context", **params)
        assert one == clean.read("queries/exposure_context", **params)
        assert [s["key"] for s in one[0]["students"]] == [PSEUDO("RSD-1001")]
        assert one[0]["key_check"] == clean.read("admin/key_check")[0]["check"] is not None

    def test_rsd_1001_details(self, clean):
        rows = {a["actor_id"]: a for a in answers.exposure(clean, PSEUDO, "RSD-1001")["actors"]}
        assert rows["teacher-lee"]["last_date"] == "2025-06-10"
        assert rows["teacher-lee"]["accessed"] is True  # access log 2024-10-01, on roster
        assert rows["routeco"]["last_date"] == "2025-06-13"  # retention current: left lincoln-es
        assert rows["learnco"]["datasets"] == ["rsd-sis", "learnco-platform"]
        assert rows["univ-econ-lab"]["datasets"] == [
            "rsd-sis", "state-slds", "slds-research-deid", "econ-study-file"]
        assert all(r["could"] for r in rows.values())
        assert rows["us-ed"]["actor_name"] == "U.S. Department of Education"
        assert rows["us-ed"]["role"] == "federal"

    def test_teacher_park_and_guardian_k_not_for_1001_but_for_1002(self, clean):
        ids_1001 = {a["actor_id"] for a in answers.exposure(clean, PSEUDO, "RSD-1001")["actors"]}
        assert "teacher-park" not in ids_1001 and "guardian-k" not in ids_1001
        rows = {a["actor_id"]: a for a in answers.exposure(clean, PSEUDO, "RSD-1002")["actors"]}
        assert rows["teacher-park"]["access"] == "identifiable"
        assert set(rows["teacher-park"]["elements"]) == S1A
        assert rows["guardian-k"]["first_date"] == "2022-08-15"
        for absent in ("teacher-lee", "guardian-r", "hill-sd", "county-ems"):
            assert absent not in rows

    def test_as_of_2024_06_01(self, clean):
        data = answers.exposure(clean, PSEUDO, "RSD-1001", as_of=date(2024, 6, 1))
        ids = {a["actor_id"] for a in data["actors"]}
        for absent in ("teacher-lee", "learnco", "univ-reading-lab", "univ-econ-lab", "hill-sd",
                       "county-ems"):
            assert absent not in ids
        for present in ("routeco", "state-doe", "guardian-r"):
            assert present in ids
        assert data["as_of"] == "2024-06-01"
        rows = {a["actor_id"]: a for a in data["actors"]}
        assert set(rows["routeco"]["elements"]) == S2
        assert set(rows["state-doe"]["elements"]) == S3A

    def test_record_of_disclosures(self, clean):
        rec = answers.record_of_disclosures(clean, PSEUDO, "RSD-1001")["disclosures"]
        got = {(d["actor_id"], d["legal_basis"], d["agreement"], d["discloser_id"],
                d["redisclosure"], d["threat"], d["date"], d["date_recorded"]) for d in rec}
        assert got == {
            ("state-doe", "audit_evaluation", None, "riverside-sd", False, None, "2022-10-01",
             True),
            ("univ-reading-lab", "studies", "RDA-2025-03", "state-doe", True, None, "2025-03-15",
             True),
            ("hill-sd", "other_school", None, "riverside-sd", False, None, "2025-07-20", True),
            ("county-ems", "health_safety_emergency", None, "riverside-sd", False,
             "severe allergic reaction on field trip", "2025-04-10", True),
        }
        by = {d["actor_id"]: set(d["elements"]) for d in rec}
        assert by == {"state-doe": S3A, "univ-reading-lab": S4A, "hill-sd": S5, "county-ems": S6}

    def test_routeco_impact_2024(self, clean):
        rows = list(datasets.impact(clean, actor="routeco", since=date(2024, 1, 1),
                                   until=date(2024, 12, 31)))
        expected = set()
        with (RIVERSIDE / "enrolments.csv").open() as fh:
            for r in csv.DictReader(fh):
                start = date.fromisoformat(r["valid_from"])
                end = date.fromisoformat(r["valid_to"]) if r["valid_to"] else date.max
                if r["org"] == "lincoln-es" and start <= date(2024, 12, 31) and end >= date(2024, 1, 1):
                    expected.add(PSEUDO(r["student_id"]))
        assert {r["student"] for r in rows} == expected
        assert len(rows) == len(expected) > 250
        assert all(set(r["elements"]) == S2 for r in rows)

    def test_impact_dataset_matches_actor(self, clean):
        a = {r["student"] for r in datasets.impact(clean, actor="routeco")}
        d = {r["student"] for r in datasets.impact(clean, dataset="routeco-routes")}
        assert a == d

    def test_path_univ_reading_lab(self, clean):
        p = answers.explain_path(clean, PSEUDO, "RSD-1001", "univ-reading-lab")
        assert p["access"] == "identifiable"
        assert [[s["via"] for s in c] for c in p["chains"]] == [
            ["coverage:lincoln-es", "S3a", "S4a", "holder"]]
        assert p["chains"][0][2]["agreement"] == "RDA-2025-03"

    def test_unknown_student_never_echoes_id(self, clean, env):
        r = CliRunner().invoke(main, ["exposure", "RSD-9999-SECRET"],
                               env=env)
        assert r.exit_code == 1
        assert "not found" in r.output
        assert "RSD-9999-SECRET" not in r.output

    def test_no_raw_student_id_in_graph(self, clean):
        raw = set()
        with (RIVERSIDE / "enrolments.csv").open() as fh:
            raw = {r["student_id"] for r in csv.DictReader(fh)}
        rows = clean.read_text("MATCH (n) RETURN properties(n) AS p UNION ALL "
                               "MATCH ()-[r]->() RETURN properties(r) AS p")
        text = json.dumps([r["p"] for r in rows], default=str)
        leaked = [s for s in raw if s in text]
        assert leaked == []
        assert clean.read_text("MATCH (s:Student) RETURN count(s) AS n")[0]["n"] == len(raw)

    @pytest.mark.parametrize("fmt", ["table", "json", "csv"])
    def test_exposure_cli_formats(self, clean, env, fmt):
        r = CliRunner().invoke(main, ["exposure", "RSD-1001", "--format", fmt],
                               env=env)
        assert r.exit_code == 0, r.output
        if fmt == "json":
            assert summary(json.loads(r.output)) == EXPECTED_RSD_1001
        elif fmt == "csv":
            rows = list(csv.DictReader(r.output.splitlines()))
            assert {x["actor_id"]: x["access"] for x in rows} == {
                k: v[0] for k, v in EXPECTED_RSD_1001.items()}
            assert rows[0]["elements"].count("; ") >= 1
        else:
            for actor in EXPECTED_RSD_1001:
                assert actor in r.output
        assert "RSD-1001" not in r.output


    def test_exposure_bad_date_exit_2(self, clean, env):
        r = CliRunner().invoke(main, ["exposure", "RSD-1001", "--as-of", "2024-13-01"],
                               env=env)
        assert r.exit_code == 2
        assert "'2024-13-01' is not a real date: there is no month 13 (YYYY-MM-DD)" in r.output


class TestViolations:
    def test_v1_public_identifiable_for_1003_not_1001(self, violated):
        r1003 = {a["actor_id"]: a for a in answers.exposure(violated, PSEUDO, "RSD-1003")["actors"]}
        assert r1003["public"]["access"] == "identifiable"
        assert set(r1003["public"]["elements"]) == {
            "English language learner information", "Student grade level",
            "Standardized test scores"}
        assert r1003["public"]["first_date"] == "2025-06-20"
        r1001 = {a["actor_id"]: a for a in answers.exposure(violated, PSEUDO, "RSD-1001")["actors"]}
        assert r1001["public"]["access"] == "aggregate"

    def test_v1_impact_of_small_cell_is_its_four_students(self, violated):
        """Breach of the published table: only the named small cell's students are identifiable
        there (rule 5), by classes (cells read from the subgraph's cells) as one at a time."""
        by_class = sorted(datasets.impact(violated, dataset="lincoln-el-progress"),
                          key=lambda r: r["student"])
        per_student = sorted(datasets.impact(violated, dataset="lincoln-el-progress",
                                             method="per_student"), key=lambda r: r["student"])
        assert by_class == per_student
        assert {r["student"] for r in by_class} == {
            PSEUDO(x) for x in ("RSD-1003", "RSD-2065", "RSD-2067", "RSD-2128")}
        assert all(r["first_date"] == "2025-06-20" for r in by_class)

    def test_v2_routeco_gains_test_scores(self, violated):
        rows = {a["actor_id"]: a for a in answers.exposure(violated, PSEUDO, "RSD-1001")["actors"]}
        assert set(rows["routeco"]["elements"]) == S2 | {"Standardized test scores"}

    def test_v3_teacher_park_accessed_without_grant(self, violated):
        rows = {a["actor_id"]: a for a in answers.exposure(violated, PSEUDO, "RSD-1001")["actors"]}
        park = rows["teacher-park"]
        assert (park["access"], park["accessed"], park["could"]) == ("identifiable", True, False)
        assert park["first_date"] == "2025-01-15"
        assert set(park["elements"]) == S1A

    def test_v3_path_is_the_access_log_only(self, violated):
        # teacher-park has a roster grant on rsd-sis, but its scope never includes RSD-1001
        p = answers.explain_path(violated, PSEUDO, "RSD-1001", "teacher-park")
        assert [[s["kind"] for s in c] for c in p["chains"]] == [["access_log"]]
        assert p["chains"][0][0]["first_date"] == "2025-01-15"

    def test_v4_coauthor_identifiable(self, violated):
        rows = {a["actor_id"]: a for a in answers.exposure(violated, PSEUDO, "RSD-1001")["actors"]}
        co = rows["coauthor-lab"]
        assert (co["access"], co["first_date"]) == ("identifiable", "2025-09-01")
        assert set(co["elements"]) == {"State ID number", "Standardized test scores"}

    def test_rest_unchanged(self, violated):
        got = summary(answers.exposure(violated, PSEUDO, "RSD-1001"))
        for actor, exp in EXPECTED_RSD_1001.items():
            if actor != "routeco":
                assert got[actor] == exp, actor


