"""One educational agency, for the questions that read the whole graph (the public inventory,
the audit): which pairs of actors are inside one agency, so that records passing between them
are not a disclosure (FERPA §99.31(a)(1), §99.3). The rule itself is
:func:`lineage.rules.evaluator.same_agency`; this module only reads the actors' chains
(``cypher/queries/actor_chains.cypher``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from lineage.graph.store import Store
from lineage.rules.evaluator import same_agency


def inside(store: Store, pairs: Iterable[tuple[str | None, str | None]]
           ) -> Callable[[str | None, str | None], bool]:
    """A test ``inside(a, b)`` for actor ids: True when both are known actors of one
    educational agency. ``pairs``: the pairs that will be asked (their actors are read in one
    query); ids that are not actors (a role grant's "every teacher") are never inside."""
    ids = sorted({x for pair in pairs for x in pair if x})
    actors = {r["id"]: r for r in store.read("queries/actor_chains", ids=ids)} if ids else {}

    def test(a: str | None, b: str | None) -> bool:
        return same_agency(actors.get(a or ""), actors.get(b or ""))

    return test
