"""The state-scale model against a real Neo4j: a synthetic state of two districts loaded through
``lineage load``'s library path, teaching.csv / guardians.csv creating the teachers and parents,
role grants reaching them, and impact by classes giving exactly the per-student answer."""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest

from lineage.core.errors import InputError
from lineage.core.pseudonym import Pseudonymizer
from lineage.core.vocabulary import ORGANISATION_ROLES
from lineage.graph.writer import load, read_sources
from lineage.questions import datasets
from lineage.questions import student as answers
from lineage.rules.classes import coverage_index, population_context
from lineage.sources.synth import GUARDIAN_ELEMENTS, TEACHER_ELEMENTS, generate

KEY = Pseudonymizer("test-state-key-synthetic-data-only")
N, SEED = 10_600, 7     # two districts, so transfers happen


def rows(out: Path, name: str) -> list[dict[str, str]]:
    with open(out / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def state(tmp_path_factory, store):
    out = tmp_path_factory.mktemp("state") / "s"
    generate(out, students=N, seed=SEED)
    store.reset()
    summary = load(store, read_sources([out / "inventory.yaml"]), KEY)
    return out, store, summary


def test_bulk_files_create_teachers_parents_and_sections(state):
    out, store, summary = state
    teaching = rows(out, "teaching.csv")
    guardians = {r["guardian"] for r in rows(out, "guardians.csv")}
    teachers = {r["teacher"]: r["school"] for r in teaching}
    assert summary.items["teaching"] == len(teaching)
    got = store.read_text(
        "MATCH (a:Actor) WHERE a.role IN ['teacher', 'parent'] "
        "OPTIONAL MATCH (a)-[:PART_OF]->(o:Actor) RETURN a.role AS role, count(a) AS n, "
        "count(o) AS part_of ORDER BY role")
    assert got == [{"role": "parent", "n": len(guardians), "part_of": 0},
                   {"role": "teacher", "n": len(teachers), "part_of": len(teachers)}]
    sections = store.read_text("MATCH (x:Section)-[:SECTION_OF]->(:Actor) RETURN count(x) AS n")
    assert sections == [{"n": len(teaching)}]


def test_role_grants_reach_exactly_the_students_teachers_and_guardians(state):
    out, store, _ = state
    roster = defaultdict(set)
    section_teacher = {r["section"]: r["teacher"] for r in rows(out, "teaching.csv")}
    for r in rows(out, "rosters.csv"):
        roster[r["student_id"]].add(section_teacher[r["section"]])
    guardians = defaultdict(set)
    for r in rows(out, "guardians.csv"):
        guardians[r["student_id"]].add(r["guardian"])
    rng = random.Random(3)
    for sid in rng.sample(sorted(roster), 25):
        actors = {a["actor_id"]: a for a in answers.exposure(store, KEY, sid)["actors"]}
        teachers = {a for a, x in actors.items() if x["role"] == "teacher"}
        parents = {a for a, x in actors.items() if x["role"] == "parent"}
        assert teachers == roster[sid], sid
        assert parents == guardians[sid], sid
        for t in teachers:
            assert set(actors[t]["elements"]) == set(TEACHER_ELEMENTS)
            assert actors[t]["legal_bases"] == ["school_official"]
        for g in parents:
            assert set(actors[g]["elements"]) == set(GUARDIAN_ELEMENTS)


def test_transferred_student_teachers_are_scoped_to_their_district(state):
    """A roster role grant scoped to district A never reaches the student's district-B teachers
    through A's SIS (and vice versa): every path to a teacher ends in their own district's grant
    (the records of district A may still reach a B teacher through the transfer flow)."""
    out, store, _ = state
    subjects = rows(out, "subjects.csv")
    assert subjects
    section_school = {r["section"]: (r["school"], r["teacher"]) for r in rows(out, "teaching.csv")}
    sid = subjects[0]["student_id"]
    district_of_teacher = {section_school[r["section"]][1]: section_school[r["section"]][0][:5]
                           for r in rows(out, "rosters.csv") if r["student_id"] == sid}
    assert len(set(district_of_teacher.values())) == 2
    for teacher, district in district_of_teacher.items():
        chains = answers.explain_path(store, KEY, sid, teacher)["chains"]
        assert chains and {(c[-1]["kind"], c[-1]["via"], c[-1]["from"]) for c in chains} == \
            {("grant", f"TG-{district}", f"{district}-sis")}, teacher


# One target per path of the class evaluation (an actor in a window, a dataset in a window, a
# study file, de-identified rows); a district's whole SIS and an actor without a window (12 and
# 28 s of the suite) add no path of their own: they run with the nightly tests (-m nightly).
@pytest.mark.parametrize("target", [
    pytest.param({"dataset": "sd001-sis"}, marks=pytest.mark.nightly),
    pytest.param({"actor": "vendor-001"}, marks=pytest.mark.nightly),
    {"actor": "vendor-002", "since": date(2024, 1, 1), "until": date(2024, 12, 31)},
    {"dataset": "state-slds", "until": date(2024, 6, 10)},
    {"dataset": "study-01-file"},
    {"dataset": "slds-research-deid"},
])
def test_impact_by_classes_equals_per_student(state, target):
    _, store, _ = state
    by_class = sorted(datasets.impact(store, **target), key=lambda r: r["student"])
    per_student = sorted(datasets.impact(store, method="per_student", **target),
                         key=lambda r: r["student"])
    assert by_class == per_student
    if "slds-research-deid" not in target.values():
        assert len(by_class) > 100


def test_population_context_matches_exposure_context(state):
    """The impact path derives chains and coverage in Python: same facts as the query."""
    _, store, _ = state
    up = sorted({r["id"] for r in datasets.neighbourhood(store, "state-slds", "upstream")["datasets"]})
    ds, _ = answers.subgraph(store, up, [], [])
    ds = {k: v for k, v in ds.items() if k in up}
    chains = {c[0]: c for c in store.read(
        "queries/org_chains", org_roles=sorted(r.value for r in ORGANISATION_ROLES))[0]["chains"]}
    cover = coverage_index(ds)
    seen = 0
    for group in store.stream("queries/impact_population", datasets=up, within=up):
        if seen >= 40:
            break
        derived = population_context(group, chains, cover)
        full = answers.contexts(store, group["keys"][:1])[0]

        def norm(xs):
            return sorted(repr(sorted(x.items())) for x in xs)

        assert norm(derived["enrolments"]) == norm(full["enrolments"])
        assert norm(derived["coverage"]) == norm([c for c in full["coverage"] if c["dataset"] in ds])
        assert norm(derived["memberships"]) == norm(full["memberships"])
        assert sorted(derived["subject_flows"]) == sorted(full["subject_flows"])
        seen += 1
    assert seen == 40


@pytest.mark.parametrize("target", ["sd001-sis", "sd001--vendor-001", "state-slds"])
def test_covered_population_rows_hold_the_same_students(state, target):
    """impact_population_covered.cypher (no walk of a student's roster links) returns the
    students of impact_population.cypher, each once, with the same memberships and listing
    flows, and enrolments among theirs; the impact uses it for a district's datasets."""
    _, store, _ = state
    within = sorted(r["id"] for r in store.read("queries/upstream_population", datasets=[target],
                                                all_flows=True))
    population = sorted(r["id"] for r in store.read("queries/upstream_population",
                                                    datasets=[target], all_flows=False))
    ds, _ = answers.subgraph(store, within, [], [], within=within)
    chains = {c[0]: c for c in store.read(
        "queries/org_chains", org_roles=sorted(r.value for r in ORGANISATION_ROLES))[0]["chains"]}
    assert datasets.covered_rows_suffice(ds, [target], population, set(), chains) is True

    def facts(name):
        out = {}
        for g in store.stream(name, datasets=population, within=within):
            for k in g["keys"]:
                assert k not in out
                out[k] = g
        return out

    full = facts("queries/impact_population")
    covered = facts("queries/impact_population_covered")
    assert sorted(covered) == sorted(full) and len(full) > 1000
    in_within = set(within)
    into_within = {f["id"] for d in ds.values() for f in d["inflows"]}
    listed = 0
    for k, g in covered.items():
        f = full[k]
        assert all(e in f["enrolments"] for e in g["enrolments"])
        assert g["cells"] == f["cells"]
        if g["memberships"] or g["subject_flows"]:  # listed in the subgraph: every fact
            listed += 1
            assert g == {**f, "keys": g["keys"]}
        else:  # listed nowhere in it: what it drops are facts the rules cannot use
            assert not [m for m in f["memberships"] if m[0] in in_within]
            assert not set(f["subject_flows"]) & into_within
    assert listed > 0


def test_teaching_file_errors_name_file_row_and_field(tmp_path, empty_graph):
    (tmp_path / "teaching.csv").write_text(
        "section,school,teacher,valid_from,valid_to\n"
        "SEC-1,nowhere-es,T1,2024-08-15,2025-06-10\n"
        "SEC-2,nowhere-es,T2,2024-08-15,2024-06-10\n"
        "SEC-3,es1,v1,2024-08-15,2025-06-10\n"
        "SEC-3,es2,T3,2024-08-15,2025-06-10\n", encoding="utf-8")
    (tmp_path / "guardians.csv").write_text(
        "guardian,student_id\nv1,S1\nG1,S1\n", encoding="utf-8")
    (tmp_path / "rosters.csv").write_text(
        "student_id,section,valid_from,valid_to\nS1,SEC-1,2024-08-15,\nS2,SEC-9,2024-08-15,\n",
        encoding="utf-8")
    (tmp_path / "inventory.yaml").write_text(
        "actors:\n  - {id: v1, role: vendor}\n  - {id: es1, role: school}\n"
        "  - {id: es2, role: school}\n"
        "bulk:\n  - {kind: teaching, path: teaching.csv}\n  - {kind: rosters, path: rosters.csv}\n"
        "  - {kind: guardians, path: guardians.csv}\n",
        encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load(empty_graph, read_sources([tmp_path / "inventory.yaml"]), KEY)
    text = str(exc.value)
    teaching, rosters = tmp_path / "teaching.csv", tmp_path / "rosters.csv"
    assert f"{teaching}, row 2, field 'school': unknown actor 'nowhere-es'" in text
    assert f"{teaching}, row 3, field 'valid_to': dates out of order" in text
    # rosters and guardians hold student IDs: their cells are never quoted (issue 11)
    assert f"{rosters}, row 3, field 'section': unknown section (the value is not shown" in text
    assert "unknown section 'SEC-1'" not in text   # defined by teaching.csv
    assert (f"{teaching}, row 4, field 'teacher': actor 'v1' has role vendor; a teacher must "
            "have role teacher") in text
    assert (f"{teaching}, row 5, field 'school': section 'SEC-3' is already at school 'es1'"
            in text)
    guardians = tmp_path / "guardians.csv"
    assert (f"{guardians}, row 2, field 'guardian': actor (the value is not shown: the file "
            "holds student IDs) has role vendor; a guardian must have role eligible_student or "
            "parent") in text
    assert "'SEC-9'" not in text
    assert empty_graph.counts()["nodes"] == 0


def test_teaching_file_cannot_move_a_section_the_graph_holds_at_another_school(
        tmp_path, empty_graph):
    """A section belongs to one school across loads too: a later teaching file that puts a
    graph's section at another school is refused (nothing written), the row and field named;
    the same school again is fine."""
    (tmp_path / "inventory.yaml").write_text(
        "actors:\n  - {id: es1, role: school}\n  - {id: es2, role: school}\n"
        "bulk:\n  - {kind: teaching, path: teaching.csv}\n", encoding="utf-8")
    (tmp_path / "teaching.csv").write_text(
        "section,school,teacher,valid_from,valid_to\nSEC-1,es1,T1,2024-08-15,2025-06-10\n"
        "SEC-2,es1,T2,2024-08-15,2025-06-10\n", encoding="utf-8")
    load(empty_graph, read_sources([tmp_path / "inventory.yaml"]), KEY)
    before = empty_graph.counts()
    later = tmp_path / "later"
    later.mkdir()
    (later / "inventory.yaml").write_text(
        "bulk:\n  - {kind: teaching, path: teaching.csv}\n", encoding="utf-8")
    (later / "teaching.csv").write_text(
        "section,school,teacher,valid_from,valid_to\nSEC-1,es1,T3,2025-08-15,\n"
        "SEC-2,es2,T2,2025-08-15,\nSEC-2,es2,T4,2025-08-15,\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load(empty_graph, read_sources([later / "inventory.yaml"]), KEY)
    assert [str(p) for p in exc.value.problems] == [
        f"{later / 'teaching.csv'}, row 3, field 'school': section 'SEC-2' is at school 'es1' "
        "in the graph: a section belongs to one school; give this one its own section id (or "
        "correct its school)"]
    assert empty_graph.counts() == before


def test_covered_rows_suffice_only_when_the_population_coverage_is_all_that_counts():
    """Without a database: a dataset flowing whole into the target must be in the population,
    and a breached actor's school/district grant scope must lie within the covered orgs."""
    def d(did, inflows=(), coverage=()):
        return {"id": did, "inflows": list(inflows), "coverage": list(coverage), "grants": []}

    flow = {"id": "F", "source": "a", "target": "t", "subjects_only": False}
    listing = {"id": "L", "source": "a", "target": "t", "subjects_only": True}
    ds = {"t": d("t", [flow], [{"org": "d1"}]), "a": d("a", [], [{"org": "d2"}])}
    chains = {"s1": ["s1", "d1"], "s2": ["s2", "d2"], "d1": ["d1"], "d2": ["d2"]}
    assert datasets.covered_rows_suffice(ds, ["t"], ["t", "a"], set(), chains)
    assert not datasets.covered_rows_suffice(ds, ["t"], ["t"], set(), chains)
    ds["t"]["inflows"] = [listing]   # a transfer: its students are listed, read in full
    assert datasets.covered_rows_suffice(ds, ["t"], ["t"], set(), chains)
    assert datasets.covered_rows_suffice(ds, ["t"], ["t"], {"d1"}, chains)
    assert not datasets.covered_rows_suffice(ds, ["t"], ["t"], {"d2"}, chains)
    assert not datasets.covered_rows_suffice(ds, ["t"], ["t"], {"elsewhere"}, chains)
