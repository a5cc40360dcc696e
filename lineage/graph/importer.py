"""The first load of a whole state through Neo4j's offline importer (``neo4j-admin database
import full``): the graph of :func:`lineage.graph.writer.load`, written as the importer's CSV files.

:func:`initial_load` is ``lineage load --initial``: it validates exactly as ``lineage load`` does
(:func:`lineage.graph.writer.prepare`: the same pseudonyms, problems and refusals, nothing written
on bad input) and, in the same read of each bulk file, converts the valid rows into the
importer's node and relationship files (:func:`read_and_convert`, streamed: a bulk row is
written as it is read; the files are removed when the input is refused), stops the local
server while the last nodes are written, runs the importer from the server's own classpath (:func:`lineage.graph.server.import_full`),
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
import re
import shutil
import tempfile
import time
from array import array
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from lineage.core.errors import InputError, Problem, UsageError
from lineage.core.models import BulkFile, BulkKind
from lineage.core.pseudonym import Pseudonymizer
from lineage.core.vocabulary import Role, Scope
from lineage.graph import server
from lineage.graph.cypher import statements
from lineage.graph.keys import claim_key
from lineage.graph.provenance import begin_load, finish_load, source_of
from lineage.graph.store import Store
from lineage.graph.writer import cell_element_warnings, element_rows, inventory_rows, prepare
from lineage.sources.inventory import BulkRow, InventorySource

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
    # the sources listing the student in the flow itself (cypher/ingest/flows) and in a
    # subjects file (cypher/ingest/subjects)
    ("SUBJECT_OF", "Student", "Flow"): (_SOURCES, ("inline_sources", "string[]"),
                                        ("file_sources", "string[]")),
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

    def node_file(self, label: str) -> _File:
        """The node file of ``label`` (opened, with its header, on first use)."""
        f = self.nodes.get(label)
        if f is None:
            header = [f"{n}:ID({label})" if t == "ID" else (f"{n}:{t}" if t else n)
                      for n, t in NODE_COLUMNS[label]]
            fh, w = self._open(f"nodes-{label}.csv", header)
            f = self.nodes[label] = _File(self.folder / f"nodes-{label}.csv", label, fh, w)
        return f

    def rel_file(self, rtype: str, start: str, end: str) -> _File:
        """The relationship file of ``(rtype, start label, end label)`` (opened on first use);
        its columns: start id, end id, then :data:`REL_COLUMNS` of the key."""
        key = (rtype, start, end)
        f = self.rels.get(key)
        if f is None:
            cols = REL_COLUMNS[key]
            header = [f":START_ID({start})", f":END_ID({end})",
                      *[f"{n}:{t}" if t else n for n, t in cols]]
            name = f"rels-{rtype}-{start}-{end}.csv"
            fh, w = self._open(name, header)
            names = [n for n, _ in cols]
            f = self.rels[key] = _File(self.folder / name, rtype, fh, w,
                                       key_index=2 + names.index("k") if "k" in names else None,
                                       hashes=array("q") if rtype in _DEDUPED else None)
        return f

    def node(self, label: str, values: dict, sources: int = 0) -> None:
        """Write one node of ``label`` (``values``: its properties by name; ``sources``: the
        mask of its source names, see :class:`_Masks`)."""
        cols = NODE_COLUMNS[label]
        if label != "PseudonymKey" and (sources or label != "Element"):
            # an element no source defines (the NDPA catalogue) has no `sources` at all
            values = {**values, "sources": self.sources_of(sources)}
        f = self.node_file(label)
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
        f = self.rel_file(rtype, start, end)
        row = [s, e, *[_cell(props.get(n), t) for n, t in REL_COLUMNS[(rtype, start, end)]]]
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

    def remove(self) -> None:
        """Close and delete every file written (after a refused input: nothing is kept)."""
        self.close()
        for f in (*self.nodes.values(), *self.rels.values()):
            f.path.unlink(missing_ok=True)
        self.nodes.clear()
        self.rels.clear()

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
    points at candidates), with the source lists (``sources``, ``inline_sources``,
    ``file_sources``) of all the
    repeats merged, as ``cypher/ingest`` adds a source to a list. Returns the rows removed."""
    def key(row: list[str]) -> tuple:
        return (row[0], row[1], row[f.key_index]) if f.key_index is not None else (row[0], row[1])

    last: dict[tuple, int] = {}
    union: dict[tuple, list[set[str]]] = {}             # source lists of every repeat, merged
    with f.path.open(newline="", encoding="utf-8") as fh:
        r = csv.reader(fh)
        header = next(r)
        lists = [i for i, h in enumerate(header)
                 if h.split(":")[0] in ("sources", "inline_sources", "file_sources")]
        for i, row in enumerate(r):
            k = key(row)
            if hash(k) in suspects:
                last[k] = i
                got = union.setdefault(k, [set() for _ in lists])
                for n, c in enumerate(lists):
                    got[n].update(x for x in row[c].split(ARRAY_DELIMITER) if x)
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
                    for n, c in enumerate(lists):
                        row[c] = ARRAY_DELIMITER.join(sorted(union[k][n]))
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


def read_and_convert(store: Store, sources: list[InventorySource], pseudo: Pseudonymizer,
                     folder: Path, *, demo: bool = False,
                     progress: Callable[[str, int, int], None] | None = None) -> _Converter:
    """Validate ``sources`` against ``store`` exactly as :func:`lineage.graph.writer.load` does
    (:func:`~lineage.graph.writer.prepare`) and, in the same read of each bulk file, write its
    valid rows into the importer's files in ``folder`` (an existing, empty folder): every file
    is read once. Returns the converter; :meth:`_Converter.finish` writes the nodes the bulk
    rows could still change and removes repeated relationships.

    Raises :class:`~lineage.core.errors.InputError` for any problem, a
    :class:`~lineage.core.errors.ConfigurationError` for another pseudonym key (in both cases
    the files written so far are removed). Writes nothing to the graph.
    """
    out = ImportFiles(folder)
    conv = Conversion(out)
    converter = _Converter(out, conv, sources, pseudo, demo, progress)
    try:
        catalog, changes = prepare(store, sources, pseudo, sink=converter)
    except BaseException:
        out.remove()
        raise
    conv.changes = [str(c) for c in changes]
    for src in sources:
        conv.warnings.extend(str(w) for w in src.warnings)
    conv.warnings.extend(str(w) for w in catalog.warnings)
    return converter


def write_import_files(store: Store, sources: list[InventorySource], pseudo: Pseudonymizer,
                       folder: Path, *, demo: bool = False,
                       progress: Callable[[str, int, int], None] | None = None) -> Conversion:
    """:func:`read_and_convert` then :meth:`_Converter.finish`: validate ``sources`` against
    ``store`` exactly as :func:`lineage.graph.writer.load` does and write the importer's files
    into ``folder`` (an existing, empty folder), each bulk file read once. Returns a
    :class:`Conversion`.

    Raises :class:`~lineage.core.errors.InputError` (the files written so far are removed) for
    any problem and a :class:`~lineage.core.errors.ConfigurationError` for another pseudonym
    key. Writes nothing to the graph.
    """
    return read_and_convert(store, sources, pseudo, folder, demo=demo,
                            progress=progress).finish()


class _Masks:
    """Source names as bits: a node or relationship's ``sources`` list is a small int while
    converting (bit ``i``: the ``i``-th source name of the load, in input order)."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.bit = {n: 1 << i for i, n in enumerate(names)}
        self._lists: dict[int, list[str]] = {}
        self._texts: dict[int, str] = {}

    def names_of(self, mask: int) -> list[str]:
        """The sorted source names of ``mask`` (as ``cypher/ingest`` keeps ``sources``)."""
        got = self._lists.get(mask)
        if got is None:
            got = self._lists[mask] = sorted(n for n, b in self.bit.items() if mask & b)
        return got

    def text_of(self, mask: int) -> str | None:
        """:meth:`names_of` as one importer cell (``None`` for no source)."""
        got = self._texts.get(mask)
        if got is None:
            got = self._texts[mask] = _cell(self.names_of(mask), "string[]")
        return got


#: Pseudonyms remembered by a conversion (raw ID -> pseudonym): bulk files list a student's
#: rows together, so a small cache spares most of the keyed hashes; emptied when full.
_PSEUDONYM_CACHE = 1 << 16


class _Converter:
    """The conversion of :func:`write_import_files` (a :class:`~lineage.sources.inventory.BulkSink`).

    Made before validation: writes the key check node and the inventory's nodes and
    relationships. Then :func:`~lineage.sources.inventory.validate` hands it each valid bulk row
    as it reads it (:meth:`begin` gives the function per file, :meth:`end` closes a file's
    counts), and :meth:`finish` writes the nodes that bulk rows could still change (elements,
    actors, people, sections, flows, students) and removes repeated relationships.
    """

    def __init__(self, out: ImportFiles, conv: Conversion, sources: list[InventorySource],
                 pseudo: Pseudonymizer, demo: bool,
                 progress: Callable[[str, int, int], None] | None) -> None:
        self.out, self.conv, self.progress = out, conv, progress
        names: list[str] = []
        for src in sources:
            if source_of(src) not in names:
                names.append(source_of(src))
        m = self.m = _Masks(names)
        conv.source_kinds = {}
        for src in sources:
            conv.source_kinds.setdefault(source_of(src), src.kind)
        by_source: dict[str, dict[str, int]] = {n: {} for n in names}
        conv.by_source = by_source
        out.sources_of = m.names_of
        cache: dict[str, str] = {}

        def pseudonym(raw: str) -> str:
            got = cache.get(raw)
            if got is None:
                if len(cache) >= _PSEUDONYM_CACHE:
                    cache.clear()
                got = cache[raw] = pseudo(raw)
            return got

        self.pseudonym = pseudonym

        out.node("PseudonymKey", {"id": "pseudonym-key", "check": pseudo.check, "demo": demo})

        # elements: each source's catalogue in turn (the NDPA catalogue is every source's)
        elements: dict[str, list] = {}                  # name -> [row, mask]
        for name in names:
            for e in element_rows([s for s in sources if source_of(s) == name]):
                old = elements.get(e["name"])
                bit = m.bit[name] if e["own"] else 0  # the NDPA catalogue: no source asserts it
                if old is None:
                    elements[e["name"]] = [dict(e), bit]
                else:
                    row = dict(e)
                    for f in ("ceds_id", "description"):  # coalesce(r.x, e.x)
                        if row[f] is None:
                            row[f] = old[0][f]
                    old[0], old[1] = row, old[1] | bit
        self.elements = elements

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

        students: dict[str, int] = {}                   # pseudonym -> sources mask
        self.students = students

        def student(key: str, bit: int) -> None:
            students[key] = students.get(key, 0) | bit

        actors: dict[str, list] = {}                    # inventory actors: id -> [row, mask]
        for r, bit in per_kind.get("actors", []):
            actors[r["id"]] = [r, bit]
        has_part_of: set[str] = set()
        for r, bit in per_kind.get("actors", []):
            if r["part_of"] is not None and r["part_of"] in actors:
                out.rel("PART_OF", "Actor", "Actor", r["id"], r["part_of"], None, bit)
                has_part_of.add(r["id"])
        self.actors, self.has_part_of = actors, has_part_of

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
                    covers[(c["org"], c["k"])] = c        # MERGE on k, last SET wins
            for (org, _), c in covers.items():
                out.rel("COVERS", "Dataset", "Actor", r["id"], org, c, bit)
        self.datasets = datasets

        for r, bit in per_kind.get("small_cells", []):
            if r["dataset"] not in datasets:
                continue                                  # MATCH (d:Dataset) found nothing
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
            flows[r["id"]] = (r, bit)                     # the node is written after the bulk
            if r["source"] is not None and r["source"] in datasets:
                out.rel("SOURCE_OF", "Dataset", "Flow", r["source"], r["id"], None, bit)
            if r["target"] in datasets:
                out.rel("TARGETS", "Flow", "Dataset", r["id"], r["target"], None, bit)
            for name in r["elements"]:
                if name in elements:
                    out.rel("CARRIES", "Flow", "Element", r["id"], name, None, bit)
            for key in r["students"]:
                student(key, bit)
                out.rel("SUBJECT_OF", "Student", "Flow", key, r["id"],
                        {"inline_sources": m.names_of(bit)}, bit)
            if r["agreement"] is not None and r["agreement"] in agreements:
                out.rel("UNDER", "Flow", "Agreement", r["id"], r["agreement"], None, bit)
        self.flows = flows
        self.subjects_of = {fid for fid, (r, _) in flows.items() if r["students"]}

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

        sections: dict[str, list] = {}                  # id -> [row, mask]
        section_of: dict[tuple[str, str], int] = {}     # (section, school) -> mask
        for r, bit in per_kind.get("sections", []):
            sections[r["id"]] = [r, bit]
            if r["school"] in actors:
                section_of[(r["id"], r["school"])] = bit
            for t in r["teachers"]:
                if t["actor"] in actors:
                    out.rel("TEACHES", "Actor", "Section", t["actor"], r["id"], t, bit)
        self.sections, self.section_of = sections, section_of
        # teachers and guardians a bulk file creates: id -> (sources mask << 1) | is_teacher
        self.people: dict[str, int] = {}
        self._files: list[_File] = []

    def _person(self, a: str, bit: int, teacher: bool) -> None:
        actors, people = self.actors, self.people
        if a in actors:
            actors[a][1] |= bit
        else:
            old = people.get(a)
            people[a] = (bit << 1) | teacher if old is None else old | (bit << 1)

    def begin(self, src: InventorySource, b: BulkFile) -> Callable[[BulkRow], None]:
        """The function converting each valid row of the bulk file ``b`` of ``src``: the
        ``cypher/ingest`` statement of its kind replayed on what was converted before it."""
        kind = b.kind
        bit = self.m.bit[source_of(src)]
        srcs = self.m.text_of(bit)
        out, actors, people = self.out, self.actors, self.people
        students, pseudonym, person = self.students, self.pseudonym, self._person

        def rel_file(rtype: str, start: str, end: str) -> tuple[Callable, Callable]:
            f = out.rel_file(rtype, start, end)
            self._files.append(f)
            return f.writer.writerow, f.hashes.append

        def dated_file(rtype: str, start: str, end: str) -> Callable[[str, str, dict], None]:
            # a dated relationship (teaching, guardianship, enrolment, roster, membership):
            # keyed on its window start (writer._k), its columns those of REL_COLUMNS
            write, hashed = rel_file(rtype, start, end)

            def put(a: str, b: str, v: dict) -> None:
                vf, vt = v.get("valid_from"), v.get("valid_to")
                k = vf.isoformat() if vf else "open"
                write((a, b, k, vf and k, vt and vt.isoformat(), srcs))
                hashed(hash((a, b, k)))

            return put

        # Each function: the row's MATCH conditions, then the MERGE key k (writer._k: the
        # window start or "open", then the extra key columns) and the columns of REL_COLUMNS.
        if kind is BulkKind.TEACHING:
            sections, section_of, has_part_of = self.sections, self.section_of, self.has_part_of
            put = dated_file("TEACHES", "Actor", "Section")

            def take(item: BulkRow) -> None:
                v = item.values
                school, sec, teacher = v["school"], v["section"], v["teacher"]
                if school not in actors and school not in people:
                    return
                got = sections.get(sec)
                if got is not None:
                    got[1] |= bit
                else:
                    sections[sec] = [{"id": sec, "name": sec}, bit]
                section_of[(sec, school)] = section_of.get((sec, school), 0) | bit
                person(teacher, bit, True)
                if teacher not in has_part_of:
                    has_part_of.add(teacher)
                    out.rel("PART_OF", "Actor", "Actor", teacher, school, None, bit)
                put(teacher, sec, v)
        elif kind is BulkKind.GUARDIANS:
            put = dated_file("GUARDIAN_OF", "Actor", "Student")

            def take(item: BulkRow) -> None:
                v = item.values
                g = v["guardian"]
                person(g, bit, False)
                key = pseudonym(v["student_id"])
                students[key] = students.get(key, 0) | bit
                put(g, key, v)
        elif kind in _STUDENT_WINDOWS:
            column, rtype, end = _STUDENT_WINDOWS[kind]
            known = {BulkKind.ROSTERS: self.sections, BulkKind.MEMBERS: self.datasets}.get(kind)
            put = dated_file(rtype, "Student", end)

            def take(item: BulkRow) -> None:
                v = item.values
                target = v[column]
                if known is None:                         # enrolments: an organisation
                    if target not in actors and target not in people:
                        return
                elif target not in known:
                    return
                key = pseudonym(v["student_id"])
                students[key] = students.get(key, 0) | bit
                put(key, target, v)
        elif kind is BulkKind.SUBJECTS:
            flows, subjects_of = self.flows, self.subjects_of
            write, hashed = rel_file("SUBJECT_OF", "Student", "Flow")

            def take(item: BulkRow) -> None:
                v = item.values
                flow = v["flow"]
                if flow not in flows:
                    return
                subjects_of.add(flow)
                key = pseudonym(v["student_id"])
                students[key] = students.get(key, 0) | bit
                write((key, flow, srcs, None, srcs))
                hashed(hash((key, flow)))
        elif kind is BulkKind.ACCESS_LOG:
            write, hashed = rel_file("ACCESSED", "Actor", "Student")
            delim = ARRAY_DELIMITER

            def take(item: BulkRow) -> None:
                v = item.values
                actor = v["actor"]
                if actor not in actors and actor not in people:
                    return
                key = pseudonym(v["student_id"])
                students[key] = students.get(key, 0) | bit
                at, dataset = v["at"], v["dataset"]
                action = v.get("action") or "read"
                elements = v.get("elements")
                if not elements:
                    out.empty_access_elements += 1
                day = at.isoformat()
                k = f"{day}|{dataset}|{action}"
                write((actor, key, k, day, dataset, action,
                       delim.join(elements) if elements else None, srcs))
                hashed(hash((actor, key, k)))
        else:  # pragma: no cover - a new bulk kind needs its conversion here
            raise NotImplementedError(f"no importer conversion for bulk kind {kind.value}")

        progress = self.progress
        if progress is None:
            return take
        label = f"{kind.value} ({Path(b.path).name})"
        progress(label, 0, 0)
        count = 0

        def counted(item: BulkRow) -> None:
            nonlocal count
            take(item)
            count += 1
            if count % 10000 == 0:
                progress(label, count, 0)

        return counted

    def end(self, src: InventorySource, b: BulkFile, rows: int) -> None:
        """A bulk file was read: its rows are counted for its kind and source."""
        conv, kind, sname = self.conv, b.kind.value, source_of(src)
        conv.items[kind] = conv.items.get(kind, 0) + rows
        conv.by_source[sname][kind] = conv.by_source[sname].get(kind, 0) + rows
        conv.bulk_rows += rows
        for f in self._files:
            f.rows = len(f.hashes)
        self._files.clear()

    def finish(self) -> Conversion:
        """Write the nodes bulk rows could still change (elements, actors, people, sections
        with their schools, flows, students), close the files and remove repeated
        relationships (:meth:`ImportFiles.dedupe`). Returns the :class:`Conversion`."""
        out, m = self.out, self.m
        try:
            for row, mask in self.elements.values():
                out.node("Element", row, mask)
            for row, mask in self.actors.values():
                out.node("Actor", row, mask)
            teacher, parent = Role.TEACHER.value, Role.PARENT.value
            f = out.node_file("Actor")
            f.writer.writerows((a, a, teacher if v & 1 else parent, None, m.text_of(v >> 1))
                               for a, v in self.people.items())
            f.rows += len(self.people)
            self.people.clear()
            for row, mask in self.sections.values():
                out.node("Section", row, mask)
            for (sec, school), mask in self.section_of.items():
                out.rel("SECTION_OF", "Section", "Actor", sec, school, None, mask)
            for fid, (r, bit) in self.flows.items():
                out.node("Flow", {**r, "subjects_only": fid in self.subjects_of}, bit)
            f = out.node_file("Student")
            f.writer.writerows((key, m.text_of(mask)) for key, mask in self.students.items())
            f.rows += len(self.students)
            self.students.clear()
        finally:
            out.close()
        self.conv.duplicates = out.dedupe()
        return self.conv


#: Bulk kinds of one student in a window at one thing: the column naming the thing, the
#: relationship type and its end label.
_STUDENT_WINDOWS: dict[BulkKind, tuple[str, str, str]] = {
    BulkKind.ENROLMENTS: ("org", "ENROLLED_AT", "Actor"),
    BulkKind.ROSTERS: ("section", "IN_SECTION", "Section"),
    BulkKind.MEMBERS: ("dataset", "MEMBER_OF", "Dataset"),
}


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
    timed phases (read, convert, import, start, schema), warnings and the importer's
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
        by_label: dict[str, list[dict]] = {}
        for row in files.fixups:
            by_label.setdefault(row["label"], []).append(row)
        for st in statements("ingest/initial_fixups"):
            label = re.search(r"MATCH \(n:(\w+) ", st)
            rows = by_label.pop(label.group(1), None) if label else None
            if rows:
                store.write_text(st, rows=rows)
        if by_label:  # pragma: no cover - a label whose statement is missing
            raise NotImplementedError(f"no fixup statement for {sorted(by_label)}")
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
    (:class:`Phase`): read (:func:`read_and_convert`: validation as
    :func:`~lineage.graph.writer.prepare` does it, each valid bulk row converted as it is read,
    into a 0700 temporary folder removed at the end), convert (:meth:`_Converter.finish`: the
    nodes, repeated rows removed; the server stops meanwhile), import
    (:func:`lineage.graph.server.import_full`, with ``--overwrite-destination``: the database
    was checked empty), start (same ports, heap and page cache as before) and schema
    (:func:`finish`).

    Raises :class:`UsageError` (exit 2, nothing done) when the graph is not empty or the server
    is not the local one; :class:`InputError` / ``ConfigurationError`` (nothing done) for bad
    input or another key; :class:`~lineage.core.errors.ServerError` when the importer or the
    restart fails (the server is started again on the database as it was when possible).
    """
    summary = InitialSummary()
    tmp = Path(tempfile.mkdtemp(prefix="lineage-import-"))   # mkdtemp: mode 0700
    home = Path(home).expanduser().resolve()
    try:
        with open_store() as store:
            refuse_unless_empty_and_local(store, home, local)
            t0 = time.perf_counter()
            # raises before anything is written to the graph
            converter = read_and_convert(store, sources, pseudo, tmp, demo=demo,
                                         progress=progress)
            t_read = time.perf_counter() - t0
        settings = server.running_settings(home)
        # the server shuts down (a checkpoint: seconds) while the last nodes are written
        with ThreadPoolExecutor(1) as pool:
            stopping = pool.submit(server.stop, home)
            t0 = time.perf_counter()
            try:
                conv = converter.finish()
            except BaseException:
                stopping.result()
                _start_again(home, settings, start_timeout)
                raise
            t_convert = time.perf_counter() - t0
            stopping.result()
        summary.items = dict(conv.items)
        summary.warnings = conv.warnings
        summary.duplicates = conv.duplicates
        rows = conv.bulk_rows + sum(v for k, v in conv.items.items()
                                    if k not in {b.value for b in BulkKind})
        summary.phases.append(Phase("read", rows, t_read))
        summary.phases.append(Phase("convert", rows, t_convert))
        files = conv.files
        summary.nodes, summary.relationships = files.node_rows, files.rel_rows
        t0 = time.perf_counter()
        try:
            nodes, rels = files.args()
            server.import_full(home, database, nodes, rels, array_delimiter=ARRAY_DELIMITER,
                               overwrite=True, report=tmp / "import.report")
        finally:
            summary.phases.append(Phase("import", rows, time.perf_counter() - t0))
            t1 = time.perf_counter()
            _start_again(home, settings, start_timeout)
            summary.phases.append(Phase("start", rows, time.perf_counter() - t1))
        t0 = time.perf_counter()
        with open_store() as store:
            summary.warnings.extend(finish(store, pseudo, files, _loads(conv), demo=demo))
        summary.phases.append(Phase("schema", rows, time.perf_counter() - t0))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return summary


def _start_again(home: Path, settings: dict, timeout: float) -> None:
    """Start the server of ``home`` as it ran before (:func:`lineage.graph.server.running_settings`)."""
    server.start(home, bolt_port=settings["bolt_port"], http_port=settings["http_port"],
                 heap=settings["heap"], pagecache=settings["pagecache"], timeout=timeout)


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
