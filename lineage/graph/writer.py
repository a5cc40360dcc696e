"""Writing validated inventories into the graph: schema first, then batched ``UNWIND`` writes.

:func:`load` validates **everything** first (:func:`lineage.sources.inventory.validate`, including every
bulk CSV row and references to what the graph already holds) and writes only when there is no
problem. Writes are idempotent (``MERGE`` on IDs; relationships with a window are keyed by the
window's start), so loading the same files twice leaves the same graph. Student IDs are hashed
(:class:`lineage.core.pseudonym.Pseudonymizer`) before they leave this module.

Before anything is written (:func:`prepare`, then :func:`load`):

* the key: the graph's key check value must be that of the key in use
  (:func:`lineage.core.pseudonym.verify_key`); the first load records it;
* the definitions: a load that would change what an earlier load defined (an actor's name or
  role, a dataset's holder or elements, an agreement's recipients, a flow's source or dates, a
  grant...) lists every change (:func:`definition_changes`) and writes only with ``update``;
* the files: every bulk file must still hold the bytes validated (SHA-256). While a file is
  written its bytes are hashed again; a file that changed is an
  :class:`~lineage.core.errors.IncompleteLoadError` before its last batches are written.
"""

from __future__ import annotations

import os
import queue
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from lineage.core.errors import IncompleteLoadError, InputError, Problem
from lineage.core.models import Inventory
from lineage.core.pseudonym import Pseudonymizer
from lineage.core.vocabulary import ELEMENT_CATEGORY, SENSITIVE_CATEGORIES, Scope
from lineage.graph.keys import claim_key, verify_key
from lineage.graph.provenance import begin_load, close_snapshot, finish_load, source_of
from lineage.graph.store import Store
from lineage.rules.evaluator import possible_elements
from lineage.sources.bulk import BULK
from lineage.sources.inventory import (
    LOOKUP_CHUNK,
    BulkRow,
    BulkSink,
    Catalog,
    FileStamp,
    InventorySource,
    bulk_in_order,
    file_stamp,
    iter_bulk_rows,
    read_inventory,
    validate,
)


@dataclass
class LoadSummary:
    """What a load wrote: items per kind (as given in the input), the wall seconds spent writing
    each kind (reading and hashing its rows included), and the database counters."""

    items: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    nodes_created: int = 0
    relationships_created: int = 0
    #: links an update took away (a flow's element, a student no longer listed...)
    relationships_deleted: int = 0
    properties_set: int = 0
    warnings: list[str] = field(default_factory=list)
    #: changes to earlier definitions applied with ``update`` (file, field, old -> new)
    changes: list[str] = field(default_factory=list)
    #: per source of a snapshot load: {"closed": n, "released": m}
    #: (:func:`lineage.graph.provenance.close_snapshot`)
    closed: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, kind: str, n: int, counters: dict[str, int], seconds: float = 0.0) -> None:
        """Count ``n`` input items of ``kind`` written in ``seconds``; add the write counters."""
        self.items[kind] = self.items.get(kind, 0) + n
        self.seconds[kind] = self.seconds.get(kind, 0.0) + seconds
        self.nodes_created += counters.get("nodes_created", 0)
        self.relationships_created += counters.get("relationships_created", 0)
        self.relationships_deleted += counters.get("relationships_deleted", 0)
        self.properties_set += counters.get("properties_set", 0)


def _k(d: date | None, *extra: Any) -> str:
    """Relationship key: the window start (or 'open') plus any extra discriminators."""
    return "|".join([d.isoformat() if d else "open", *[str(e) for e in extra if e is not None]])


def _batched(items: Iterable[dict], size: int) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for it in items:
        batch.append(it)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def prefetch(batches: Iterable[list[dict]], depth: int = 2) -> Iterator[list[dict]]:
    """Yield ``batches`` while a background thread reads ahead (at most ``depth`` batches), so
    that reading CSV rows and hashing IDs overlap with the database writing the previous batch.

    An exception in the reader is re-raised here, in the caller's thread. The reader stops
    when the consumer stops early (closing this generator).
    """
    q: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def produce() -> None:
        try:
            for b in batches:
                while not stop.is_set():
                    try:
                        q.put(b, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(done)
        except BaseException as exc:  # noqa: BLE001 -- handed to the consumer thread
            q.put(exc)

    t = threading.Thread(target=produce, name="lineage-prefetch", daemon=True)
    t.start()
    try:
        while True:
            item = q.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        t.join(timeout=5)


def partitioned(rows: Iterable[dict], key: Callable[[dict], str | int], size: int,
                partitions: int) -> Iterator[tuple[int, list[dict]]]:
    """Group ``rows`` into batches of ``size`` per partition (``crc32(key(row)) % partitions``,
    an ``int`` key is taken as the partition itself); yield ``(partition, batch)`` as each fills,
    then the remainders. Rows of one partition keep their order."""
    buffers: list[list[dict]] = [[] for _ in range(partitions)]
    for r in rows:
        k = key(r)
        p = k % partitions if isinstance(k, int) else zlib.crc32(k.encode()) % partitions
        buf = buffers[p]
        buf.append(r)
        if len(buf) >= size:
            yield p, buf
            buffers[p] = []
    for p, buf in enumerate(buffers):
        if buf:
            yield p, buf


def existing_lookup(store: Store) -> Callable[[dict[str, set[str]]], dict[str, set[str]]]:
    """A reference lookup for :func:`validate` that asks the graph which IDs exist."""

    def lookup(wanted: dict[str, set[str]]) -> dict[str, set[str]]:
        params = {k: sorted(wanted.get(k, ())) for k in
                  ("actors", "datasets", "agreements", "flows", "sections", "elements")}
        row = store.read("ingest/existing_ids", **params)[0]
        return {k: set(v) for k, v in row.items()}

    return lookup


def role_lookup(store: Store) -> Callable[[list[str], frozenset[str]], dict[str, str]]:
    """A role lookup for :func:`validate`: ``{id: role}`` of the given actor IDs the graph holds
    with a role not in ``allowed`` (``cypher/ingest/existing_roles.cypher``, in chunks)."""

    def lookup(ids: list[str], allowed: frozenset[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for i in range(0, len(ids), LOOKUP_CHUNK):
            for row in store.read("ingest/existing_roles", ids=ids[i:i + LOOKUP_CHUNK],
                                  allowed=sorted(allowed)):
                out[row["id"]] = row["role"]
        return out

    return lookup


def school_lookup(store: Store) -> Callable[[list[tuple[str, str]]], dict[str, str]]:
    """A section-school lookup for :func:`validate`: ``{section: school}`` of the given
    ``(section, school)`` pairs that the graph holds at another school
    (``cypher/ingest/existing_section_schools.cypher``, in chunks)."""

    def lookup(pairs: list[tuple[str, str]]) -> dict[str, str]:
        out: dict[str, str] = {}
        for i in range(0, len(pairs), LOOKUP_CHUNK):
            rows = [{"id": s, "school": o} for s, o in pairs[i:i + LOOKUP_CHUNK]]
            for row in store.read("ingest/existing_section_schools", rows=rows):
                out[row["id"]] = row["school"]
        return out

    return lookup


def student_lookup(store: Store, pseudo: Pseudonymizer) -> Callable[[list[str]], set[str]]:
    """A student lookup for :func:`validate`: the given raw IDs whose pseudonyms are students in
    the graph (``cypher/ingest/existing_students.cypher``; only pseudonyms are sent)."""

    def lookup(ids: list[str]) -> set[str]:
        out: set[str] = set()
        for i in range(0, len(ids), LOOKUP_CHUNK):
            keys = {pseudo(x): x for x in ids[i:i + LOOKUP_CHUNK]}
            for row in store.read("ingest/existing_students", keys=list(keys)):
                out.add(keys[row["key"]])
        return out

    return lookup


#: Fields compared by :func:`definition_changes`, per kind of definition (the ingest rows' keys).
#: Inline students of flows and small cells are compared apart (:func:`_unlisted_students`).
COMPARED_FIELDS: dict[str, tuple[str, ...]] = {
    "actors": ("name", "role", "description", "part_of"),
    "datasets": ("name", "holder", "granularity", "purpose", "elements", "members_only",
                 "retention", "valid_from", "valid_to", "min_cell_size", "suppressed",
                 "smallest_cell", "population", "coverage"),
    "small_cells": ("dataset", "label", "size", "suppressed", "elements"),
    "agreements": ("kind", "purpose", "legal_basis", "valid_from", "valid_to", "destroy_by",
                   "may_redisclose", "permitted_elements", "recipients"),
    "flows": ("kind", "operation", "source", "target", "elements", "legal_basis", "agreement",
              "purpose", "threat", "valid_from", "valid_to", "population"),
    "grants": ("actor", "dataset", "scope", "scope_org", "elements", "legal_basis", "agreement",
               "purpose", "valid_from", "valid_to"),
    "sections": ("name", "school"),
    "elements": ("category", "sensitive", "ceds_id", "description"),
}


def _plain(v: Any) -> Any:
    """A stored or input value in one comparable form: dates as ISO text, lists sorted, coverage
    entries as ``org from..to`` text, ``None`` for unset."""
    if v is None:
        return None
    if hasattr(v, "to_native"):
        v = v.to_native()
    if isinstance(v, datetime):
        v = v.date()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, dict) and "org" in v:
        return f"{v['org']} {_plain(v.get('valid_from')) or '…'}..{_plain(v.get('valid_to')) or '…'}"
    if isinstance(v, (list, tuple)):
        return sorted(_plain(x) for x in v)
    return _v(v)


def _show(v: Any) -> str:
    return "(unset)" if v is None else repr(v)


def _definition_items(src: InventorySource) -> Iterator[tuple[str, str, str]]:
    """``(kind, id, where)`` of every definition of one inventory, in the order of
    :func:`inventory_rows` (``where`` as validation names it, e.g. ``datasets[1] (id x)``)."""
    inv = src.inventory
    for i, e in enumerate(inv.elements):
        yield "elements", e.name, f"elements[{i}] (name {e.name})"
    for key in ("actors", "datasets", "agreements", "flows", "grants", "sections"):
        for i, item in enumerate(getattr(inv, key)):
            yield key, item.id, f"{key}[{i}] (id {item.id})"
    for i, d in enumerate(inv.datasets):
        for j, _ in enumerate(d.small_cells):
            yield "small_cells", f"{d.id}#{j + 1}", f"datasets[{i}] (id {d.id}).small_cells[{j}]"


def definition_changes(store: Store, sources: list[InventorySource],
                       pseudo: Pseudonymizer) -> list[Problem]:
    """Every change the sources would make to definitions the graph already holds: one
    :class:`Problem` per field (file, ``kind[i] (id X).field``, ``changes old → new``), in input
    order. Fields are :data:`COMPARED_FIELDS`; a stored name equal to the id (an actor or
    section a bulk file created) is taken as unset, so naming it is not a change. Values come
    from inventories, never from files of student IDs. Empty when nothing changes. Students a
    flow or small cell no longer lists are changes too (:func:`_unlisted_students`); raises
    :class:`InputError` for a flow whose list of students would become empty.
    """
    wanted: dict[str, list[str]] = {k: [] for k in COMPARED_FIELDS}
    items: list[tuple[InventorySource, str, str, str]] = []
    for src in sources:
        for kind, ident, where in _definition_items(src):
            wanted[kind].append(ident)
            items.append((src, kind, ident, where))
    if not items:
        return []
    stored_row = store.read("ingest/existing_definitions", **wanted)[0]
    stored = {kind: {(r["name"] if kind == "elements" else r["id"]): r
                     for r in stored_row[kind]} for kind in COMPARED_FIELDS}
    new_rows: dict[tuple[str, str], dict] = {}
    for src in sources:
        for kind, rows in inventory_rows(src.inventory, pseudo).items():
            for r in rows:
                new_rows[(kind, r["id"])] = r
        for e in element_rows([src]):
            if any(x.name == e["name"] for x in src.inventory.elements):
                new_rows[("elements", e["name"])] = e
    changes: list[Problem] = []
    for src, kind, ident, where in items:
        old = stored[kind].get(ident)
        new = new_rows.get((kind, ident))
        if old is None or new is None:
            continue
        for f in COMPARED_FIELDS[kind]:
            a, b = _plain(old.get(f)), _plain(new.get(f))
            if f == "name" and a == ident:
                continue                    # created by a bulk file with its id as name
            if kind == "elements" and f in ("ceds_id", "description") and b is None:
                continue                    # not given: the stored value is kept
            if a != b:
                changes.append(Problem(src.origin, None, f"{where}.{f}",
                                       f"changes {_show(a)} → {_show(b)}"))
    unlisted, refused = _unlisted_students(store, sources, items, new_rows)
    if refused:
        raise InputError(refused, hint="a load never empties a flow's list of students")
    changes.extend(unlisted)
    return changes


def _unlisted_students(store: Store, sources: list[InventorySource],
                       items: list[tuple[InventorySource, str, str, str]],
                       new_rows: dict[tuple[str, str], dict]
                       ) -> tuple[list[Problem], list[Problem]]:
    """The flows and small cells whose students a source listed before in the definition
    itself and its inventory no longer lists: ``(changes, refused)``, one :class:`Problem` each,
    counting the students, never naming them. A change: ``load --update`` takes them out
    (``cypher/ingest/flows.cypher``, ``small_cells.cypher``), so that a student listed by
    mistake in a disclosure leaves its record of disclosures. Refused whatever ``--update``
    says: a flow whose list would become empty, since a flow that lists no students moves the
    whole population of its source (docs/rules.md rule 2). Students of subjects files are never
    compared: such files only ever add (they may come in parts)."""
    wanted: dict[str, list[dict]] = {"flows": [], "small_cells": []}
    for src, kind, ident, _ in items:
        if kind in wanted:
            wanted[kind].append({"id": ident, "source": source_of(src)})
    if not wanted["flows"] and not wanted["small_cells"]:
        return [], []
    row = store.read("ingest/existing_listed_students", flows=wanted["flows"],
                     cells=wanted["small_cells"])[0]
    stored = {("flows", r["id"], r["source"]): set(r["keys"]) for r in row["flows"]}
    stored.update({("small_cells", r["id"], r["source"]): set(r["keys"]) for r in row["cells"]})
    changes: list[Problem] = []
    refused: list[Problem] = []
    for src, kind, ident, where in items:
        before = stored.get((kind, ident, source_of(src)))
        new = new_rows.get((kind, ident))
        if not before or new is None:
            continue
        gone = len(before - set(new["students"]))
        if not gone:
            continue
        were = "student this source listed before is" if gone == 1 else \
            "students this source listed before are"
        listed = f"{gone} {were} no longer listed (not shown: student IDs)"
        if kind == "flows" and not new["students"]:
            refused.append(Problem(src.origin, None, f"{where}.students", (
                f"{listed} and the list is now empty: a flow that lists no students moves "
                "every student of its source (docs/rules.md rule 2), not none; to take its "
                "students out, end the flow (valid_to) or remove the source with 'lineage "
                "forget SOURCE --yes'")))
            continue
        thing = "flow" if kind == "flows" else "small cell"
        changes.append(Problem(src.origin, None, f"{where}.students", (
            f"{listed}; with --update they leave the {thing} (and any record of disclosures "
            "it made for them), unless another source lists them")))
    return changes, refused


def prepare(store: Store, sources: list[InventorySource], pseudo: Pseudonymizer, *,
            update: bool = False, sink: BulkSink | None = None) -> tuple[Catalog, list[Problem]]:
    """Everything checked before a load writes: the key (:func:`verify_key`), every source and
    bulk row (:func:`validate`, against the graph) and the changes to earlier definitions.

    Returns ``(catalog, changes)``. Raises :class:`~lineage.core.errors.ConfigurationError` for
    another key, :class:`InputError` for bad input, and :class:`InputError` listing the changes
    when there are any and ``update`` is false. Writes nothing to the graph. ``sink``: handed
    each valid bulk row as validation reads it (:func:`~lineage.sources.inventory.validate`).
    """
    verify_key(store, pseudo)
    catalog = validate(sources, existing_lookup(store), role_lookup(store),
                       student_lookup(store, pseudo), sink=sink, schools=school_lookup(store))
    changes = definition_changes(store, sources, pseudo)
    if changes and not update:
        raise InputError(changes, hint="these change what an earlier load defined; check them "
                         "and load again with --update to apply them")
    return catalog, changes


def _verify_files(catalog: Catalog) -> dict[str, FileStamp]:
    """Hash every bulk file again; raise :class:`InputError` (nothing written) for one that
    changed since it was validated. Returns the stamps (with the current modification times)."""
    now: dict[str, FileStamp] = {}
    problems = []
    for name, stamp in catalog.files.items():
        try:
            cur = file_stamp(Path(name))
        except OSError as exc:
            problems.append(Problem(name, None, None, f"cannot read the file any more "
                                    f"({exc.strerror or exc})"))
            continue
        if cur.sha256 != stamp.sha256:
            problems.append(Problem(name, None, None, "changed after it was validated (its "
                                    "SHA-256 differs): nothing was written"))
        now[name] = cur
    if problems:
        raise InputError(problems, hint="keep the files unchanged while loading, and run the "
                         "load again")
    return now


def unchanged_stamp(path: Path, stamps: dict[str, FileStamp]) -> FileStamp:
    """The validation stamp of the bulk file ``path``, after checking that its size and
    modification time are still those validated. Raises :class:`IncompleteLoadError` when the
    file changed (or went) since validation."""
    name = str(path)
    stamp = stamps.get(name)
    try:
        st = os.stat(path)
    except OSError:
        raise _changed_while_loading(name) from None
    if stamp is None or (st.st_size, st.st_mtime_ns) != (stamp.size, stamp.mtime_ns):
        raise _changed_while_loading(name)
    return stamp


def _changed_while_loading(name: str) -> IncompleteLoadError:
    return IncompleteLoadError(
        f"{name} changed while it was being loaded (its bytes differ from the ones validated): "
        "the load is incomplete (rows written before the change stay in the graph)",
        hint="keep the files unchanged while loading, and run the same load again (loading "
        "is idempotent)")


def element_rows(sources: list[InventorySource]) -> list[dict]:
    """Every element to MERGE: the NDPA catalogue plus the inputs' own definitions (``own``:
    defined by an input, so its source asserts it; catalogue elements are vocabulary)."""
    rows = {name: {"name": name, "category": cat, "sensitive": cat in SENSITIVE_CATEGORIES,
                   "ceds_id": None, "description": None, "own": False}
            for name, cat in ELEMENT_CATEGORY.items()}
    for src in sources:
        for e in src.inventory.elements:
            rows[e.name] = {"name": e.name, "category": e.category,
                            "sensitive": e.sensitive if e.sensitive is not None
                            else e.category in SENSITIVE_CATEGORIES,
                            "ceds_id": e.ceds_id, "description": e.description, "own": True}
    return list(rows.values())


def _v(e: Any) -> Any:
    return e.value if hasattr(e, "value") else e


def inventory_rows(inv: Inventory, pseudo: Pseudonymizer) -> dict[str, list[dict]]:
    """The parameter rows of each ingest statement for one inventory (no bulk data)."""
    out: dict[str, list[dict]] = {k: [] for k in
                                  ("actors", "datasets", "small_cells", "agreements", "flows",
                                   "grants", "sections")}
    for a in inv.actors:
        out["actors"].append({"id": a.id, "name": a.name or a.id, "role": a.role.value,
                              "description": a.description, "part_of": a.part_of})
    for d in inv.datasets:
        out["datasets"].append({
            "id": d.id, "name": d.name or d.id, "holder": d.holder,
            "granularity": d.granularity.value, "purpose": d.purpose,
            "elements": sorted(set(d.elements)) if d.elements is not None else None,
            "members_only": d.members_only, "retention": d.retention.value,
            "valid_from": d.valid_from, "valid_to": d.valid_to,
            "min_cell_size": d.min_cell_size, "suppressed": d.suppressed,
            "smallest_cell": d.smallest_cell, "population": d.population,
            "coverage": [{"org": c.org, "valid_from": c.valid_from, "valid_to": c.valid_to,
                          "k": _k(c.valid_from)} for c in d.coverage],
        })
        for i, c in enumerate(d.small_cells):
            out["small_cells"].append({
                "id": f"{d.id}#{i + 1}", "dataset": d.id, "label": c.label, "size": c.size,
                "suppressed": c.suppressed if c.suppressed is not None else bool(d.suppressed),
                "elements": sorted(set(c.elements)),
                "students": sorted({pseudo(s) for s in c.students}),
            })
    for g in inv.agreements:
        out["agreements"].append({
            "id": g.id, "kind": g.kind.value, "purpose": g.purpose,
            "legal_basis": _v(g.legal_basis), "valid_from": g.valid_from, "valid_to": g.valid_to,
            "destroy_by": g.destroy_by, "may_redisclose": g.may_redisclose,
            "permitted_elements": sorted(set(g.permitted_elements)),
            "recipients": sorted(set(g.recipients)),
        })
    for f in inv.flows:
        out["flows"].append({
            "id": f.id, "kind": f.kind.value, "operation": f.operation.value, "source": f.source,
            "target": f.target, "elements": sorted(set(f.elements)),
            "legal_basis": _v(f.legal_basis), "agreement": f.agreement, "purpose": f.purpose,
            "threat": f.threat, "valid_from": f.valid_from, "valid_to": f.valid_to,
            "population": f.population, "students": sorted({pseudo(s) for s in f.students}),
        })
    for g in inv.grants:
        out["grants"].append({
            "id": g.id, "actor": g.actor, "dataset": g.dataset, "scope": g.scope.value,
            "scope_org": g.scope_org, "elements": sorted(set(g.elements)),
            "legal_basis": _v(g.legal_basis), "agreement": g.agreement, "purpose": g.purpose,
            "valid_from": g.valid_from, "valid_to": g.valid_to,
        })
    for s in inv.sections:
        out["sections"].append({
            "id": s.id, "school": s.school, "name": s.name or s.id,
            "teachers": [{"actor": t.actor, "valid_from": t.valid_from, "valid_to": t.valid_to,
                          "k": _k(t.valid_from)} for t in s.teachers],
        })
    return out


def bulk_param(row: BulkRow, pseudo: Pseudonymizer) -> dict:
    """One bulk row as the parameters of its statement (:class:`~lineage.sources.bulk.BulkSpec`):
    the student ID replaced by its pseudonym, defaults filled in, the idempotency key ``k``,
    dates as ISO text (``YYYY-MM-DD``; the statement converts them, see :data:`_DATE_COLUMNS`)."""
    spec = BULK[row.kind]
    v = dict(row.values)
    if "student_id" in v:
        v["student"] = pseudo(v.pop("student_id"))
    for c, d in spec.defaults.items():
        v[c] = v.get(c) or (list(d) if isinstance(d, tuple) else d)
    if spec.key:
        v["k"] = _k(*(v[c] for c in spec.key))
    for c in _DATE_COLUMNS:
        d = v.get(c)
        if d is not None:
            v[c] = d.isoformat()
    return v


#: Bulk columns holding dates. They are sent as ISO text, which the ingest statements turn
#: into Cypher dates once (``date(r.valid_from)``): packing a ``datetime.date`` as a Bolt date
#: costs the driver several times more Python time than a ten-character string.
_DATE_COLUMNS = ("valid_from", "valid_to", "at")


def read_sources(paths: list[Path]) -> list[InventorySource]:
    """Parse every inventory file; collect every file's problems before raising one InputError."""
    sources, problems = [], []
    for p in paths:
        try:
            sources.append(read_inventory(p))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems, hint="'lineage schema' prints the format as JSON Schema")
    return sources


def load(store: Store, sources: list[InventorySource], pseudo: Pseudonymizer, *,
         batch_size: int = 20000, progress: Callable[[str, int, int], None] | None = None,
         writers: int = 2, update: bool = False, demo: bool = False,
         snapshot: date | None = None) -> LoadSummary:
    """Check all sources (:func:`prepare`), then write them. Returns a :class:`LoadSummary`.

    Provenance (:mod:`lineage.graph.provenance`): each input speaks for its source
    (:func:`~lineage.graph.provenance.source_of`); every node and relationship written lists
    it in ``sources``. Each source's ``Load`` record is written, unfinished, before any row and
    marked finished after the last. ``snapshot`` (the export's date): each source of the load
    is a full snapshot, and what it asserted before and no longer asserts is closed at that
    date (:func:`~lineage.graph.provenance.close_snapshot`).

    Bulk rows go in batches of ``batch_size`` rows over ``writers`` concurrent sessions
    (partitioned so that they rarely touch the same nodes; 1 = one session, in file order).
    ``update``: apply changes to earlier definitions (listed in ``summary.changes``) instead of
    refusing them. ``demo``: the first load marks the graph as made by ``lineage demo``.
    ``progress``: called as ``progress(label, rows_done, rows_expected)`` when each bulk file
    starts and after each row it reads (the library draws nothing itself).

    Raises :class:`~lineage.core.errors.InputError` (nothing written) when any source has a problem,
    changes an earlier definition without ``update``, or a bulk file changed since it was
    validated; :class:`~lineage.core.errors.ConfigurationError` for another pseudonym key;
    :class:`~lineage.core.errors.IncompleteLoadError` when a bulk file changes while it is written;
    :class:`~lineage.core.errors.DatabaseUnavailable` / :class:`~lineage.core.errors.DatabaseError` from the store.
    """
    catalog, changes = prepare(store, sources, pseudo, update=update)
    stamps = _verify_files(catalog)
    store.run_schema("schema")
    claim_key(store, pseudo, demo=demo)
    summary = LoadSummary(changes=[str(c) for c in changes])
    for src in sources:
        summary.warnings.extend(str(w) for w in src.warnings)
    summary.warnings.extend(str(w) for w in catalog.warnings)

    names: dict[str, str] = {}                     # source name -> kind, in input order
    for src in sources:
        names.setdefault(source_of(src), src.kind)
    loads = {name: begin_load(store, name, kind, snapshot) for name, kind in names.items()}
    by_source: dict[str, dict[str, int]] = {name: {} for name in names}

    def params(name: str) -> dict[str, Any]:
        return {"source": name, "load": loads[name] if snapshot else None}

    for name in names:
        summary.add("elements", 0, store.write_batches("ingest/elements", [element_rows(
            [s for s in sources if source_of(s) == name])], **params(name)))
    per_kind: dict[tuple[str, str], list[dict]] = {}
    for src in sources:
        for kind, rows in inventory_rows(src.inventory, pseudo).items():
            per_kind.setdefault((kind, source_of(src)), []).extend(rows)
    extra = {"grants": {"person_scopes": [Scope.ROSTER.value, Scope.OWN_CHILD.value]}}
    for kind in ("actors", "datasets", "small_cells", "agreements", "flows", "grants", "sections"):
        for name in names:
            rows = per_kind.get((kind, name), [])
            if rows:
                t0 = time.perf_counter()
                counters = store.write_batches(f"ingest/{kind}", _batched(rows, batch_size),
                                               **extra.get(kind, {}), **params(name))
                summary.add(kind, len(rows), counters, time.perf_counter() - t0)
                by_source[name][kind] = by_source[name].get(kind, 0) + len(rows)

    bulk = bulk_in_order(sources)  # actors and sections before the rows that refer to them
    for src, b in bulk:
        path = src.base_dir / b.path
        name = str(path)
        stamp = unchanged_stamp(path, stamps)
        total = _count_lines(path) if progress else 0
        label = f"{b.kind.value} ({path.name})"
        if progress:
            progress(label, 0, total)
        done = [0]

        def rows(src=src, b=b, name=name, stamp=stamp, label=label, total=total,
                 done=done) -> Iterator[dict]:
            read: dict[str, FileStamp] = {}
            for item in iter_bulk_rows(src, b, read):
                if isinstance(item, BulkRow):
                    done[0] += 1
                    if progress:
                        progress(label, done[0], total)
                    yield bulk_param(item, pseudo)
            # the whole file was read: its bytes must be the ones validated, before the
            # last batches (the partitions' remainders) are handed to the writers
            got = read.get(name)
            if got is None or got.sha256 != stamp.sha256:
                raise _changed_while_loading(name)

        t0 = time.perf_counter()
        spec = BULK[b.kind]
        key = spec.partition_key(catalog.section_school, batch_size)
        src_name = source_of(src)
        counters = store.write_partitioned(
            spec.statement, prefetch(partitioned(rows(), key, batch_size, writers)),
            writers=writers, **spec.extra_params, **params(src_name))
        summary.add(b.kind.value, done[0], counters,
                    time.perf_counter() - t0)
        by_source[src_name][b.kind.value] = by_source[src_name].get(b.kind.value, 0) + done[0]
    for name in names:
        if snapshot is not None:
            closed = close_snapshot(store, name, loads[name], snapshot)
            summary.closed[name] = closed
        finish_load(store, name, loads[name], by_source[name])
    summary.warnings.extend(cell_element_warnings(store))  # docs/rules.md rule 5
    return summary


def _count_lines(path: Path) -> int:
    """Data rows in a CSV (lines minus header), for the progress bar; 0 when unreadable."""
    try:
        with path.open("rb") as fh:
            return max(0, sum(buf.count(b"\n") for buf in iter(lambda: fh.read(1 << 20), b"")) - 1)
    except OSError:
        return 0


def cell_element_warnings(store: Store) -> list[str]:
    """Warnings for named small cells that name an element no source of their aggregate can
    ever hold (docs/rules.md rule 5: a cell reveals only what its source holds, so such an
    element is never revealed; the cell or the inventory is probably wrong). One line per
    cell, naming the dataset, the cell and the elements; no student is read."""
    row = store.read("queries/small_cell_sources")[0]
    can = possible_elements(row["datasets"], row["flows"])
    starts = {d["id"]: d for d in row["datasets"]}
    out = []
    for c in sorted(row["cells"], key=lambda c: (c["dataset"], c["label"])):
        d = c["dataset"]
        revealable: set[str] = set()
        for f in row["flows"]:
            if f["target"] == d and f.get("source") is not None:
                revealable |= can.get(f["source"], set())
        if starts.get(d, {}).get("starts"):
            revealable |= set(starts[d].get("elements") or [])
        never = sorted(set(c["elements"]) - revealable)
        if never:
            out.append(f"dataset {d}, small cell '{c['label']}': names "
                       f"{', '.join(never)}, which no source of {d} can hold; the cell reveals only "
                       "what its sources hold (docs/rules.md rule 5)")
    return out
