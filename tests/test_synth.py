"""``lineage synth``: determinism, validity, referential integrity, shape, CLI. No database."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from lineage.core.errors import UsageError
from lineage.core.models import Inventory
from lineage.core.vocabulary import ELEMENT_CATEGORY, Granularity, Role, Scope
from lineage.sources.synth import (
    CSV_FILES,
    INVENTORY_FILE,
    YEARS,
    generate,
    validate_output,
)

N, SEED = 2000, 7
OUTPUT_FILES = sorted([INVENTORY_FILE] + [name for name, _ in CSV_FILES.values()])


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "a"
    generate(out, students=N, seed=SEED)
    return out


@pytest.fixture(scope="module")
def multi(tmp_path_factory) -> Path:
    """Big enough for several districts, so transfers happen."""
    out = tmp_path_factory.mktemp("synth") / "multi"
    generate(out, students=10_600, seed=SEED)   # 2 districts
    return out


def rows(out: Path, name: str) -> list[dict[str, str]]:
    with open(out / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def d(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def test_same_seed_gives_byte_identical_files(small, tmp_path):
    again = tmp_path / "b"
    generate(again, students=N, seed=SEED)
    assert sorted(p.name for p in small.iterdir()) == OUTPUT_FILES   # no part files left over
    assert sorted(p.name for p in again.iterdir()) == OUTPUT_FILES
    for name in OUTPUT_FILES:
        assert (small / name).read_bytes() == (again / name).read_bytes(), name


def test_other_seed_differs(small, tmp_path):
    other = tmp_path / "c"
    generate(other, students=N, seed=SEED + 1)
    assert (small / "rosters.csv").read_bytes() != (other / "rosters.csv").read_bytes()


def test_yaml_validates_as_inventory(small):
    inv = validate_output(small)      # Inventory.model_validate of a safe YAML load
    assert isinstance(inv, Inventory)
    assert {b.path for b in inv.bulk} == {name for name, _ in CSV_FILES.values()}
    assert {b.kind for b in inv.bulk} == set(CSV_FILES)


def test_yaml_is_exactly_yaml_safe_dump_of_the_models(tmp_path):
    """The streamed text equals yaml.safe_dump(model_dump(...), sort_keys=False) of the whole."""
    out = tmp_path / "exact"
    generate(out, students=400, seed=SEED)
    text = (out / INVENTORY_FILE).read_text(encoding="utf-8")
    inv = Inventory.model_validate(yaml.safe_load(text))
    dumped = yaml.safe_dump(inv.model_dump(mode="json", exclude_none=True, exclude_defaults=True),
                            sort_keys=False)
    assert text == dumped


def check_integrity(out: Path) -> dict:
    """Assert every reference resolves; return indexes for further checks."""
    inv = validate_output(out)
    actors = {a.id: a for a in inv.actors}
    datasets = {x.id: x for x in inv.datasets}
    agreements = {a.id: a for a in inv.agreements}
    flows = {f.id: f for f in inv.flows}
    sections = {s.id: s for s in inv.sections}
    grants = {g.id: g for g in inv.grants}
    for kind, items, index in (("actor", inv.actors, actors), ("dataset", inv.datasets, datasets),
                               ("agreement", inv.agreements, agreements),
                               ("flow", inv.flows, flows), ("section", inv.sections, sections),
                               ("grant", inv.grants, grants)):
        assert len(items) == len(index), f"duplicate {kind} ids"

    def known(elements):
        return all(e in ELEMENT_CATEGORY for e in elements)

    for a in inv.actors:
        assert a.part_of is None or a.part_of in actors
        if a.role is Role.SCHOOL:
            assert actors[a.part_of].role is Role.DISTRICT
    for x in inv.datasets:
        assert x.holder in actors
        assert all(c.org in actors for c in x.coverage)
        assert known(x.elements or [])
    for a in inv.agreements:
        assert a.recipients and all(r in actors for r in a.recipients)
        assert known(a.permitted_elements)
    for f in inv.flows:
        assert f.target in datasets and (f.source is None or f.source in datasets)
        assert known(f.elements)
        if f.agreement:
            agreement = agreements[f.agreement]
            assert set(f.elements) <= set(agreement.permitted_elements), f.id
            assert datasets[f.target].holder in agreement.recipients, f.id
            assert agreement.valid_from <= f.valid_from
            assert f.valid_to is None or f.valid_to <= agreement.valid_to
    for g in inv.grants:
        # role grants (no actor) reach every teacher / guardian of the student
        assert (g.actor in actors) if g.actor else g.scope in (Scope.ROSTER, Scope.OWN_CHILD)
        assert g.dataset in datasets
        assert g.scope_org is None or g.scope_org in actors
        assert known(g.elements)
    assert not inv.sections   # sections and teachers come in teaching.csv
    teachers: dict[str, str] = {}
    for r in rows(out, "teaching.csv"):
        assert actors[r["school"]].role is Role.SCHOOL
        assert r["section"] not in sections, "duplicate section"
        assert r["teacher"] not in actors, "teachers are created by the load, not listed"
        assert teachers.setdefault(r["teacher"], r["school"]) == r["school"], "one school each"
        sections[r["section"]] = (r["school"], r["teacher"], d(r["valid_from"]), d(r["valid_to"]))

    enrolments = defaultdict(list)
    for r in rows(out, "enrolments.csv"):
        assert actors[r["org"]].role is Role.SCHOOL
        enrolments[r["student_id"]].append((r["org"], d(r["valid_from"]), d(r["valid_to"])))
    students = set(enrolments)
    rosters = defaultdict(list)
    for r in rows(out, "rosters.csv"):
        school, teacher, t_from, t_to = sections[r["section"]]
        start, end = d(r["valid_from"]), d(r["valid_to"])
        assert r["student_id"] in students
        assert any(org == school and s0 <= start and (e0 is None or end <= e0)
                   for org, s0, e0 in enrolments[r["student_id"]]), "roster outside enrolment"
        assert t_from <= start and end <= t_to, "roster outside the school year"
        rosters[r["student_id"]].append((teacher, start, end))
    guardians = defaultdict(set)
    for r in rows(out, "guardians.csv"):
        assert r["guardian"].startswith("G") and r["guardian"] not in actors
        assert r["student_id"] in students
        guardians[r["student_id"]].add(r["guardian"])
    people = set(teachers) | {g for gs in guardians.values() for g in gs}
    members = rows(out, "members.csv")
    for r in members:
        assert datasets[r["dataset"]].members_only and r["student_id"] in students
    subjects = rows(out, "subjects.csv")
    for r in subjects:
        assert r["flow"] in flows and r["student_id"] in students
    access = rows(out, "access_log.csv")
    for r in access:
        assert r["actor"] in people and r["dataset"] in datasets and r["student_id"] in students
        assert r["action"] == "read"
        assert any(y.start <= d(r["at"]) <= y.end for y in YEARS)
    return dict(inv=inv, actors=actors, datasets=datasets, agreements=agreements, flows=flows,
                sections=sections, teachers=teachers, enrolments=enrolments, rosters=rosters,
                guardians=guardians,
                members=members, subjects=subjects, access=access)


def test_every_reference_is_defined(small):
    check_integrity(small)


def test_shape_follows_the_ratios(small):
    ix = check_integrity(small)
    inv, actors = ix["inv"], ix["actors"]
    roles = Counter(a.role for a in inv.actors)
    assert len(ix["enrolments"]) == N
    assert [s for s in ix["enrolments"]][:2] == ["S0000001", "S0000002"]
    assert roles[Role.DISTRICT] == 1
    assert roles[Role.SCHOOL] == round(N / 650)
    assert N / 16 * 0.85 <= len(ix["teachers"]) <= N / 16 * 1.15
    assert 10 <= roles[Role.VENDOR] <= 40
    assert roles[Role.RESEARCHER] == 4
    assert {"state-doe", "us-ed", "public"} <= set(actors)
    # guardians: 1-2 per student; one role grant per district SIS for every guardian (parent
    # portal, own_child) and one for every teacher (roster)
    per_student = [len(g) for g in ix["guardians"].values()]
    assert len(per_student) == N and min(per_student) >= 1 and max(per_student) <= 2
    assert 1.3 <= sum(per_student) / N <= 1.8
    role_grants = {(g.scope, g.dataset, g.scope_org) for g in inv.grants if g.actor is None}
    assert role_grants == {(Scope.OWN_CHILD, "sd001-sis", "sd001"), (Scope.ROSTER, "sd001-sis", "sd001")}
    assert roles[Role.PARENT] == roles[Role.TEACHER] == 0
    school_grants = {g.scope_org for g in inv.grants if g.scope is Scope.SCHOOL}
    assert school_grants == {a for a, x in actors.items() if x.role is Role.SCHOOL}
    # about 4 sections per student and school year; most students stay all three years
    student_years = sum(1 for spells in ix["rosters"].values()
                        for _ in {(s, e) for _, s, e in spells})
    assert 3.9 <= sum(len(v) for v in ix["rosters"].values()) / student_years <= 4.0
    continuous = sum(1 for v in ix["enrolments"].values()
                     if len(v) == 1 and v[0][1] == YEARS[0].start and v[0][2] is None)
    assert 0.7 * N <= continuous <= 0.85 * N
    # research samples ~2% per study, access ~1 event per 10 students
    by_study = Counter(r["dataset"] for r in ix["members"])
    assert len(by_study) == 3 and all(0.01 * N <= c <= 0.03 * N for c in by_study.values())
    assert 0.07 * N <= len(ix["access"]) <= 0.13 * N
    # the state: SLDS fed by the SIS, aggregates, research
    ds = ix["datasets"]
    assert ds["state-slds"].granularity is Granularity.STUDENT
    ed = ds["edfacts-membership"]
    assert (ed.holder, ed.min_cell_size, ed.suppressed, ed.smallest_cell) == ("us-ed", 10, True, 12)
    assert ds["state-report-card"].holder == "public"
    assert ds["slds-research-deid"].granularity is Granularity.DEIDENTIFIED
    state_flows = [f for f in inv.flows if f.target == "state-slds"]
    assert len(state_flows) == 1 and "State ID number" in state_flows[0].elements
    assert len([a for a in inv.agreements if a.kind.value == "research"]) == 4
    vendor_flows = [f for f in inv.flows if f.agreement and f.agreement.startswith("NDPA-")]
    assert len(vendor_flows) == roles[Role.VENDOR]
    assert all(3 <= len(f.elements) <= 8 for f in vendor_flows)


def test_transfers_and_access_log(multi):
    ix = check_integrity(multi)
    inv, actors = ix["inv"], ix["actors"]
    n = len(ix["enrolments"])
    districts = [a for a in inv.actors if a.role is Role.DISTRICT]
    assert len(districts) == 2
    transfers = ix["subjects"]
    assert 0.01 * n <= len(transfers) <= 0.03 * n
    role_grants = {(g.scope, g.dataset) for g in inv.grants if g.actor is None}
    for r in transfers:
        flow = ix["flows"][r["flow"]]
        assert flow.legal_basis.value == "other_school"
        stints = ix["enrolments"][r["student_id"]]
        assert len(stints) == 2
        (a, _, end), (b, start, _) = stints
        assert actors[a].part_of != actors[b].part_of
        assert flow.source == f"{actors[a].part_of}-sis"
        assert flow.target == f"{actors[b].part_of}-sis"
        assert flow.valid_from <= start and end <= flow.valid_from
        # the parent portals of both districts reach the guardians through role grants
        assert {(Scope.OWN_CHILD, flow.source), (Scope.OWN_CHILD, flow.target)} <= role_grants
    # teachers read their own roster students, about 1% of events are off-roster
    teacher_events = [r for r in ix["access"] if r["actor"] in ix["teachers"]]
    off = [r for r in teacher_events
           if not any(t == r["actor"] and s <= d(r["at"]) <= e
                      for t, s, e in ix["rosters"][r["student_id"]])]
    assert len(teacher_events) >= 0.8 * len(ix["access"])
    assert 1 <= len(off) <= 0.03 * len(ix["access"])


def test_refuses_a_non_empty_directory(small, tmp_path):
    with pytest.raises(UsageError, match="not empty"):
        generate(small, students=10, seed=1)
    with pytest.raises(UsageError, match="at least 1"):
        generate(tmp_path / "zero", students=0)
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="not a directory"):
        generate(tmp_path / "file", students=10)


def test_cli(tmp_path):
    from lineage.cli import main

    out = tmp_path / "cli"
    runner = CliRunner()
    result = runner.invoke(main, ["synth", "--students", "500", "--seed", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "students" in result.output and "500" in result.output
    assert "rosters.csv" in result.output
    assert sorted(p.name for p in out.iterdir()) == OUTPUT_FILES
    assert len(rows(out, "enrolments.csv")) == 500
    first = (out / INVENTORY_FILE).read_bytes()

    again = runner.invoke(main, ["synth", "--students", "500", "--seed", "3", "--out", str(out)])
    assert again.exit_code == 2
    assert "not empty" in again.output + (again.stderr if hasattr(again, "stderr") else "")

    (out / "notes.txt").write_text("kept")
    forced = runner.invoke(main, ["synth", "--students", "500", "--seed", "3", "--out", str(out),
                                  "--force"])
    assert forced.exit_code == 0, forced.output
    assert (out / INVENTORY_FILE).read_bytes() == first
    assert (out / "notes.txt").read_text() == "kept"

    bad = runner.invoke(main, ["synth", "--students", "0", "--out", str(tmp_path / "zero")])
    assert bad.exit_code == 2
