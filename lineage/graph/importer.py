"""The first load of a whole state through Neo4j's offline importer (``neo4j-admin database
import full``): the graph of :func:`lineage.graph.writer.load`, written as the importer's CSV files.

:func:`initial_load` is ``lineage load --initial``: it validates exactly as ``lineage load`` does
(:func:`lineage.graph.writer.prepare`: the same pseudonyms, problems and refusals, nothing written
on bad input), converts the validated rows into the importer's node and relationship files
(:func:`write_import_files`, streamed: a bulk row is written as it is read), stops the local
server, runs the importer from the server's own classpath (:func:`lineage.graph.server.import_full`),
starts the server again and finishes the graph (:func:`finish`: constraints and indexes of
``cypher/schema.cypher``, the values CSV cannot carry, the key check claim).

The conversion replays the ``cypher/ingest/*.cypher`` statements as they act on an **empty**
database, in the order :func:`~lineage.graph.writer.load` runs them (inventory kinds, then bulk
kinds in :data:`~lineage.sources.bulk.BULK_ORDER`, each file in file order):

* ``MERGE`` of a node: one node per id (students, and teachers, guardians and sections a bulk
  file creates, are remembered in sets of strings: ~100 bytes per student);
* ``MATCH`` of a node that is not there yet: the row (or link) is skipped, as Cypher does;
* ``MERGE`` of a relationship keyed by ``k`` (or by its ends alone): one relationship per
  ``(start, end, k)``, carrying the properties of the **last** row (``SET`` after ``MERGE``).
  Duplicates are found after conversion from a 64-bit hash per row (8 bytes per relationship,
  sorted with numpy), then confirmed on the exact keys and removed in a second pass over that
  file only;
* ``ON CREATE SET`` of a teacher or guardian: only when no earlier statement made the actor;
  a teacher's ``PART_OF`` its school: the first teaching row in file order, when the actor is
  not part of an organisation yet (with several writers, the Bolt load takes the first row any
  writer commits: equal for a teacher who teaches at one school);
* values the importer cannot write (an empty string or an empty list as a property: the importer
  reads both as "no value") are set after the import (:func:`finish`).

Files hold pseudonyms only (never a raw student ID) and go in a 0700 folder, removed afterwards.
The importer's CSV dialect: ``,`` between fields, ``"`` quotes, :data:`ARRAY_DELIMITER` between
list items, ISO dates (``valid_from:date``).
"""

from __future__ import annotations

import csv
import shutil
import tempfile
import time
from array import array
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from lineage.core.errors import InputError, Problem, UsageError
from lineage.core.models import BulkKind
from lineage.core.pseudonym import Pseudonymizer
from lineage.core.vocabulary import Role, Scope
from lineage.graph import server
from lineage.graph.keys import claim_key
from lineage.graph.provenance import begin_load, finish_load, source_of
from lineage.graph.store import Store
from lineage.graph.writer import (
    _changed_while_loading,
    _verify_files,
    bulk_param,
    cell_element_warnings,
    element_rows,
    inventory_rows,
    prepare,
    unchanged_stamp,
)
from lineage.sources.inventory import (
    BulkRow,
    FileStamp,
    InventorySource,
    bulk_in_order,
    iter_bulk_rows,
)

#: Between the items of a list property in the importer's files (``--array-delimiter``): the
#: ASCII unit separator, which no identifier or element name holds.
ARRAY_DELIMITER = "\x1f"

#: ``sources``: the sorted names of the sources asserting a node or relationship
#: (:mod:`lineage.graph.provenance`); the last column of every file but the key check's.
_SOURCES = ("sources", "string[]")

# (property, importer type) per node label; the first is the node's ID in its label's ID space.
NODE_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "Element": (("name", "ID"), ("category", ""), ("sensitive", "boolean"), ("ceds_id", ""),
                ("description", ""), _SOURCES),
    "Actor": (("id", "ID"), ("name", ""), ("role", ""), ("description", ""), _SOURCES),
    "Dataset": (("id", "ID"), ("name", ""), ("granularity", ""), ("purpose", ""),
                ("elements", "string[]"), ("members_only", "boolean"), ("retention", ""),
                ("valid_from", "date"), ("valid_to", "date"), ("min_cell_size", "long"),
                ("suppressed", "boolean"), ("smallest_cell", "long"), ("population", ""), _SOURCES),
    "SmallCell": (("id", "ID"), ("label", ""), ("size", "long"), ("suppressed", "boolean"),
                  ("elements", "string[]"), _SOURCES),
    "Agreement": (("id", "ID"), ("kind", ""), ("purpose", ""), ("legal_basis", ""),
                  ("valid_from", "date"), ("valid_to", "date"), ("destroy_by", "date"),
                  ("may_redisclose", "boolean"), ("permitted_elements", "string[]"),
                  ("recipients", "string[]"), _SOURCES),
    "Flow": (("id", "ID"), ("kind", ""), ("operation", ""), ("elements", "string[]"),
             ("legal_basis", ""), ("agreement", ""), ("purpose", ""), ("threat", ""),
             ("valid_from", "date"), ("valid_to", "date"), ("population", ""), ("source", ""),
             ("target", ""), ("subjects_only", "boolean"), _SOURCES),
    "Grant": (("id", "ID"), ("scope", ""), ("scope_org", ""), ("elements", "string[]"),
              ("legal_basis", ""), ("agreement", ""), ("purpose", ""), ("valid_from", "date"),
              ("valid_to", "date"), ("actor", ""), ("dataset", ""), _SOURCES),
    "Section": (("id", "ID"), ("name", ""), _SOURCES),
    "Student": (("key", "ID"), _SOURCES),
    "PseudonymKey": (("id", "ID"), ("check", ""), ("demo", "boolean")),
}

_WINDOW = (("k", ""), ("valid_from", "date"), ("valid_to", "date"), _SOURCES)
# (type, start label, end label) -> relationship properties; the MERGE key is (start, end, k)
# when "k" is a property, else (start, end).
REL_COLUMNS: dict[tuple[str, str, str], tuple[tuple[str, str], ...]] = {
    ("PART_OF", "Actor", "Actor"): (_SOURCES,),
    ("HOLDS", "Actor", "Dataset"): (_SOURCES,),
    ("KEEPS", "Dataset", "Element"): (_SOURCES,),
    ("COVERS", "Dataset", "Actor"): _WINDOW,
    ("CELL_OF", "SmallCell", "Dataset"): (_SOURCES,),
    ("IN_CELL", "Student", "SmallCell"): (_SOURCES,),
    ("PERMITS", "Agreement", "Element"): (_SOURCES,),
    ("NAMES", "Agreement", "Actor"): (_SOURCES,),
    ("SOURCE_OF", "Dataset", "Flow"): (_SOURCES,),
    ("TARGETS", "Flow", "Dataset"): (_SOURCES,),
    ("CARRIES", "Flow", "Element"): (_SOURCES,),
    ("SUBJECT_OF", "Student", "Flow"): (_SOURCES,),
    ("UNDER", "Flow", "Agreement"): (_SOURCES,),
    ("UNDER", "Grant", "Agreement"): (_SOURCES,),
    ("GRANTED_TO", "Grant", "Actor"): (_SOURCES,),
    ("ON", "Grant", "Dataset"): (_SOURCES,),
    ("SCOPED_ON", "Grant", "Dataset"): (_SOURCES,),
    ("ALLOWS", "Grant", "Element"): (_SOURCES,),
    ("SECTION_OF", "Section", "Actor"): (_SOURCES,),
    ("TEACHES", "Actor", "Section"): _WINDOW,
    ("GUARDIAN_OF", "Actor", "Student"): _WINDOW,
    ("ENROLLED_AT", "Student", "Actor"): _WINDOW,
    ("IN_SECTION", "Student", "Section"): _WINDOW,
    ("MEMBER_OF", "Student", "Dataset"): _WINDOW,
    ("ACCESSED", "Actor", "Student"): (("k", ""), ("at", "date"), ("dataset", ""),
                                       ("action", ""), ("elements", "string[]"), _SOURCES),
}

#: Relationship files that can hold the same (start, end, k) twice (bulk rows, and inventory
#: links a bulk file may repeat): checked for duplicates after conversion.
_DEDUPED = {"TEACHES", "GUARDIAN_OF", "ENROLLED_AT", "IN_SECTION", "MEMBER_OF", "SUBJECT_OF",
            "ACCESSED"}


def _cell(value: Any, kind: str) -> str | None:
    """One value in the importer's text form (``None``: no property)."""
    if value is None:
        return None
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "date":
        return value.isoformat() if isinstance(value, date) else str(value)
    if kind == "string[]":
        return ARRAY_DELIMITER.join(value) if value else None
    return str(value) if value != "" else None


@dataclass
class _File:
    """One importer CSV file: its path, the ``--nodes``/``--relationships`` label, rows written."""

    path: Path
    group: str                        # label (nodes) or relationship type
    fh: Any
    writer: Any
    rows: int = 0
    key_index: int | None = None      # column of ``k`` (relationship files), else None
    hashes: array | None = None       # 64-bit hash of (start, end[, k]) per row, when deduped


@dataclass
class ImportFiles:
    """The importer's input being written into ``folder`` (node files per label, relationship
    files per (type, start label, end label)), plus what CSV cannot hold (:attr:`fixups`)."""

    folder: Path
    nodes: dict[str, _File] = field(default_factory=dict)
    rels: dict[tuple[str, str, str], _File] = field(default_factory=dict)
    #: ``{label, id, props}``: empty strings and empty lists of inventory nodes, set after import
    fixups: list[dict] = field(default_factory=list)
    #: ACCESSED relationships whose ``elements`` is the empty list (set after import)
    empty_access_elements: int = 0
    #: a sources mask -> the sorted source names (set by the conversion)
    sources_of: Callable[[int], list[str]] = lambda mask: []

    def _open(self, name: str, header: list[str]) -> tuple[Any, Any]:
        fh = open(self.folder / name, "w", newline="", encoding="utf-8")  # noqa: SIM115
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        return fh, w

    def node(self, label: str, values: dict, sources: int = 0) -> None:
        """Write one node of ``label`` (``values``: its properties by name; ``sources``: the
        mask of its source names, see :class:`_Masks`)."""
        f = self.nodes.get(label)
        cols = NODE_COLUMNS[label]
        if label != "PseudonymKey" and (sources or label != "Element"):
            # an element no source defines (the NDPA catalogue) has no `sources` at all
            values = {**values, "sources": self.sources_of(sources)}
        if f is None:
            header = [f"{n}:ID({label})" if t == "ID" else (f"{n}:{t}" if t else n)
                      for n, t in cols]
            fh, w = self._open(f"nodes-{label}.csv", header)
            f = self.nodes[label] = _File(self.folder / f"nodes-{label}.csv", label, fh, w)
        row, empty = [], {}
        for n, t in cols:
            v = values.get(n)
            if v == "" or (isinstance(v, list) and not v):
                empty[n] = v                      # the importer reads both as "no value"
            row.append(_cell(v, t))
        if empty:
            self.fixups.append({"label": label, "id": row[0], "props": empty})
        f.writer.writerow(row)
        f.rows += 1

    def rel(self, rtype: str, start: str, end: str, s: str, e: str,
            props: dict | None, sources: int) -> None:
        """Write one relationship ``(start label s)-[rtype props]->(end label e)`` asserted by
        the sources of mask ``sources``."""
        props = {**(props or {}), "sources": self.sources_of(sources)}
        key = (rtype, start, end)
        f = self.rels.get(key)
        cols = REL_COLUMNS[key]
        if f is None:
            header = [f":START_ID({start})", f":END_ID({end})",
                      *[f"{n}:{t}" if t else n for n, t in cols]]
            name = f"rels-{rtype}-{start}-{end}.csv"
            fh, w = self._open(name, header)
            names = [n for n, _ in cols]
            f = self.rels[key] = _File(self.folder / name, rtype, fh, w,
                                       key_index=2 + names.index("k") if "k" in names else None,
                                       hashes=array("q") if rtype in _DEDUPED else None)
        row = [s, e, *[_cell(props.get(n), t) for n, t in cols]]
        f.writer.writerow(row)
        f.rows += 1
        if f.hashes is not None:
            f.hashes.append(hash((s, e, row[f.key_index])) if f.key_index is not None
                            else hash((s, e)))

    def close(self) -> None:
        """Close every file (idempotent)."""
        for f in (*self.nodes.values(), *self.rels.values()):
            if not f.fh.closed:
                f.fh.close()

    def dedupe(self) -> int:
        """Keep one relationship per MERGE key in the deduplicated files: the last row, as
        ``MERGE`` then ``SET`` keeps the last. Returns the number of rows removed."""
        import numpy as np

        self.close()
        removed = 0
        for f in self.rels.values():
            if f.hashes is None or f.rows < 2:
                continue
            h = np.sort(np.frombuffer(f.hashes, dtype=np.int64))
            suspects = set(h[1:][h[1:] == h[:-1]].tolist())
            f.hashes = None
            if suspects:
                removed += _drop_repeats(f, suspects)
        return removed

    def args(self) -> tuple[list[tuple[str, Path]], list[tuple[str, Path]]]:
        """``([(label, path)], [(type, path)])`` for :func:`lineage.graph.server.import_full`."""
        return ([(f.group, f.path) for f in self.nodes.values()],
                [(f.group, f.path) for f in self.rels.values()])

    @property
    def node_rows(self) -> int:
        return sum(f.rows for f in self.nodes.values())

    @property
    def rel_rows(self) -> int:
        return sum(f.rows for f in self.rels.values())


def _drop_repeats(f: _File, suspects: set[int]) -> int:
    """Rewrite ``f`` keeping, of rows with the same exact key, only the last (the hash only
    points at candidates). Returns the rows removed."""
    def key(row: list[str]) -> tuple:
        return (row[0], row[1], row[f.key_index]) if f.key_index is not None else (row[0], row[1])

    last: dict[tuple, int] = {}
    union: dict[tuple, set[str]] = {}                   # sources of every repeat, merged
    with f.path.open(newline="", encoding="utf-8") as fh:
        r = csv.reader(fh)
        next(r)
        for i, row in enumerate(r):
            k = key(row)
            if hash(k) in suspects:
                last[k] = i
                union.setdefault(k, set()).update(row[-1].split(ARRAY_DELIMITER))
    tmp = f.path.with_suffix(".tmp")
    kept = 0
    with f.path.open(newline="", encoding="utf-8") as src, \
            tmp.open("w", newline="", encoding="utf-8") as dst:
        r, w = csv.reader(src), csv.writer(dst, lineterminator="\n")
        w.writerow(next(r))
        for i, row in enumerate(r):
            k = key(row)
            if last.get(k, i) == i:
                if k in union:
                    row[-1] = ARRAY_DELIMITER.join(sorted(union[k]))
                w.writerow(row)
                kept += 1
    tmp.replace(f.path)
    removed = f.rows - kept
    f.rows = kept
    return removed


@dataclass
class Conversion:
    """What :func:`write_import_files` wrote: the files, rows read per kind, warnings and the
    catalog's section schools (for messages)."""

    files: ImportFiles
    items: dict[str, int] = field(default_factory=dict)
    bulk_rows: int = 0
    duplicates: int = 0
    warnings: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    #: source name -> its kind (inventory, oneroster...), in input order
    source_kinds: dict[str, str] = field(default_factory=dict)
    #: source name -> {kind: rows}: the counts of each source's Load record
    by_source: dict[str, dict[str, int]] = field(default_factory=dict)


def write_import_files(store: Store, sources: list[InventorySource], pseudo: Pseudonymizer,
                       folder: Path, *, demo: bool = False,
                       progress: Callable[[str, int, int], None] | None = None,
                       prepared: tuple | None = None) -> Conversion:
    """Validate ``sources`` against ``store`` exactly as :func:`lineage.graph.writer.load` does
    (:func:`~lineage.graph.writer.prepare`), then write the importer's files into ``folder``
    (an existing, empty folder). Returns a :class:`Conversion`.

    Raises :class:`~lineage.core.errors.InputError` (no file written) for any problem, a
    :class:`~lineage.core.errors.ConfigurationError` for another pseudonym key, and
    :class:`~lineage.core.errors.IncompleteLoadError` when a bulk file changes while it is read
    (the folder then holds partial files: remove it). Writes nothing to the graph.
    ``prepared``: the result of :func:`~lineage.graph.writer.prepare` when the caller already
    validated (timed on its own).
    """
    catalog, changes = prepared or prepare(store, sources, pseudo)
    stamps = _verify_files(catalog)
    out = ImportFiles(folder)
    conv = Conversion(out, changes=[str(c) for c in changes])
    for src in sources:
        conv.warnings.extend(str(w) for w in src.warnings)
    conv.warnings.extend(str(w) for w in catalog.warnings)
    try:
        _convert(out, conv, sources, pseudo, stamps, demo, progress)
    finally:
        out.close()
    conv.duplicates = out.dedupe()
    return conv


class _Masks:
    """Source names as bits: a node or relationship's ``sources`` list is a small int while
    converting (bit ``i``: the ``i``-th source name of the load, in input order)."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.bit = {n: 1 << i for i, n in enumerate(names)}
        self._lists: dict[int, list[str]] = {}

    def names_of(self, mask: int) -> list[str]:
        """The sorted source names of ``mask`` (as ``cypher/ingest`` keeps ``sources``)."""
        got = self._lists.get(mask)
        if got is None:
            got = self._lists[mask] = sorted(n for n, b in self.bit.items() if mask & b)
        return got


def _convert(out: ImportFiles, conv: Conversion, sources: list[InventorySource],
             pseudo: Pseudonymizer, stamps: dict[str, FileStamp], demo: bool,
             progress: Callable[[str, int, int], None] | None) -> None:
    names: list[str] = []
    for src in sources:
        if source_of(src) not in names:
            names.append(source_of(src))
    m = _Masks(names)
    conv.source_kinds = {}
    for src in sources:
        conv.source_kinds.setdefault(source_of(src), src.kind)
    by_source: dict[str, dict[str, int]] = {n: {} for n in names}
    conv.by_source = by_source
    out.sources_of = m.names_of

    out.node("PseudonymKey", {"id": "pseudonym-key", "check": pseudo.check, "demo": demo})

    # elements: each source's catalogue in turn (the NDPA catalogue is every source's)
    elements: dict[str, list] = {}                      # name -> [row, mask]
    for name in names:
        for e in element_rows([s for s in sources if source_of(s) == name]):
            old = elements.get(e["name"])
            bit = m.bit[name] if e["own"] else 0  # the NDPA catalogue: no source asserts it
            if old is None:
                elements[e["name"]] = [dict(e), bit]
            else:
                row = dict(e)
                for f in ("ceds_id", "description"):      # coalesce(r.x, e.x)
                    if row[f] is None:
                        row[f] = old[0][f]
                old[0], old[1] = row, old[1] | bit

    per_kind: dict[str, list[tuple[dict, int]]] = {}   # kind -> [(row, source bit)]
    inv_rows = [inventory_rows(src.inventory, pseudo) for src in sources]
    for kind in ("actors", "datasets", "small_cells", "agreements", "flows", "grants",
                 "sections"):
        for name in names:
            for src, src_rows in zip(sources, inv_rows):
                if source_of(src) != name:
                    continue
                rows = src_rows[kind]
                per_kind.setdefault(kind, []).extend((r, m.bit[name]) for r in rows)
                if rows:
                    by_source[name][kind] = by_source[name].get(kind, 0) + len(rows)
                    conv.items[kind] = conv.items.get(kind, 0) + len(rows)

    students: dict[str, int] = {}                       # pseudonym -> sources mask

    def student(key: str, bit: int) -> None:
        students[key] = students.get(key, 0) | bit

    actors: dict[str, list] = {}                        # inventory actors: id -> [row, mask]
    for r, bit in per_kind.get("actors", []):
        actors[r["id"]] = [r, bit]
    has_part_of: set[str] = set()
    for r, bit in per_kind.get("actors", []):
        if r["part_of"] is not None and r["part_of"] in actors:
            out.rel("PART_OF", "Actor", "Actor", r["id"], r["part_of"], None, bit)
            has_part_of.add(r["id"])

    datasets = set()
    for r, bit in per_kind.get("datasets", []):
        datasets.add(r["id"])
        out.node("Dataset", r, bit)
        if r["holder"] in actors:
            out.rel("HOLDS", "Actor", "Dataset", r["holder"], r["id"], None, bit)
        for name in r["elements"] or []:
            if name in elements:
                out.rel("KEEPS", "Dataset", "Element", r["id"], name, None, bit)
        covers: dict[tuple[str, str], dict] = {}
        for c in r["coverage"]:
            if c["org"] in actors:
                covers[(c["org"], c["k"])] = c            # MERGE on k, last SET wins
        for (org, _), c in covers.items():
            out.rel("COVERS", "Dataset", "Actor", r["id"], org, c, bit)

    for r, bit in per_kind.get("small_cells", []):
        if r["dataset"] not in datasets:
            continue                                      # MATCH (d:Dataset) found nothing
        out.node("SmallCell", r, bit)
        out.rel("CELL_OF", "SmallCell", "Dataset", r["id"], r["dataset"], None, bit)
        for key in r["students"]:
            student(key, bit)
            out.rel("IN_CELL", "Student", "SmallCell", key, r["id"], None, bit)

    agreements = set()
    for r, bit in per_kind.get("agreements", []):
        agreements.add(r["id"])
        out.node("Agreement", r, bit)
        for name in r["permitted_elements"]:
            if name in elements:
                out.rel("PERMITS", "Agreement", "Element", r["id"], name, None, bit)
        for a in r["recipients"]:
            if a in actors:
                out.rel("NAMES", "Agreement", "Actor", r["id"], a, None, bit)

    flows: dict[str, tuple[dict, int]] = {}
    for r, bit in per_kind.get("flows", []):
        flows[r["id"]] = (r, bit)                         # the node is written after the bulk
        if r["source"] is not None and r["source"] in datasets:
            out.rel("SOURCE_OF", "Dataset", "Flow", r["source"], r["id"], None, bit)
        if r["target"] in datasets:
            out.rel("TARGETS", "Flow", "Dataset", r["id"], r["target"], None, bit)
        for name in r["elements"]:
            if name in elements:
                out.rel("CARRIES", "Flow", "Element", r["id"], name, None, bit)
        for key in r["students"]:
            student(key, bit)
            out.rel("SUBJECT_OF", "Student", "Flow", key, r["id"], None, bit)
        if r["agreement"] is not None and r["agreement"] in agreements:
            out.rel("UNDER", "Flow", "Agreement", r["id"], r["agreement"], None, bit)
    subjects_of = {fid for fid, (r, _) in flows.items() if r["students"]}

    person_scopes = {Scope.ROSTER.value, Scope.OWN_CHILD.value}
    for r, bit in per_kind.get("grants", []):
        out.node("Grant", r, bit)
        if r["actor"] is not None and r["actor"] in actors:
            out.rel("GRANTED_TO", "Grant", "Actor", r["id"], r["actor"], None, bit)
        if r["dataset"] in datasets:
            personal = r["actor"] is not None and r["scope"] in person_scopes
            out.rel("SCOPED_ON" if personal else "ON", "Grant", "Dataset", r["id"],
                    r["dataset"], None, bit)
        for name in r["elements"]:
            if name in elements:
                out.rel("ALLOWS", "Grant", "Element", r["id"], name, None, bit)
        if r["agreement"] is not None and r["agreement"] in agreements:
            out.rel("UNDER", "Grant", "Agreement", r["id"], r["agreement"], None, bit)

    sections: dict[str, list] = {}                      # id -> [row, mask]
    section_of: dict[tuple[str, str], int] = {}         # (section, school) -> mask
    for r, bit in per_kind.get("sections", []):
        sections[r["id"]] = [r, bit]
        if r["school"] in actors:
            section_of[(r["id"], r["school"])] = bit
        for t in r["teachers"]:
            if t["actor"] in actors:
                out.rel("TEACHES", "Actor", "Section", t["actor"], r["id"], t, bit)

    # teachers and guardians a bulk file creates: id -> (sources mask << 1) | is_teacher
    people: dict[str, int] = {}

    def person(a: str, bit: int, teacher: bool) -> None:
        if a in actors:
            actors[a][1] |= bit
        else:
            old = people.get(a)
            people[a] = (bit << 1) | teacher if old is None else old | (bit << 1)

    for src, b in bulk_in_order(sources):
        path = src.base_dir / b.path
        fname = str(path)
        stamp = unchanged_stamp(path, stamps)
        label = f"{b.kind.value} ({path.name})"
        if progress:
            progress(label, 0, 0)
        read: dict[str, FileStamp] = {}
        n = 0
        kind = b.kind
        sname = source_of(src)
        bit = m.bit[sname]
        for item in iter_bulk_rows(src, b, read):
            if not isinstance(item, BulkRow):
                continue                                  # validated: cannot happen
            n += 1
            v = bulk_param(item, pseudo)
            if kind is BulkKind.TEACHING:
                school, sec, teacher = v["school"], v["section"], v["teacher"]
                if school not in actors and school not in people:
                    continue
                if sec in sections:
                    sections[sec][1] |= bit
                else:
                    sections[sec] = [{"id": sec, "name": sec}, bit]
                section_of[(sec, school)] = section_of.get((sec, school), 0) | bit
                person(teacher, bit, True)
                if teacher not in has_part_of:
                    has_part_of.add(teacher)
                    out.rel("PART_OF", "Actor", "Actor", teacher, school, None, bit)
                out.rel("TEACHES", "Actor", "Section", teacher, sec, v, bit)
            elif kind is BulkKind.GUARDIANS:
                person(v["guardian"], bit, False)
                student(v["student"], bit)
                out.rel("GUARDIAN_OF", "Actor", "Student", v["guardian"], v["student"], v, bit)
            elif kind is BulkKind.ENROLMENTS:
                if v["org"] in actors or v["org"] in people:
                    student(v["student"], bit)
                    out.rel("ENROLLED_AT", "Student", "Actor", v["student"], v["org"], v, bit)
            elif kind is BulkKind.ROSTERS:
                if v["section"] in sections:
                    student(v["student"], bit)
                    out.rel("IN_SECTION", "Student", "Section", v["student"], v["section"], v,
                            bit)
            elif kind is BulkKind.MEMBERS:
                if v["dataset"] in datasets:
                    student(v["student"], bit)
                    out.rel("MEMBER_OF", "Student", "Dataset", v["student"], v["dataset"], v,
                            bit)
            elif kind is BulkKind.SUBJECTS:
                if v["flow"] in flows:
                    subjects_of.add(v["flow"])
                    student(v["student"], bit)
                    out.rel("SUBJECT_OF", "Student", "Flow", v["student"], v["flow"], None, bit)
            elif kind is BulkKind.ACCESS_LOG:
                if v["actor"] in actors or v["actor"] in people:
                    student(v["student"], bit)
                    if not v["elements"]:
                        out.empty_access_elements += 1
                    out.rel("ACCESSED", "Actor", "Student", v["actor"], v["student"], v, bit)
            else:  # pragma: no cover - a new bulk kind needs its conversion here
                raise NotImplementedError(f"no importer conversion for bulk kind {kind.value}")
            if progress and n % 10000 == 0:
                progress(label, n, 0)
        got = read.get(fname)
        if got is None or got.sha256 != stamp.sha256:
            raise _changed_while_loading(fname)
        conv.items[kind.value] = conv.items.get(kind.value, 0) + n
        by_source[sname][kind.value] = by_source[sname].get(kind.value, 0) + n
        conv.bulk_rows += n

    # nodes whose sources or properties the bulk rows could still change
    for row, mask in elements.values():
        out.node("Element", row, mask)
    for row, mask in actors.values():
        out.node("Actor", row, mask)
    teacher, parent = Role.TEACHER.value, Role.PARENT.value
    for a, v in people.items():
        out.node("Actor", {"id": a, "name": a, "role": teacher if v & 1 else parent}, v >> 1)
    people.clear()
    for row, mask in sections.values():
        out.node("Section", row, mask)
    for (sec, school), mask in section_of.items():
        out.rel("SECTION_OF", "Section", "Actor", sec, school, None, mask)
    for fid, (r, bit) in flows.items():
        out.node("Flow", {**r, "subjects_only": fid in subjects_of}, bit)
    for key, mask in students.items():
        out.node("Student", {"key": key}, mask)


# --------------------------------------------------------------------------- the whole first load


@dataclass
class Phase:
    """One timed step of a first load: ``rows`` handled in ``seconds`` (wall)."""

    name: str
    rows: int
    seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float("inf")


@dataclass
class InitialSummary:
    """What :func:`initial_load` did: items per kind, nodes and relationships imported, the
    timed phases (validate, convert, import, start, schema), warnings and the importer's
    report of bad entries (empty when none)."""

    items: dict[str, int] = field(default_factory=dict)
    nodes: int = 0
    relationships: int = 0
    duplicates: int = 0
    phases: list[Phase] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        """Input rows (bulk rows plus inventory items)."""
        return sum(self.items.values())


def refuse_unless_empty_and_local(store: Store, home: Path, local: bool) -> None:
    """Raise :class:`UsageError` (exit 2) unless the graph is empty and ``store`` is the local
    server of ``home``, running: the importer replaces the whole database, offline."""
    if not local or not server.is_running(home):
        raise UsageError(
            "--initial writes the database files of the local server offline, but NEO4J_URI does "
            f"not point at a local server running in {home}",
            hint="start it with 'lineage db start' and point NEO4J_URI at it, or use "
                 "--write-import-files DIR for Docker, or 'lineage load' without --initial")
    if store.counts()["nodes"]:
        raise UsageError(
            "--initial is for the first load of an empty database; this one holds a graph",
            hint="load into it with 'lineage load' (without --initial), or empty it first with "
                 "'lineage db reset --yes'")


def finish(store: Store, pseudo: Pseudonymizer, files: ImportFiles,
           loads: dict[str, tuple[str, dict[str, int]]], *, demo: bool = False) -> list[str]:
    """After an import: constraints and indexes (``cypher/schema.cypher``), the empty strings and
    lists CSV cannot hold (``cypher/ingest/initial_fixups.cypher``, and
    ``cypher/ingest/initial_access_elements.cypher`` for access events without elements), each
    source's ``Source`` and finished ``Load`` record (``loads``: ``{source name: (kind,
    {kind: rows})}``; :func:`~lineage.graph.provenance.begin_load` and
    :func:`~lineage.graph.provenance.finish_load`, as ``lineage load`` writes them) and the key
    check claim (:func:`~lineage.graph.keys.claim_key`). Returns the warnings of
    :func:`~lineage.graph.writer.cell_element_warnings`. Raises
    :class:`~lineage.core.errors.ConfigurationError` when the graph holds another key."""
    store.run_schema("schema")
    if files.fixups:
        store.write("ingest/initial_fixups", rows=files.fixups)
    if files.empty_access_elements:
        store.run_auto("ingest/initial_access_elements")
    for name, (kind, counts) in loads.items():
        finish_load(store, name, begin_load(store, name, kind, None), counts)
    claim_key(store, pseudo, demo=demo)
    return cell_element_warnings(store)


def _loads(conv: Conversion) -> dict[str, tuple[str, dict[str, int]]]:
    return {n: (k, conv.by_source.get(n, {})) for n, k in conv.source_kinds.items()}


def fixups_file(conv: Conversion) -> Path:
    """Write what :func:`finish` needs besides the files as JSON next to them
    (``DIR/finish.json``, for Docker users: read by ``lineage load --after-import DIR``)."""
    import json

    path = conv.files.folder / "finish.json"
    path.write_text(json.dumps({"fixups": conv.files.fixups, "loads": _loads(conv),
                                "empty_access_elements": conv.files.empty_access_elements}),
                    encoding="utf-8")
    return path


def initial_load(open_store: Callable[[], AbstractContextManager[Store]], home: Path,
                 database: str, sources: list[InventorySource], pseudo: Pseudonymizer, *,
                 local: bool, demo: bool = False,
                 progress: Callable[[str, int, int], None] | None = None,
                 start_timeout: float = 300) -> InitialSummary:
    """The first load of a whole state through the offline importer (``lineage load --initial``).

    ``open_store``: opens a :class:`Store` on the local server of ``home`` (called before and
    after the import). ``local``: whether the settings point at that server. Steps, each timed
    (:class:`Phase`): validate (:func:`~lineage.graph.writer.prepare`), convert
    (:func:`write_import_files`, into a 0700 temporary folder removed at the end), stop the
    server, import (:func:`lineage.graph.server.import_full`, with ``--overwrite-destination``:
    the database was checked empty), start (same ports, heap and page cache as before) and
    schema (:func:`finish`).

    Raises :class:`UsageError` (exit 2, nothing done) when the graph is not empty or the server
    is not the local one; :class:`InputError` / ``ConfigurationError`` (nothing done) for bad
    input or another key; :class:`~lineage.core.errors.ServerError` when the importer or the
    restart fails (the server is started again on the database as it was when possible).
    """
    summary = InitialSummary()
    tmp = Path(tempfile.mkdtemp(prefix="lineage-import-"))   # mkdtemp: mode 0700
    try:
        with open_store() as store:
            refuse_unless_empty_and_local(store, home, local)
            t0 = time.perf_counter()
            prepared = prepare(store, sources, pseudo)    # raises before anything is written
            summary.phases.append(Phase("validate", 0, time.perf_counter() - t0))
            t0 = time.perf_counter()
            conv = write_import_files(store, sources, pseudo, tmp, demo=demo, progress=progress,
                                      prepared=prepared)
            t_convert = time.perf_counter() - t0
        summary.items = dict(conv.items)
        summary.warnings = conv.warnings
        summary.duplicates = conv.duplicates
        rows = conv.bulk_rows + sum(v for k, v in conv.items.items()
                                    if k not in {b.value for b in BulkKind})
        summary.phases[0].rows = rows
        summary.phases.append(Phase("convert", rows, t_convert))
        files = conv.files
        summary.nodes, summary.relationships = files.node_rows, files.rel_rows
        home = Path(home).expanduser().resolve()
        settings = server.running_settings(home)
        server.stop(home)
        t0 = time.perf_counter()
        try:
            nodes, rels = files.args()
            server.import_full(home, database, nodes, rels, array_delimiter=ARRAY_DELIMITER,
                               overwrite=True, report=tmp / "import.report")
        finally:
            summary.phases.append(Phase("import", rows, time.perf_counter() - t0))
            t1 = time.perf_counter()
            server.start(home, bolt_port=settings["bolt_port"], http_port=settings["http_port"],
                         heap=settings["heap"], pagecache=settings["pagecache"],
                         timeout=start_timeout)
            summary.phases.append(Phase("start", rows, time.perf_counter() - t1))
        t0 = time.perf_counter()
        with open_store() as store:
            summary.warnings.extend(finish(store, pseudo, files, _loads(conv), demo=demo))
        summary.phases.append(Phase("schema", rows, time.perf_counter() - t0))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return summary


def write_for_docker(store: Store, sources: list[InventorySource], pseudo: Pseudonymizer,
                     out: Path, progress: Callable[[str, int, int], None] | None = None
                     ) -> tuple[Conversion, list[str]]:
    """``lineage load --initial --write-import-files OUT``: validate against ``store`` (which
    must hold an empty graph), write the importer's files into ``OUT`` (created mode 0700; must
    be empty) and return the conversion and the exact commands that import them into the
    ``neo4j`` service of ``docker-compose.yml`` (service ``neo4j``, volume ``neo4j-data``)."""
    if store.counts()["nodes"]:
        raise UsageError("--initial is for the first load of an empty database; this one "
                         "holds a graph", hint="use 'lineage load' without --initial")
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError([Problem(str(out), None, "--write-import-files",
                                  "must be a new or empty folder")])
    out.mkdir(mode=0o700, parents=True, exist_ok=True)
    out.chmod(0o700)
    conv = write_import_files(store, sources, pseudo, out, progress=progress)
    fixups_file(conv)
    nodes, rels = conv.files.args()
    folder = out.resolve()
    args = [f"--nodes={label}=/import-files/{p.name}" for label, p in nodes]
    args += [f"--relationships={t}=/import-files/{p.name}" for t, p in rels]
    cmds = [
        "docker compose stop neo4j",
        "docker compose run --rm --no-deps -v " + f"'{folder}:/import-files:ro' neo4j "
        "neo4j-admin database import full neo4j --overwrite-destination "
        f"--array-delimiter=U+001F --report-file=/tmp/import.report {' '.join(args)}",
        "docker compose start neo4j",
        f"lineage load --after-import '{folder}'",
    ]
    return conv, cmds


def after_import(store: Store, pseudo: Pseudonymizer, folder: Path) -> list[str]:
    """``lineage load --after-import DIR``: :func:`finish` on a graph imported from the files
    of :func:`write_for_docker` (reads ``DIR/finish.json``). Returns warnings. Raises
    :class:`InputError` when ``DIR/finish.json`` is missing or unreadable."""
    import json

    path = Path(folder) / "finish.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        files = ImportFiles(Path(folder), fixups=data["fixups"],
                            empty_access_elements=int(data["empty_access_elements"]))
        loads = {n: (k, c) for n, (k, c) in data["loads"].items()}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError([Problem(str(path), None, None,
                                  f"cannot read it ({type(exc).__name__}): give the folder "
                                  "written by --write-import-files")]) from None
    return finish(store, pseudo, files, loads)


def aura_hint(home: Path, database: str) -> list[str]:
    """How to move the imported database to Neo4j Aura (the documented route: a dump, then
    ``neo4j-admin database upload``): lines to print, no secret in them (the upload asks for
    the Aura password)."""
    home = Path(home).expanduser().resolve()
    admin = (f"NEO4J_HOME='{home}' NEO4J_CONF='{home / 'conf'}' java -cp \"$(cat '{home}/cp.txt')\" "
             f"{server.ADMIN_CLASS}")
    return [
        ("to move this graph to Neo4j Aura: stop the server ('lineage db stop'), dump it, then "
         "upload the dump with neo4j-admin of a Neo4j 5.26 distribution:"),
        f"  {admin} database dump {database} --to-path=DUMP_DIR",
        (f"  neo4j-admin database upload {database} --from-path=DUMP_DIR "
         "--to-uri=neo4j+s://INSTANCE.databases.neo4j.io --to-user=neo4j "
         "--overwrite-destination=true"),
    ]


def rows_of(phases: list[Phase]) -> Iterator[str]:
    """One line per phase: ``name  seconds  rows/s``."""
    for p in phases:
        rate = f"{p.rows_per_second:,.0f} rows/s" if p.rows and p.seconds > 0 else "-"
        yield f"{p.name:<9} {p.seconds:8.2f} s  {rate}"
