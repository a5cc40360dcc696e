"""Questions about one student, answered against the graph: exposure, the record of disclosures,
the path to one actor, and the subgraph they are evaluated on (dataset and breach questions are
in :mod:`lineage.questions.datasets`).

Each function takes an open :class:`~lineage.graph.store.Store` and returns plain data (dicts and
lists in the documented JSON shapes). Student IDs are the district's IDs as typed: they are
hashed here with the :class:`~lineage.core.pseudonym.Pseudonymizer` and never echoed in errors.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import date
from typing import Any

from lineage.core.errors import NotFoundError, UsageError
from lineage.core.pseudonym import Pseudonymizer
from lineage.core.vocabulary import Access
from lineage.core.windows import iso
from lineage.graph.keys import check_recorded
from lineage.graph.store import Store
from lineage.rules.evaluator import DEFAULT_MIN_CELL_SIZE, Lineage, StudentContext


@dataclass
class StudentLineage:
    """A student's evaluated lineage plus the names of the actors involved."""

    key: str
    lineage: Lineage
    actors: dict[str, dict]


def student_lineage(store: Store, pseudo: Pseudonymizer, student_id: str,
                    as_of: date | None = None) -> StudentLineage:
    """Fetch one student's context, dataset subgraph and the graph's key check value in one
    round trip (:meth:`~lineage.graph.store.Store.read_one_trip`), and evaluate the rules.

    Raises :class:`~lineage.core.errors.ConfigurationError` when the key is not the graph's
    (checked first, as :func:`~lineage.graph.keys.verify_key` does), then
    :class:`NotFoundError` ("no student with that ID", never the ID itself).
    """
    key = pseudo(student_id)
    row = store.read_one_trip("queries/exposure_context", **_context_params(
        student_keys=[key], subgraph=True, all_flows=False))[0]
    check_recorded(row["key_check"], pseudo)
    if not row["students"]:
        raise NotFoundError(
            "student not found: no student with that ID is in the graph",
            hint="check the ID as the district's export spells it (letter case counts: "
                 "'rsd-1001' is not 'RSD-1001'), and that LINEAGE_PSEUDONYM_KEY is the key the "
                 "data was loaded with")
    ctx = StudentContext.from_row(row["students"][0])
    datasets, actors = _subgraph_of(row)
    return StudentLineage(key, Lineage(ctx, datasets, as_of=as_of), actors)


def _context_row(store: Store, *, student_keys: list[str], subgraph: bool, all_flows: bool,
                 starts: list[str] = (), orgs: list[str] = (), people: list[str] = (),
                 within: list[str] | None = None) -> dict[str, Any]:
    """The one row of ``cypher/queries/exposure_context.cypher``: ``{students, datasets,
    actors, key_check}`` (see there for the shapes and parameters)."""
    return store.read("queries/exposure_context", **_context_params(
        student_keys=student_keys, subgraph=subgraph, all_flows=all_flows, starts=starts,
        orgs=orgs, people=people, within=within))[0]


def _context_params(*, student_keys: list[str], subgraph: bool, all_flows: bool,
                    starts: list[str] = (), orgs: list[str] = (), people: list[str] = (),
                    within: list[str] | None = None) -> dict[str, Any]:
    """The parameters of ``cypher/queries/exposure_context.cypher``."""
    return {"student_keys": list(student_keys), "subgraph": subgraph, "all_flows": all_flows,
            "starts": list(starts), "orgs": list(orgs), "people": list(people),
            "subject_flows": [], "within": within}


def _subgraph_of(row: dict[str, Any]) -> tuple[dict[str, dict], dict[str, dict]]:
    """``(datasets, actors)`` by id from an ``exposure_context`` row with its subgraph; the
    holders are among the actors."""
    datasets = {d["id"]: d for d in row["datasets"]}
    actors = {a["id"]: a for a in row["actors"]}
    for d in datasets.values():
        if d.get("holder"):
            actors[d["holder"]["id"]] = d["holder"]
    return datasets, actors


def contexts(store: Store, student_keys: list[str]) -> list[dict[str, Any]]:
    """The context rows of the given students (pseudonyms; unknown ones give no row), in one
    round trip without a subgraph: the rows :meth:`StudentContext.from_row` reads (shape in
    ``cypher/queries/exposure_context.cypher``)."""
    return _context_row(store, student_keys=student_keys, subgraph=False,
                        all_flows=True)["students"]


def subgraph(store: Store, starts: list[str], orgs: list[str], people: list[str], *,
             within: list[str] | None = None) -> tuple[dict[str, dict], dict[str, dict]]:
    """The dataset subgraph downstream of ``starts`` following every flow, and the actors
    involved, in one round trip (``cypher/queries/exposure_context.cypher`` without students;
    impact and the audit). ``within``: keep only these datasets (``None``: all).

    Returns ``(datasets, actors)``: dataset id -> dataset row (holder, inflows, grants; the shape
    :class:`~lineage.rules.evaluator.Lineage` reads) and actor id -> ``{id, name, role}``.
    """
    return _subgraph_of(_context_row(store, student_keys=[], subgraph=True, all_flows=True,
                                     starts=starts, orgs=orgs, people=people, within=within))


def element_name(store: Store, typed: str) -> str:
    """The data element a user typed, as the graph names it: the same name with case and
    runs of white space ignored, as an inventory's elements are matched on import
    (``lineage.sources.dictionary``); the NDPA catalogue and the elements inventories defined count.

    Raises :class:`UsageError` (exit 2) for an unknown element, naming the closest names: first
    the elements a metadata dictionary's column names map to
    (:data:`lineage.sources.dictionary.DEFAULT_COLUMN_MAPPING`: ``Birthdate`` -> ``Date of
    Birth``), then the element names closest in spelling.
    """
    from lineage.sources.dictionary import (  # the formats: only when asked
        DEFAULT_COLUMN_MAPPING,
        _canonical_element,
        column_key,
    )

    names = [r["name"] for r in store.read("queries/element_names")]
    found = _canonical_element(typed, {n: "" for n in names})
    if found is not None:
        return found
    want = " ".join(typed.split()).casefold()
    folded = {n.casefold(): n for n in names}
    close = [folded[c] for c in difflib.get_close_matches(want, list(folded), n=3, cutoff=0.6)]
    # a district's own word for an element (the metadata dictionary's column mapping:
    # "Birthdate" -> "Date of Birth") comes first
    synonyms = [DEFAULT_COLUMN_MAPPING[k] for k in difflib.get_close_matches(
        column_key(typed), list(DEFAULT_COLUMN_MAPPING), n=3, cutoff=0.8)]
    close = list(dict.fromkeys(x for x in synonyms + close if x in names))[:3]
    raise UsageError(
        f"unknown data element {typed.strip()!r}" + (
            f"; closest: {', '.join(repr(c) for c in close)}" if close else ""),
        hint="'lineage inventory' lists the elements the graph knows")


def exposure(store: Store, pseudo: Pseudonymizer, student_id: str, *, as_of: date | None = None,
             element: str | None = None) -> dict[str, Any]:
    """Every actor who could ever have touched the student's information.

    Returns ``{"student": <pseudonym>, "as_of": None | "YYYY-MM-DD", "actors": [...]}`` where
    each actor is ``{"actor_id", "actor_name", "role", "access", "elements", "first_date",
    "last_date", "legal_bases", "agreements", "datasets", "accessed", "could"}``, plus
    ``population`` and ``coverage_note`` for an actor reached only through a population the
    district describes in words (:func:`with_populations`: a conservative "could have"), and
    ``small_cell_note`` for an aggregate-only actor whose aggregates published unnamed small
    cells (:func:`with_small_cell_notes`) (see
    ``docs/rules.md``; with ``as_of``, ``last_date`` is ``None`` for a window still open on
    that day, rule 9). ``element`` keeps only actors that touched it, matched as
    :func:`element_name` does. Raises :class:`NotFoundError` for an unknown student and
    :class:`UsageError` for an unknown element.
    """
    wanted = element_name(store, element) if element is not None else None
    sl = student_lineage(store, pseudo, student_id, as_of)
    rows = exposure_rows(sl.lineage.exposures(sl.actors), sl.lineage)
    if wanted is not None:
        rows = [r for r in rows if wanted in r["elements"]]
    return {"student": sl.key, "as_of": as_of.isoformat() if as_of else None, "actors": rows}


def exposure_rows(exposures: list, lineage: Lineage) -> list[dict]:
    """The exposure rows as every answer shows them (``ActorExposure.as_dict`` shapes, in the
    order of ``exposures``) with their caveats: :func:`with_populations` and
    :func:`with_small_cell_notes`."""
    return with_small_cell_notes(with_populations([e.as_dict() for e in exposures], lineage),
                                 lineage)


def small_cell_note(smallest: int, minimum: int, named: bool = False) -> str:
    """The caveat of an aggregate-only actor whose aggregates published small cells without
    saying who is in them (see :func:`with_small_cell_notes`); ``named``: the aggregate lists
    the students of some small cells (this student is in none of them)."""
    who = ("that list the students of some of them (not this student) but may not list every "
           "small cell" if named else "that do not say who is in them")
    return (f"may identify: counted in aggregates that published cells of as few as {smallest} "
            f"students (below the minimum cell size of {minimum}) without suppression, and "
            f"{who}: if this student is in one, this recipient could identify them")


def with_small_cell_notes(rows: list[dict], lineage: Lineage) -> list[dict]:
    """Exposure rows with ``small_cell_note`` (:func:`small_cell_note`) added to each
    aggregate-only actor whose own aggregate datasets (held, or read through a grant) record a
    ``smallest_cell`` below their minimum cell size
    (:data:`~lineage.rules.evaluator.DEFAULT_MIN_CELL_SIZE` when unset) and are not suppressed.
    The students of such a cell count as identifiable (FERPA §99.31(b)(1); NCES), but an
    unnamed cell cannot say whether this student is one, so the answer must not read
    "aggregate only" without the caveat. Other rows are left as they are (no key added)."""
    # the aggregates each actor holds or may read itself: not those upstream of them, whose
    # cells a further aggregate published anew (docs/rules.md rule 5)
    own: dict[str, list[str]] = {}
    for e in lineage.entries():
        if e.level is Access.AGGREGATE and e.dataset not in own.setdefault(e.actor_id, []):
            own[e.actor_id].append(e.dataset)
    out = []
    for r in rows:
        small: list[tuple[int, int, bool]] = []
        if r["access"] == Access.AGGREGATE.value:
            for did in own.get(r["actor_id"], []):
                d = lineage.dataset(did) or {}
                n = d.get("smallest_cell")
                m = d.get("min_cell_size") or DEFAULT_MIN_CELL_SIZE
                if (d.get("granularity") == "aggregate" and not d.get("suppressed")
                        and n is not None and n < m):
                    small.append((n, m, bool(d.get("named_cells"))))
        out.append({**r, "small_cell_note": small_cell_note(*min(small))} if small else r)
    return out


def coverage_note(populations: list[str]) -> str:
    """The "could have" caveat for an actor reached only through flows that describe their
    population in words (see :meth:`~lineage.rules.evaluator.Lineage.described_populations`):
    ``could have: the district lists this recipient's population as 'Bus riders' but not its
    members; every student of the district is counted`` (several populations joined by " or ").
    """
    said = " or ".join(repr(p) for p in populations)
    return (f"could have: the district lists this recipient's population as {said} but not "
            "its members; every student of the district is counted")


def with_populations(rows: list[dict], lineage: Lineage) -> list[dict]:
    """Exposure rows (``ActorExposure.as_dict`` shapes) with ``population`` (the texts joined
    by ``"; "``) and ``coverage_note`` (:func:`coverage_note`) added to the actors that
    :meth:`~lineage.rules.evaluator.Lineage.described_populations` lists; other rows are left
    as they are (no key added, so answers without such flows keep their exact shape)."""
    pops = lineage.described_populations()
    out = []
    for r in rows:
        texts = pops.get(r["actor_id"])
        out.append({**r, "population": "; ".join(texts), "coverage_note": coverage_note(texts)}
                   if texts else r)
    return out


def record_of_disclosures(store: Store, pseudo: Pseudonymizer, student_id: str, *,
                          as_of: date | None = None) -> dict[str, Any]:
    """The FERPA §99.32 record of disclosures for one student.

    Returns ``{"student", "as_of", "disclosures": [{"actor_id", "actor_name", "discloser_id",
    "date", "date_recorded", "elements", "legal_basis", "agreement", "purpose", "threat",
    "redisclosure", "flow", "grant"}]}``: a disclosure made by a flow names it in ``flow``, one
    made by a grant (a party other than the holder may read the records) in ``grant``. Raises
    :class:`NotFoundError`.
    """
    sl = student_lineage(store, pseudo, student_id, as_of)
    return {"student": sl.key, "as_of": as_of.isoformat() if as_of else None,
            "disclosures": [d.as_dict() for d in sl.lineage.record_of_disclosures(sl.actors)]}


def explain_path(store: Store, pseudo: Pseudonymizer, student_id: str, actor_id: str, *,
                 as_of: date | None = None) -> dict[str, Any]:
    """The chains of coverage, flows and grants that explain how ``actor_id`` got the data.

    Returns ``{"student", "actor_id", "access", "chains": [[step, ...], ...]}``; each step is
    ``{"kind", "via", "from", "to", "elements", "legal_basis", "agreement", "first_date",
    "last_date", "access"}`` from where the records start to the actor. Raises
    :class:`NotFoundError` for an unknown student, an unknown actor (naming the closest actor
    ids) or an actor that never touched the data.
    """
    sl = student_lineage(store, pseudo, student_id, as_of)
    lin = sl.lineage
    exposures = {e.actor_id: e for e in lin.exposures(sl.actors)}
    if actor_id not in exposures:
        known = store.read("queries/actors_by_id", ids=[actor_id])
        if not known:
            ids = [r["id"] for r in store.read("queries/actor_ids")]
            close = difflib.get_close_matches(actor_id, ids, n=3, cutoff=0.6)
            raise NotFoundError(f"actor not found: {actor_id!r}" + (
                f"; closest: {', '.join(repr(c) for c in close)}" if close else ""),
                hint="'lineage exposure' lists the actors who touched this student's data")
        raise NotFoundError(f"{actor_id!r} never touched this student's information",
                            hint="'lineage exposure' lists who did")
    exp = exposures[actor_id]
    level = exp.access
    chains: list[list[dict]] = []

    def back(did: str, lvl: Access, tail: list[dict], seen: frozenset) -> None:
        for s in lin.steps(did, lvl):
            step = s.as_dict(did, lvl)
            if s.source and (s.source, s.level) not in seen:
                back(s.source, s.level, [step] + tail, seen | {(did, lvl)})
            elif not s.source:
                chains.append([step] + tail)

    for e in lin.entries():
        if e.actor_id == actor_id and e.level is level:
            back(e.dataset, level, [e.as_dict()], frozenset())
    if not exp.could:
        for a in lin.access_events(cut=False):
            if a["actor"] == actor_id:
                chains.append([{"kind": "access_log", "via": a.get("action") or "read",
                                "from": a.get("dataset"), "to": actor_id,
                                "elements": exp.elements, "legal_basis": None, "agreement": None,
                                "first_date": iso(a.get("at")), "last_date": iso(a.get("at")),
                                "access": level.value, "note": "no grant or flow covers this access"}])
    return {"student": sl.key, "actor_id": actor_id, "access": level.value,
            "accessed": exp.accessed, "chains": chains}


