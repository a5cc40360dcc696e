"""Breach impact at state scale: the lineage rules evaluated once per *class* of students.

A breach of a vendor or dataset that reaches a whole district (or state) asks the same
question of thousands of students whose contexts differ only in their dates. The rules of
:mod:`lineage.rules.evaluator` only ever **compare** dates (``<``, ``<=``, ``==``, and "the day
after" when adjacent windows merge; see :mod:`lineage.core.windows`) and copy them into results.
So two students whose contexts have the same structure (orgs, datasets, flows, cells) and whose
dates sit in the same *order* relative to every date constant of the subgraph (and to each
other, each give or take one day) get isomorphic answers: the same elements and datasets, and
first/last dates that are either the same constant or the *corresponding* date of the student.

:class:`ClassCache` evaluates one representative per class and maps the answer onto every other
member by that correspondence. The result is exactly what per-student evaluation gives (the test
suite checks both on synthetic states); only the number of rule evaluations changes.

Population contexts come from ``cypher/queries/impact_population.cypher`` grouped by identical
enrolments/memberships/flows/cells, without the derived parts; :func:`population_context`
rebuilds the row :meth:`lineage.rules.evaluator.StudentContext.from_row` reads (organisation chains
and coverage derived from the subgraph), as ``exposure_context.cypher`` would return it.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from typing import Any

from lineage.core.windows import to_date

_DAY = timedelta(days=1)


def _near(d: date) -> list[date]:
    """``d`` and the days either side of it (within the calendar)."""
    out = [d]
    if d > date.min:
        out.append(d - _DAY)
    if d < date.max:
        out.append(d + _DAY)
    return out


def subgraph_dates(datasets: dict[str, dict], extra: Iterable[date | None] = ()) -> list[date]:
    """Every date constant of a subgraph (dataset, coverage, flow, agreement and grant windows,
    the agreement windows of grants, destroy-by dates) plus ``extra`` (e.g. an impact window), each with the days either side,
    sorted. These are the breakpoints of :func:`class_key`.
    """
    found: set[date] = set()

    def add(v: Any) -> None:
        d = to_date(v)
        if d is not None:
            found.update(_near(d))

    for d in datasets.values():
        add(d.get("valid_from"))
        add(d.get("valid_to"))
        for c in d.get("coverage") or []:
            add(c.get("valid_from"))
            add(c.get("valid_to"))
        for f in d.get("inflows") or []:
            add(f.get("valid_from"))
            add(f.get("valid_to"))
            ag = f.get("agreement_info") or {}
            for k in ("valid_from", "valid_to", "destroy_by"):
                add(ag.get(k))
        for g in d.get("grants") or []:
            add(g.get("valid_from"))
            add(g.get("valid_to"))
            ag = g.get("agreement_info") or {}
            add(ag.get("valid_from"))
            add(ag.get("valid_to"))
    for v in extra:
        add(v)
    return sorted(found)


def _student_dates(ctx: dict) -> list[date | None]:
    """The context's own dates in a fixed structural order (``None`` = open end)."""
    out: list[date | None] = []
    for e in ctx["enrolments"]:
        out += [to_date(e["valid_from"]), to_date(e["valid_to"])]
    for m in ctx["memberships"]:
        out += [to_date(m["valid_from"]), to_date(m["valid_to"])]
    return out


def structure(ctx: dict, orgs: set[str] | None = None) -> tuple:
    """A population context without its dates: orgs, member datasets, listing flows, cells.

    With ``orgs`` (the orgs the subgraph's coverage and grant scopes name), each enrolment is
    known only by the part of its org chain in ``orgs``: the rules consult an enrolment's org
    only through "is this org in its chain", so two schools of one district are alike.
    """
    return (
        tuple(e["org"] if orgs is None else tuple(o for o in e["chain"] if o in orgs)
              for e in ctx["enrolments"]),
        tuple(m["dataset"] for m in ctx["memberships"]),
        tuple(sorted(ctx["subject_flows"])),
        tuple(sorted(c["id"] for c in ctx["cells"])),
    )


def class_key(ctx: dict, breakpoints: list[date], shape: tuple | None = None,
              dates: list[date | None] | None = None) -> tuple:
    """The class of a population context: its :func:`structure`, where each date sits among
    the ``breakpoints`` (position, and whether equal to one), and the order of the context's
    own dates and their neighbouring days among themselves. ``dates``: the context's own
    dates when already read (``_student_dates``).
    """
    if dates is None:
        dates = _student_dates(ctx)
    own = sorted({n for d in dates if d is not None for n in _near(d)})
    rank = {d: i for i, d in enumerate(own)}
    where = []
    for d in dates:
        if d is None:
            where.append(None)
            continue
        p = bisect_left(breakpoints, d)
        where.append((p, p < len(breakpoints) and breakpoints[p] == d, rank[d]))
    return (shape if shape is not None else structure(ctx)), tuple(where)


class ClassCache:
    """Evaluate ``answer(ctx)`` once per class and map it onto each member (see the module).

    ``datasets`` is the subgraph the rules run on (dataset id -> row of
    ``exposure_context.cypher``); ``extra`` more date constants (the impact window). The
    breakpoints of a class are the dates of the datasets a context of that structure can reach
    (from its coverage, memberships and cells, through flows that do not list students or list
    it): the only dates the rules can compare its dates with. ``answer`` returns ``None`` (not
    affected) or a dict whose ``first_date``/``last_date`` are ISO strings or ``None``; other
    values are copied. ``evaluations`` counts the rule evaluations actually run; ``cover`` is the
    :func:`coverage_index` of ``datasets`` (for :func:`population_context`).
    """

    def __init__(self, answer: Callable[[dict], dict | None], datasets: dict[str, dict],
                 extra: Iterable[date | None] = ()) -> None:
        self.answer = answer
        self.ds = datasets
        self.extra = list(extra)
        self.cover = coverage_index(datasets)
        self.orgs = set(self.cover) | {g["scope_org"] for d in datasets.values()
                                       for g in d.get("grants") or [] if g.get("scope_org")}
        self.out_flows: dict[str, list[dict]] = {}
        for d in datasets.values():
            for f in d.get("inflows") or []:
                if f.get("source"):
                    self.out_flows.setdefault(f["source"], []).append(f)
        self._breakpoints: dict[tuple, list[date]] = {}
        self.cache: dict[tuple, tuple[list[date | None], dict | None]] = {}
        self.evaluations = 0

    def breakpoints(self, ctx: dict, shape: tuple) -> list[date]:
        """The date constants a context of this structure can be compared with (cached)."""
        bp = self._breakpoints.get(shape)
        if bp is None:
            todo = [c["dataset"] for e in ctx["enrolments"] for o in e["chain"]
                    for c in self.cover.get(o, ())]
            todo += [m["dataset"] for m in ctx["memberships"]] + [c["dataset"] for c in ctx["cells"]]
            reached: set[str] = set()
            while todo:
                x = todo.pop()
                if x in reached or x not in self.ds:
                    continue
                reached.add(x)
                todo += [f["target"] for f in self.out_flows.get(x, ())
                         if not f.get("subjects_only") or f["id"] in ctx["subject_flows"]]
            bp = subgraph_dates({k: self.ds[k] for k in reached}, self.extra)
            self._breakpoints[shape] = bp
        return bp

    def __call__(self, ctx: dict) -> dict | None:
        """The answer for one population context (exactly the per-student answer)."""
        shape = structure(ctx, self.orgs)
        mine = _student_dates(ctx)
        key = class_key(ctx, self.breakpoints(ctx, shape), shape, mine)
        hit = self.cache.get(key)
        if hit is None:
            self.evaluations += 1
            hit = (mine, self.answer(ctx))
            self.cache[key] = hit
        rep_dates, result = hit
        if result is None:
            return None
        if mine == rep_dates:
            return result
        out = dict(result)
        for k in ("first_date", "last_date"):
            out[k] = _translate(result.get(k), rep_dates, mine)
        return out


def _translate(value: str | None, rep: list[date | None], mine: list[date | None]) -> str | None:
    """Map a result date of the representative onto the member: a date that is one of the
    representative's own dates (or a day either side) becomes the member's corresponding date;
    a subgraph constant stays."""
    if value is None:
        return None
    d = date.fromisoformat(value)
    for r, m in zip(rep, mine, strict=True):
        if r is None or m is None:
            continue
        for shift in (0, 1, -1):
            try:
                if d == r + shift * _DAY:
                    return (m + shift * _DAY).isoformat()
            except OverflowError:
                continue
    return value


def coverage_index(datasets: dict[str, dict]) -> dict[str, list[dict]]:
    """Org id -> the coverage of ``datasets`` on it: ``[{dataset, valid_from, valid_to}]``."""
    index: dict[str, list[dict]] = {}
    for d in datasets.values():
        for c in d.get("coverage") or []:
            index.setdefault(c["org"], []).append(
                {"dataset": d["id"], "valid_from": c["valid_from"], "valid_to": c["valid_to"]})
    return index


def population_context(group: dict, chains: dict[str, list[str]],
                       coverage: dict[str, list[dict]]) -> dict:
    """The ``exposure_context.cypher`` row of a population group (no teaching, guardians or
    access log): enrolments with their organisation chains, and the coverage of the subgraph's
    datasets over those chains.

    ``group`` is a row of ``impact_population.cypher``: ``enrolments`` ``[[org, from, to]]``,
    ``memberships`` ``[[dataset, from, to]]``, ``subject_flows`` and ``cells``. ``chains`` maps an
    org id to ``[org, parent, ...]`` (missing: the org alone); ``coverage`` is a
    :func:`coverage_index`.
    """
    enrolments = [{"org": o, "chain": chains.get(o) or [o], "valid_from": vf, "valid_to": vt}
                  for o, vf, vt in group["enrolments"]]
    cov = [{"dataset": c["dataset"], "org": org, "enrol_from": e["valid_from"],
            "enrol_to": e["valid_to"], "valid_from": c["valid_from"], "valid_to": c["valid_to"]}
           for e in enrolments for org in e["chain"] for c in coverage.get(org, ())]
    return {"enrolments": enrolments, "coverage": cov,
            "memberships": [{"dataset": d, "valid_from": vf, "valid_to": vt}
                            for d, vf, vt in group["memberships"]],
            "subject_flows": list(group["subject_flows"]), "cells": list(group["cells"]),
            "teaching": [], "guardians": [], "accesses": []}
