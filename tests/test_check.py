"""``lineage check``: the policy audit on a real Neo4j (shared/cases/riverside.md, violations V1-V4).

The clean Riverside scenario audits clean; with violations.yaml on top there is exactly one
finding for each of V1-V4. Further scenarios (written here) exercise the other rules, each with
a case that must not be a finding, and the de-duplication between rules (a more specific rule
suppresses more general ones).
"""

from __future__ import annotations

import csv
import io
import json
import textwrap

import pytest
from click.testing import CliRunner

from lineage.cli import main
from lineage.graph.writer import load, read_sources
from lineage.questions import audit as policy
from tests.helpers import PSEUDO, load_riverside

#: (rule, subject) of each violation, exactly.
EXPECTED_VIOLATIONS = {
    ("small-cell", ("riverside-sd", "public", "rsd-sis", "lincoln-el-progress", "V1")),
    ("vendor-elements", ("riverside-sd", "routeco", "rsd-sis", "routeco-routes", "V2")),
    ("roster-access", ("teacher-park", "rsd-sis")),
    ("redisclosure-basis", ("univ-reading-lab", "coauthor-lab", "reading-study-file",
                            "coauthor-copy", "V4")),
}

#: Student IDs and keys that must never appear in the audit's output.
STUDENT_IDS = ["RSD-1001", "RSD-1002", "RSD-1003", "RSD-2065", "RSD-2067", "RSD-2128"]


def run(env, *args):
    return CliRunner().invoke(main, ["check", *args], env=env)


def pairs(findings: list[dict]) -> set[tuple[str, tuple[str, ...]]]:
    return {(f["rule"], tuple(f["subject"])) for f in findings}


def assert_no_student(text: str) -> None:
    for sid in STUDENT_IDS:
        assert sid not in text
        assert PSEUDO(sid) not in text


class TestClean:
    def test_no_findings_exit_0(self, clean, env):
        r = run(env)
        assert r.exit_code == 0, r.output
        assert "no findings" in r.output

    @pytest.mark.parametrize("fmt", ["table", "json", "csv"])
    def test_formats_clean(self, clean, env, fmt):
        r = run(env, "--format", fmt, "--fail-on", "low")
        assert r.exit_code == 0, r.output
        if fmt == "json":
            data = json.loads(r.stdout)
            assert data["findings"] == []
            assert data["rules"] == list(policy.RULE_IDS)
        elif fmt == "csv":
            assert r.stdout.splitlines() == ["severity,rule,subject,message"]
        else:
            assert r.stdout.strip() == "no findings"

    def test_library_audit_clean(self, clean):
        assert policy.audit(clean) == []

    def test_min_cell_size_override_and_fail_on(self, clean, env):
        # 11: EDFacts' smallest cell 12 passes; two aggregates suppress only below 10 -> medium
        r = run(env, "--rule", "small-cell", "--min-cell-size", "11", "--format", "json")
        assert r.exit_code == 1
        found = json.loads(r.stdout)["findings"]
        assert {(f["subject"][3], f["severity"]) for f in found} == {
            ("state-report-card", "medium"), ("reading-study-tables", "medium")}
        assert run(env, "--rule", "small-cell", "--min-cell-size", "11",
                   "--fail-on", "high").exit_code == 0
        # 13: EDFacts publishes cells of 12 without suppression -> high
        r = run(env, "--rule", "small-cell", "--min-cell-size", "13", "--format", "json")
        found = {f["subject"][3]: f for f in json.loads(r.stdout)["findings"]}
        assert found["edfacts-fs052"]["severity"] == "high"
        assert "as small as 12" in found["edfacts-fs052"]["message"]
        assert run(env, "--rule", "small-cell", "--min-cell-size", "13",
                   "--fail-on", "high").exit_code == 1


class TestViolations:
    def test_exactly_the_four(self, violated, env):
        r = run(env, "--format", "json")
        assert r.exit_code == 1, r.output
        data = json.loads(r.stdout)
        assert pairs(data["findings"]) == EXPECTED_VIOLATIONS
        assert len(data["findings"]) == 4
        assert {f["severity"] for f in data["findings"]} == {"high"}
        assert_no_student(r.output)

    def test_messages(self, violated):
        msgs = {f.rule: f.message for f in policy.audit(violated)}
        assert "4 students" in msgs["small-cell"] and "minimum cell size 10" in msgs["small-cell"]
        assert "Standardized test scores" in msgs["vendor-elements"]
        assert "DPA-TR-09" in msgs["vendor-elements"]
        assert msgs["roster-access"] == ("teacher-park read rsd-sis records of a student not on "
                                         "their roster (1 access on 2025-01-15)")
        assert "coauthor-lab" in msgs["redisclosure-basis"]
        assert "no legal basis" in msgs["redisclosure-basis"]
        assert "RDA-2025-03 does not allow redisclosure" in msgs["redisclosure-basis"]
        for m in msgs.values():
            assert "\n" not in m

    @pytest.mark.parametrize("fmt", ["table", "json", "csv"])
    def test_formats(self, violated, env, fmt):
        r = run(env, "--format", fmt)
        assert r.exit_code == 1, r.output
        assert_no_student(r.output)
        if fmt == "json":
            assert pairs(json.loads(r.stdout)["findings"]) == EXPECTED_VIOLATIONS
        elif fmt == "csv":
            rows = list(csv.DictReader(io.StringIO(r.stdout)))
            assert list(rows[0]) == ["severity", "rule", "subject", "message"]
            got = {(x["rule"], tuple(x["subject"].split("; "))) for x in rows}
            assert got == EXPECTED_VIOLATIONS
        else:
            assert "Policy findings (4)" in r.stdout
            for rule, _ in EXPECTED_VIOLATIONS:
                assert rule in r.stdout
            assert "no findings" not in r.stdout

    def test_rule_filter(self, violated, env):
        r = run(env, "--rule", "roster-access", "--format", "json")
        assert r.exit_code == 1
        data = json.loads(r.stdout)
        assert data["rules"] == ["roster-access"]
        assert pairs(data["findings"]) == {("roster-access", ("teacher-park", "rsd-sis"))}
        r = run(env, "--rule", "vendor-agreement", "--rule", "vendor-agreement-window")
        assert r.exit_code == 0 and "no findings" in r.output

    def test_suppression_only_among_rules_run(self, violated, env):
        v4 = ("univ-reading-lab", "coauthor-lab", "reading-study-file", "coauthor-copy", "V4")
        # alone, the general rules report V4; together, the most specific one wins
        r = run(env, "--rule", "disclosure-basis", "--format", "json")
        assert pairs(json.loads(r.stdout)["findings"]) == {("disclosure-basis", v4)}
        r = run(env, "--rule", "disclosure-basis", "--rule", "research-basis", "--format", "json")
        assert pairs(json.loads(r.stdout)["findings"]) == {("research-basis", v4)}
        r = run(env, "--rule", "disclosure-basis", "--rule", "research-basis",
                "--rule", "redisclosure-basis", "--format", "json")
        assert pairs(json.loads(r.stdout)["findings"]) == {("redisclosure-basis", v4)}

    def test_unknown_rule_exit_2(self, violated, env):
        r = run(env, "--rule", "no-such-rule")
        assert r.exit_code == 2
        assert "unknown rule 'no-such-rule'" in r.output
        assert "small-cell" in r.output

    def test_fail_on_high_still_fails(self, violated, env):
        assert run(env, "--fail-on", "high").exit_code == 1


def test_list_rules(env):
    r = run(env, "--list-rules", "--format", "json")
    assert r.exit_code == 0
    rows = json.loads(r.stdout)
    assert [x["id"] for x in rows] == list(policy.RULE_IDS)
    assert {"small-cell", "vendor-elements", "vendor-agreement-window", "research-basis",
            "research-destroy-by", "roster-access", "redisclosure-basis", "disclosure-basis",
            "sensitive-to-vendor", "studies-without-agreement", "federal-identifiable",
            "public-identifiable", "directory-information-elements", "emergency-threat",
            "transformation-to-another-actor"} <= set(policy.RULE_IDS)
    assert all(x["source"] for x in rows)


MORE = """
name: more violations for the other rules (synthetic)
actors:
  - {id: quizco, name: QuizCo, role: vendor}
  - {id: nodpa-co, name: NoDPA Co, role: vendor}
  - {id: lab-x, name: Lab X, role: researcher}
  - {id: lab-y, name: Lab Y, role: researcher}
datasets:
  - {id: quizco-data, holder: quizco, granularity: student}
  - {id: nodpa-data, holder: nodpa-co, granularity: student}
  - {id: lab-x-file, holder: lab-x, granularity: student}
  - {id: lab-y-file, holder: lab-y, granularity: student, valid_to: 2026-06-30}
agreements:
  - {id: DPA-Q, kind: dpa, legal_basis: school_official, recipients: [quizco],
     permitted_elements: [Student Name], valid_from: 2024-06-01, valid_to: 2025-06-30}
  - {id: RDA-Y, kind: research, legal_basis: studies, recipients: [lab-y],
     permitted_elements: [State ID number], valid_from: 2025-01-01, valid_to: 2026-06-30}
flows:
  # sensitive element outside the agreement, and dated before the agreement starts
  - {id: M1, kind: disclosure, source: rsd-sis, target: quizco-data, legal_basis: school_official,
     agreement: DPA-Q, elements: [Student Name, Student disability information],
     valid_from: 2024-01-01}
  # a vendor with no agreement at all
  - {id: M2, kind: disclosure, source: rsd-sis, target: nodpa-data, legal_basis: school_official,
     elements: [Student Name, Medical alerts/health data]}
  # studies without an agreement
  - {id: M3, kind: disclosure, source: rsd-sis, target: lab-x-file, legal_basis: studies,
     elements: [State ID number]}
  # a research agreement with no destroy-by date
  - {id: M4, kind: disclosure, source: rsd-sis, target: lab-y-file, legal_basis: studies,
     agreement: RDA-Y, elements: [State ID number], valid_from: 2025-01-01}
"""


def test_other_rules_one_finding_each(store, env, tmp_path):
    load_riverside(store)
    p = tmp_path / "more.yaml"
    p.write_text(textwrap.dedent(MORE))
    load(store, read_sources([p]), PSEUDO)
    r = run(env, "--format", "json")
    assert r.exit_code == 1, r.output
    found = json.loads(r.stdout)["findings"]
    assert pairs(found) == {
        ("sensitive-to-vendor", ("riverside-sd", "quizco", "rsd-sis", "quizco-data", "M1")),
        ("vendor-agreement-window", ("riverside-sd", "quizco", "rsd-sis", "quizco-data", "M1")),
        ("vendor-agreement", ("riverside-sd", "nodpa-co", "rsd-sis", "nodpa-data", "M2")),
        ("studies-without-agreement", ("riverside-sd", "lab-x", "rsd-sis", "lab-x-file", "M3")),
        ("research-destroy-by", ("lab-y", "lab-y-file", "M4", "RDA-Y")),
    }
    by_rule = {f["rule"]: f for f in found}
    assert by_rule["vendor-agreement-window"]["severity"] == "medium"
    assert by_rule["research-destroy-by"]["severity"] == "medium"
    assert "Student disability information" in by_rule["sensitive-to-vendor"]["message"]
    assert "sensitive: Medical alerts/health data" in by_rule["vendor-agreement"]["message"]
    assert "2024-01-01..open" in by_rule["vendor-agreement-window"]["message"]
    # without the sensitive rule, vendor-elements reports the sensitive element itself
    r = run(env, "--rule", "vendor-elements", "--format", "json")
    assert pairs(json.loads(r.stdout)["findings"]) == {
        ("vendor-elements", ("riverside-sd", "quizco", "rsd-sis", "quizco-data", "M1"))}


def test_suppress_is_pure():
    f = [policy.Finding("disclosure-basis", policy.Severity.HIGH, ["a"], "m", "flow:F"),
         policy.Finding("research-basis", policy.Severity.HIGH, ["a"], "m", "flow:F"),
         policy.Finding("disclosure-basis", policy.Severity.HIGH, ["b"], "m", "flow:G")]
    kept = policy.suppress(f, policy.select_rules(["disclosure-basis", "research-basis"]))
    assert [(x.rule, x.key) for x in kept] == [("research-basis", "flow:F"),
                                              ("disclosure-basis", "flow:G")]
    assert policy.fails(kept, "high") and not policy.fails([], "low")


def test_role_grant_without_basis_is_a_disclosure_finding(empty_graph, tmp_path):
    """A role grant (no actor: every teacher / guardian) is a disclosure channel like any other."""
    (tmp_path / "inv.yaml").write_text(textwrap.dedent("""\
        actors:
          - {id: d1, role: district}
        datasets:
          - {id: d1-sis, holder: d1, granularity: student, coverage: [{org: d1}]}
        grants:
          - {id: TG-d1, dataset: d1-sis, scope: roster, scope_org: d1}
          - {id: PG-d1, dataset: d1-sis, scope: own_child, legal_basis: parent}
        """), encoding="utf-8")
    load(empty_graph, read_sources([tmp_path / "inv.yaml"]), PSEUDO)
    found = [(f.rule, f.subject, f.message) for f in policy.audit(empty_graph)]
    assert found == [("disclosure-basis", ["d1", "every teacher of the student", "d1-sis", "TG-d1"],
                      "every teacher of the student can read identifiable data from d1-sis "
                      "(grant TG-d1) with no legal basis")]


def check_inventory(store, env, tmp_path, inventory: str, *args: str,
                    files: dict[str, str] | None = None) -> list[tuple]:
    """Load ``inventory`` (and the bulk ``files`` it names) into an empty graph, run ``lineage
    check --format json`` and return its findings as ``(rule, severity, subject, message)``."""
    store.reset()
    for name, text in (files or {}).items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    p = tmp_path / "inv.yaml"
    p.write_text(textwrap.dedent(inventory), encoding="utf-8")
    load(store, read_sources([p]), PSEUDO)
    r = run(env, "--format", "json", "--fail-on", "low", *args)
    assert r.exit_code in (0, 1), r.output
    found = json.loads(r.stdout)["findings"]
    assert (r.exit_code == 1) == bool(found)
    for f in found:
        assert "\n" not in f["message"]
    return [(f["rule"], f["severity"], tuple(f["subject"]), f["message"]) for f in found]


FEDERAL = """\
    actors:
      - {id: d1, role: district}
      - {id: sea, role: state}
      - {id: ed, role: federal}
    datasets:
      - {id: d1-sis, holder: d1, granularity: student, coverage: [{org: d1}]}
      - {id: sea-slds, holder: sea, granularity: student}
      - {id: sea-tables, holder: sea, granularity: aggregate}
      - {id: ed-counts, holder: ed, granularity: aggregate, min_cell_size: 10, suppressed: true}
      - {id: ed-file, holder: ed, granularity: student}
      - {id: ed-census, holder: ed, granularity: student, coverage: [{org: d1}]}
    flows:
      - {id: F1, kind: disclosure, source: d1-sis, target: sea-slds, legal_basis: audit_evaluation,
         elements: [State ID number]}
      # not findings: aggregate counts to ED, by flow and by grant
      - {id: F2, kind: disclosure, operation: aggregate, source: sea-slds, target: ed-counts,
         legal_basis: federal_reporting}
      # student-level data to ED: under federal reporting, and under no basis at all
      - {id: F3, kind: disclosure, source: sea-slds, target: ed-file,
         legal_basis: federal_reporting, elements: [State ID number]}
      - {id: F4, kind: disclosure, source: d1-sis, target: ed-file, elements: [Student Name]}
    grants:
      - {id: G1, actor: ed, dataset: sea-slds, scope: all, legal_basis: federal_reporting}
      - {id: G2, actor: ed, dataset: sea-tables, scope: all, legal_basis: federal_reporting}
    """

FEDERAL_ONLY = "a federal agency receives aggregate counts only"


def test_federal_identifiable(store, env, tmp_path):
    found = check_inventory(store, env, tmp_path, FEDERAL)
    assert found == [
        ("federal-identifiable", "high", ("d1", "ed", "d1-sis", "ed-file", "F4"),
         f"ed receives identifiable student-level data from d1-sis (flow F4); {FEDERAL_ONLY}"),
        ("federal-identifiable", "high", ("ed", "ed-census"),
         f"ed holds identifiable student-level data in ed-census (covers d1); {FEDERAL_ONLY}"),
        ("federal-identifiable", "high", ("sea", "ed", "sea-slds", "G1"),
         "ed can read identifiable student-level data in sea-slds (grant G1) under "
         f"federal_reporting; {FEDERAL_ONLY}"),
        ("federal-identifiable", "high", ("sea", "ed", "sea-slds", "ed-file", "F3"),
         "ed receives identifiable student-level data from sea-slds (flow F3) under "
         f"federal_reporting; {FEDERAL_ONLY}"),
    ]
    # alone, the general rules report the same flows; with this rule they are not repeated
    r = run(env, "--rule", "disclosure-basis", "--rule", "redisclosure-basis", "--format", "json")
    assert {(f["rule"], f["subject"][-1]) for f in json.loads(r.stdout)["findings"]} == {
        ("disclosure-basis", "F4"), ("redisclosure-basis", "F3")}


PUBLIC = """\
    actors:
      - {id: d1, role: district}
      - {id: public, role: public}
    datasets:
      - {id: d1-sis, holder: d1, granularity: student, coverage: [{org: d1}]}
      - {id: honor-roll, holder: public, granularity: student}
      - {id: posted-list, holder: public, granularity: student}
      - {id: report-card, holder: public, granularity: aggregate, min_cell_size: 10,
         suppressed: true}
    flows:
      # not a finding: directory information (an honor roll, FERPA §99.37)
      - {id: P1, kind: disclosure, source: d1-sis, target: honor-roll,
         legal_basis: directory_information, elements: [Student Name, Student grade level]}
      # a finding: the same list without a basis
      - {id: P3, kind: disclosure, source: d1-sis, target: honor-roll,
         elements: [Student Name, Student grade level]}
      # not a finding: a suppressed aggregate report
      - {id: P2, kind: disclosure, operation: aggregate, source: d1-sis, target: report-card}
    grants:
      - {id: PG1, actor: public, dataset: d1-sis, scope: all}
    bulk:
      - {kind: members, path: members.csv}
    """

PUBLIC_ONLY = "the public receives aggregate reports only, never an individual student"


def test_public_identifiable(store, env, tmp_path):
    members = "dataset,student_id,valid_from,valid_to\nposted-list,PUB-1,,\nposted-list,PUB-2,,\n"
    found = check_inventory(store, env, tmp_path, PUBLIC, files={"members.csv": members})
    assert found == [
        ("public-identifiable", "high", ("d1", "public", "d1-sis", "PG1"),
         f"public can read identifiable student-level data in d1-sis (grant PG1); {PUBLIC_ONLY}"),
        ("public-identifiable", "high", ("d1", "public", "d1-sis", "honor-roll", "P3"),
         f"public receives identifiable student-level data from d1-sis (flow P3); {PUBLIC_ONLY}"),
        ("public-identifiable", "high", ("public", "posted-list"),
         f"public holds identifiable student-level data in posted-list (lists 2 students); "
         f"{PUBLIC_ONLY}"),
    ]
    text = json.dumps(found)
    for sid in ("PUB-1", "PUB-2"):
        assert sid not in text and PSEUDO(sid) not in text
    # the grant and P3 have no basis: disclosure-basis alone reports them, not beside this rule
    r = run(env, "--rule", "disclosure-basis", "--format", "json")
    assert pairs(json.loads(r.stdout)["findings"]) == {
        ("disclosure-basis", ("d1", "public", "d1-sis", "PG1")),
        ("disclosure-basis", ("d1", "public", "d1-sis", "honor-roll", "P3"))}


DIRECTORY = """\
    actors:
      - {id: d1, role: district}
      - {id: paper, role: other}
      - {id: pta, role: other}
    datasets:
      - {id: d1-sis, holder: d1, granularity: student, coverage: [{org: d1}],
         elements: [Student Name, Student grade level, Local ID number, Standardized test scores,
                    Student disability information, Student course grades]}
      - {id: paper-list, holder: paper, granularity: student}
      - {id: pta-list, holder: pta, granularity: student}
    agreements:
      - {id: DIR-MOU, kind: mou, legal_basis: directory_information, recipients: [pta]}
    flows:
      - {id: D1, kind: disclosure, source: d1-sis, target: paper-list,
         legal_basis: directory_information,
         elements: [Student Name, Student grade level, Standardized test scores,
                    Student disability information]}
      # not findings: directory information only (a student ID is not ruled out, FERPA §99.3),
      # also when the basis is the agreement's; an element the source does not hold moves nothing
      - {id: D2, kind: disclosure, source: d1-sis, target: pta-list,
         legal_basis: directory_information, elements: [Student Name]}
      - {id: D3, kind: disclosure, source: d1-sis, target: pta-list, agreement: DIR-MOU,
         elements: [Student Name, Local ID number, Conduct or behavioral data]}
    grants:
      - {id: DG1, actor: pta, dataset: d1-sis, scope: all, agreement: DIR-MOU,
         elements: [Student Name, Student course grades]}
      - {id: DG2, actor: pta, dataset: d1-sis, scope: all, legal_basis: directory_information,
         elements: [Student Name, Student grade level]}
    """


def test_directory_information_elements(store, env, tmp_path):
    found = check_inventory(store, env, tmp_path, DIRECTORY)
    assert found == [
        ("directory-information-elements", "high", ("d1", "paper", "d1-sis", "paper-list", "D1"),
         "paper receives 2 elements that cannot be directory information from d1-sis (flow D1) "
         "under directory_information: Standardized test scores, Student disability information"),
        ("directory-information-elements", "high", ("d1", "pta", "d1-sis", "DG1"),
         "pta can read 1 element that cannot be directory information in d1-sis (grant DG1) "
         "under directory_information: Student course grades"),
    ]


EMERGENCY = """\
    actors:
      - {id: d1, role: district}
      - {id: ems, role: emergency}
    datasets:
      - {id: d1-sis, holder: d1, granularity: student, coverage: [{org: d1}]}
      - {id: ems-file, holder: ems, granularity: student}
    flows:
      - {id: E1, kind: disclosure, source: d1-sis, target: ems-file,
         legal_basis: health_safety_emergency, elements: [Student Name], students: [EMG-1]}
      # not a finding: the threat is recorded
      - {id: E2, kind: disclosure, source: d1-sis, target: ems-file,
         legal_basis: health_safety_emergency, threat: gas leak in the gym,
         elements: [Student Name], students: [EMG-2]}
    grants:
      - {id: EG1, actor: ems, dataset: d1-sis, scope: all, legal_basis: health_safety_emergency}
    """


def test_emergency_threat(store, env, tmp_path):
    found = check_inventory(store, env, tmp_path, EMERGENCY)
    assert found == [
        ("emergency-threat", "medium", ("d1", "ems", "d1-sis", "EG1"),
         "ems can read d1-sis (grant EG1) under health_safety_emergency, but a grant cannot "
         "record the threat: record such a disclosure as a flow with its threat"),
        ("emergency-threat", "medium", ("d1", "ems", "d1-sis", "ems-file", "E1"),
         "ems receives data from d1-sis (flow E1) under health_safety_emergency with no threat "
         "recorded (FERPA §99.32(a)(5) requires it): give the flow its threat"),
    ]
    assert run(env, "--fail-on", "high").exit_code == 0
    text = json.dumps(found)
    for sid in ("EMG-1", "EMG-2"):
        assert sid not in text and PSEUDO(sid) not in text


TRANSFORMATION = """\
    actors:
      - {id: d1, role: district}
      - {id: s1, role: school, part_of: d1}
      - {id: sea, role: state}
    datasets:
      - {id: d1-sis, holder: d1, granularity: student, coverage: [{org: d1}]}
      - {id: d1-deid, holder: d1, granularity: deidentified}
      - {id: sea-copy, holder: sea, granularity: student}
      - {id: sea-deid, holder: sea, granularity: deidentified}
      - {id: s1-book, holder: s1, granularity: student, coverage: [{org: s1}]}
    flows:
      - {id: T1, kind: transformation, source: d1-sis, target: sea-copy,
         elements: [State ID number]}
      # not findings: a transformation within one holder; de-identified data leaving (not
      # PII); a school's gradebook rolled up by its own district (one agency)
      - {id: T2, kind: transformation, operation: deidentify, source: d1-sis, target: d1-deid,
         elements: [Student grade level]}
      - {id: T3, kind: transformation, operation: deidentify, source: d1-sis, target: sea-deid,
         elements: [Student grade level]}
      - {id: T4, kind: transformation, source: s1-book, target: d1-sis,
         elements: [Student grade level]}
    """


def test_transformation_to_another_actor(store, env, tmp_path):
    found = check_inventory(store, env, tmp_path, TRANSFORMATION)
    assert found == [
        ("transformation-to-another-actor", "high", ("d1", "sea", "d1-sis", "sea-copy", "T1"),
         "d1 passes d1-sis to sea (sea-copy) by transformation T1: data leaving one actor for "
         "another is a disclosure; declare it kind: disclosure with its legal basis"),
    ]


AGENCY = """\
    actors:
      - {id: st, role: state}
      - {id: d1, role: district, part_of: st}
      - {id: s1, role: school, part_of: d1}
      - {id: s2, role: school, part_of: d1}
      - {id: t1, role: teacher, part_of: s1}
      - {id: d9, role: district}
    datasets:
      - {id: s1-sis, holder: s1, granularity: student, coverage: [{org: s1}]}
      - {id: d1-wh, holder: d1, granularity: student}
      - {id: s2-copy, holder: s2, granularity: student}
      - {id: t1-book, holder: t1, granularity: student}
      - {id: slds, holder: st, granularity: student}
      - {id: d9-copy, holder: d9, granularity: student}
    flows:
      # one agency: a school to its district, to a sister school, to its teacher's gradebook
      - {id: A1, kind: disclosure, source: s1-sis, target: d1-wh, elements: [Student Name]}
      - {id: A2, kind: disclosure, source: s1-sis, target: s2-copy, elements: [Student Name]}
      - {id: A3, kind: transformation, source: s1-sis, target: t1-book, elements: [Student Name]}
      # outside: the state above the district, another district
      - {id: B1, kind: disclosure, source: d1-wh, target: slds, elements: [Student Name]}
      - {id: B2, kind: transformation, source: t1-book, target: d9-copy, elements: [Student Name]}
    grants:
      - {id: G1, actor: d1, dataset: s1-sis, scope: all}
      - {id: G2, actor: st, dataset: s1-sis, scope: all}
    """


def test_within_one_educational_agency_nothing_is_a_disclosure(store, env, tmp_path):
    """A school and its district, two schools of one district, a teacher: one agency
    (same_agency), so no finding asks them for a legal basis; the state above the district and
    another district are outside (a tester found both kinds of false answer)."""
    found = {(f[0], f[2][-1]) for f in check_inventory(store, env, tmp_path, AGENCY)}
    assert found == {("disclosure-basis", "B1"), ("disclosure-basis", "G2"),
                     ("transformation-to-another-actor", "B2")}
