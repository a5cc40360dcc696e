"""The record of disclosures (FERPA §99.32) counts every way identifiable records leave their
holder: a disclosure flow, a transformation into another holder's dataset, and a grant that
lets another party read them (FERPA §99.3: disclosure means permitting access). A tester found
both missing from the record while the parent's report called the recipients exempt. Real
Neo4j; the CLI through click's CliRunner."""

from __future__ import annotations

import csv
import io
import json

import pytest
import yaml
from click.testing import CliRunner

from lineage.cli import main
from tests.helpers import report_text

ELEMENTS = ["Student Name", "Standardized test scores", "Student disability information"]

BASE = {
    "actors": [{"id": "d1", "name": "District One", "role": "district"},
               {"id": "sA", "name": "School A", "role": "school", "part_of": "d1"},
               {"id": "staff", "name": "Counsellor", "role": "teacher", "part_of": "sA"},
               {"id": "mom", "name": "Parent", "role": "parent"},
               {"id": "res", "name": "Research Lab", "role": "researcher"},
               {"id": "ems", "name": "EMS", "role": "emergency"},
               {"id": "court", "name": "County Court", "role": "court"},
               {"id": "otherd", "name": "Other District", "role": "district"},
               {"id": "vend", "name": "Vendor", "role": "vendor"},
               {"id": "st", "name": "State", "role": "state"},
               {"id": "res2", "name": "Second Lab", "role": "researcher"},
               {"id": "res3", "name": "Third Lab", "role": "researcher"},
               {"id": "dad", "name": "Guardian", "role": "parent"},
               {"id": "d2", "name": "District Two", "role": "district"},
               {"id": "s2", "name": "School Two", "role": "school", "part_of": "d2"}],
    "datasets": [{"id": "sis", "holder": "d1", "granularity": "student",
                  "coverage": [{"org": "d1"}], "elements": ELEMENTS},
                 {"id": "vfile", "holder": "vend", "granularity": "student"},
                 {"id": "dcopy", "holder": "d1", "granularity": "student"},
                 {"id": "slds", "holder": "st", "granularity": "student"},
                 # the state's research extract, derived from the SLDS
                 {"id": "slds-extract", "holder": "st", "granularity": "student"},
                 # the school's own gradebook, rolled up by its district
                 {"id": "gradebook", "holder": "sA", "granularity": "student",
                  "coverage": [{"org": "sA"}], "elements": ["Student Name"]},
                 {"id": "warehouse", "holder": "d1", "granularity": "student"}],
    "agreements": [{"id": "RA", "kind": "research", "legal_basis": "studies",
                    "purpose": "study", "recipients": ["res"],
                    "permitted_elements": ["Standardized test scores"],
                    "valid_from": "2024-01-01", "valid_to": "2024-12-31",
                    "destroy_by": "2025-01-31"}],
    "flows": [{"id": "C0", "kind": "collection", "target": "sis", "elements": ELEMENTS},
              # into another holder's dataset, declared a transformation: a disclosure
              {"id": "T2", "kind": "transformation", "operation": "subset", "source": "sis",
               "target": "vfile", "elements": ["Student Name", "Student disability information"],
               "valid_from": "2024-01-01"},
              # within the holder: not a disclosure
              {"id": "T1", "kind": "transformation", "operation": "subset", "source": "sis",
               "target": "dcopy", "elements": ["Student Name"], "valid_from": "2024-01-01"},
              {"id": "S1", "kind": "disclosure", "source": "sis", "target": "slds",
               "elements": ["Student Name", "Standardized test scores"],
               "legal_basis": "audit_evaluation", "valid_from": "2024-02-01"},
              {"id": "X1", "kind": "transformation", "operation": "subset", "source": "slds",
               "target": "slds-extract", "elements": ["Standardized test scores"]},
              # within one agency (a school and its district): not a disclosure
              {"id": "WH", "kind": "transformation", "operation": "join", "source": "gradebook",
               "target": "warehouse", "elements": ["Student Name"]}],
    "grants": [
        {"id": "GR", "actor": "res", "dataset": "sis", "scope": "all",
         "elements": ["Standardized test scores"], "legal_basis": "studies", "agreement": "RA",
         "purpose": "reading study"},
        {"id": "GE", "actor": "ems", "dataset": "sis", "scope": "school", "scope_org": "sA",
         "elements": ["Student Name"], "legal_basis": "health_safety_emergency",
         "valid_from": "2024-03-01", "valid_to": "2024-03-01"},
        {"id": "GC", "actor": "court", "dataset": "sis", "scope": "district", "scope_org": "d1",
         "elements": ["Student Name", "Student disability information"],
         "legal_basis": "juvenile_justice"},
        {"id": "GO", "actor": "otherd", "dataset": "sis", "scope": "all",
         "elements": ["Student Name"], "legal_basis": "other_school",
         "valid_from": "2024-05-01"},
        # the state lets a second lab read the SLDS: a redisclosure by the state
        {"id": "GS", "actor": "res2", "dataset": "slds", "scope": "all",
         "elements": ["Standardized test scores"], "legal_basis": "studies",
         "valid_from": "2024-06-01"},
        # the state's extract, derived from what it received: a redisclosure too
        {"id": "GX", "actor": "res3", "dataset": "slds-extract", "scope": "all",
         "legal_basis": "studies", "valid_from": "2024-07-01"},
        # another district and its school, no basis: outside the holder's agency
        {"id": "GD2", "actor": "d2", "dataset": "sis", "scope": "all", "valid_from": "2024-08-01"},
        {"id": "GS2", "actor": "s2", "dataset": "sis", "scope": "all",
         "elements": ["Student Name"], "valid_from": "2024-08-01"},
        # a parent reading every student's records, no basis: not this student's parent
        {"id": "GP", "actor": "mom", "dataset": "sis", "scope": "all",
         "elements": ["Student Name"], "valid_from": "2024-09-01"},
        # exempt (§99.32(d)) or inside the holder's agency: never in the record
        {"id": "GV", "actor": "vend", "dataset": "sis", "scope": "all",
         "elements": ["Student Name"], "legal_basis": "school_official"},
        {"id": "GG", "actor": "dad", "dataset": "sis", "scope": "own_child",
         "elements": ["Student Name"]},
        {"id": "GT", "actor": "staff", "dataset": "sis", "scope": "school", "scope_org": "sA"},
        {"id": "GW", "actor": "d1", "dataset": "gradebook", "scope": "all",
         "legal_basis": "audit_evaluation"},
    ],
    "bulk": [{"kind": "enrolments", "path": "enr.csv"}, {"kind": "guardians", "path": "g.csv"}],
}


@pytest.fixture(scope="module")
def loaded(store, env, tmp_path_factory):
    store.reset()
    tmp = tmp_path_factory.mktemp("record")
    (tmp / "inv.yaml").write_text(yaml.safe_dump(BASE, sort_keys=False))
    (tmp / "enr.csv").write_text("student_id,org,valid_from,valid_to\nST-1,sA,2023-08-15,\n")
    (tmp / "g.csv").write_text("guardian,student_id,valid_from,valid_to\ndad,ST-1,,\n")
    r = CliRunner().invoke(main, ["load", str(tmp / "inv.yaml"), "--no-progress"], env=env)
    assert r.exit_code == 0, r.output
    return store


def _record(env, student: str = "ST-1") -> list[dict]:
    r = CliRunner().invoke(main, ["exposure", student, "--view", "record", "--format", "json"],
                           env=env)
    assert r.exit_code == 0, r.output
    return json.loads(r.output)["disclosures"]


def test_grants_and_transformations_to_other_parties_are_in_the_record(loaded, env):
    got = [(d["date"], d["date_recorded"], d["actor_id"], d["discloser_id"], d["legal_basis"],
            d["agreement"], d["elements"], d["redisclosure"], d["flow"], d["grant"])
           for d in _record(env)]
    assert got == [
        # no date of their own: from the student's first day (2023-08-15)
        ("2023-08-15", False, "court", "d1", "juvenile_justice", None,
         ["Student Name", "Student disability information"], False, None, "GC"),
        # the agreement's first day, not the grant's own: not a day on record either
        ("2024-01-01", False, "res", "d1", "studies", "RA", ["Standardized test scores"], False,
         None, "GR"),
        ("2024-01-01", True, "vend", "d1", None, None,
         ["Student Name", "Student disability information"], False, "T2", None),
        ("2024-02-01", True, "st", "d1", "audit_evaluation", None,
         ["Standardized test scores", "Student Name"], False, "S1", None),
        ("2024-03-01", True, "ems", "d1", "health_safety_emergency", None, ["Student Name"],
         False, None, "GE"),
        ("2024-05-01", True, "otherd", "d1", "other_school", None, ["Student Name"], False,
         None, "GO"),
        ("2024-06-01", True, "res2", "st", "studies", None, ["Standardized test scores"], True,
         None, "GS"),
        # through a dataset the state derived from what it received: a redisclosure too
        ("2024-07-01", True, "res3", "st", "studies", None, ["Standardized test scores"], True,
         None, "GX"),
        # another district and its school, without a basis: not the holder's own people
        ("2024-08-01", True, "d2", "d1", None, None, sorted(ELEMENTS), False, None, "GD2"),
        ("2024-08-01", True, "s2", "d1", None, None, ["Student Name"], False, None, "GS2"),
        # a parent, but not this student's (dad, their guardian, reads under own_child: exempt)
        ("2024-09-01", True, "mom", "d1", None, None, ["Student Name"], False, None, "GP"),
    ]


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_the_report_no_longer_calls_them_exempt(loaded, env, tmp_path, fmt):
    text = report_text(env, "ST-1", fmt, tmp_path)
    record, rest = text.split("School officials, service providers and parents", 1)
    for name in ("County Court", "Research Lab", "EMS", "Other District", "Second Lab",
                 "Vendor", "District Two", "School Two", "Parent"):
        assert f"{name} (" in record, name
    for name in ("County Court", "Research Lab", "EMS (", "Other District", "Second Lab",
                 "District Two", "School Two", "Parent (mom)"):
        assert name not in rest, name
    for name in ("Counsellor (staff)", "Guardian (dad)"):
        assert name in rest and name not in record, name


def test_the_public_inventory_lists_them_as_recipients(loaded, env):
    r = CliRunner().invoke(main, ["inventory", "--format", "json"], env=env)
    assert r.exit_code == 0, r.output
    got = sorted(x["id"] for x in json.loads(r.output)["recipients"])
    # otherd, d2, s2: organisations outside the holder's agency; vend: through T2; mom: a
    # parent reading every student's records; not d1 (its own school's gradebook), nor dad
    # (their own child's)
    assert got == ["court", "d2", "ems", "mom", "otherd", "res", "res2", "res3", "s2", "st",
                   "vend"]


SMALL = {
    "actors": [{"id": "d1", "name": "District One", "role": "district"},
               {"id": "sA", "name": "School A", "role": "school", "part_of": "d1"},
               {"id": "pubC", "name": "Newspaper readers", "role": "public"},
               {"id": "us-ed", "name": "U.S. Department of Education", "role": "federal"},
               {"id": "pubN", "name": "Newsletter readers", "role": "public"}],
    "datasets": [{"id": "sis", "holder": "d1", "granularity": "student",
                  "coverage": [{"org": "d1"}], "elements": ELEMENTS},
                 # published without suppression, cells as small as 2: a tester found the
                 # parent's report said "aggregate only" with no caveat
                 {"id": "aggC", "holder": "pubC", "granularity": "aggregate",
                  "min_cell_size": 10, "suppressed": False, "smallest_cell": 2},
                 # suppressed below 10: no caveat
                 {"id": "edfacts", "holder": "us-ed", "granularity": "aggregate",
                  "min_cell_size": 10, "suppressed": True, "smallest_cell": 2},
                 # names its smallest cell (four other students): the note says so
                 {"id": "newsletter", "holder": "pubN", "granularity": "aggregate",
                  "min_cell_size": 10, "suppressed": False, "smallest_cell": 4,
                  "small_cells": [{"label": "grade 4 readers", "size": 4,
                                   "elements": ["Standardized test scores"],
                                   "students": ["ST-2", "ST-3", "ST-4", "ST-5"]}]}],
    "flows": [{"id": "C0", "kind": "collection", "target": "sis", "elements": ELEMENTS},
              {"id": "A1", "kind": "disclosure", "operation": "aggregate", "source": "sis",
               "target": "aggC", "elements": ["Standardized test scores"],
               "valid_from": "2024-06-01"},
              {"id": "A2", "kind": "disclosure", "operation": "aggregate", "source": "sis",
               "target": "edfacts", "elements": ["Standardized test scores"],
               "legal_basis": "federal_reporting", "valid_from": "2024-06-01"},
              {"id": "A3", "kind": "disclosure", "operation": "aggregate", "source": "sis",
               "target": "newsletter", "elements": ["Standardized test scores"],
               "valid_from": "2024-06-01"}],
    "bulk": [{"kind": "enrolments", "path": "enr.csv"}],
}
NOTE = ("may identify: counted in aggregates that published cells of as few as 2 students "
        "(below the minimum cell size of 10) without suppression, and that do not say who is "
        "in them: if this student is in one, this recipient could identify them")


def test_aggregate_only_with_unnamed_small_cells_carries_the_caveat(store, env, tmp_path):
    store.reset()
    (tmp_path / "inv.yaml").write_text(yaml.safe_dump(SMALL, sort_keys=False))
    (tmp_path / "enr.csv").write_text("student_id,org,valid_from,valid_to\n" + "".join(
        f"ST-{i},sA,2023-08-15,\n" for i in range(1, 6)))
    r = CliRunner().invoke(main, ["load", str(tmp_path / "inv.yaml"), "--no-progress"], env=env)
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["exposure", "ST-1", "--format", "json"], env=env)
    assert r.exit_code == 0, r.output
    actors = {a["actor_id"]: a for a in json.loads(r.output)["actors"]}
    assert (actors["pubC"]["access"], actors["pubC"]["small_cell_note"]) == ("aggregate", NOTE)
    assert actors["us-ed"]["access"] == "aggregate" and "small_cell_note" not in actors["us-ed"]
    assert "small_cell_note" not in actors["d1"]
    assert actors["pubN"]["small_cell_note"] == (
        "may identify: counted in aggregates that published cells of as few as 4 students "
        "(below the minimum cell size of 10) without suppression, and that list the students "
        "of some of them (not this student) but may not list every small cell: if this "
        "student is in one, this recipient could identify them")
    r = CliRunner().invoke(main, ["exposure", "ST-1", "--format", "csv"], env=env)
    rows = {x["actor_id"]: x for x in csv.DictReader(io.StringIO(r.output))}
    assert (rows["pubC"]["small_cell_note"], rows["us-ed"]["small_cell_note"]) == (NOTE, "")
    out = tmp_path / "r.md"
    r = CliRunner().invoke(main, ["report", "ST-1", "--format", "md", "--out", str(out)],
                           env=env)
    assert r.exit_code == 0, r.output
    line = next(x for x in out.read_text().splitlines() if x.startswith("| Newspaper readers"))
    assert f"| the public | aggregate only; {NOTE} | counts only | 2024-06-01 |" in line


STATE = {
    "actors": [{"id": "st", "name": "State", "role": "state"},
               # a district modelled under its state: still its own agency
               {"id": "dA", "name": "District A", "role": "district", "part_of": "st"},
               {"id": "sA1", "name": "School A1", "role": "school", "part_of": "dA"},
               {"id": "tA", "name": "Teacher A", "role": "teacher", "part_of": "sA1"},
               # a parent volunteer filed under the school: never a school official
               {"id": "pv", "name": "Parent volunteer", "role": "parent", "part_of": "sA1"},
               {"id": "emp", "name": "State analyst", "role": "other", "part_of": "st"}],
    "datasets": [{"id": "whA", "holder": "dA", "granularity": "student",
                  "coverage": [{"org": "dA"}], "elements": ELEMENTS},
                 {"id": "gbA", "holder": "tA", "granularity": "student",
                  "coverage": [{"org": "sA1"}], "elements": ["Student Name"]},
                 {"id": "slds", "holder": "st", "granularity": "student"},
                 {"id": "st-gb", "holder": "st", "granularity": "student"}],
    "flows": [{"id": "F4", "kind": "disclosure", "source": "whA", "target": "slds",
               "elements": ["Student Name"], "legal_basis": "audit_evaluation",
               "valid_from": "2024-10-01"},
              {"id": "F9", "kind": "transformation", "operation": "subset", "source": "gbA",
               "target": "st-gb", "elements": ["Student Name"], "valid_from": "2024-11-01"}],
    "grants": [{"id": "GV", "actor": "pv", "dataset": "whA", "scope": "all",
                "elements": ["Student Name"], "valid_from": "2024-12-01"},
               # the state's own analyst reading the SLDS: inside the state
               {"id": "GE", "actor": "emp", "dataset": "slds", "scope": "all"}],
    "bulk": [{"kind": "enrolments", "path": "enr.csv"}],
}


def test_a_district_part_of_its_state_is_not_the_state(store, env, tmp_path):
    """A district `part_of` its state does not put the state inside the district's agency; a
    parent filed under a school is never a school official (a tester found both left out of
    the record, the inventory and the audit)."""
    store.reset()
    (tmp_path / "inv.yaml").write_text(yaml.safe_dump(STATE, sort_keys=False))
    (tmp_path / "enr.csv").write_text("student_id,org,valid_from,valid_to\nX-1,sA1,2023-08-15,\n")
    r = CliRunner().invoke(main, ["load", str(tmp_path / "inv.yaml"), "--no-progress"], env=env)
    assert r.exit_code == 0, r.output
    got = [(d["date"], d["actor_id"], d["discloser_id"], d["flow"], d["grant"])
           for d in _record(env, "X-1")]
    assert got == [("2024-10-01", "st", "dA", "F4", None), ("2024-11-01", "st", "tA", "F9", None),
                   ("2024-12-01", "pv", "dA", None, "GV")]
    r = CliRunner().invoke(main, ["inventory", "--format", "json"], env=env)
    assert sorted(x["id"] for x in json.loads(r.output)["recipients"]) == ["pv", "st"]
    r = CliRunner().invoke(main, ["check", "--format", "json"], env=env)
    found = {(f["rule"], f["subject"][-1]) for f in json.loads(r.output)["findings"]}
    assert ("transformation-to-another-actor", "F9") in found
    assert ("disclosure-basis", "GV") in found
    assert not any(s == "GE" for _, s in found)


def _actor(aid: str, role: str, *up: tuple[str, str]) -> dict:
    """An actor row as the queries give it: the actors above it, 1, 2... hops away."""
    return {"id": aid, "role": role,
            "chain": [{"id": i, "role": r, "hops": n} for n, (i, r) in enumerate(up, start=1)]}


@pytest.mark.parametrize("a, b, inside", [
    # one agency: a teacher, their school and district; two schools of one district
    (_actor("t", "teacher", ("s", "school"), ("d", "district")), _actor("d", "district"), True),
    (_actor("s", "school", ("d", "district")), _actor("d", "district"), True),
    (_actor("s1", "school", ("d", "district")), _actor("s2", "school", ("d", "district")), True),
    # a state's own analyst; a charter school's teacher
    (_actor("emp", "other", ("st", "state")), _actor("st", "state"), True),
    (_actor("t", "teacher", ("cs", "school")), _actor("cs", "school"), True),
    # four levels of teams under a school: still the district's (a tester: 3 hops fell short)
    (_actor("t4", "teacher", ("unit", "other"), ("dept", "other"), ("team", "other"),
            ("s", "school"), ("d", "district")), _actor("d", "district"), True),
    # never: a university or researcher filed under the state, another state under ED
    (_actor("univ", "researcher", ("st", "state")), _actor("st", "state"), False),
    (_actor("st2", "state", ("usde", "federal")), _actor("st", "state", ("usde", "federal")),
     False),
    # a district under its state, or under another district (an ESA), or a part_of cycle
    (_actor("d", "district", ("st", "state")), _actor("st", "state"), False),
    (_actor("rsd", "district", ("esa", "district")), _actor("hill", "district", ("esa", "district")),
     False),
    (_actor("st", "state", ("d", "district"), ("st", "state")), _actor("d", "district",
                                                                      ("st", "state")), False),
    # a vendor filed under the district; a parent, or an adviser filed under a parent
    (_actor("v", "vendor", ("d", "district")), _actor("d", "district"), False),
    (_actor("mom", "parent", ("s", "school"), ("d", "district")), _actor("d", "district"), False),
    (_actor("adv", "other", ("mom", "parent"), ("s", "school"), ("d", "district")),
     _actor("d", "district"), False),
])
def test_one_educational_agency(a, b, inside):
    from lineage.rules.evaluator import same_agency

    assert same_agency(a, b) is inside
    assert same_agency(b, a) is inside
