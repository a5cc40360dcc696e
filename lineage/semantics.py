"""The lineage rules: who could have touched one student's information, how, and when.

This module is pure Python over plain dicts (what the queries in ``cypher/queries/`` return),
so the rules are testable and documented in one place. The rules (domain brief, ``docs/rules.md``):

1. **Where a student's records start.** A dataset with *coverage* holds every student enrolled
   at the covered school/district (or a school below the covered district) while enrolled, within
   the coverage window. A dataset *without inflows* that lists members holds its members.
2. **Flows.** A flow moves the records of the students that are *current* in its source while
   the flow runs. A flow that lists its students (transfer, emergency) moves only those, and
   only if the source holds their records by then. A *members-only* target (a research sample)
   keeps only its members. Windows intersect along the way: source presence ∩ flow dates ∩
   agreement validity ∩ target dataset lifetime ∩ membership.
3. **Elements narrow** along a flow: source elements ∩ elements carried ∩ elements the target
   keeps (when the target lists them). A collection adds the elements it collects for the
   students present in the target.
4. **Identifiability breaks** at a de-identified or aggregate dataset and stays broken
   downstream (class = the weakest granularity on the path) — except that a student counted in a
   named small cell published unsuppressed below the minimum cell size is *identifiable* to the
   aggregate's holder (and downstream), with the elements the cell reveals.
5. **Retention and live population.** In a ``kept`` dataset a student's records stay from
   their first day until the dataset ends (``valid_to``); in a ``current`` dataset they leave
   when they leave the source. A flow without a student list carries the source's *live
   population*: for a dataset with coverage or members, the students covered at the time (a
   vendor feed from the SIS sends enrolled students); for a dataset fed by flows, every student
   whose records it holds at the time (a research file passed on is passed on whole).
6. **Actors.** The holder of a dataset touched what it holds. A grant gives its actor the
   dataset's records of the students its scope includes *at the time*: ``all``; ``school`` /
   ``district`` while enrolled at ``scope_org``; ``roster`` while the student is in a section the
   actor teaches (both windows); ``own_child`` while the actor is the student's guardian. A *role
   grant* (no actor) applies to each of the student's teachers (``roster``; sections at schools
   within ``scope_org`` when given) or guardians (``own_child``; while enrolled within
   ``scope_org`` when given). Grant elements narrow what the dataset holds.
7. **Class.** An actor's class is the strongest it reached: identifiable > de-identified >
   aggregate. Elements, dates, bases and datasets are those of that class.
8. **Touching is permanent.** ``first_date`` is the first day; ``last_date`` is when holding or
   access ended (``None`` = still). ``as_of`` answers as the graph stood on that date: every
   window is cut at ``as_of`` and an actor appears if its window starts on or before it.
9. **Could and did.** Access-log events mark ``accessed``; an event with no covering grant or
   flow adds the actor with ``could = False`` (elements: the event's, else those the actor's
   grants on that dataset allow, else everything the dataset holds for the student).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from lineage.vocabulary import (
    RECORD_EXEMPT, Access, FlowKind, Granularity, LegalBasis, Retention, Scope,
)
from lineage.windows import ALWAYS, Window, WindowSet, to_date

#: Minimum cell size used when an aggregate does not state its own (the most common state "n").
DEFAULT_MIN_CELL_SIZE = 10

LEVELS = (Access.IDENTIFIABLE, Access.DEIDENTIFIED, Access.AGGREGATE)

_COLLECTION = FlowKind.COLLECTION.value


def _w(obj: dict, a: str = "valid_from", b: str = "valid_to") -> Window:
    return Window.of(obj.get(a), obj.get(b))


@dataclass
class Step:
    """How records reached a dataset: from ``source`` (dataset id or None) by ``via``.

    ``via`` is a flow id, ``coverage:<org>`` or ``member``. ``window`` is the flow's effective
    window for this student; ``level`` the class at the source.
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

    def as_dict(self, to: str, level: Access) -> dict[str, Any]:
        """The step as a path element: ``{"kind", "via", "from", "to", "elements",
        "legal_basis", "agreement", "first_date", "last_date", "access"}`` (ISO dates, ``None``
        = open), plus ``threat`` for an emergency and ``note`` for a small cell."""
        out = {"kind": self.kind, "via": self.via, "from": self.source, "to": to,
               "elements": sorted(self.elements), "legal_basis": self.legal_basis,
               "agreement": self.agreement, "first_date": _iso(self.window.first),
               "last_date": _iso(self.window.last), "access": level.value}
        if self.threat:
            out["threat"] = self.threat
        if self.purpose and self.purpose.startswith(SMALL_CELL):
            out["note"] = self.purpose
        return out


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


#: Prefix of the purpose of a step that reveals a small cell (rule 4).
SMALL_CELL = "small cell"


@dataclass
class Entry:
    """How one actor touches one dataset's records of the student at one class (rule 6):
    as its holder (``grant`` is None) or through a grant whose scope includes the student."""

    actor_id: str
    dataset: str
    level: Access
    windows: WindowSet
    elements: set[str]
    reach: Reach
    grant: dict | None = None

    def as_dict(self) -> dict[str, Any]:
        """The last step of a path: ``kind`` ``holds`` or ``grant`` (see :meth:`Step.as_dict`)."""
        g = self.grant or {}
        out = {"kind": "grant" if self.grant else "holds",
               "via": g.get("id", "holder"), "from": self.dataset, "to": self.actor_id,
               "elements": sorted(self.elements), "legal_basis": g.get("legal_basis"),
               "agreement": g.get("agreement"), "first_date": _iso(self.windows.first),
               "last_date": _iso(self.windows.last), "access": self.level.value}
        if self.grant:
            out["scope"] = g.get("scope")
        return out


@dataclass
class Reach:
    """A student's records in one dataset at one class: when, which elements, and how.

    ``held``: the days the dataset holds the records (retention applied). ``current``: the days
    the student is in the dataset's *live population*, which the flows out of it carry: for a
    dataset with coverage or members, while covered; for a dataset fed by flows, while held.
    """

    current: WindowSet = field(default_factory=WindowSet)
    held: WindowSet = field(default_factory=WindowSet)
    elements: set[str] = field(default_factory=set)
    steps: list[Step] = field(default_factory=list)

    @property
    def windows(self) -> WindowSet:
        """The days the records are held (alias of ``held``)."""
        return self.held

    def merge(self, current: WindowSet, held: WindowSet, elements: Iterable[str], step: Step) -> bool:
        """Add; return True if anything changed."""
        before = (self.current.parts[:], self.held.parts[:], len(self.elements))
        self.current = self.current.union(current)
        self.held = self.held.union(held)
        self.elements |= set(elements)
        key = (step.source, step.via, step.level)
        if not any((s.source, s.via, s.level) == key for s in self.steps):
            self.steps.append(step)
            return True
        return (self.current.parts, self.held.parts, len(self.elements)) != before


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
        """Datasets where the student's records can start."""
        out = {c["dataset"] for c in self.coverage} | {m["dataset"] for m in self.memberships}
        out |= {c["dataset"] for c in self.cells}
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
    flow: str

    def as_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {
            "actor_id": self.actor_id, "actor_name": self.actor_name,
            "discloser_id": self.discloser_id,
            "date": self.date.isoformat() if self.date else None, "elements": self.elements,
            "legal_basis": self.legal_basis, "agreement": self.agreement,
            "purpose": self.purpose, "threat": self.threat,
            "redisclosure": self.redisclosure, "flow": self.flow,
        }


class Lineage:
    """The evaluation of the rules for one student over a dataset subgraph.

    ``datasets`` maps dataset id -> a dataset row of ``lineage_subgraph.cypher`` (with ``grants``
    extended by the per-person grants). ``as_of`` cuts every window at that date.
    """

    def __init__(self, ctx: StudentContext, datasets: dict[str, dict], as_of: date | None = None,
                 default_min_cell_size: int = DEFAULT_MIN_CELL_SIZE) -> None:
        self.ctx = ctx
        self.ds = datasets
        self.as_of = as_of
        self.horizon = Window.of(None, as_of)
        self.min_cell = default_min_cell_size
        self.reach: dict[str, dict[Access, Reach]] = {}
        self._propagate()

    # -- rule 1-5 ---------------------------------------------------------------------------
    def _dataset_window(self, d: dict) -> Window:
        return _w(d) & self.horizon

    def _keeps(self, d: dict) -> set[str] | None:
        e = d.get("elements")
        return set(e) if e is not None else None

    def _add(self, did: str, level: Access, windows: WindowSet, elements: Iterable[str],
             step: Step, live: bool = False) -> bool:
        """Record that ``windows`` of the student's records arrive in ``did`` at ``level``.

        ``live``: the windows are the dataset's own population (coverage, membership), so they
        are its *current* windows; otherwise current = held (rule 5 and :class:`Reach`).
        """
        if not windows:
            return False
        d = self.ds[did]
        if d.get("retention") == Retention.CURRENT.value:
            held = windows
        else:  # kept: from the first day until the dataset ends
            held = WindowSet([Window(windows.start, self._dataset_window(d).end)])
        current = windows if live else held
        reach = self.reach.setdefault(did, {}).setdefault(level, Reach())
        return reach.merge(current, held, elements, step)

    def _propagate(self) -> None:
        ctx = self.ctx
        # starts: coverage
        for c in ctx.coverage:
            d = self.ds.get(c["dataset"])
            if d is None:
                continue
            w = Window.of(c["enrol_from"], c["enrol_to"]) & _w(c) & self._dataset_window(d)
            level = Access.of(Granularity(d["granularity"]))
            keeps = self._keeps(d) or set()
            self._add(d["id"], level, WindowSet([w]), keeps,
                      Step(None, f"coverage:{c['org']}", "coverage", w, frozenset(keeps), level),
                      live=True)
        # starts: members of datasets without inflows
        for m in ctx.memberships:
            d = self.ds.get(m["dataset"])
            if d is None or any(f["kind"] != _COLLECTION for f in d["inflows"]):
                continue
            w = _w(m) & self._dataset_window(d)
            level = Access.of(Granularity(d["granularity"]))
            keeps = self._keeps(d) or set()
            self._add(d["id"], level, WindowSet([w]), keeps,
                      Step(None, "member", "membership", w, frozenset(keeps), level), live=True)
        members = {}
        for m in ctx.memberships:
            members.setdefault(m["dataset"], []).append(_w(m))
        cells = {}
        for c in ctx.cells:
            cells.setdefault(c["dataset"], []).append(c)

        # each dataset with its moving inflows and its collections, in a fixed order
        plan = [(d, [f for f in d["inflows"] if f["kind"] != _COLLECTION],
                 [f for f in d["inflows"] if f["kind"] == _COLLECTION])
                for d in (self.ds[did] for did in sorted(self.ds))]
        reach = self.reach
        for _ in range(len(plan) + 2):  # fixpoint; the graph is usually a DAG
            changed = False
            for d, moves, collections in plan:
                for f in moves:
                    if f.get("source") in reach:  # records reach a flow only from its source
                        changed |= self._flow(f, d, members, cells)
                if collections and d["id"] in reach:
                    for f in collections:
                        changed |= self._collection(f, d)
            if not changed:
                break

    def _flow_window(self, f: dict) -> Window:
        w = _w(f) & self.horizon
        ag = f.get("agreement_info")
        if ag:
            w = w & _w(ag)
        return w

    def _flow(self, f: dict, tgt: dict, members: dict, cells: dict) -> bool:
        src_id = f.get("source")
        if src_id not in self.reach:
            return False
        if f.get("subjects_only") and f["id"] not in self.ctx.subject_flows:
            return False
        fw = self._flow_window(f) & self._dataset_window(tgt)
        if fw.empty:
            return False
        if tgt.get("members_only"):
            mw = WindowSet(members.get(tgt["id"], []))
            if not mw:
                return False
        else:
            mw = None
        keeps = self._keeps(tgt)
        carried = set(f.get("elements") or [])
        tgt_level = Access.of(Granularity(tgt["granularity"]))
        changed = False
        for level, reach in list(self.reach[src_id].items()):
            # a flow listing its students moves records the source holds; a population flow
            # moves the students in the source's live population at the time
            src_w = reach.held if f.get("subjects_only") else reach.current
            w = src_w.intersect(fw)
            if mw is not None:
                w = w.intersect_set(mw)
            if not w:
                continue
            elements = reach.elements & carried
            if keeps is not None:
                elements &= keeps
            new_level = min(level, tgt_level, key=lambda a: a.rank)
            step = Step(src_id, f["id"], f["kind"], w.hull(), frozenset(elements), level,
                        f.get("legal_basis"), f.get("agreement"), f.get("threat"), f.get("purpose"))
            changed |= self._add(tgt["id"], new_level, w, elements, step)
            # rule 4: small cells published unsuppressed below the minimum cell size
            if tgt_level is Access.AGGREGATE and level is Access.IDENTIFIABLE:
                for c in cells.get(tgt["id"], []):
                    minimum = tgt.get("min_cell_size") or self.min_cell
                    if not c.get("suppressed") and (c.get("size") or 0) < minimum:
                        cell_el = set(c.get("elements") or []) & reach.elements
                        cstep = Step(src_id, f["id"], f["kind"], w.hull(), frozenset(cell_el),
                                     level, f.get("legal_basis"), f.get("agreement"),
                                     f.get("threat"), f"{SMALL_CELL}: {c.get('label')}")
                        changed |= self._add(tgt["id"], Access.IDENTIFIABLE, w, cell_el, cstep)
        return changed

    def _collection(self, f: dict, d: dict) -> bool:
        if d["id"] not in self.reach:
            return False
        fw = self._flow_window(f)
        keeps = self._keeps(d)
        collected = set(f.get("elements") or [])
        if keeps is not None:
            collected &= keeps
        changed = False
        own = Access.of(Granularity(d["granularity"]))
        for level, reach in list(self.reach[d["id"]].items()):
            if level is not own:  # collected data is at the dataset's own granularity
                continue
            w = reach.held.intersect(fw)
            if not w or collected <= reach.elements:
                continue
            step = Step(None, f["id"], f["kind"], w.hull(), frozenset(collected), level,
                        f.get("legal_basis"), f.get("agreement"), None, f.get("purpose"))
            reach.elements |= collected
            if not any(s.via == f["id"] for s in reach.steps):
                reach.steps.append(step)
            changed = True
        return changed

    # -- rule 6-9 ---------------------------------------------------------------------------
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
        """Every way an actor touches a dataset's records of the student (rule 6): the holder
        of each dataset reached, and each grant whose scope includes the student at some day.
        """
        for did, levels in self.reach.items():
            d = self.ds[did]
            holder = (d.get("holder") or {}).get("id")
            for level, reach in levels.items():
                if holder:
                    yield Entry(holder, did, level, reach.held, set(reach.elements), reach)
                for g in d.get("grants") or []:
                    for actor in self._grantees(g):
                        if actor == holder:
                            continue
                        w = reach.held.intersect(_w(g) & self.horizon).intersect_set(
                            self._scope_windows(g, actor))
                        if w:
                            allowed = set(g.get("elements") or []) or set(reach.elements)
                            yield Entry(actor, did, level, w, reach.elements & allowed, reach, g)

    def exposures(self, actors: dict[str, dict] | None = None) -> list[ActorExposure]:
        """Every actor's exposure (rules 6-9), sorted by class then first date then id.

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

        # access logs (rule 9)
        accessed: dict[str, list[dict]] = {}
        for a in self.ctx.accesses:
            at = to_date(a.get("at"))
            if self.as_of and at and at > self.as_of:
                continue
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
                w.first, w.last, sorted(slot["bases"]), sorted(slot["ags"]), slot["ds"],
                accessed=aid in accessed, could=True))
        known = {e.actor_id for e in out}
        for aid, events in accessed.items():
            if aid in known:
                continue
            dates = sorted(to_date(e["at"]) for e in events)
            elements: set[str] = set()
            dsets: list[str] = []
            for e in events:
                did = e.get("dataset")
                if did and did not in dsets:
                    dsets.append(did)
                if e.get("elements"):
                    elements |= set(e["elements"])
                    continue
                d = self.ds.get(did) or {}
                own = [g for g in d.get("grants") or [] if aid in self._grantees(g) and g.get("elements")]
                held = self.reach.get(did, {}).get(Access.IDENTIFIABLE)
                if own:
                    for g in own:
                        elements |= set(g["elements"])
                elif held:
                    elements |= held.elements
            a = info.get(aid, {})
            out.append(ActorExposure(aid, a.get("name") or aid, a.get("role") or "",
                                     Access.IDENTIFIABLE, sorted(elements), dates[0], dates[-1],
                                     [], [], dsets, accessed=True, could=False))
        out.sort(key=lambda e: (-e.access.rank, e.first_date or date.min, e.actor_id))
        return out

    def record_of_disclosures(self, actors: dict[str, dict] | None = None) -> list[Disclosure]:
        """FERPA §99.32 record for the student: each disclosure of identifiable data to another
        party, except the parties §99.32(d) exempts (parent/eligible student, school officials,
        written consent, directory information). Redisclosures (by a party that itself received
        the data) are included and marked; emergencies carry their threat (§99.32(a)(5)).
        Aggregate and de-identified releases are not disclosures of PII and are left out.
        """
        info = dict(actors or {})
        out: list[Disclosure] = []
        for did, levels in self.reach.items():
            reach = levels.get(Access.IDENTIFIABLE)
            if reach is None:
                continue
            d = self.ds[did]
            holder = (d.get("holder") or {})
            for s in reach.steps:
                if s.kind != FlowKind.DISCLOSURE.value or not s.source or s.level is not Access.IDENTIFIABLE:
                    continue
                src = self.ds.get(s.source) or {}
                discloser = (src.get("holder") or {}).get("id")
                if discloser == holder.get("id"):
                    continue
                if s.legal_basis and LegalBasis(s.legal_basis) in RECORD_EXEMPT:
                    continue
                src_reach = self.reach.get(s.source, {}).get(Access.IDENTIFIABLE)
                redisclosure = bool(src_reach and any(
                    st.kind == FlowKind.DISCLOSURE.value and st.source for st in src_reach.steps))
                name = holder.get("name") or info.get(holder.get("id"), {}).get("name") or holder.get("id")
                out.append(Disclosure(holder.get("id"), name, discloser, s.window.first,
                                      sorted(s.elements), s.legal_basis, s.agreement, s.purpose,
                                      s.threat, redisclosure, s.via))
        out.sort(key=lambda x: (x.date or date.min, x.actor_id))
        return out

    def held(self, dataset_id: str) -> tuple[WindowSet, set[str]]:
        """The student's identifiable records in one dataset: (windows, elements)."""
        reach = self.reach.get(dataset_id, {}).get(Access.IDENTIFIABLE)
        return (reach.windows, set(reach.elements)) if reach else (WindowSet(), set())
