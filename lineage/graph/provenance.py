"""What the graph records about sources (docs/formats.md "Sources and snapshots").

The model, written by every load (:func:`lineage.graph.writer.load`):

* every node and relationship a load writes carries ``sources``: the sorted list of the source
  names that assert it (a name is added only when missing; ``cypher/ingest/*.cypher``,
  parameter ``$source``);
* ``(:Source {name, kind})`` per source, and one ``(:Load)`` record per source, its last load
  (``(:Source)-[:LAST_LOAD]->(:Load {source, id, kind, started, finished_at, finished,
  snapshot, rows_<kind>...})``), written by :func:`begin_load` **before** any row and marked
  finished by :func:`finish_load` only after the last one (and after the snapshot closing);
* a snapshot load (``--snapshot DATE``) also marks what it asserts with ``seen_in`` (its load
  id) on the kinds a snapshot closes (:func:`close_snapshot`).

:func:`forget` removes what only one source asserted. Reads (``lineage sources``, the
unfinished-load warning) live in :mod:`lineage.questions.sources`.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone
from typing import Any

from lineage.graph.store import Store
from lineage.sources.inventory import InventorySource
from lineage.sources.provenance import default_source_name


def source_of(src: InventorySource) -> str:
    """The source name of one input: ``src.source`` (``--source``) or the default rule
    (:func:`lineage.sources.provenance.default_source_name`)."""
    return src.source or default_source_name(src.origin, src.kind)


def now() -> datetime:
    """The current UTC date-time (what ``started`` / ``finished_at`` record)."""
    return datetime.now(timezone.utc)


def begin_load(store: Store, source: str, kind: str, snapshot: date | None) -> str:
    """Record that a load of ``source`` starts (``cypher/sources/load_begin.cypher``): its
    :class:`Source` node and its ``Load`` record, unfinished, replacing the source's earlier
    record. Call before writing any row. Returns the new load's id (random hex text)."""
    load_id = uuid.uuid4().hex
    store.write("sources/load_begin", source=source, kind=kind, load=load_id,
                started=now(), snapshot=snapshot)
    return load_id


def finish_load(store: Store, source: str, load_id: str, counts: dict[str, int]) -> None:
    """Mark the load finished with its row counts (``{kind: items}``, stored as
    ``rows_<kind>``). The last write of a load."""
    store.write("sources/load_finish", source=source, load=load_id, finished_at=now(),
                counts={f"rows_{k}": int(v) for k, v in sorted(counts.items()) if v})


def close_snapshot(store: Store, source: str, load_id: str, snapshot: date) -> dict[str, int]:
    """After a full snapshot of ``source`` dated ``snapshot`` (load ``load_id``): whatever the
    source asserted before and no longer asserts (no ``seen_in`` = this load), and that is still
    open on the snapshot date (``valid_from`` unset or on/before it; ``valid_to`` unset or
    on/after it) -- enrolments, roster rows, teaching, guardianships, grants and flows -- ends
    on the snapshot date (``valid_to`` = ``snapshot``, inclusive) when no other source asserts
    it; when another does, only ``source`` leaves its ``sources``. Nothing is deleted (docs/
    rules.md "Sources and snapshots"). Returns ``{"closed": n, "released": m}``.
    """
    out = {"closed": 0, "released": 0}
    for rows, _ in store.run_statements("sources/snapshot_close", source=source, load=load_id,
                                        snapshot=snapshot):
        for r in rows:
            out["closed"] += r["closed"]
            out["released"] += r["released"]
    return out


def forget_counts(store: Store, source: str) -> dict[str, Any]:
    """What :func:`forget` would do for ``source``, without doing it:
    ``{"relationships": n, "shared_relationships": m, "nodes": k, "shared_nodes": j,
    "shared_definitions": d, "also_defined_by": [source names]}`` -- relationships and nodes
    only ``source`` asserts (removed; such a node only when it is left with no relationship),
    those another source also asserts (kept; ``source`` leaves their lists), and of those the
    definitions (actors, datasets, flows...) with the other sources asserting them: they keep
    the values of the last load that wrote them, which forget cannot undo (a ``load --update``
    of ``source`` may have changed them: loading the other sources again restores theirs)."""
    return store.read("sources/forget_counts", source=source)[0]


def forget(store: Store, source: str) -> dict[str, int]:
    """Remove what only ``source`` asserted: relationships whose ``sources`` is just
    ``[source]``, then nodes left with no source and no relationship; take ``source`` out of
    the ``sources`` of everything another source also asserts; remove its ``Source`` and
    ``Load`` records. Returns ``{"relationships": removed, "nodes": removed}``. Batched
    (``CALL ... IN TRANSACTIONS``), so a large source never needs one large transaction."""
    out = {"relationships": 0, "nodes": 0}
    for rows, _ in store.run_statements("sources/forget", source=source):
        for r in rows:
            for k in out:
                out[k] += r.get(k, 0)
    return out
