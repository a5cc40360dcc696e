"""The lineage rules: who could have touched one student's information, how, and when.

This module is pure Python over plain dicts (what the queries in ``cypher/queries/`` return),
so the rules are testable and implemented in one place. The rules are those of
``docs/rules.md``; rule numbers below refer to that page. In short:

1. Records start by *coverage* (enrolment at a covered school or district) and, in an *origin*
   dataset (no flow from another dataset into it), by membership; they hold what the dataset
   lists.
2. A flow moves, on each day it runs, the records of the students in its source's *live
   population* (a flow listing its students: those it lists, while the source holds them); a
   ``members_only`` dataset keeps only its members' records, on their membership days.
3. Windows intersect along a path (agreement validity cuts flows, collections and grants).
4. Elements are dated: a flow delivers what the source's record holds *that day* ∩ what it
   carries ∩ what the target keeps; a collection adds its elements to the records of the
   students then in the live population; an element stays while the record is held without
   a break.
5. Identifiability breaks at de-identified and aggregate datasets, except a named small cell
   published unsuppressed below the minimum cell size, whatever lies upstream.
6. Retention ``kept`` holds from the first arrival until the dataset ends; ``current`` holds on
   the days records arrive. The live population is the covered/member days, plus the held days
   of records that arrived by flows.
7. Holders touch what they hold; grants, on the days their validity, agreement and scope allow.
8. An actor's class is the strongest it reached. 9. ``as_of`` answers with the days up to it;
   a window still open on that day shows as open. 10. Access-log events mark ``accessed``; an
   actor seen only in logs takes, per event, the class the dataset read has that day.

Windows are inclusive; dates are ``datetime.date``; ``None`` at the edges means open.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from lineage.core.vocabulary import (
    PERSON_ROLES,
    RECORD_EXEMPT,
    Access,
    FlowKind,
    Granularity,
    LegalBasis,
    Retention,
    Role,
    Scope,
)
from lineage.core.windows import ALWAYS, Window, WindowSet, iso, to_date

#: Minimum cell size used when an aggregate does not state its own (the most common state "n").
DEFAULT_MIN_CELL_SIZE = 10

LEVELS = (Access.IDENTIFIABLE, Access.DEIDENTIFIED, Access.AGGREGATE)

_COLLECTION = FlowKind.COLLECTION.value
#: Roles that can be inside an educational agency (agency_of); anyone else stands for itself
_INSIDE_ROLES = frozenset({Role.SCHOOL.value, Role.DISTRICT.value, Role.TEACHER.value,
                           Role.OTHER.value})


def agency_of(actor: dict) -> frozenset[str]:
    """The educational agency an actor belongs to, as the id that stands for it (``actor``:
    ``{id, role, chain: [{id, role, hops}]}``, ``chain`` the actors above it, ``hops`` away).

    A district is its own agency; a school, teacher or ``other`` actor belongs to the first
    district above it (through schools and ``other`` actors only), else to the first school
    above it (a charter school), else, for a teacher or ``other`` actor, to the actor directly
    above it (a state's own staff). Anyone else -- a state, the federal government, a vendor, a
    researcher, a court, emergency services, the public, a parent or eligible student --
    stands for itself, whatever it is filed under: records reaching it leave the agency
    (FERPA §99.31(a)(1) school officials; §99.32: another school or district is not exempt).
    Cycles and long chains are safe: the chain is walked by distance and stops at the first
    actor of another kind."""
    role = actor.get("role")
    me = frozenset({actor.get("id")})
    if role == Role.DISTRICT.value or role not in _INSIDE_ROLES:
        return me
    school = None
    for c in sorted(actor.get("chain") or [], key=lambda c: c.get("hops") or 0):
        if c.get("role") == Role.DISTRICT.value:
            return frozenset({c["id"]})
        if c.get("role") == Role.SCHOOL.value:
            school = school or c["id"]
        elif c.get("role") not in _INSIDE_ROLES:
            break
    if school is not None:
        return frozenset({school})
    if role == Role.SCHOOL.value:
        return me
    up = [c for c in actor.get("chain") or [] if c.get("hops") == 1]
    if up and up[0].get("role") not in PERSON_ROLES:
        return frozenset({up[0]["id"]})
    return me


def same_agency(a: dict | None, b: dict | None) -> bool:
    """Whether two actors (``{id, role, chain: [{id, role, hops}]}``) belong to one
    educational agency or institution (:func:`agency_of`), so that records passing between
    them are not a disclosure (FERPA §99.31(a)(1), §99.3): a teacher and their school or
    district, a school and its district, two schools of one district, a state and its own
    staff. Never a district and another district (even filed under it), a state and a
    district, or a vendor, researcher or parent and anyone else."""
    if not a or not b:
        return False
    return a.get("id") == b.get("id") or bool(agency_of(a) & agency_of(b))


_DAY = timedelta(days=1)

#: Prefix of the purpose of a step that reveals a small cell (rule 5).
SMALL_CELL = "small cell"


def _w(obj: dict | None, a: str = "valid_from", b: str = "valid_to") -> Window:
    return Window.of((obj or {}).get(a), (obj or {}).get(b))


def _last(end: date, as_of: date | None) -> date | None:
    """The last day to show for a window ending on ``end``: ``None`` (still running) when it is
    open, or when it continues after ``as_of`` (rule 9)."""
    if end == date.max or (as_of is not None and end > as_of):
        return None
    return end


def _last_of(ws: WindowSet, as_of: date | None) -> date | None:
    """:func:`_last` for a union of windows: with ``as_of``, the end of the last part that
    starts on or before ``as_of`` (a part starting later does not count yet, rule 9), so that on
    a day between two parts (a student away between two enrolments) the access shows as ended
    on the first part's last day, not as still running."""
    if as_of is not None:
        before = [p for p in ws.parts if p.first is None or p.first <= as_of]
        if before:
            return _last(before[-1].end, as_of)
    return _last(ws.end, as_of)


def _weaker(a: Access, b: Access) -> Access:
    return a if a.rank <= b.rank else b


@dataclass
class Step:
    """How records reached a dataset: from ``source`` (dataset id or None) by ``via``.

    ``via`` is a flow id, ``coverage:<org>`` or ``member``. ``window`` spans the days the step
    delivered for this student (inclusive); ``elements`` what it delivered; ``level`` the class
    at the source. ``as_of``: the answer's date (a window continuing after it shows as open).
    """

    source: str | None
    via: str
    kind: str
    window: Window
    elements: frozenset[str]
    level: Access
    legal_basis: str | None = None
    agreement: str | None = None
    threat: str | None = None
    purpose: str | None = None
    as_of: date | None = None

    def as_dict(self, to: str, level: Access) -> dict[str, Any]:
        """The step as a path element: ``{"kind", "via", "from", "to", "elements",
        "legal_basis", "agreement", "first_date", "last_date", "access"}`` (ISO dates, ``None``
        = open), plus ``threat`` for an emergency and ``note`` for a small cell."""
        out = {"kind": self.kind, "via": self.via, "from": self.source, "to": to,
               "elements": sorted(self.elements), "legal_basis": self.legal_basis,
               "agreement": self.agreement, "first_date": iso(self.window.first),
               "last_date": iso(_last(self.window.end, self.as_of)), "access": level.value}
        if self.threat:
            out["threat"] = self.threat
        if self.purpose and self.purpose.startswith(SMALL_CELL):
            out["note"] = self.purpose
        return out


@dataclass
class Reach:
    """A student's records in one dataset at one class: when, which elements, and how.

    Accumulated from arrivals: ``pop`` (days the student is in the dataset's own population:
    coverage, membership), ``flowed`` (days records arrive by flows) and ``arrivals`` (element
    -> days it arrives). Derived (rule 6): ``held`` (days the dataset holds the records,
    retention applied), ``current`` (days the student is in the *live population*, which
    population flows carry) and ``dated`` (element -> days the record holds it: from its
    arrival for as long as the record is held without a break, rule 4).
    """

    pop: WindowSet = field(default_factory=WindowSet)
    flowed: WindowSet = field(default_factory=WindowSet)
    arrivals: dict[str, WindowSet] = field(default_factory=dict)
    held: WindowSet = field(default_factory=WindowSet)
    current: WindowSet = field(default_factory=WindowSet)
    dated: dict[str, WindowSet] = field(default_factory=dict)
    by_step: dict[tuple, Step] = field(default_factory=dict)
    step_elements: dict[tuple, dict[str, WindowSet]] = field(default_factory=dict)
    #: bumped whenever the arrivals grow (flows out of the reach are applied again only then)
    version: int = 0

    @property
    def windows(self) -> WindowSet:
        """The days the records are held (alias of ``held``)."""
        return self.held

    @property
    def elements(self) -> set[str]:
        """Every element the record holds on some day."""
        return set(self.dated)

    @property
    def steps(self) -> list[Step]:
        """The ways the records arrived (in the order found)."""
        return list(self.by_step.values())

    def holds_on(self, days: WindowSet) -> set[str]:
        """The elements the record holds on at least one of ``days``."""
        meets: dict[int, bool] = {}  # elements that arrived together share one set
        out = set()
        for x, ws in self.dated.items():
            hit = meets.get(id(ws))
            if hit is None:
                hit = meets[id(ws)] = ws.meets(days)
            if hit:
                out.add(x)
        return out

    def holds_at(self, day: date) -> set[str]:
        """The elements the record holds on ``day``."""
        return {x for x, ws in self.dated.items() if ws.contains(day)}


@dataclass
class Entry:
    """How one actor touches one dataset's records of the student at one class (rule 7):
    as its holder (``grant`` is None) or through a grant whose scope includes the student."""

    actor_id: str
    dataset: str
    level: Access
    windows: WindowSet
    elements: set[str]
    reach: Reach
    grant: dict | None = None
    as_of: date | None = None

    def inflow_bases(self) -> tuple[list[str], list[str]]:
        """The legal bases and agreements (each sorted) of the steps into the dataset."""
        steps = self.reach.steps
        return (sorted({s.legal_basis for s in steps if s.legal_basis}),
                sorted({s.agreement for s in steps if s.agreement}))

    def as_dict(self) -> dict[str, Any]:
        """The last step of a path: ``kind`` ``holds`` or ``grant`` (see :meth:`Step.as_dict`)."""
        g = self.grant or {}
        out = {"kind": "grant" if self.grant else "holds",
               "via": g.get("id", "holder"), "from": self.dataset, "to": self.actor_id,
               "elements": sorted(self.elements), "legal_basis": g.get("legal_basis"),
               "agreement": g.get("agreement"), "first_date": iso(self.windows.first),
               "last_date": iso(_last_of(self.windows, self.as_of)),
               "access": self.level.value}
        if self.grant:
            out["scope"] = g.get("scope")
        return out


@dataclass
class StudentContext:
    """What the graph says about one student (see ``exposure_context.cypher``)."""

    enrolments: list[dict]
    coverage: list[dict]
    memberships: list[dict]
    subject_flows: set[str]
    cells: list[dict]
    teaching: list[dict]
    guardians: list[dict]
    accesses: list[dict]

    @classmethod
    def from_row(cls, row: dict) -> StudentContext:
        """Build from the query row."""
        return cls(row.get("enrolments") or [], row.get("coverage") or [],
                   row.get("memberships") or [], set(row.get("subject_flows") or []),
                   row.get("cells") or [], row.get("teaching") or [],
                   row.get("guardians") or [], row.get("accesses") or [])

    def start_datasets(self) -> set[str]:
        """Datasets the subgraph starts from: where the student's records can start, and the
        datasets access-log events name (so that their granularity is known, rule 10)."""
        out = {c["dataset"] for c in self.coverage} | {m["dataset"] for m in self.memberships}
        out |= {c["dataset"] for c in self.cells}
        out |= {a["dataset"] for a in self.accesses if a.get("dataset")}
        return out

    def people(self) -> set[str]:
        """Teachers and guardians of the student (for per-person grants)."""
        return {t["teacher"] for t in self.teaching} | {g["guardian"] for g in self.guardians}

    def orgs(self) -> set[str]:
        """Orgs the student was enrolled at, with the orgs above them."""
        return {o for e in self.enrolments for o in (e.get("chain") or [e["org"]])}


@dataclass
class ActorExposure:
    """One actor's exposure to one student (a row of the ``exposure`` answer)."""

    actor_id: str
    actor_name: str
    role: str
    access: Access
    elements: list[str]
    first_date: date | None
    last_date: date | None
    legal_bases: list[str]
    agreements: list[str]
    datasets: list[str]
    accessed: bool = False
    could: bool = True

    def as_dict(self) -> dict[str, Any]:
        """The stable JSON shape (dates ISO, ``None`` = open)."""
        return {
            "actor_id": self.actor_id, "actor_name": self.actor_name, "role": self.role,
            "access": self.access.value, "elements": self.elements,
            "first_date": self.first_date.isoformat() if self.first_date else None,
            "last_date": self.last_date.isoformat() if self.last_date else None,
            "legal_bases": self.legal_bases, "agreements": self.agreements,
            "datasets": self.datasets, "accessed": self.accessed, "could": self.could,
        }


@dataclass
class Disclosure:
    """An entry of the record of disclosures (FERPA §99.32) for one student."""

    actor_id: str
    actor_name: str
    discloser_id: str
    date: date | None
    elements: list[str]
    legal_basis: str | None
    agreement: str | None
    purpose: str | None
    threat: str | None
    redisclosure: bool
    #: the flow that made the disclosure (``None`` for a grant's)
    flow: str | None
    #: False when the disclosing flow or grant has no date of its own (a metadata dictionary's
    #: rows have none): ``date`` is then the first day the student's records could have gone
    #: (their first day in the source, or an agreement's start), not a day on record
    date_recorded: bool = True
    #: the grant that lets the recipient read the records (``None`` for a flow's)
    grant: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON shape (``date`` ISO or ``None``; ``date_recorded`` False when ``date`` is only
        the first day the disclosure could have included the student)."""
        return {
            "actor_id": self.actor_id, "actor_name": self.actor_name,
            "discloser_id": self.discloser_id,
            "date": self.date.isoformat() if self.date else None,
            "date_recorded": self.date_recorded, "elements": self.elements,
            "legal_basis": self.legal_basis, "agreement": self.agreement,
            "purpose": self.purpose, "threat": self.threat,
            "redisclosure": self.redisclosure, "flow": self.flow, "grant": self.grant,
        }


def possible_elements(datasets: list[dict], flows: list[dict]) -> dict[str, set[str]]:
    """The elements each dataset can ever hold for some student (an upper bound by rules 1, 2
    and 4, without dates): what it lists where records start (``starts``: coverage, or an
    origin dataset), what its flows can carry from their sources, what its collections add,
    each narrowed by what it lists. ``datasets``: ``[{id, elements, starts}]``; ``flows``:
    ``[{source (None for a collection), target, elements}]``. Returns dataset id -> elements.
    """
    keeps = {d["id"]: (set(d["elements"]) if d.get("elements") else None) for d in datasets}

    def narrow(did: str, els: set[str]) -> set[str]:
        k = keeps.get(did)
        return els if k is None else els & k

    out = {d["id"]: (set(keeps[d["id"]] or ()) if d.get("starts") else set()) for d in datasets}
    changed = True
    while changed:
        changed = False
        for f in flows:
            t = f["target"]
            if t not in out:
                continue
            came = set(f.get("elements") or [])
            if f.get("source") is not None:
                came &= out.get(f["source"], set())
            came = narrow(t, came)
            if not came <= out[t]:
                out[t] |= came
                changed = True
    return out


class Lineage:
    """The evaluation of the rules for one student over a dataset subgraph.

    ``datasets`` maps dataset id -> a dataset row of ``exposure_context.cypher`` (``origin``:
    no flow from another dataset enters it anywhere in the graph; ``grants`` extended by the
    per-person grants). ``as_of`` answers as the graph stood on that date (rule 9): the rules
    run over the days up to the day after it (the rules only look back in time, so the days up
    to ``as_of`` are exactly those of a run cut at ``as_of``) and only the days up to ``as_of``
    are shown; the day after tells a window that ends on ``as_of`` from one still open.

    ``shared``: a dict kept by the caller for evaluations of many students over the same
    ``datasets`` and ``as_of`` (breach impact): what depends on the subgraph alone (the order
    of its datasets, dataset lifetimes, agreement cuts) is then worked out once, not once per
    student. It must not be shared across other subgraphs or dates.
    """

    def __init__(self, ctx: StudentContext, datasets: dict[str, dict], as_of: date | None = None,
                 default_min_cell_size: int = DEFAULT_MIN_CELL_SIZE,
                 shared: dict | None = None) -> None:
        self.ctx = ctx
        self.ds = datasets
        self.as_of = as_of
        # as of the last day a date can be (9999-12-31): every day, as with no date
        self.horizon = (Window.of(None, as_of + _DAY) if as_of and as_of < date.max
                        else ALWAYS)
        self.seen = Window.of(None, as_of)
        self.min_cell = default_min_cell_size
        self.reach: dict[str, dict[Access, Reach]] = {}
        self._members: dict[str, WindowSet] = {}
        for m in ctx.memberships:
            self._members[m["dataset"]] = self._members.get(m["dataset"], WindowSet()).union(
                WindowSet([_w(m)]))
        self._applied: dict[tuple, int] = {}  # (flow id, class at source) -> source version
        self._cells: dict[str, list[dict]] = {}
        for c in ctx.cells:
            self._cells.setdefault(c["dataset"], []).append(c)
        # memos keyed by a row's id (the rows live as long as ``datasets``): what depends on the
        # subgraph alone (lifetimes, agreement cuts, classes, the order), possibly shared by
        # many evaluations; and what depends on this student too (flow plans: its cells)
        self._rows: dict[Any, Any] = {} if shared is None else shared
        self._memo: dict[tuple[str, int], Any] = {}
        self._entries: list[Entry] | None = None
        self._propagate()
        self._drop_redundant_collections()
        self._prune()

    # -- rules 1-6 --------------------------------------------------------------------------
    def _lifetime(self, d: dict) -> Window:
        key = ("life", id(d))
        w = self._rows.get(key)
        if w is None:
            w = self._rows[key] = _w(d) & self.horizon
        return w

    def _level(self, d: dict) -> Access:
        """The class a dataset's own granularity gives (memoised)."""
        key = ("level", id(d))
        lv = self._rows.get(key)
        if lv is None:
            lv = self._rows[key] = Access.of(Granularity(d["granularity"]))
        return lv

    @staticmethod
    def _keeps(d: dict) -> set[str] | None:
        """The elements a dataset keeps; ``None`` when it lists none (it keeps what arrives)."""
        e = d.get("elements")
        return set(e) if e else None

    def _agreement_cut(self, obj: dict) -> Window:
        """A flow's or grant's own window ∩ its agreement's validity ∩ the horizon (rule 3)."""
        key = ("cut", id(obj))
        w = self._rows.get(key)
        if w is None:
            w = _w(obj) & self.horizon
            ag = obj.get("agreement_info")
            w = self._rows[key] = w & _w(ag) if ag else w
        return w

    def _member_filter(self, d: dict, days: WindowSet) -> WindowSet:
        """Rule 2: a ``members_only`` dataset keeps only its members, on membership days."""
        if not d.get("members_only"):
            return days
        return days.intersect_set(self._members.get(d["id"], WindowSet()))

    def _derive(self, d: dict, r: Reach) -> None:
        """Held, live and dated elements of a reach from its arrivals (rules 4 and 6)."""
        arrived = r.pop.union(r.flowed)
        if d.get("retention") == Retention.CURRENT.value:
            r.held = arrived
            r.current = arrived
        else:  # kept: from the first day until the dataset ends
            end = self._lifetime(d).end
            r.held = WindowSet([Window(arrived.start, end)]) if arrived else WindowSet()
            r.current = r.pop.union(
                WindowSet([Window(r.flowed.start, end)]) if r.flowed else WindowSet())
        r.dated = {}
        done: dict[tuple, WindowSet] = {}  # elements usually arrive together: compute once
        for x, a in r.arrivals.items():
            key = tuple(a.parts)
            ws = done.get(key)
            if ws is None:
                ws = done[key] = r.held.from_first(a)
            if ws:
                r.dated[x] = ws

    def _add(self, d: dict, level: Access, days: WindowSet, elements: dict[str, WindowSet],
             step: Step, *, live: bool) -> bool:
        """Record that the student's records arrive in ``d`` at ``level`` on ``days``, holding
        ``elements`` (element -> days); ``live``: the days are the dataset's own population.
        A collection adds elements only (``days`` empty). Returns True if anything grew."""
        elements = {x: ws for x, ws in elements.items() if ws}
        if not days and not elements:
            return False
        r = self.reach.setdefault(d["id"], {}).setdefault(level, Reach())
        grown = False
        if days:
            before = r.pop if live else r.flowed
            after = before.union(days)
            if after != before:
                grown = True
                if live:
                    r.pop = after
                else:
                    r.flowed = after
        unions: dict[tuple, WindowSet] = {}
        for x, ws in elements.items():
            old = r.arrivals.get(x)
            if old is None:
                r.arrivals[x] = ws
                grown = True
                continue
            key = (tuple(old.parts), tuple(ws.parts))
            new = unions.get(key)
            if new is None:
                new = unions[key] = old.union(ws)
            if new != old:
                r.arrivals[x] = new
                grown = True
        if grown:
            r.version += 1
            self._derive(d, r)
        key = (step.source, step.via, step.level)
        got = r.step_elements.setdefault(key, {})
        for x, ws in elements.items():
            got[x] = got.get(x, WindowSet()).union(ws)
        old_step = r.by_step.get(key)
        w = step.window if old_step is None else Window(
            min(old_step.window.start, step.window.start), max(old_step.window.end, step.window.end))
        r.by_step[key] = replace(old_step or step, window=w, elements=frozenset(got))
        return grown

    def _cells_of(self, d: dict) -> list[dict]:
        """The student's named cells of ``d`` published unsuppressed below the minimum."""
        if d.get("granularity") != Granularity.AGGREGATE.value:
            return []
        minimum = d.get("min_cell_size") or self.min_cell
        return [c for c in self._cells.get(d["id"], [])
                if not c.get("suppressed") and (c.get("size") or 0) < minimum]

    def _arrive(self, d: dict, level: Access, days: WindowSet, record: dict[str, WindowSet],
                delivered: dict[str, WindowSet], step: Step, *, live: bool) -> bool:
        """Records arrive in ``d`` at ``level``: ``delivered`` (element -> days) is what the
        dataset keeps of them, ``record`` what the arriving record holds (for the small cells
        of rule 5: a cell reveals the elements it names that the arriving record holds)."""
        changed = self._add(d, level, days, delivered, step, live=live)
        for c in self._cells_of(d):
            revealed = {x: record[x] for x in c.get("elements") or [] if x in record}
            cstep = replace(step, purpose=f"{SMALL_CELL}: {c.get('label')}")
            changed |= self._add(d, Access.IDENTIFIABLE, days, revealed, cstep, live=live)
        return changed

    def _start(self, d: dict, days: WindowSet, via: str, kind: str) -> None:
        """Rule 1: the dataset's own population (coverage, members of an origin dataset)."""
        days = self._member_filter(d, days.intersect(self._lifetime(d)))
        if not days:
            return
        level = self._level(d)
        record = {x: days for x in self._keeps(d) or ()}
        self._arrive(d, level, days, record, record,
                     Step(None, via, kind, days.hull(), frozenset(record), level), live=True)

    def _propagate(self) -> None:
        ctx = self.ctx
        for c in ctx.coverage:
            d = self.ds.get(c["dataset"])
            if d is not None:
                w = Window.of(c["enrol_from"], c["enrol_to"]) & _w(c)
                self._start(d, WindowSet([w]), f"coverage:{c['org']}", "coverage")
        for m in ctx.memberships:
            d = self.ds.get(m["dataset"])
            if d is not None and self._origin(d):
                self._start(d, WindowSet([_w(m)]), "member", "membership")

        plan = self._rows.get("plan")
        if plan is None:
            plan = self._rows["plan"] = [
                (self.ds[did], [f for f in self.ds[did]["inflows"] if f["kind"] != _COLLECTION],
                 [f for f in self.ds[did]["inflows"] if f["kind"] == _COLLECTION])
                for did in self._order()]
        # a monotone fixpoint: arrivals only grow, and their ends are drawn from the finite set
        # of the graph's dates (and the days next to them), so it ends
        changed = True
        while changed:
            changed = False
            for d, moves, collections in plan:
                for f in moves:
                    changed |= self._flow(f, d)
                for f in collections:
                    changed |= self._collection(f, d)

    def _origin(self, d: dict) -> bool:
        """True when no flow from another dataset enters ``d`` (anywhere in the graph)."""
        if "origin" in d and d["origin"] is not None:
            return bool(d["origin"])
        return not any(f["kind"] != _COLLECTION for f in d.get("inflows") or [])

    def _order(self) -> list[str]:
        """Dataset ids with sources before targets where the flows allow (rings: by id)."""
        ids = sorted(self.ds)
        preds = {i: {f["source"] for f in self.ds[i]["inflows"]
                     if f.get("source") in self.ds and f["source"] != i} for i in ids}
        out: list[str] = []
        done: set[str] = set()
        while len(out) < len(ids):
            ready = [i for i in ids if i not in done and preds[i] <= done]
            if not ready:  # a ring: take the first remaining
                ready = [next(i for i in ids if i not in done)]
            for i in ready:
                done.add(i)
                out.append(i)
        return out

    def _flow(self, f: dict, tgt: dict) -> bool:
        src = self.reach.get(f.get("source"))
        if not src:
            return False
        listing = bool(f.get("subjects_only"))
        if listing and f["id"] not in self.ctx.subject_flows:
            return False
        changed = False
        plan = None
        for level, r in list(src.items()):
            if self._applied.get((f["id"], level)) == r.version:
                continue  # nothing new at the source since this flow last moved its records
            if plan is None:  # what the flow moves depends on the rows alone: made once
                plan = self._memo.get(("flow", id(f)))
                if plan is None:
                    plan = self._memo[("flow", id(f))] = self._flow_plan(f, tgt)
                if plan is False:
                    return False
            fw, keeps, carried, tgt_level, wanted = plan
            self._applied[(f["id"], level)] = r.version
            # a flow listing its students moves records the source holds; a population flow
            # moves the students in the source's live population at the time (rule 2)
            days = self._member_filter(tgt, (r.held if listing else r.current).intersect(fw))
            if not days:
                continue
            record: dict[str, WindowSet] = {}
            done: dict[tuple, WindowSet] = {}
            for x in wanted & r.dated.keys():
                key = tuple(r.dated[x].parts)
                ws = done.get(key)
                if ws is None:
                    ws = done[key] = r.dated[x].intersect_set(days)
                if ws:
                    record[x] = ws
            delivered = {x: ws for x, ws in record.items()
                         if x in carried and (keeps is None or x in keeps)}
            step = Step(f["source"], f["id"], f["kind"], days.hull(), frozenset(), level,
                        f.get("legal_basis"), f.get("agreement"), f.get("threat"), f.get("purpose"))
            changed |= self._arrive(tgt, _weaker(level, tgt_level), days, record, delivered,
                                    step, live=False)
        return changed

    def _flow_plan(self, f: dict, tgt: dict) -> tuple | bool:
        """What a flow into ``tgt`` can move, whatever arrives at its source: ``(window,
        elements the target keeps or None, elements carried, class of the target, elements
        wanted: carried or named by the target's small cells)``; False when its window (own ∩
        agreement ∩ the target's lifetime, rule 3) is empty."""
        fw = self._agreement_cut(f) & self._lifetime(tgt)
        if fw.empty:
            return False
        carried = set(f.get("elements") or [])
        wanted = carried | {x for c in self._cells_of(tgt) for x in c.get("elements") or []}
        return fw, self._keeps(tgt), carried, self._level(tgt), wanted

    def _collection(self, f: dict, d: dict) -> bool:
        own = self._level(d)
        r = self.reach.get(d["id"], {}).get(own)
        if r is None or self._applied.get((f["id"], own)) == r.version:
            return False
        self._applied[(f["id"], own)] = r.version
        keeps = self._keeps(d)
        collected = set(f.get("elements") or [])
        if keeps is not None:
            collected &= keeps
        days = r.current.intersect(self._agreement_cut(f))
        if not collected or not days:
            return False
        step = Step(None, f["id"], f["kind"], days.hull(), frozenset(collected), own,
                    f.get("legal_basis"), f.get("agreement"), None, f.get("purpose"))
        return self._add(d, own, WindowSet(), {x: days for x in collected}, step, live=False)

    def _drop_redundant_collections(self) -> None:
        """A collection is a step of the record's lineage only where it adds something: an
        element on a day the record would not hold it by its coverage, membership or flows
        (a collection of what the dataset already lists for its population explains nothing)."""
        for levels in self.reach.values():
            for r in levels.values():
                collections = [k for k, s in r.by_step.items() if s.kind == _COLLECTION]
                if not collections:
                    continue
                others: dict[str, WindowSet] = {}
                for k, els in r.step_elements.items():
                    if r.by_step[k].kind != _COLLECTION:
                        for x, ws in els.items():
                            others[x] = others[x].union(ws) if x in others else ws
                held_by_others: dict[tuple, WindowSet] = {}

                def adds(x: str, ws: WindowSet, r: Reach = r, others: dict = others,
                         held_by_others: dict = held_by_others) -> bool:
                    mine = ws.intersect(self.seen)
                    if x not in others:
                        return bool(mine)
                    key = tuple(others[x].parts)
                    have = held_by_others.get(key)
                    if have is None:
                        have = held_by_others[key] = r.held.from_first(others[x])
                    return mine.intersect_set(have) != mine

                for k in collections:
                    if not any(adds(x, ws) for x, ws in r.step_elements[k].items()):
                        del r.by_step[k]

    def _prune(self) -> None:
        """Keep only what happened on or before ``as_of`` (windows keep the day after, so that
        one still open shows as open)."""
        if self.as_of is None:
            return
        for did in list(self.reach):
            levels = self.reach[did]
            for level in list(levels):
                r = levels[level]
                if not r.held.intersect(self.seen):
                    del levels[level]
                    continue
                r.dated = {x: ws for x, ws in r.dated.items() if ws.intersect(self.seen)}
                r.by_step = {
                    k: replace(s, as_of=self.as_of, elements=frozenset(
                        x for x, ws in r.step_elements.get(k, {}).items() if ws.intersect(self.seen)))
                    for k, s in r.by_step.items() if s.window.start <= self.as_of}
            if not levels:
                del self.reach[did]

    # -- rules 7-10 -------------------------------------------------------------------------
    def _scope_windows(self, g: dict, actor: str | None = None) -> WindowSet:
        """The days ``g``'s scope includes the student, for ``actor`` (default: the grant's).

        For a role grant (no actor) ``actor`` is one of the student's teachers or guardians; a
        ``scope_org`` then limits ``roster`` to sections at schools within it and ``own_child``
        to the days the student is enrolled within it.
        """
        scope = g.get("scope")
        ctx = self.ctx
        actor = actor if actor is not None else g.get("actor")
        org = g.get("scope_org")
        if scope == Scope.ALL.value:
            return WindowSet([ALWAYS])
        if scope in (Scope.SCHOOL.value, Scope.DISTRICT.value):
            return self._enrolled_within(org)
        if scope == Scope.ROSTER.value:
            return WindowSet(Window.of(t["in_from"], t["in_to"]) & Window.of(t["teach_from"], t["teach_to"])
                             for t in ctx.teaching if t["teacher"] == actor
                             and (g.get("actor") is not None or org is None
                                  or org in (t.get("chain") or [])))
        if scope == Scope.OWN_CHILD.value:
            w = WindowSet(_w(x) for x in ctx.guardians if x["guardian"] == actor)
            if g.get("actor") is None and org is not None:
                w = w.intersect_set(self._enrolled_within(org))
            return w
        return WindowSet()

    def _enrolled_within(self, org: str | None) -> WindowSet:
        """The days the student was enrolled at ``org`` or at an org below it."""
        return WindowSet(Window.of(e["valid_from"], e["valid_to"]) for e in self.ctx.enrolments
                         if org in (e.get("chain") or [e["org"]]))

    def _grantees(self, g: dict) -> list[str]:
        """Who a grant gives access: its actor, or for a role grant (no actor) each of the
        student's teachers (scope ``roster``) or guardians (``own_child``)."""
        if g.get("actor") is not None:
            return [g["actor"]]
        if g.get("scope") == Scope.ROSTER.value:
            return sorted({t["teacher"] for t in self.ctx.teaching})
        if g.get("scope") == Scope.OWN_CHILD.value:
            return sorted({x["guardian"] for x in self.ctx.guardians})
        return []

    def _ancestry(self, did: str, level: Access, seen: set | None = None) -> list[str]:
        """Datasets on the paths that brought ``level`` records into ``did`` (roots first)."""
        seen = set() if seen is None else seen
        if (did, level) in seen:
            return []
        seen.add((did, level))
        out: list[str] = []
        reach = self.reach.get(did, {}).get(level)
        for s in reach.steps if reach else []:
            if s.source:
                for x in self._ancestry(s.source, s.level, seen):
                    if x not in out:
                        out.append(x)
        out.append(did)
        return out

    def entries(self) -> Iterator[Entry]:
        """Every way an actor touches a dataset's records of the student (rule 7): the holder
        of each dataset reached, and each grant whose validity, agreement and scope include the
        student on a day the dataset holds the records (with the elements held on those days).
        Worked out once per evaluation (the exposures and the described populations both read
        them); the entries are shared, not copies: read them only.
        """
        if self._entries is None:
            self._entries = list(self._find_entries())
        return iter(self._entries)

    def _find_entries(self) -> Iterator[Entry]:
        for did, levels in self.reach.items():
            d = self.ds[did]
            holder = (d.get("holder") or {}).get("id")
            for level, reach in levels.items():
                if holder:
                    yield Entry(holder, did, level, reach.held, reach.elements, reach,
                                as_of=self.as_of)
                for g in d.get("grants") or []:
                    gw = self._agreement_cut(g)
                    for actor in self._grantees(g):
                        if actor == holder:
                            continue
                        w = reach.held.intersect(gw).intersect_set(self._scope_windows(g, actor))
                        shown = w.intersect(self.seen)
                        if not shown:
                            continue
                        held = reach.holds_on(shown)
                        allowed = set(g.get("elements") or []) or held
                        yield Entry(actor, did, level, w, held & allowed, reach, g,
                                    as_of=self.as_of)

    def _names_reader(self, g: dict, actor: str) -> bool:
        """True when grant ``g`` names ``actor``: its own grant, or a role grant whose scope
        includes the student for that actor on some day (a roster role grant with a
        ``scope_org``: a section at a school within it)."""
        if g.get("actor") is not None:
            return g["actor"] == actor
        return actor in self._grantees(g) and bool(self._scope_windows(g, actor))

    def _read_on(self, actor: str, event: dict) -> tuple[Access, set[str]]:
        """Rule 10: the class and elements of an access-log event no grant or flow covers:
        the class the dataset read has for the student that day (the strongest it holds; its
        granularity when it holds none), and the event's elements, else what the dataset holds
        that day narrowed by the reader's grants on it (one listing none allows all)."""
        at = to_date(event.get("at"))
        did = event.get("dataset")
        d = self.ds.get(did)
        held = [(lv, r) for lv, r in self.reach.get(did, {}).items() if r.held.contains(at)]
        if held:
            level, r = max(held, key=lambda x: x[0].rank)
            record = r.holds_at(at)
        else:
            level = Access.of(Granularity(d["granularity"])) if d else Access.IDENTIFIABLE
            record = set()
        if event.get("elements"):
            return level, set(event["elements"])
        naming = [g for g in (d or {}).get("grants") or [] if self._names_reader(g, actor)]
        if naming:
            allowed: set[str] = set()
            for g in naming:
                allowed |= set(g.get("elements") or []) or record
            record &= allowed
        return level, record

    def exposures(self, actors: dict[str, dict] | None = None) -> list[ActorExposure]:
        """Every actor's exposure (rules 7-10), sorted by class then first date then id.

        ``actors`` maps actor id -> {name, role} for actors not otherwise known (access logs).
        """
        per: dict[str, dict[Access, dict]] = {}
        info: dict[str, dict] = dict(actors or {})

        def add(actor: dict, level: Access, windows: WindowSet, elements: set[str],
                bases: set, agreements: set, datasets: list[str]) -> None:
            if not windows:
                return
            info.setdefault(actor["id"], actor)
            slot = per.setdefault(actor["id"], {}).setdefault(
                level, {"w": WindowSet(), "el": set(), "bases": set(), "ags": set(), "ds": []})
            slot["w"] = slot["w"].union(windows)
            slot["el"] |= elements
            slot["bases"] |= {b for b in bases if b}
            slot["ags"] |= {a for a in agreements if a}
            for x in datasets:
                if x not in slot["ds"]:
                    slot["ds"].append(x)

        for e in self.entries():
            anc = self._ancestry(e.dataset, e.level)
            if e.grant is None:
                holder = self.ds[e.dataset]["holder"]
                add(holder, e.level, e.windows, e.elements,
                    {s.legal_basis for s in e.reach.steps}, {s.agreement for s in e.reach.steps}, anc)
            else:
                add({"id": e.actor_id}, e.level, e.windows, e.elements,
                    {e.grant.get("legal_basis")}, {e.grant.get("agreement")}, anc)

        # access logs (rule 10)
        accessed: dict[str, list[dict]] = {}
        for a in self.access_events():
            accessed.setdefault(a["actor"], []).append(a)

        out: list[ActorExposure] = []
        for aid, levels in per.items():
            level = max(levels, key=lambda x: x.rank)
            slot = levels[level]
            w: WindowSet = slot["w"]
            a = info.get(aid, {})
            out.append(ActorExposure(
                aid, a.get("name") or aid, a.get("role") or "", level,
                sorted(slot["el"]) if level is not Access.AGGREGATE else [],
                w.first, _last_of(w, self.as_of), sorted(slot["bases"]), sorted(slot["ags"]),
                slot["ds"], accessed=aid in accessed, could=True))
        known = {e.actor_id for e in out}
        for aid, events in accessed.items():
            if aid in known:
                continue
            read = [(e, *self._read_on(aid, e)) for e in events]
            level = max((lv for _, lv, _ in read), key=lambda x: x.rank)
            dates: list[date] = []
            elements: set[str] = set()
            dsets: list[str] = []
            for e, lv, els in sorted(read, key=lambda x: to_date(x[0]["at"])):
                if lv is not level:
                    continue
                dates.append(to_date(e["at"]))
                elements |= els
                if e.get("dataset") and e["dataset"] not in dsets:
                    dsets.append(e["dataset"])
            a = info.get(aid, {})
            out.append(ActorExposure(aid, a.get("name") or aid, a.get("role") or "", level,
                                     sorted(elements) if level is not Access.AGGREGATE else [],
                                     dates[0], dates[-1], [], [], dsets, accessed=True,
                                     could=False))
        out.sort(key=lambda e: (-e.access.rank, e.first_date or date.min, e.actor_id))
        return out

    def record_of_disclosures(self, actors: dict[str, dict] | None = None) -> list[Disclosure]:
        """FERPA §99.32 record for the student: each disclosure of identifiable data to another
        party, except the parties §99.32(d) exempts (parent/eligible student, school officials,
        written consent, directory information). A disclosure is a flow that moves the
        student's identifiable records from a dataset of one holder into a dataset of a party
        outside the holder's educational agency (:func:`same_agency`; declared
        ``disclosure``, or a ``transformation``), or a grant that lets such a party read them
        (FERPA §99.3: disclosure means permitting access); a grant without a legal basis to the
        student's own guardian (or under scope ``own_child``) is not one. Redisclosures (by a
        party that itself received the data from another agency, through any dataset of its
        own) are included and marked; emergencies carry their threat (§99.32(a)(5)). Aggregate
        and de-identified releases are not disclosures of PII and are left out. An entry's
        ``date`` is the first day the disclosure could have included the student's records;
        ``date_recorded`` is False when the flow or grant gives no first day of its own (the
        date is then inferred from the student's enrolment, the source's coverage or an
        agreement, and must not be shown as a day on record).
        """
        info = dict(actors or {})
        out: list[Disclosure] = []
        guardians = {g["guardian"] for g in self.ctx.guardians}

        def holder_of(did: str | None) -> dict:
            return (self.ds.get(did) or {}).get("holder") or {}

        memo: dict[str, bool] = {}

        def received(did: str) -> bool:
            """Whether ``did``'s holder received the student's identifiable records from
            another agency, into ``did`` or into a dataset of its own agency it was derived
            from (so that passing them on is a redisclosure, §99.33)."""
            if did not in memo:
                memo[did] = False                       # a ring: no
                r = self.reach.get(did, {}).get(Access.IDENTIFIABLE)
                memo[did] = bool(r) and any(
                    st.source and st.kind != _COLLECTION
                    and (not same_agency(holder_of(st.source), holder_of(did))
                         or received(st.source)) for st in r.steps)
            return memo[did]

        def name_of(aid: str | None, row: dict | None = None) -> str | None:
            return (row or {}).get("name") or info.get(aid, {}).get("name") or aid

        for did, levels in self.reach.items():
            reach = levels.get(Access.IDENTIFIABLE)
            if reach is None:
                continue
            holder = holder_of(did)
            for s in reach.steps:
                if s.kind == _COLLECTION or not s.source or s.level is not Access.IDENTIFIABLE:
                    continue
                if same_agency(holder_of(s.source), holder):
                    continue
                if s.legal_basis and LegalBasis(s.legal_basis) in RECORD_EXEMPT:
                    continue
                flow = next((f for f in self.ds[did].get("inflows") or [] if f["id"] == s.via),
                            None)
                dated = flow is not None and flow.get("valid_from") is not None
                out.append(Disclosure(holder.get("id"), name_of(holder.get("id"), holder),
                                      holder_of(s.source).get("id"), s.window.first,
                                      sorted(s.elements), s.legal_basis, s.agreement, s.purpose,
                                      s.threat, received(s.source), s.via, dated))
        for e in self.entries():
            g = e.grant
            if g is None or e.level is not Access.IDENTIFIABLE:
                continue
            holder = holder_of(e.dataset)
            grantee = {"id": e.actor_id, **info.get(e.actor_id, {})}
            if same_agency(grantee, holder):
                continue
            basis = g.get("legal_basis")
            if basis and LegalBasis(basis) in RECORD_EXEMPT:
                continue
            if not basis and (e.actor_id in guardians or g.get("scope") == Scope.OWN_CHILD.value):
                continue
            out.append(Disclosure(e.actor_id, name_of(e.actor_id), holder.get("id"),
                                  e.windows.first, sorted(e.elements), basis, g.get("agreement"),
                                  g.get("purpose"), None, received(e.dataset), None,
                                  g.get("valid_from") is not None, g["id"]))
        out.sort(key=lambda x: (x.date or date.min, x.actor_id))
        return out

    # -- public views (the only way other modules read an evaluation) -------------------------
    def datasets(self) -> dict[str, dict]:
        """Every dataset row of the subgraph evaluated, by id (read-only use)."""
        return self.ds

    def dataset(self, dataset_id: str) -> dict | None:
        """One dataset row of the subgraph, or ``None`` when it is not in it."""
        return self.ds.get(dataset_id)

    def reached(self) -> dict[str, list[Access]]:
        """Datasets the student's information reaches -> the classes it reaches them in
        (strongest first; rules 1-6)."""
        return {did: sorted(levels, key=lambda lv: -lv.rank) for did, levels in self.reach.items()}

    def steps(self, dataset_id: str, level: Access | None = None) -> list[Step]:
        """The steps that bring the student's information into ``dataset_id`` (in ``level``, or
        in every class when ``None``); [] when it never reaches the dataset."""
        levels = self.reach.get(dataset_id, {})
        if level is not None:
            reach = levels.get(level)
            return list(reach.steps) if reach is not None else []
        return [s for reach in levels.values() for s in reach.steps]

    def access_events(self, *, cut: bool = True) -> list[dict]:
        """The access-log events of the student (rows ``{actor, dataset, at, action,
        elements}``); with ``cut``, only those on or before ``as_of`` (rule 9, rule 10)."""
        if not cut or not self.as_of:
            return list(self.ctx.accesses)
        out = []
        for a in self.ctx.accesses:
            at = to_date(a.get("at"))
            if at and at > self.as_of:
                continue
            out.append(a)
        return out

    def reads(self, actor: str) -> list[tuple[date, str | None, Access, set[str]]]:
        """The access-log events of ``actor`` on or before ``as_of``, by day, each as ``(day,
        dataset, class, elements)`` by rule 10: the class the dataset read has for the student
        that day (the strongest it holds; its granularity when it holds none) and the event's
        elements (those it lists, else what the dataset holds that day narrowed by the reader's
        grants on it). Worked out for any reader, also one that holds or can read the records."""
        out = []
        for a in self.access_events():
            at = to_date(a.get("at"))
            if a.get("actor") != actor or at is None:
                continue
            level, elements = self._read_on(actor, a)
            out.append((at, a.get("dataset"), level, elements))
        out.sort(key=lambda x: (x[0], x[1] or ""))
        return out

    def touched(self, actor: str, level: Access = Access.IDENTIFIABLE) -> WindowSet:
        """The days ``actor`` touched the student's records at class ``level``, up to ``as_of``:
        the days it held them or could read them through a grant (rule 7: the windows of its
        entries at that class themselves, not the span from the first to the last, so a gap
        between two enrolments stays a gap), and the days of its access-log events of that
        class (rule 10, :meth:`reads`: an event is a 'did' fact, its day counts whether or not
        a grant covers it). Breach impact lists a student when these days meet its window."""
        days = WindowSet()
        for e in self.entries():
            if e.actor_id == actor and e.level is level:
                days = days.union(e.windows)
        days = days.intersect(self.seen)
        return days.union(WindowSet(Window(at, at) for at, _, lv, _ in self.reads(actor)
                                    if lv is level))

    def purposes(self, holder_ids: set[str], grantees: set[str]) -> dict[str, list[str]]:
        """Purposes per actor, in first-seen order: those of the steps into the datasets an
        actor in ``holder_ids`` holds, and of the grants to actors in ``grantees``."""
        out: dict[str, list[str]] = {}

        def add(aid: str, purpose: str | None) -> None:
            if purpose and purpose not in out.setdefault(aid, []):
                out[aid].append(purpose)
        for did, levels in self.reach.items():
            d = self.ds[did]
            holder = (d.get("holder") or {}).get("id")
            for reach in levels.values():
                if holder in holder_ids:
                    for s in reach.steps:
                        add(holder, s.purpose)
            for g in d.get("grants") or []:
                if g.get("actor") in grantees:
                    add(g["actor"], g.get("purpose"))
        return out

    def held(self, dataset_id: str) -> tuple[WindowSet, set[str]]:
        """The student's identifiable records in one dataset: (windows, elements); the windows
        end at ``as_of`` when one is given."""
        reach = self.reach.get(dataset_id, {}).get(Access.IDENTIFIABLE)
        if reach is None:
            return WindowSet(), set()
        held = reach.held.intersect(self.seen) if self.as_of else reach.held
        return held, set(reach.elements)

    def described_populations(self) -> dict[str, list[str]]:
        """Actors whose only way to the student is a *population-described* flow out of
        coverage: actor id -> the free-text populations (``Flow.population``, e.g. ``"Bus
        riders"``, as a metadata dictionary gives them; in first-seen order).

        An actor is listed when every chain of steps into every dataset it touches starts at
        coverage (``coverage:<org>``: every student enrolled there, rule 1) and passes a flow
        that describes its population in words without listing its students. The graph has no
        roster of such a population, so every covered student is counted: a conservative
        "could have" (cedar-valley case). A chain that starts at a membership or passes a flow
        listing its students, or a coverage chain with no described flow, leaves the actor out.
        Does not change any class or window (read-only view).
        """
        inflows = {f["id"]: f for d in self.ds.values() for f in d.get("inflows") or []}
        memo: dict[tuple, tuple[bool, bool, tuple[str, ...]]] = {}

        def walk(did: str, lvl: Access, seen: frozenset) -> tuple[bool, bool, tuple[str, ...]]:
            # (some chain is undescribed coverage, some chain is not coverage, texts)
            if (did, lvl) in memo:
                return memo[(did, lvl)]
            bare = other = False
            texts: list[str] = []
            for s in self.steps(did, lvl):
                if s.source is None:
                    if s.via.startswith("coverage:"):
                        bare = True
                    elif s.via == "member":
                        other = True
                    continue  # a collection or a small cell adds elements, not students
                f = inflows.get(s.via) or {}
                if f.get("subjects_only"):
                    other = True
                    continue
                if (s.source, s.level) in seen:
                    continue
                b, o, t = walk(s.source, s.level, seen | {(did, lvl)})
                other |= o
                pop = " ".join((f.get("population") or "").split())
                if pop:
                    texts += [x for x in t if x not in texts]
                    if pop not in texts:
                        texts.append(pop)
                else:
                    bare |= b
                    texts += [x for x in t if x not in texts]
            memo[(did, lvl)] = (bare, other, tuple(texts))
            return memo[(did, lvl)]

        per: dict[str, list[str]] = {}
        out_of: set[str] = set()
        for e in self.entries():
            bare, other, texts = walk(e.dataset, e.level, frozenset())
            if bare or other or not texts or (e.grant and e.grant.get("scope") in (
                    Scope.ROSTER.value, Scope.OWN_CHILD.value)):
                out_of.add(e.actor_id)
                continue
            slot = per.setdefault(e.actor_id, [])
            slot += [x for x in texts if x not in slot]
        return {a: t for a, t in per.items() if a not in out_of}
