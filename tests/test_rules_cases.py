"""One minimal inventory per settled rule (issues 11 and 17), loaded into the real database,
with the exact ``lineage exposure`` answer; each answer is also the reference's
(``tests/reference_rules.py``). The rule numbers are those of ``docs/rules.md``."""

from __future__ import annotations

import json
import tempfile
import textwrap
from datetime import date
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from lineage.cli import main
from lineage.graph.writer import load, read_sources
from lineage.questions import audit as policy
from lineage.questions import student as answers
from lineage.questions.reports import student_report
from tests.helpers import PSEUDO
from tests.reference_rules import Reference
from tests.test_rules_reference import CSV_COLUMNS, write_and_load

ACTORS = """
actors:
  - {id: d1, role: district}
  - {id: s1, role: school, part_of: d1}
  - {id: d2, role: district}
  - {id: s3, role: school, part_of: d2}
  - {id: v1, role: vendor}
  - {id: rs1, role: researcher}
  - {id: st1, role: state}
  - {id: pub, role: public}
  - {id: x1, role: other}
  - {id: x2, role: other}
  - {id: t1, role: teacher}
  - {id: t2, role: teacher}
"""

ROLES = {"d1": "district", "s1": "school", "d2": "district", "s3": "school", "v1": "vendor",
         "rs1": "researcher", "st1": "state", "pub": "public", "x1": "other", "x2": "other",
         "t1": "teacher", "t2": "teacher"}


def row(actor: str, access: str, elements: list[str], first: str | None, last: str | None,
        datasets: list[str], *, bases: list[str] = (), agreements: list[str] = (),
        accessed: bool = False, could: bool = True) -> dict:
    """One actor of the exposure answer, in the JSON shape."""
    return {"actor_id": actor, "actor_name": actor, "role": ROLES[actor], "access": access,
            "elements": sorted(elements), "first_date": first, "last_date": last,
            "legal_bases": list(bases), "agreements": list(agreements), "datasets": datasets,
            "accessed": accessed, "could": could}


class Case:
    """A minimal inventory (YAML text) and its bulk rows, loaded into an empty graph."""

    def __init__(self, store, text: str, rows: dict[str, list[dict]]):
        self.store = store
        self.inv = yaml.safe_load(textwrap.dedent(ACTORS) + textwrap.dedent(text))
        self.rows = {k: rows.get(k, []) for k in CSV_COLUMNS}
        write_and_load(store, self.inv, self.rows)
        self.ref = Reference(self.inv, self.rows)

    def exposure(self, student: str, as_of: date | None = None) -> list[dict]:
        """The product's answer; asserts that the reference gives the same."""
        got = answers.exposure(self.store, PSEUDO, student, as_of=as_of)["actors"]
        mine = {a["actor_id"]: {**{k: a[k] for k in (
            "access", "first_date", "last_date", "accessed", "could")},
            "elements": sorted(a["elements"]), "legal_bases": sorted(a["legal_bases"]),
            "agreements": sorted(a["agreements"]), "datasets": sorted(set(a["datasets"]))}
            for a in got}
        assert mine == self.ref.evaluate(student, as_of)
        return got


SN, DOB, SAT, ELL = ("Student Name", "Date of Birth", "Standardized test scores",
                     "English language learner information")


def test_uncovered_access_takes_the_class_of_the_dataset_read_that_day(empty_graph):
    """Issue 17.1 (rule 10): an aggregate read is aggregate; a de-identified read is
    de-identified, with what the dataset held on the day of each event."""
    case = Case(empty_graph, """
    datasets:
      - {id: sis, holder: d1, granularity: student, coverage: [{org: s1}],
         elements: [Student Name, Date of Birth]}
      - {id: counts, holder: pub, granularity: aggregate}
      - {id: deid, holder: rs1, granularity: deidentified, elements: [Date of Birth]}
    flows:
      - {id: F1, kind: transformation, operation: aggregate, source: sis, target: counts,
         valid_from: 2024-01-01}
      - {id: F2, kind: transformation, operation: deidentify, source: sis, target: deid,
         elements: [Date of Birth, Student Name], valid_from: 2024-03-01}
    """, {"enrolments": [{"student_id": "A-1", "org": "s1", "valid_from": "2023-09-01"}],
          "access_log": [
              {"at": "2024-02-01", "actor": "x1", "student_id": "A-1", "dataset": "counts"},
              {"at": "2024-02-15", "actor": "x2", "student_id": "A-1", "dataset": "deid"},
              {"at": "2024-03-10", "actor": "x2", "student_id": "A-1", "dataset": "deid"}]})
    assert case.exposure("A-1") == [
        row("d1", "identifiable", [SN, DOB], "2023-09-01", None, ["sis"]),
        row("x2", "deidentified", [DOB], "2024-02-15", "2024-03-10", ["deid"],
            accessed=True, could=False),
        row("rs1", "deidentified", [DOB], "2024-03-01", None, ["sis", "deid"]),
        row("pub", "aggregate", [], "2024-01-01", None, ["sis", "counts"]),
        row("x1", "aggregate", [], "2024-02-01", "2024-02-01", ["counts"], accessed=True,
            could=False),
    ]


def test_grant_is_cut_by_its_agreement(empty_graph):
    """Issue 17.2 (rule 3): a grant counts only while its agreement is valid."""
    case = Case(empty_graph, """
    datasets:
      - {id: sis, holder: d1, granularity: student, coverage: [{org: s1}], elements: [Student Name]}
    agreements:
      - {id: AG, kind: dpa, recipients: [v1], permitted_elements: [Student Name],
         valid_from: 2025-01-01, valid_to: 2025-12-31}
    grants:
      - {id: G1, actor: v1, dataset: sis, scope: all, legal_basis: school_official,
         agreement: AG, valid_from: 2023-01-01}
    """, {"enrolments": [{"student_id": "B-1", "org": "s1", "valid_from": "2022-09-01"}]})
    assert case.exposure("B-1") == [
        row("d1", "identifiable", [SN], "2022-09-01", None, ["sis"]),
        row("v1", "identifiable", [SN], "2025-01-01", "2025-12-31", ["sis"],
            bases=["school_official"], agreements=["AG"]),
    ]


DATED = """
datasets:
  - {id: sis, holder: d1, granularity: student, coverage: [{org: s1}]}
  - {id: app, holder: v1, granularity: student}
  - {id: archive, holder: d2, granularity: student}
flows:
  - {id: S0a, kind: collection, target: sis, elements: [Student Name]}
  - {id: S0b, kind: collection, target: sis, elements: [Date of Birth], valid_from: 2024-01-01}
  - {id: F1, kind: disclosure, source: sis, target: app, elements: [Student Name, Date of Birth],
     legal_basis: school_official, valid_from: 2023-09-01, valid_to: 2023-12-31}
  - {id: F2, kind: disclosure, source: sis, target: archive, elements: [Student Name, Date of Birth],
     legal_basis: other_school, valid_from: 2025-03-01, valid_to: 2025-03-01, students: [C-2]}
"""


def test_elements_are_dated_along_a_path(empty_graph):
    """Issue 17.3 (rule 4): a record carries downstream what it held on the day it moved; an
    element collected after a student left never reaches that student's copies."""
    case = Case(empty_graph, DATED, {"enrolments": [
        {"student_id": "C-1", "org": "s1", "valid_from": "2023-09-01", "valid_to": "2024-06-30"},
        {"student_id": "C-2", "org": "s1", "valid_from": "2022-09-01", "valid_to": "2023-06-30"}]})
    # C-1 moved to the app in 2023, before the date of birth was collected (2024)
    assert case.exposure("C-1") == [
        row("d1", "identifiable", [SN, DOB], "2023-09-01", None, ["sis"]),
        row("v1", "identifiable", [SN], "2023-09-01", None, ["sis", "app"],
            bases=["school_official"]),
    ]
    # C-2 left in 2023: the 2024 collection never reached its record, nor its 2025 transfer
    assert case.exposure("C-2") == [
        row("d1", "identifiable", [SN], "2022-09-01", None, ["sis"]),
        row("d2", "identifiable", [SN], "2025-03-01", None, ["sis", "archive"],
            bases=["other_school"]),
    ]


SAMPLE = """
datasets:
  - {id: sis, holder: d1, granularity: student, coverage: [{org: s1}],
     elements: [Student Name, Standardized test scores]}
  - {id: sample, holder: rs1, granularity: student, members_only: true}
  - {id: tables, holder: pub, granularity: aggregate}
flows:
  - {id: R1, kind: disclosure, source: sis, target: sample, elements: [Standardized test scores],
     legal_basis: studies, valid_from: 2024-03-01}
  - {id: R2, kind: transformation, operation: aggregate, source: sample, target: tables,
     valid_from: 2024-06-01}
"""
SAMPLE_ROWS = {
    "enrolments": [{"student_id": "D-1", "org": "s1", "valid_from": "2023-09-01"},
                   {"student_id": "D-2", "org": "s3", "valid_from": "2023-09-01"}],
    "members": [{"dataset": "sample", "student_id": "D-1", "valid_from": "2024-01-01"},
                {"dataset": "sample", "student_id": "D-2", "valid_from": "2024-01-01"}]}


def test_members_only_keeps_only_members_of_what_arrives(empty_graph, env):
    """Issue 17.4 (rule 2): a listed member no inflow delivers is not held (no phantom holding
    downstream either), and ``lineage check`` reports it."""
    case = Case(empty_graph, SAMPLE, SAMPLE_ROWS)
    assert case.exposure("D-1") == [
        row("d1", "identifiable", [SN, SAT], "2023-09-01", None, ["sis"]),
        row("rs1", "identifiable", [SAT], "2024-03-01", None, ["sis", "sample"],
            bases=["studies"]),
        row("pub", "aggregate", [], "2024-06-01", None, ["sis", "sample", "tables"]),
    ]
    assert case.exposure("D-2") == []
    found = [f.as_dict() for f in policy.audit(empty_graph, ["unexplained-members"])]
    assert found == [{
        "rule": "unexplained-members", "severity": "low", "subject": ["rs1", "sample"],
        "message": "sample (held by rs1) lists 1 member that no inflow can deliver (not in a "
                   "source's live population while a flow ran and they were members): the "
                   "graph cannot show how their records got there"}]
    assert case.ref.unexplained_members() == {"sample": 1}
    r = CliRunner().invoke(main, ["check", "--rule", "unexplained-members", "--format", "json"],
                           env=env)
    assert r.exit_code == 0, r.output  # low: the graph cannot show it; not a failure by default
    assert [f["rule"] for f in json.loads(r.output)["findings"]] == ["unexplained-members"]
    assert "D-2" not in r.output and PSEUDO("D-2") not in r.output


CELL = """
datasets:
  - {id: sis, holder: d1, granularity: student, coverage: [{org: s1}],
     elements: [Student Name, Standardized test scores, English language learner information]}
  - {id: deid, holder: st1, granularity: deidentified,
     elements: [Standardized test scores, English language learner information]}
  - id: report
    holder: pub
    granularity: aggregate
    min_cell_size: 10
    suppressed: false
    small_cells:
      - label: EL proficient
        size: 3
        elements: [English language learner information, Standardized test scores, Date of Birth]
        students: [E-1]
grants:
  - {id: GR, actor: x1, dataset: report, scope: all}
flows:
  - {id: DI, kind: transformation, operation: deidentify, source: sis, target: deid,
     elements: [Standardized test scores, English language learner information],
     valid_from: 2024-01-01}
  - {id: AG, kind: disclosure, operation: aggregate, source: deid, target: report,
     valid_from: 2024-06-01}
"""


def test_small_cell_reidentifies_whatever_lies_upstream(empty_graph, env):
    """Issue 11.1 and 17.5 (rule 5): a small cell of an aggregate made from a de-identified
    file re-identifies its students to the holder and the grantees, with only the elements its
    source holds; the load warns about the element no source holds; check, answer and parent
    report agree."""
    inv = yaml.safe_load(textwrap.dedent(ACTORS) + textwrap.dedent(CELL))
    rows = {"enrolments": [{"student_id": "E-1", "org": "s1", "valid_from": "2023-09-01"},
                           {"student_id": "E-2", "org": "s1", "valid_from": "2023-09-01"}]}
    case = Case(empty_graph, CELL, rows)
    revealed = [ELL, SAT]
    assert case.exposure("E-1") == [
        row("d1", "identifiable", [SN, SAT, ELL], "2023-09-01", None, ["sis"]),
        row("pub", "identifiable", revealed, "2024-06-01", None, ["sis", "deid", "report"]),
        row("x1", "identifiable", revealed, "2024-06-01", None, ["sis", "deid", "report"]),
        row("st1", "deidentified", [SAT, ELL], "2024-01-01", None, ["sis", "deid"]),
    ]
    assert [a["access"] for a in case.exposure("E-2") if a["actor_id"] == "pub"] == ["aggregate"]
    # the audit reports the very cell; the parent report does not call the public "not PII"
    assert [(f.rule, f.severity.value) for f in policy.audit(empty_graph)] == [("small-cell", "high")]
    report = student_report(empty_graph, PSEUDO, "E-1", made_on=date(2026, 1, 5))
    assert "pub" not in {a["actor_id"] for a in report["not_pii"]}
    assert "pub" in {a["actor_id"] for a in report["officials"]}
    # x1 reads the report through a grant without a basis: a disclosure of what the cell reveals
    assert [(d["actor_id"], d["grant"]) for d in report["record"]["disclosures"]] == [("x1", "GR")]
    # loading again says which cell names an element no source can hold
    p = _write(inv)
    summary = load(empty_graph, read_sources([p]), PSEUDO)
    assert summary.warnings == [(
        "dataset report, small cell 'EL proficient': names Date of Birth, which no source of "
        "report can hold; the cell reveals only what its sources hold (docs/rules.md rule 5)")]


def _write(inv: dict) -> Path:
    """The inventory as a YAML file in a new temporary folder."""
    p = Path(tempfile.mkdtemp()) / "inventory.yaml"
    p.write_text(yaml.safe_dump(inv, sort_keys=False))
    return p


ASOF = """
datasets:
  - {id: sis, holder: d1, granularity: student, coverage: [{org: s1}], elements: [Student Name]}
sections:
  - {id: sec1, school: s1, teachers: [{actor: t1, valid_from: 2024-08-20, valid_to: 2025-06-10}]}
grants:
  - {id: G1, actor: v1, dataset: sis, scope: all, valid_from: 2024-01-01, valid_to: 2024-06-30}
  - {id: GR, dataset: sis, scope: roster, legal_basis: school_official}
"""
ASOF_ROWS = {"enrolments": [{"student_id": "F-1", "org": "s1", "valid_from": "2023-09-01"}],
             "rosters": [{"student_id": "F-1", "section": "sec1", "valid_from": "2024-08-20",
                          "valid_to": "2025-06-10"}]}


@pytest.fixture(scope="class")
def asof_case(store):
    return Case(store, ASOF, ASOF_ROWS)


class TestAsOf:
    """Issue 11.4 (rule 9): with ``--as-of D`` a window still open on ``D`` has no last date;
    one that ended on ``D`` shows ``D``."""

    @pytest.fixture()
    def case(self, asof_case):
        return asof_case

    def test_ended_on_the_day_and_still_open(self, case):
        assert case.exposure("F-1", date(2024, 6, 30)) == [
            row("d1", "identifiable", [SN], "2023-09-01", None, ["sis"]),
            row("v1", "identifiable", [SN], "2024-01-01", "2024-06-30", ["sis"]),
        ]

    def test_teacher_still_teaching_is_open(self, case):
        assert case.exposure("F-1", date(2025, 1, 15)) == [
            row("d1", "identifiable", [SN], "2023-09-01", None, ["sis"]),
            row("v1", "identifiable", [SN], "2024-01-01", "2024-06-30", ["sis"]),
            row("t1", "identifiable", [SN], "2024-08-20", None, ["sis"],
                bases=["school_official"]),
        ]
        ever = {a["actor_id"]: a["last_date"] for a in case.exposure("F-1")}
        assert ever["t1"] == "2025-06-10"

    def test_before_anything_starts(self, case):
        assert case.exposure("F-1", date(2023, 8, 31)) == []

    def test_cli_table_and_path_show_open(self, case, env):
        r = CliRunner().invoke(main, ["exposure", "F-1", "--as-of", "2025-01-15", "--format",
                                      "json"], env=env)
        assert r.exit_code == 0, r.output
        assert {a["actor_id"]: a["last_date"] for a in json.loads(r.output)["actors"]} == {
            "d1": None, "v1": "2024-06-30", "t1": None}
        p = answers.explain_path(case.store, PSEUDO, "F-1", "t1", as_of=date(2025, 1, 15))
        assert [(s["via"], s["first_date"], s["last_date"]) for s in p["chains"][0]] == [
            ("coverage:s1", "2023-09-01", None), ("GR", "2024-08-20", None)]

    def test_element_matched_like_the_importer(self, case, env):
        """Issue 11.5: another case and spacing match; an unknown element is refused (exit 2)
        with the closest names."""
        r = CliRunner().invoke(main, ["exposure", "F-1", "--element", "  student   NAME ",
                                      "--format", "json"], env=env)
        assert r.exit_code == 0, r.output
        assert [a["actor_id"] for a in json.loads(r.output)["actors"]] == ["d1", "v1", "t1"]
        r = CliRunner().invoke(main, ["exposure", "F-1", "--element", "Date of Brth"], env=env)
        assert r.exit_code == 2
        assert "unknown data element 'Date of Brth'; closest: 'Date of Birth'" in r.output
        assert "Traceback" not in r.output


ORIGIN = """
datasets:
  - {id: sis, holder: d1, granularity: student, coverage: [{org: s1}],
     elements: [Student Name, Date of Birth]}
  - {id: optin, holder: v1, granularity: student, elements: [Student Name]}
sections:
  - {id: sec2, school: s3, teachers: [{actor: t2}]}
grants:
  - {id: GR, dataset: sis, scope: roster, scope_org: d1, elements: [Student Name]}
"""


def test_origin_members_and_role_grant_elements_of_an_uncovered_read(empty_graph):
    """Issue 17.5 (rules 1 and 10): an origin dataset that lists elements holds them for its
    members; a role grant whose scope_org does not include the reader's school does not narrow
    the elements of the reader's uncovered access (what the dataset held that day)."""
    case = Case(empty_graph, ORIGIN, {
        "enrolments": [{"student_id": "H-1", "org": "s1", "valid_from": "2023-09-01"}],
        "members": [{"dataset": "optin", "student_id": "H-1", "valid_from": "2024-02-01"}],
        "rosters": [{"student_id": "H-1", "section": "sec2", "valid_from": "2024-01-01",
                     "valid_to": "2024-06-30"}],
        "access_log": [{"at": "2024-03-01", "actor": "t2", "student_id": "H-1",
                        "dataset": "sis"}]})
    assert case.exposure("H-1") == [
        row("d1", "identifiable", [SN, DOB], "2023-09-01", None, ["sis"]),
        row("v1", "identifiable", [SN], "2024-02-01", None, ["optin"]),
        row("t2", "identifiable", [SN, DOB], "2024-03-01", "2024-03-01", ["sis"],
            accessed=True, could=False),
    ]
