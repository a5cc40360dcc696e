"""The product against a literal reference of ``docs/rules.md`` (``tests/reference_rules.py``)
on random small inventories loaded into the real database.

Each example is a complete inventory (5-20 students; every granularity, retention, scope, flow
kind; listed students, members_only samples, small cells, agreements, role grants, access
logs) written as YAML and CSV files and loaded by ``lineage.graph.writer.load``. For every student,
``lineage exposure`` (ever, and as of one date) must equal the reference's answer, and
``lineage check``'s unexplained-members findings the reference's count.

CI runs a bounded number of examples; ``pytest -m nightly`` runs the long one (500 examples).
"""

from __future__ import annotations

import csv
import re
import tempfile
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lineage.core.errors import NotFoundError
from lineage.graph.writer import load, read_sources
from lineage.questions import audit as policy
from lineage.questions import student as answers
from tests.helpers import PSEUDO
from tests.reference_rules import Reference

B = date(2024, 1, 1)
SPAN = 40
ELEMENTS = ["Student Name", "Date of Birth", "Standardized test scores", "Student grade level"]
ORGS = ["d1", "s1", "s2", "d2", "s3"]
HOLDERS = ["d1", "d2", "s1", "v1", "v2", "st1", "rs1", "pub", "fed"]
ACTORS = [
    {"id": "d1", "role": "district"}, {"id": "s1", "role": "school", "part_of": "d1"},
    {"id": "s2", "role": "school", "part_of": "d1"}, {"id": "d2", "role": "district"},
    {"id": "s3", "role": "school", "part_of": "d2"}, {"id": "v1", "role": "vendor"},
    {"id": "v2", "role": "vendor"}, {"id": "st1", "role": "state"},
    {"id": "rs1", "role": "researcher"}, {"id": "pub", "role": "public"},
    {"id": "fed", "role": "federal"}, {"id": "t1", "role": "teacher"},
    {"id": "t2", "role": "teacher"}, {"id": "p1", "role": "parent"},
    {"id": "p2", "role": "parent"}, {"id": "x1", "role": "other"},
]
BASES = [None, "school_official", "studies", "other_school", "audit_evaluation"]

day = st.integers(0, SPAN - 1).map(lambda n: B + timedelta(days=n))
maybe_day = st.one_of(st.none(), day, day)
subset = st.lists(st.sampled_from(ELEMENTS), unique=True, max_size=4)


@st.composite
def window(draw) -> dict:
    a, b = draw(maybe_day), draw(maybe_day)
    if a and b and b < a:
        a, b = b, a
    out = {}
    if a:
        out["valid_from"] = a
    if b:
        out["valid_to"] = b
    return out


def _opt(draw, strategy, key: str, into: dict) -> None:
    value = draw(st.one_of(st.none(), strategy))
    if value is not None:
        into[key] = value


@st.composite
def inventories(draw):
    """``(inventory mapping, bulk rows by kind, student ids, an as-of date)``."""
    students = [f"ST-{i}" for i in range(draw(st.integers(5, 20)))]
    n_ds = draw(st.integers(2, 6))
    ds_ids = [f"ds{i}" for i in range(n_ds)]
    agreements = []
    for i in range(draw(st.integers(0, 2))):
        agreements.append({"id": f"ag{i}", "kind": "dpa", **draw(window())})
    ag_ids = [a["id"] for a in agreements]

    datasets = []
    for i in range(n_ds):
        gran = draw(st.sampled_from(["student", "deidentified", "aggregate"]))
        d = {"id": ds_ids[i], "holder": draw(st.sampled_from(HOLDERS)), "granularity": gran,
             "retention": draw(st.sampled_from(["kept", "current"])), **draw(window())}
        _opt(draw, subset, "elements", d)
        if draw(st.integers(0, 3)) == 0:
            d["members_only"] = True
        cov = draw(st.lists(st.tuples(st.sampled_from(ORGS), window()), max_size=2,
                            unique_by=lambda c: (c[0], c[1].get("valid_from"))))
        if cov:  # the loader keeps one coverage per org and start (like every windowed link)
            d["coverage"] = [{"org": o, **w} for o, w in cov]
        if gran == "aggregate":
            _opt(draw, st.integers(1, 12), "min_cell_size", d)
            _opt(draw, st.booleans(), "suppressed", d)
            cells = []
            for j in range(draw(st.integers(0, 2))):
                listed = draw(st.lists(st.sampled_from(students), unique=True, max_size=4))
                # a cell lists at most its size (an inventory listing more is refused)
                c = {"label": f"cell {j}", "size": draw(st.integers(len(listed), 15)),
                     "elements": draw(subset), "students": listed}
                _opt(draw, st.booleans(), "suppressed", c)
                cells.append(c)
            if cells:
                d["small_cells"] = cells
        datasets.append(d)

    flows = []
    for i in range(draw(st.integers(0, 6))):
        s, t = draw(st.lists(st.sampled_from(ds_ids), min_size=2, max_size=2, unique=True))
        f = {"id": f"f{i}", "kind": draw(st.sampled_from(["transformation", "disclosure"])),
             "source": s, "target": t, "elements": draw(subset), **draw(window())}
        if ag_ids:
            _opt(draw, st.sampled_from(ag_ids), "agreement", f)
        _opt(draw, st.sampled_from(BASES[1:]), "legal_basis", f)
        if draw(st.integers(0, 3)) == 0:
            f["students"] = draw(st.lists(st.sampled_from(students), unique=True, min_size=1,
                                          max_size=3))
        flows.append(f)
    for i in range(draw(st.integers(0, 2))):
        f = {"id": f"c{i}", "kind": "collection", "target": draw(st.sampled_from(ds_ids)),
             "elements": draw(subset), **draw(window())}
        if ag_ids:
            _opt(draw, st.sampled_from(ag_ids), "agreement", f)
        _opt(draw, st.sampled_from(BASES[1:]), "legal_basis", f)
        flows.append(f)

    grants = []
    for i in range(draw(st.integers(0, 4))):
        scope = draw(st.sampled_from(["all", "school", "district", "roster", "own_child"]))
        g = {"id": f"g{i}", "dataset": draw(st.sampled_from(ds_ids)), "scope": scope,
             "elements": draw(subset), **draw(window())}
        if scope in ("school", "district"):
            g["actor"] = draw(st.sampled_from(["v1", "st1", "rs1", "t1", "p1", "x1", "d1"]))
            g["scope_org"] = draw(st.sampled_from(ORGS))
        elif scope == "all":
            g["actor"] = draw(st.sampled_from(["v1", "v2", "rs1", "t2", "x1", "pub"]))
        else:
            people = ["t1", "t2"] if scope == "roster" else ["p1", "p2"]
            actor = draw(st.one_of(st.none(), st.sampled_from(people)))
            if actor:
                g["actor"] = actor
            else:
                _opt(draw, st.sampled_from(ORGS), "scope_org", g)
        if ag_ids:
            _opt(draw, st.sampled_from(ag_ids), "agreement", g)
        _opt(draw, st.sampled_from(BASES[1:]), "legal_basis", g)
        grants.append(g)

    sec2_teachers = [{"actor": "t2", **draw(window())}]
    if draw(st.booleans()):
        sec2_teachers.append({"actor": "t1", **draw(window())})
    sections = [{"id": "sec1", "school": "s1", "teachers": [{"actor": "t1", **draw(window())}]},
                {"id": "sec2", "school": "s3", "teachers": sec2_teachers}]

    rows: dict[str, list[dict]] = {"enrolments": [], "rosters": [], "guardians": [],
                                   "members": [], "access_log": []}
    seen: set = set()

    def add(kind: str, key: tuple, row: dict) -> None:
        # the loader keeps one relationship per key (its window's start): no duplicates
        if (kind, key) not in seen:
            seen.add((kind, key))
            rows[kind].append(row)

    for s in students:
        for org, w in draw(st.lists(st.tuples(st.sampled_from(["s1", "s2", "s3", "d2"]),
                                              window()), max_size=2)):
            add("enrolments", (s, org, w.get("valid_from")), {"student_id": s, "org": org, **w})
        for sec, w in draw(st.lists(st.tuples(st.sampled_from(["sec1", "sec2"]), window()),
                                    max_size=2)):
            add("rosters", (s, sec, w.get("valid_from")), {"student_id": s, "section": sec, **w})
        for p, w in draw(st.lists(st.tuples(st.sampled_from(["p1", "p2"]), window()),
                                  max_size=1)):
            add("guardians", (s, p, w.get("valid_from")), {"guardian": p, "student_id": s, **w})
        for did, w in draw(st.lists(st.tuples(st.sampled_from(ds_ids), window()), max_size=2)):
            add("members", (s, did, w.get("valid_from")), {"dataset": did, "student_id": s, **w})
        for who, did, at, els in draw(st.lists(st.tuples(
                st.sampled_from(["t1", "t2", "p1", "x1", "v1"]), st.sampled_from(ds_ids), day,
                st.one_of(st.none(), subset)), max_size=2)):
            row = {"at": at, "actor": who, "student_id": s, "dataset": did}
            if els:
                row["elements"] = els
            add("access_log", (s, who, at, did), row)

    inv = {"name": "random inventory", "actors": ACTORS, "datasets": datasets,
           "agreements": agreements, "flows": flows, "grants": grants, "sections": sections}
    return inv, rows, students, draw(day)


CSV_COLUMNS = {
    "enrolments": ["student_id", "org", "valid_from", "valid_to"],
    "rosters": ["student_id", "section", "valid_from", "valid_to"],
    "guardians": ["guardian", "student_id", "valid_from", "valid_to"],
    "members": ["dataset", "student_id", "valid_from", "valid_to"],
    "access_log": ["at", "actor", "student_id", "dataset", "action", "elements"],
}


def write_and_load(store, inv: dict, rows: dict[str, list[dict]]) -> None:
    """Write the inventory as YAML plus one CSV per bulk kind, and load it into an empty graph."""
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        bulk = []
        for kind, rs in rows.items():
            path = base / f"{kind}.csv"
            with path.open("w", newline="") as fh:
                w = csv.DictWriter(fh, CSV_COLUMNS[kind])
                w.writeheader()
                for r in rs:
                    w.writerow({k: (";".join(v) if isinstance(v, list) else
                                    v.isoformat() if isinstance(v, date) else v)
                                for k, v in r.items()})
            bulk.append({"kind": kind, "path": path.name})
        target = base / "inventory.yaml"
        target.write_text(yaml.safe_dump({**inv, "bulk": bulk}, sort_keys=False))
        store.reset()
        load(store, read_sources([target]), PSEUDO)


def product(store, student: str, as_of: date | None) -> dict[str, dict]:
    """The product's answer in the reference's shape (datasets as a sorted set)."""
    try:
        data = answers.exposure(store, PSEUDO, student, as_of=as_of)
    except NotFoundError:
        return {}
    return {a["actor_id"]: {
        "access": a["access"], "elements": sorted(a["elements"]), "first_date": a["first_date"],
        "last_date": a["last_date"], "legal_bases": sorted(a["legal_bases"]),
        "agreements": sorted(a["agreements"]), "datasets": sorted(set(a["datasets"])),
        "accessed": a["accessed"], "could": a["could"]} for a in data["actors"]}


def compare(store, case) -> None:
    inv, rows, students, as_of = case
    write_and_load(store, inv, rows)
    ref = Reference(inv, rows)
    for s in students:
        for when in (None, as_of):
            want = ref.evaluate(s, when)
            got = product(store, s, when)
            if got != want:
                diff = {a: {"product": got.get(a), "reference": want.get(a)}
                        for a in sorted(set(got) | set(want)) if got.get(a) != want.get(a)}
                pytest.fail(f"{s} as of {when}: {diff}\ninventory:\n"
                            f"{yaml.safe_dump(inv, sort_keys=False)}rows: {rows}")
    findings = policy.audit(store, ["unexplained-members"])
    counts = {f.subject[-1]: int(re.search(r"lists (\d+) member", f.message).group(1))
              for f in findings}
    assert counts == ref.unexplained_members()


SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow,
                                                       HealthCheck.data_too_large]}


@settings(max_examples=20, **SETTINGS)
@given(case=inventories())
def test_product_equals_reference(store, case):
    compare(store, case)


@pytest.mark.nightly
@settings(max_examples=500, **SETTINGS)
@given(case=inventories())
def test_product_equals_reference_nightly(store, case):
    compare(store, case)
