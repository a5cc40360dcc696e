"""Questions about datasets and actors rather than one student: the upstream/downstream
neighbourhood of a dataset, and breach impact (every student an actor or dataset held).

Breach impact evaluates the rules once per class of students with the same population facts
(:mod:`lineage.rules.classes`) where it can.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import Any

from lineage.core.errors import NotFoundError, UsageError
from lineage.core.vocabulary import ORGANISATION_ROLES, Access, Scope
from lineage.core.windows import Window, iso
from lineage.graph.store import Store
from lineage.questions.student import contexts, subgraph
from lineage.rules.classes import ClassCache, population_context
from lineage.rules.evaluator import Lineage, StudentContext


def neighbourhood(store: Store, dataset_id: str, direction: str, depth: int | None = None
                  ) -> dict[str, Any]:
    """Upstream or downstream lineage of a dataset.

    ``direction`` is ``"upstream"`` or ``"downstream"``; ``depth`` limits the distance in flows
    (``None`` = no limit beyond 20). Returns ``{"dataset", "direction", "datasets": [{"id",
    "name", "granularity", "holder", "holder_role", "depth", "inflows": [...]}]}``; the start
    dataset is included at depth 0. Raises :class:`NotFoundError` for an unknown dataset.
    """
    rows = store.read("queries/dataset_neighbourhood", dataset=dataset_id, direction=direction)
    if not rows:
        raise NotFoundError(f"dataset not found: {dataset_id!r}",
                            hint="'lineage inventory' lists the datasets and recipients")
    if depth is not None:
        rows = [r for r in rows if r["depth"] <= depth]
    ids = {r["id"] for r in rows}
    for r in rows:
        # keep only the flows inside the neighbourhood, dates as ISO
        r["inflows"] = [{**f, "valid_from": iso(f["valid_from"]), "valid_to": iso(f["valid_to"])}
                        for f in r["inflows"]
                        if direction == "upstream" or f["source"] in ids or r["depth"] == 0]
        if direction == "downstream" and r["depth"] == 0:
            r["inflows"] = []
    return {"dataset": dataset_id, "direction": direction, "datasets": rows}


def covered_rows_suffice(ds: dict[str, dict], targets: list[str], population: list[str],
                         scoped: set[str], chains: dict[str, list[str]]) -> bool:
    """True when ``cypher/queries/impact_population_covered.cypher`` gives the answers of
    ``impact_population.cypher`` for this impact.

    That query reads, for a student whom no dataset of the subgraph ``ds`` lists as a member
    and no flow into it lists as a subject, only the enrolments at the orgs the ``population``
    datasets cover (and below them). Such a student's records reach the ``targets`` (whose
    reach is all the answer reads: a breached dataset's records, or the entries of an actor
    on the datasets it holds or is granted) only through flows that do not list students, so
    from the coverage of the datasets such flows lead from into a target. The rows suffice
    when (1) every such dataset is in ``population`` (its coverage is walked), and (2) every
    org whose chain (``chains``: org id -> ``[org, parent, ...]``) names an org of ``scoped``
    (the scopes of the breached actor's own school/district grants, where the rules look for
    the student's enrolments too) names an org the population's datasets cover.
    """
    whole = set(targets) & set(ds)
    todo = list(whole)
    while todo:
        for f in ds[todo.pop()].get("inflows") or []:
            src = f.get("source")
            if src in ds and src not in whole and not f.get("subjects_only"):
                whole.add(src)
                todo.append(src)
    if not whole <= set(population):
        return False
    if not scoped:
        return True
    covered = {c["org"] for did in population for c in (ds.get(did) or {}).get("coverage") or []}
    if any(o not in chains and o not in covered for o in scoped):
        return False
    return all(not set(chain) & scoped or set(chain) & covered for chain in chains.values())


def actor_row(lin: Lineage, actor: str, window: Window, targets: list[str]
              ) -> dict[str, Any] | None:
    """The impact row of a breach at ``actor`` for the student ``lin`` evaluates, without the
    student; ``None`` when not affected (docs/rules.md, Impact).

    Affected: the actor's exposure to the student is identifiable (rule 8) and the days it
    touched the records at that class (:meth:`Lineage.touched`: the days it held them or could
    read them, and the days of its identifiable access-log events) meet ``window`` -- the days
    themselves, never the span from the first to the last, so a window that falls in a gap
    between two enrolments at a grant's school affects no one. The row's elements are those
    ``lineage exposure`` reports for the actor; its dates are the first and last of those days
    (exposure's dates, the event days for an actor seen only in access logs); its datasets are
    exposure's among ``targets`` (the datasets the actor holds or has a grant on), then those
    its identifiable events read.
    """
    e = next((x for x in lin.exposures() if x.actor_id == actor), None)
    if e is None or e.access is not Access.IDENTIFIABLE:
        return None
    days = lin.touched(actor, Access.IDENTIFIABLE)
    if not days.intersect(window):
        return None
    read = [d for _, d, level, _ in lin.reads(actor) if level is Access.IDENTIFIABLE and d]
    names = [x for x in e.datasets if x in targets]
    return {"elements": e.elements, "first_date": iso(days.first), "last_date": iso(days.last),
            "datasets": list(dict.fromkeys([*names, *read]))}


def dataset_row(lin: Lineage, dataset: str, window: Window) -> dict[str, Any] | None:
    """The impact row of a breach of ``dataset`` for the student ``lin`` evaluates, without the
    student; ``None`` when the dataset holds no identifiable record of the student on a day of
    ``window`` (the days it holds them, not their hull)."""
    held, elements = lin.held(dataset)
    if not held.intersect(window):
        return None
    return {"elements": sorted(elements), "first_date": iso(held.first),
            "last_date": iso(held.last), "datasets": [dataset]}


def impact(store: Store, *, actor: str | None = None, dataset: str | None = None,
           since: date | None = None, until: date | None = None,
           batch_size: int = 1000, method: str = "classes") -> Iterator[dict[str, Any]]:
    """Breach impact: every student whose identifiable data the actor or dataset held (or, for
    an actor, could read, or is recorded in an access log as having read) on some day in
    ``[since, until]`` (inclusive; open when ``None``): the days themselves, not the span from
    the first to the last (:func:`actor_row`, :func:`dataset_row`).

    Streams rows ``{"student": <pseudonym>, "elements": [...], "first_date", "last_date",
    "datasets": [...]}`` one student at a time (never building the whole list), for notices
    under breach laws such as Illinois SOPPA. Exactly one of ``actor`` / ``dataset``.
    ``method`` ``"classes"`` (default) evaluates the rules once per class of students with the
    same population facts up to the order of their dates (:mod:`lineage.rules.classes`) unless the
    actor is a teacher or guardian; ``"per_student"`` evaluates each student (same answer,
    slower; kept for tests and comparison). The students an actor's access-log events name are
    evaluated one at a time either way, with their events (rule 10). Students come in no
    particular order.
    Raises :class:`NotFoundError` for an unknown actor or dataset, :class:`UsageError` for
    both or neither of ``actor`` / ``dataset`` or another ``method``.
    """
    if (actor is None) == (dataset is None):
        raise UsageError("give exactly one of actor or dataset")
    if method not in ("classes", "per_student"):
        raise UsageError(f"method must be 'classes' or 'per_student', not {method!r}")
    people: list[str] = []
    person = False
    broad: set[str] = set()
    reach_targets: list[str] = []  # the datasets whose records the actor holds or can read
    if actor is not None:
        rows = store.read("queries/actor_datasets", actor=actor, roster=Scope.ROSTER.value,
                          own_child=Scope.OWN_CHILD.value)
        if not rows:
            raise NotFoundError(f"actor not found: {actor!r}")
        reach_targets = sorted(set(rows[0]["held"]) | set(rows[0]["granted"]))
        # and the datasets its access-log events name (rule 10: read whatever its grants)
        targets = sorted(set(reach_targets) | set(rows[0]["read"]))
        people = [actor]
        person = rows[0]["person"]
        broad = set(rows[0]["broad"])
    else:
        targets = reach_targets = [dataset]
        broad = {dataset}
    upstream = {r["id"] for r in store.read("queries/upstream_population", datasets=targets,
                                            all_flows=True)}
    if dataset is not None and not upstream:
        raise NotFoundError(f"dataset not found: {dataset!r}",
                            hint="'lineage inventory' lists the datasets and recipients")
    # only the datasets on paths into the targets matter: a smaller subgraph, faster rules
    ds, _ = subgraph(store, sorted(upstream), [], people, within=sorted(upstream))
    # candidates: the populations that flow in whole, and the students listed by the flows
    # that enter them (a transfer into the district), never every student of every district
    # a chain of transfers links
    population = sorted(r["id"] for r in store.read("queries/upstream_population",
                                                    datasets=sorted(broad), all_flows=False))
    # the students the actor's access-log events name: each is evaluated with its whole context
    # (its events), never as a member of a class of students without events
    accessed = ({r["key"] for r in store.read("queries/impact_accessed", actor=actor)}
                if actor is not None else set())
    window = Window.of(since, until)
    shared: dict = {}  # what the evaluations over this subgraph share (Lineage)

    def answer(ctx: StudentContext) -> dict[str, Any] | None:
        """The impact row of one context, without the student (None: not affected)."""
        lin = Lineage(ctx, ds, shared=shared)
        if actor is not None:
            return actor_row(lin, actor, window, reach_targets)
        return dataset_row(lin, dataset, window)

    if not person and method == "classes":
        # population only (a vendor, a dataset): the rules run once per class of students
        # (lineage.rules.classes); the answer is the same as one student at a time
        chains = {c[0]: c for c in store.read(
            "queries/org_chains", org_roles=sorted(r.value for r in ORGANISATION_ROLES))[0]["chains"]}
        classes = ClassCache(lambda ctx: answer(StudentContext.from_row(ctx)), ds, (since, until))
        scoped = {g["scope_org"] for d in ds.values() for g in d.get("grants") or []
                  if actor is not None and g.get("actor") == actor and g.get("scope_org")
                  and g.get("scope") in (Scope.SCHOOL.value, Scope.DISTRICT.value)}
        # the common case reads each student's enrolments from the orgs' side (no walk of a
        # student's roster links); the same answers as impact_population.cypher
        name = ("queries/impact_population_covered"
                if covered_rows_suffice(ds, reach_targets, population, scoped, chains)
                else "queries/impact_population")
        for group in store.stream(name, datasets=population, within=sorted(ds)):
            row = classes(population_context(group, chains, classes.cover))
            if row is not None:
                for k in group["keys"]:
                    if k not in accessed:
                        yield {"student": k, **row}
        yield from _evaluate_each(store, sorted(accessed), answer, batch_size)
        return

    # a person (teacher, guardian), or per_student: one student at a time. Candidates: the
    # population of the datasets held or read whole, plus the person's rosters / children;
    # they stream from one session while each batch's contexts are read on another
    # (those the actor's access log names come last, once each)
    keys = (r["key"] for r in store.stream("queries/impact_candidates",
                                           datasets=population, people=people))
    yield from _evaluate_each(store, (k for k in keys if k not in accessed), answer, batch_size)
    yield from _evaluate_each(store, sorted(accessed), answer, batch_size)


def _evaluate_each(store: Store, keys: Iterable[str],
                   answer: Callable[[StudentContext], dict[str, Any] | None],
                   batch_size: int) -> Iterator[dict[str, Any]]:
    """The impact rows of the students ``keys`` (pseudonyms), one evaluation each over their
    whole context (``exposure_context.cypher``: rosters, guardians, access events), read in
    batches of ``batch_size`` while ``keys`` may still stream from another session."""
    batch: list[str] = []

    def evaluate(batch_keys: list[str]) -> Iterator[dict[str, Any]]:
        for row in contexts(store, batch_keys):
            r = answer(StudentContext.from_row(row))
            if r is not None:
                yield {"student": row["key"], **r}

    for k in keys:
        batch.append(k)
        if len(batch) >= batch_size:
            yield from evaluate(batch)
            batch = []
    if batch:
        yield from evaluate(batch)
