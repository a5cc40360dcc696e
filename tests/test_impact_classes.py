"""Impact by classes (lineage/rules/classes.py), without a database: for random students on a
small subgraph, the class answer mapped onto each student equals evaluating the rules for that
student; for an actor with a school-scoped grant and students who leave and come back, both equal
the days the rules' words give (a breach inside the gap affects no one)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from lineage.core.windows import Window, WindowSet, iso
from lineage.questions import datasets
from lineage.rules.classes import (
    ClassCache,
    _translate,
    class_key,
    coverage_index,
    population_context,
)
from lineage.rules.evaluator import Lineage, StudentContext

D = date.fromisoformat


def _ds(retention: str) -> dict[str, dict]:
    """A district SIS (coverage of d1 from 2023-08-15) feeding a vendor through an agreement."""
    agreement = {"id": "A1", "kind": "ndpa", "purpose": "p", "legal_basis": "school_official",
                 "valid_from": D("2023-07-01"), "valid_to": D("2025-06-30"), "destroy_by": None,
                 "permitted_elements": ["Student Name"], "recipients": ["v1"]}
    return {
        "sis": {"id": "sis", "name": "sis", "granularity": "student", "elements": ["Student Name",
                "Date of Birth"], "members_only": None, "retention": "current", "valid_from": None,
                "valid_to": None, "min_cell_size": None, "suppressed": None,
                "holder": {"id": "d1", "name": "d1", "role": "district"},
                "coverage": [{"org": "d1", "valid_from": D("2023-08-15"), "valid_to": None}],
                "inflows": [], "grants": []},
        "vend": {"id": "vend", "name": "vend", "granularity": "student", "elements": None,
                 "members_only": None, "retention": retention, "valid_from": None,
                 "valid_to": D("2026-01-31"), "min_cell_size": None, "suppressed": None,
                 "holder": {"id": "v1", "name": "v1", "role": "vendor"}, "coverage": [],
                 "inflows": [{"id": "F1", "kind": "disclosure", "operation": None,
                              "source": "sis", "target": "vend", "elements": ["Student Name"],
                              "legal_basis": "school_official", "agreement": "A1",
                              "purpose": "p", "threat": None, "valid_from": D("2023-09-01"),
                              "valid_to": D("2025-06-30"), "subjects_only": False,
                              "agreement_info": agreement}],
                 "grants": []},
    }


CHAINS = {"s1": ["s1", "d1"], "s2": ["s2", "d1"]}
day = st.integers(0, 1400).map(lambda n: D("2022-08-01") + timedelta(days=n))


@st.composite
def student(draw):
    stints = []
    for _ in range(draw(st.integers(1, 2))):
        a = draw(day)
        b = draw(st.one_of(st.none(), day.filter(lambda x, a=a: x >= a)))
        stints.append([draw(st.sampled_from(["s1", "s2"])), a, b])
    return {"enrolments": stints, "memberships": [], "subject_flows": [], "cells": []}


@st.composite
def reenrolled(draw):
    """A student who leaves and comes back after a gap of at least a day (to the grant's school
    or the district's other school), the second stint open or closed."""
    a = draw(day)
    b = draw(day.filter(lambda x, a=a: x >= a))
    c = b + timedelta(days=draw(st.integers(2, 400)))
    d = draw(st.one_of(st.none(), st.integers(0, 400).map(lambda n, c=c: c + timedelta(days=n))))
    return {"enrolments": [["s1", a, b], [draw(st.sampled_from(["s1", "s2"])), c, d]],
            "memberships": [], "subject_flows": [], "cells": []}


@settings(max_examples=60, deadline=None)
@given(students=st.lists(st.one_of(student(), reenrolled()), min_size=1, max_size=25),
       retention=st.sampled_from(["current", "kept"]),
       window=st.tuples(st.one_of(st.none(), day), st.one_of(st.none(), day)))
def test_classes_give_the_per_student_answer(students, retention, window):
    ds = _ds(retention)
    since, until = window

    def answer(ctx: dict) -> dict | None:
        held, elements = Lineage(StudentContext.from_row(ctx), ds).held("vend")
        w = held.intersect(Window.of(since, until))
        if not w:
            return None
        f, last = held.first, held.last
        return {"elements": sorted(elements), "first_date": f.isoformat() if f else None,
                "last_date": last.isoformat() if last else None}

    cache = ClassCache(answer, ds, (since, until))
    cover = coverage_index(ds)
    for group in students:
        ctx = population_context(group, CHAINS, cover)
        assert cache(ctx) == answer(ctx)


def test_same_order_same_class_other_order_other_class():
    bp = sorted({D("2023-08-14"), D("2023-08-15"), D("2023-08-16")})
    one = {"enrolments": [{"org": "s1", "chain": ["s1", "d1"], "valid_from": D("2024-01-10"),
                           "valid_to": D("2024-03-01")}], "memberships": [], "subject_flows": [],
           "cells": []}
    two = {**one, "enrolments": [{**one["enrolments"][0], "valid_from": D("2024-02-01")}]}
    before = {**one, "enrolments": [{**one["enrolments"][0], "valid_from": D("2023-08-15")}]}
    assert class_key(one, bp) == class_key(two, bp)
    assert class_key(one, bp) != class_key(before, bp)


def test_translate_maps_own_dates_and_keeps_constants():
    rep, mine = [D("2024-01-10"), None], [D("2024-02-01"), None]
    assert _translate("2024-01-10", rep, mine) == "2024-02-01"
    assert _translate("2024-01-11", rep, mine) == "2024-02-02"
    assert _translate("2025-06-30", rep, mine) == "2025-06-30"
    assert _translate(None, rep, mine) is None


def _ds_dated(retention: str) -> dict[str, dict]:
    """``_ds`` plus the rules whose answers depend on dates beyond the windows: a collection
    into the vendor's copy from 2024-03-01 (elements are dated, docs/rules.md rule 4) and a grant
    on it under an agreement valid in 2024 only (rule 3)."""
    ds = _ds(retention)
    ds["vend"]["inflows"].append(
        {"id": "C1", "kind": "collection", "operation": None, "source": None, "target": "vend",
         "elements": ["Date of Birth"], "legal_basis": None, "agreement": None, "purpose": None,
         "threat": None, "valid_from": D("2024-03-01"), "valid_to": None,
         "subjects_only": False, "agreement_info": None})
    ds["vend"]["grants"] = [
        {"id": "G1", "actor": "g1", "scope": "all", "scope_org": None, "elements": [],
         "legal_basis": "school_official", "agreement": "A2", "purpose": None,
         "valid_from": None, "valid_to": None,
         "agreement_info": {"id": "A2", "valid_from": D("2024-01-01"), "valid_to": D("2024-12-31")}}]
    return ds


@settings(max_examples=60, deadline=None)
@given(students=st.lists(student(), min_size=1, max_size=25),
       retention=st.sampled_from(["current", "kept"]))
def test_classes_with_dated_elements_and_agreement_cut_grants(students, retention):
    ds = _ds_dated(retention)

    def answer(ctx: dict) -> dict | None:
        exp = [e for e in Lineage(StudentContext.from_row(ctx), ds).exposures()
               if e.actor_id == "g1"]
        if not exp:
            return None
        e = exp[0]
        return {"elements": e.elements,
                "first_date": e.first_date.isoformat() if e.first_date else None,
                "last_date": e.last_date.isoformat() if e.last_date else None}

    cache = ClassCache(answer, ds)
    cover = coverage_index(ds)
    for group in students:
        ctx = population_context(group, CHAINS, cover)
        assert cache(ctx) == answer(ctx)


def test_grant_agreement_dates_split_classes():
    """Two students alike but for which side of the grant's agreement start (2024-01-01) they
    arrive on: the agreement's dates are breakpoints of the class key (docs/rules.md rule 3)."""
    ds = _ds_dated("kept")

    def answer(ctx: dict) -> dict | None:
        e = next(x for x in Lineage(StudentContext.from_row(ctx), ds).exposures()
                 if x.actor_id == "g1")
        return {"first_date": e.first_date.isoformat(), "last_date": e.last_date.isoformat()}

    cache = ClassCache(answer, ds)
    cover = coverage_index(ds)
    got = [cache(population_context({"enrolments": [["s1", D(a), None]], "memberships": [],
                                     "subject_flows": [], "cells": []}, CHAINS, cover))
           for a in ("2023-10-01", "2024-02-01")]
    assert got == [{"first_date": "2024-01-01", "last_date": "2024-12-31"},
                   {"first_date": "2024-02-01", "last_date": "2024-12-31"}]


def _ds_scoped(retention: str) -> dict[str, dict]:
    """``_ds`` with the district SIS's ``retention`` and a grant on it to staffA scoped to the
    school s1 (docs/rules.md rule 7: only while the student is enrolled there)."""
    ds = _ds("current")
    ds["sis"]["retention"] = retention
    ds["sis"]["grants"] = [
        {"id": "GA", "actor": "staffA", "scope": "school", "scope_org": "s1", "elements": [],
         "legal_basis": None, "agreement": None, "purpose": None, "valid_from": None,
         "valid_to": None, "agreement_info": None}]
    return ds


def _scoped_oracle(group: dict, retention: str, since: date | None, until: date | None
                   ) -> dict | None:
    """The impact row of a breach at staffA, from the rules' words alone: the SIS holds the
    student from the first covered day (coverage of d1 from 2023-08-15; ``kept``: from then on,
    ``current``: on the covered days); staffA reads it on the days of those enrolled at s1;
    the student is affected when one such day is in [since, until]."""
    cover = Window.of(D("2023-08-15"), None)
    covered = WindowSet(Window.of(a, b) & cover for _, a, b in group["enrolments"])
    held = (WindowSet([Window(covered.start, date.max)]) if covered and retention == "kept"
            else covered)
    days = held.intersect_set(WindowSet(Window.of(a, b) for o, a, b in group["enrolments"]
                                        if o == "s1"))
    if not days.intersect(Window.of(since, until)):
        return None
    return {"elements": ["Date of Birth", "Student Name"], "first_date": iso(days.first),
            "last_date": iso(days.last), "datasets": ["sis"]}


@settings(max_examples=80, deadline=None)
@given(students=st.lists(st.one_of(student(), reenrolled()), min_size=1, max_size=25),
       retention=st.sampled_from(["current", "kept"]), data=st.data())
def test_scoped_grant_impact_by_classes_is_per_student_and_skips_gaps(students, retention, data):
    """Breach impact of an actor with a school-scoped grant (``datasets.actor_row``, the row
    ``lineage impact --actor`` gives): by classes as one student at a time, and exactly the
    days the scope includes the student -- a window inside a gap between two enrolments at
    the school affects no one (F5). Windows are random, or drawn inside a student's gap."""
    gaps = [(g["enrolments"][0][2], g["enrolments"][1][1]) for g in students
            if len(g["enrolments"]) == 2 and g["enrolments"][0][2] is not None
            and g["enrolments"][1][1] > g["enrolments"][0][2] + timedelta(days=1)]
    random_window = st.tuples(st.one_of(st.none(), day), st.one_of(st.none(), day))
    if gaps:
        inside = st.sampled_from(gaps).flatmap(lambda g: st.tuples(
            st.integers(1, (g[1] - g[0]).days - 1).map(lambda n, g=g: g[0] + timedelta(days=n)),
            st.integers(1, (g[1] - g[0]).days - 1).map(lambda n, g=g: g[0] + timedelta(days=n)),
        ).map(lambda w: (min(w), max(w))))
        since, until = data.draw(st.one_of(random_window, inside), label="window")
    else:
        since, until = data.draw(random_window, label="window")
    ds = _ds_scoped(retention)
    window = Window.of(since, until)

    def answer(ctx: dict) -> dict | None:
        return datasets.actor_row(Lineage(StudentContext.from_row(ctx), ds), "staffA", window,
                                  ["sis"])

    cache = ClassCache(answer, ds, (since, until))
    cover = coverage_index(ds)
    for group in students:
        ctx = population_context(group, CHAINS, cover)
        expected = _scoped_oracle(group, retention, since, until)
        assert answer(ctx) == expected
        assert cache(ctx) == expected


def test_scoped_grant_gap_exact():
    """The tester's case (F5): enrolled at s1 2023-08-15..2024-03-01 and again from
    2024-09-01; a breach at staffA inside the gap affects no one, one over its edges does."""
    ds = _ds_scoped("kept")
    group = {"enrolments": [["s1", D("2023-08-15"), D("2024-03-01")],
                            ["s1", D("2024-09-01"), None]],
             "memberships": [], "subject_flows": [], "cells": []}
    ctx = population_context(group, CHAINS, coverage_index(ds))
    row = {"elements": ["Date of Birth", "Student Name"], "first_date": "2023-08-15",
           "last_date": None, "datasets": ["sis"]}
    for since, until, affected in [("2024-03-02", "2024-08-31", False),
                                   ("2024-04-01", "2024-04-30", False),
                                   ("2024-02-01", "2024-03-01", True),
                                   ("2024-08-31", "2024-09-01", True),
                                   ("2024-01-01", "2024-12-31", True)]:
        w = (D(since), D(until))
        got = ClassCache(lambda c: datasets.actor_row(Lineage(StudentContext.from_row(c), ds),
                                                      "staffA", Window.of(*w), ["sis"]),
                         ds, w)(ctx)
        assert got == (row if affected else None), (since, until)
