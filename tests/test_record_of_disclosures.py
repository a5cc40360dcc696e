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
               {"id": "res2", "name": "Second Lab", "role": "researcher"}],
    "datasets": [{"id": "sis", "holder": "d1", "granularity": "student",
                  "coverage": [{"org": "d1"}], "elements": ELEMENTS},
                 {"id": "vfile", "holder": "vend", "granularity": "student"},
                 {"id": "dcopy", "holder": "d1", "granularity": "student"},
                 {"id": "slds", "holder": "st", "granularity": "student"}],
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
               "legal_basis": "audit_evaluation", "valid_from": "2024-02-01"}],
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
        # exempt (§99.32(d)) or inside the holder: never in the record
        {"id": "GV", "actor": "vend", "dataset": "sis", "scope": "all",
         "elements": ["Student Name"], "legal_basis": "school_official"},
        {"id": "GP", "actor": "mom", "dataset": "sis", "scope": "all",
         "elements": ["Student Name"]},
        {"id": "GT", "actor": "staff", "dataset": "sis", "scope": "school", "scope_org": "sA"},
    ],
    "bulk": [{"kind": "enrolments", "path": "enr.csv"}],
}


@pytest.fixture(scope="module")
def loaded(store, env, tmp_path_factory):
    store.reset()
    tmp = tmp_path_factory.mktemp("record")
    (tmp / "inv.yaml").write_text(yaml.safe_dump(BASE, sort_keys=False))
    (tmp / "enr.csv").write_text("student_id,org,valid_from,valid_to\nST-1,sA,2023-08-15,\n")
    r = CliRunner().invoke(main, ["load", str(tmp / "inv.yaml"), "--no-progress"], env=env)
    assert r.exit_code == 0, r.output
    return store


def _record(env) -> list[dict]:
    r = CliRunner().invoke(main, ["exposure", "ST-1", "--view", "record", "--format", "json"],
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
    ]


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_the_report_no_longer_calls_them_exempt(loaded, env, tmp_path, fmt):
    out = tmp_path / f"r.{fmt}"
    r = CliRunner().invoke(main, ["report", "ST-1", "--format", fmt, "--out", str(out)],
                           env=env)
    assert r.exit_code == 0, r.output
    text = out.read_text()
    record, rest = text.split("School officials, service providers and parents", 1)
    for name in ("County Court", "Research Lab", "EMS", "Other District", "Second Lab",
                 "Vendor"):
        assert f"{name} (" in record, name
    for name in ("County Court", "Research Lab", "EMS (", "Other District", "Second Lab"):
        assert name not in rest, name
    assert "Counsellor (staff)" in rest and "Parent (mom)" in rest
    assert "Counsellor (staff)" not in record and "Parent (mom)" not in record


def test_the_public_inventory_lists_them_as_recipients(loaded, env):
    r = CliRunner().invoke(main, ["inventory", "--format", "json"], env=env)
    assert r.exit_code == 0, r.output
    got = sorted(x["id"] for x in json.loads(r.output)["recipients"])
    # otherd: a district, but reading under other_school; vend: through T2
    assert got == ["court", "ems", "otherd", "res", "res2", "st", "vend"]


SMALL = {
    "actors": [{"id": "d1", "name": "District One", "role": "district"},
               {"id": "sA", "name": "School A", "role": "school", "part_of": "d1"},
               {"id": "pubC", "name": "Newspaper readers", "role": "public"},
               {"id": "us-ed", "name": "U.S. Department of Education", "role": "federal"}],
    "datasets": [{"id": "sis", "holder": "d1", "granularity": "student",
                  "coverage": [{"org": "d1"}], "elements": ELEMENTS},
                 # published without suppression, cells as small as 2: a tester found the
                 # parent's report said "aggregate only" with no caveat
                 {"id": "aggC", "holder": "pubC", "granularity": "aggregate",
                  "min_cell_size": 10, "suppressed": False, "smallest_cell": 2},
                 # suppressed below 10: no caveat
                 {"id": "edfacts", "holder": "us-ed", "granularity": "aggregate",
                  "min_cell_size": 10, "suppressed": True, "smallest_cell": 2}],
    "flows": [{"id": "C0", "kind": "collection", "target": "sis", "elements": ELEMENTS},
              {"id": "A1", "kind": "disclosure", "operation": "aggregate", "source": "sis",
               "target": "aggC", "elements": ["Standardized test scores"],
               "valid_from": "2024-06-01"},
              {"id": "A2", "kind": "disclosure", "operation": "aggregate", "source": "sis",
               "target": "edfacts", "elements": ["Standardized test scores"],
               "legal_basis": "federal_reporting", "valid_from": "2024-06-01"}],
    "bulk": [{"kind": "enrolments", "path": "enr.csv"}],
}
NOTE = ("may identify: counted in aggregates that published cells of as few as 2 students "
        "(below the minimum cell size of 10) without suppression, and that do not say who is "
        "in them: if this student is in one, this recipient could identify them")


def test_aggregate_only_with_unnamed_small_cells_carries_the_caveat(store, env, tmp_path):
    store.reset()
    (tmp_path / "inv.yaml").write_text(yaml.safe_dump(SMALL, sort_keys=False))
    (tmp_path / "enr.csv").write_text("student_id,org,valid_from,valid_to\nST-1,sA,2023-08-15,\n")
    r = CliRunner().invoke(main, ["load", str(tmp_path / "inv.yaml"), "--no-progress"], env=env)
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["exposure", "ST-1", "--format", "json"], env=env)
    assert r.exit_code == 0, r.output
    actors = {a["actor_id"]: a for a in json.loads(r.output)["actors"]}
    assert (actors["pubC"]["access"], actors["pubC"]["small_cell_note"]) == ("aggregate", NOTE)
    assert actors["us-ed"]["access"] == "aggregate" and "small_cell_note" not in actors["us-ed"]
    assert "small_cell_note" not in actors["d1"]
    r = CliRunner().invoke(main, ["exposure", "ST-1", "--format", "csv"], env=env)
    rows = {x["actor_id"]: x for x in csv.DictReader(io.StringIO(r.output))}
    assert (rows["pubC"]["small_cell_note"], rows["us-ed"]["small_cell_note"]) == (NOTE, "")
    out = tmp_path / "r.md"
    r = CliRunner().invoke(main, ["report", "ST-1", "--format", "md", "--out", str(out)],
                           env=env)
    assert r.exit_code == 0, r.output
    line = next(x for x in out.read_text().splitlines() if x.startswith("| Newspaper readers"))
    assert f"| the public | aggregate only; {NOTE} | counts only | 2024-06-01 |" in line
