"""Ed-Fi Data Standard 4 and 5: XML interchange files and ODS/API JSON, as an inventory and
native bulk rows.

``lineage load --edfi FILE_OR_DIR [--district ID]`` reads one file or every ``.xml`` and
``.json`` file under a folder (sorted, recursively):

* **XML interchanges** (``InterchangeEducationOrganization``, ``InterchangeStudentEnrollment``,
  ``InterchangeStaffAssociation``, ``InterchangeStudentParent`` / ``...Contact``, any
  namespace): streamed through :class:`xml.etree.ElementTree.XMLPullParser`; every record (a
  child of the interchange root) is turned into a small dict and cleared at once, so memory
  stays flat however large the file. A file with a ``DOCTYPE`` is refused before parsing (no
  DTD, hence no entity expansion; expat never fetches external entities). Elements are
  matched by local name; a reference's fields are found with or without its ``...Identity``
  wrapper. A file of :data:`PARALLEL_MIN_BYTES` or more is converted in two parts at once,
  each in a child process (:meth:`EdFiSource._xml_in_parts`), with exactly the result of one
  pass.
* **ODS/API JSON**: a file per resource, named like its API path (``schools.json``,
  ``studentSchoolAssociations.json``; ``studentSchoolAssociations-2.json`` for a further page),
  holding the array of resources the API returns; streamed item by item with :mod:`ijson`.

What becomes what (XML element / JSON resource):

==========================================================  =======================================
``LocalEducationAgency`` / ``localEducationAgencies``       district actor (id
                                                            ``localEducationAgencyId``, name
                                                            ``nameOfInstitution``)
``School`` / ``schools``                                    school actor (id ``schoolId``),
                                                            ``part_of`` its
                                                            ``localEducationAgencyReference``
``StudentSchoolAssociation`` / ``studentSchoolAssociations``  ``enrolments``: ``entryDate`` ..
                                                            ``exitWithdrawDate`` (open when empty)
``StudentSectionAssociation`` / ``studentSectionAssociations``  ``rosters``: ``beginDate`` ..
                                                            ``endDate``
``StaffSectionAssociation`` / ``staffSectionAssociations``  ``teaching``: ``beginDate`` ..
                                                            ``endDate`` (open when empty: the
                                                            roster still bounds what is seen)
``StudentParentAssociation`` (DS 4) /                       ``guardians`` (open window)
``StudentContactAssociation`` (DS 5)
==========================================================  =======================================

A section's id is its natural key, ``schoolId/schoolYear/sessionName/localCourseCode/
sectionIdentifier`` (:func:`lineage.sources.common.compose_key`), at school ``schoolId``. A section
that a staff section association names comes as the section of its ``teaching`` rows; any
other, as a section of the inventory.
``--district ID`` renames the files' one LEA (:func:`~lineage.sources.common.organisation_actors`).

People: only ``studentUniqueId``, ``staffUniqueId``, ``parentUniqueId`` and ``contactUniqueId``
are read. The student's goes raw into ``student_id`` (the loader hashes it); a staff member is
actor ``staff:<staffUniqueId>``, a parent or contact ``parent:<uniqueId>`` (one prefix for both
standards, so a district moving from DS 4 to DS 5 keeps its guardians' ids). ``Student``,
``Staff``, ``Parent`` and ``Contact`` records (names, birth dates, addresses) are skipped
unread.

Problems name the file, the record's position in it (``row``: the n-th record of an XML
interchange or of a JSON array) and the field; values of these student-bearing files are
never quoted.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import Any

from lineage.core.errors import InputError, Problem
from lineage.core.models import BulkKind, Inventory, Section
from lineage.sources.common import (
    NATIVE_COLUMNS,
    PARENT_PREFIX,
    STAFF_PREFIX,
    Fragment,
    OrgRecord,
    RowItem,
    compose_key,
    is_key,
    organisation_actors,
    person_key,
)
from lineage.sources.inventory import parse_date

#: XML record (local name) -> the JSON resource (API path) holding the same thing.
RESOURCES: dict[str, str] = {
    "LocalEducationAgency": "localEducationAgencies",
    "School": "schools",
    "StudentSchoolAssociation": "studentSchoolAssociations",
    "StudentSectionAssociation": "studentSectionAssociations",
    "StaffSectionAssociation": "staffSectionAssociations",
    "StudentParentAssociation": "studentParentAssociations",
    "StudentContactAssociation": "studentContactAssociations",
}
_BY_RESOURCE = {v.lower(): k for k, v in RESOURCES.items()}
#: JSON resources that are known and deliberately not read (people's names and details).
UNREAD = frozenset({"students", "staffs", "parents", "contacts", "studenteducationorganization"
                    "associations", "sessions", "sections", "courseofferings", "courses",
                    "staffeducationorganizationassignmentassociations",
                    "staffschoolassociations", "stateeducationagencies"})

_SECTION_KEY = ("schoolId", "schoolYear", "sessionName", "localCourseCode", "sectionIdentifier")


#: Bytes of an XML interchange fed to the parser at a time.
XML_CHUNK = 1 << 14

_CAMEL: dict[str, str] = {}
_LOCAL: dict[str, str] = {}


def _local(tag: str) -> str:
    """``{ns}StudentSchoolAssociation`` -> ``StudentSchoolAssociation`` (cached: tags repeat)."""
    name = _LOCAL.get(tag)
    if name is None:
        name = _LOCAL[tag] = tag.rsplit("}", 1)[-1]
    return name


def _camel(tag: str) -> str:
    """``{ns}StudentReference`` -> ``studentReference`` (cached: tags repeat)."""
    key = _CAMEL.get(tag)
    if key is None:
        local = tag.rsplit("}", 1)[-1]
        key = _CAMEL[tag] = local[:1].lower() + local[1:]
    return key


#: Levels of a record read into its dict (a reference is two or three deep); deeper elements
#: are not read, so that no record, however nested, exhausts the stack.
XML_DEPTH = 16


def _xml_dict(elem: Any, depth: int = 1) -> dict[str, Any]:
    """An XML record as nested dicts keyed by camelCase local names (first child of a name wins;
    text stripped; elements below :data:`XML_DEPTH` levels left out). A reference's
    ``...Identity`` wrapper is flattened into the reference, so
    ``StudentReference/StudentIdentity/StudentUniqueId`` reads like the API's
    ``studentReference.studentUniqueId``."""
    out: dict[str, Any] = {}
    camel = _CAMEL
    for child in elem:
        tag = child.tag
        key = camel.get(tag) or _camel(tag)
        if len(child):
            if depth >= XML_DEPTH:
                continue
            value = _xml_dict(child, depth + 1)
            if key.endswith("Identity"):
                for k, v in value.items():
                    if k not in out:
                        out[k] = v
                continue
        else:
            text = child.text
            value = text.strip() if text else ""
        if key not in out:
            out[key] = value
    return out


def _first_markup(head: bytes) -> int | None:
    """The position in ``head`` (the start of an XML file) of the first ``<`` that is not a
    comment or a processing instruction: the root's start tag or a ``<!DOCTYPE``; ``None``
    when ``head`` ends before it."""
    i = 0
    while True:
        i = head.find(b"<", i)
        if i < 0 or i + 1 >= len(head):
            return None
        if head.startswith(b"<!--", i):
            end = head.find(b"-->", i + 4)
            if end < 0:
                return None
            i = end + 3
        elif head.startswith(b"<?", i):
            end = head.find(b"?>", i + 2)
            if end < 0:
                return None
            i = end + 2
        else:
            return i


def _has_dtd(path: Path) -> bool:
    """True when the XML prolog (before the root element) holds a ``<!DOCTYPE``: the only
    place a DTD, hence an entity declaration, can be. Comments and processing instructions
    are skipped, however long: the prolog is scanned 64 KiB at a time, keeping only what a
    terminator split between two reads needs, so time is linear and memory small."""
    inside: bytes | None = None        # the terminator of the comment / PI being skipped
    buf = b""
    with open(path, "rb") as fh:
        while more := fh.read(1 << 16):
            buf += more
            while True:
                if inside is not None:
                    end = buf.find(inside)
                    if end < 0:
                        buf = buf[-(len(inside) - 1):]
                        break
                    buf, inside = buf[end + len(inside):], None
                i = buf.find(b"<")
                if i < 0:
                    buf = b""
                    break
                buf = buf[i:]
                if len(buf) < len(b"<!DOCTYPE"):
                    break                           # too short to tell: read more
                if buf.startswith(b"<!--"):
                    buf, inside = buf[4:], b"-->"
                elif buf.startswith(b"<?"):
                    buf, inside = buf[2:], b"?>"
                else:
                    return buf.startswith(b"<!DOCTYPE")
    return False


#: An XML interchange at least this large is converted in two parts at once, each in its own
#: process (:meth:`EdFiSource._xml_in_parts`).
PARALLEL_MIN_BYTES = 32 << 20
#: Rows a part converts between two reports of its progress.
PARTS_PROGRESS_EVERY = 20_000

_RECORD_START = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?(?:"
                           + b"|".join(n.encode("ascii") for n in RESOURCES) + rb")[\s/>]")
_ENCODING = re.compile(rb"""\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._\-]+)["']""")
_UTF8 = frozenset({b"utf-8", b"utf8", b"us-ascii", b"ascii"})


def _xml_cut(path: Path, size: int) -> tuple[int, str, int] | None:
    """Where a large XML interchange may be cut in two: ``(head, close, offset)``. ``head`` is
    the length of the file's start up to the end of the root's start tag (declaration and
    namespaces, prepended to the second part), ``close`` the root's end tag (appended to the
    first part), ``offset`` the position of a record's start tag (a name of
    :data:`RESOURCES`) just after the middle of the file. ``None`` when the file is not UTF-8,
    its root tag is not read in the first 64 KiB, or no record starts in the MiB after the
    middle. A cut is a guess until both parts parse (a record name inside a comment, say):
    see :func:`convert_xml_part`."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            return None
        declared = _ENCODING.match(head.removeprefix(b"\xef\xbb\xbf"))
        if declared and declared.group(1).lower() not in _UTF8:
            return None
        start = _first_markup(head)
        if start is None or head.startswith(b"<!", start):
            return None
        quote = None
        end = None
        for i in range(start + 1, len(head)):
            c = head[i]
            if quote is not None:
                if c == quote:
                    quote = None
            elif c in b"\"'":
                quote = c
            elif c == 0x3E:                                  # '>'
                end = i + 1
                break
        if end is None or head[end - 2] == 0x2F:           # unfinished, or an empty root '/>'
            return None
        qname = re.match(rb"<([^\s/>]+)", head[start:end])
        if qname is None:
            return None
        middle = size // 2
        fh.seek(middle)
        found = _RECORD_START.search(fh.read(1 << 20))
    if found is None or middle + found.start() <= end:
        return None
    try:
        name = qname.group(1).decode("utf-8")
    except UnicodeDecodeError:
        return None
    return end, "</" + name + ">", middle + found.start()


def _get(node: Any, *path: str) -> str:
    """The text at ``path`` in a record dict (``""`` when missing or not a scalar)."""
    for key in path:
        if type(node) is not dict:
            return ""
        node = node.get(key)
    if type(node) is str:               # XML text is stripped already; JSON's may not be
        return node.strip()
    if node is None or isinstance(node, (dict, list)):
        return ""
    return str(node).strip()


@lru_cache(maxsize=8192)
def _iso_date(text: str) -> tuple[date, str]:
    """A non-empty date text as ``(date, ISO text)`` (:func:`lineage.sources.inventory.parse_date`),
    cached: an export repeats a few dates. Raises ``ValueError`` as it does."""
    day = parse_date(text)
    if day is None:
        raise ValueError("empty")
    return day, day.isoformat()


def _row(kind: BulkKind, *cells: str) -> tuple[BulkKind, dict[str, str]]:
    """A native row of ``kind`` from its cells in :data:`~lineage.sources.common.NATIVE_COLUMNS`
    order (the hot path of :func:`~lineage.sources.common.native_row`)."""
    return kind, dict(zip(NATIVE_COLUMNS[kind], cells, strict=True))


def _resource_of(path: Path) -> str | None:
    """The XML record name of a JSON file named like an API resource (page suffixes allowed)."""
    stem = path.stem.lower()
    for res in sorted(_BY_RESOURCE, key=len, reverse=True):
        if stem == res or (stem.startswith(res) and not stem[len(res)].isalnum()):
            return _BY_RESOURCE[res]
    return None


def _looks_edfi(path: Path) -> bool:
    """True when ``path`` may be an Ed-Fi file: JSON named like an API resource, or XML whose
    root is an ``Interchange...`` element or a record this reader uses. A file that cannot be
    read or parsed counts (its problem is reported when the rows are read)."""
    if path.suffix.lower() == ".json":
        return _resource_of(path) is not None
    from xml.etree.ElementTree import ParseError, iterparse

    try:
        if _has_dtd(path):
            return True
        for _, elem in iterparse(str(path), events=("start",)):
            tag = elem.tag.rsplit("}", 1)[-1]
            return tag.startswith("Interchange") or tag in RESOURCES
    except (ParseError, OSError):
        return True
    return True


def _cpus() -> int:
    """The CPUs this process may run on (its affinity mask, which a container's limit narrows;
    ``os.cpu_count()`` where there is none)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _byte_range(path: Path, start: int, stop: int | None) -> Iterator[bytes]:
    """The bytes of ``path`` from ``start`` to ``stop`` (the end when ``None``), in chunks of
    :data:`XML_CHUNK`."""
    with open(path, "rb") as fh:
        fh.seek(start)
        left = None if stop is None else stop - start
        while left is None or left > 0:
            chunk = fh.read(XML_CHUNK if left is None else min(XML_CHUNK, left))
            if not chunk:
                return
            if left is not None:
                left -= len(chunk)
            yield chunk


def _xml_records(chunks: Iterable[bytes], tally: list[int] | None = None
                 ) -> Iterator[tuple[str, int, dict]]:
    """The records (children of the root) of the XML document made of ``chunks`` that this
    reader uses, as ``(name, row, dict)`` (``row``: the position among all the root's
    children, from 1). Streamed: fed to a pull parser a chunk at a time, the root cleared
    after every record, read or skipped, so memory stays flat in the document's size. At the
    end, the number of the root's children is appended to ``tally`` (when given). Raises
    ``xml.etree.ElementTree.ParseError`` when the document is not well-formed."""
    from xml.etree.ElementTree import XMLPullParser

    depth = 0
    n = 0
    root = None
    parser = XMLPullParser(events=("start", "end"))
    for chunk in chain(chunks, (b"",)):          # b"": the end of the document
        if chunk:
            parser.feed(chunk)
        else:
            parser.close()
        for event, elem in parser.read_events():
            if event == "start":
                if root is None:
                    root = elem
                depth += 1
                continue
            depth -= 1
            if depth != 1:
                continue
            n += 1
            name = _local(elem.tag)
            if name in RESOURCES:
                yield name, n, _xml_dict(elem)
            root.clear()
    if tally is not None:
        tally.append(n)


def _write_count(path: Path, n: int) -> None:
    """Replace the file ``path`` by the number ``n`` (written beside it, then renamed)."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(str(n), encoding="ascii")
    os.replace(tmp, path)


def _read_count(path: Path) -> int:
    """The number a child wrote with :func:`_write_count`; 0 before it has written one."""
    try:
        return int(path.read_text(encoding="ascii"))
    except (OSError, ValueError):
        return 0


def convert_xml_part(path: str, district: str | None, folder: str, part: int, head: int,
                     start: int, stop: int | None, close: str, every: int = 20_000) -> dict:
    """Convert one part of a large XML interchange (run in a child process by
    :meth:`EdFiSource._xml_in_parts`): the document made of the file's first ``head`` bytes,
    its bytes ``start`` .. ``stop`` and then ``close``. Writes each bulk kind's native rows
    (no header) to ``folder/part<part>-<kind>.csv``, the number of rows written so far to
    ``folder/part<part>.rows`` every ``every`` rows (replaced whole, never half-written), and
    returns, as JSON values: ``ok``
    (false when the part does not parse: the cut was not between two records, or the file
    is not well-formed), ``records`` (the root's children read), ``fragments`` (kind ->
    [file, rows], in the order each kind first appears), ``problems`` ([file, row, field,
    message], rows counted within the part, at most
    :data:`~lineage.sources.inventory.MAX_PROBLEMS`), ``sections`` ([natural key, id,
    school] in the order first seen), ``taught``, ``leas`` and ``schools`` ([id, name,
    parent, file, row]) and ``standards``."""
    from xml.etree.ElementTree import ParseError

    from lineage.sources.inventory import MAX_PROBLEMS

    source = EdFiSource(Path(path), district=district)
    label = str(Path(path))
    chunks: list[Iterable[bytes]] = []
    if head:
        chunks.append(_byte_range(Path(path), 0, head))
    chunks.append(_byte_range(Path(path), start, stop))
    if close:
        chunks.append([close.encode("utf-8")])
    files: dict[str, Any] = {}
    writers: dict[str, Any] = {}
    rows: dict[str, int] = {}
    problems: list[list] = []
    tally: list[int] = []
    written = 0
    try:
        for name, row, rec in _xml_records((chunk for part_ in chunks for chunk in part_),
                                           tally):
            out = source._record(label, name, row, rec)
            if out is None:
                continue
            if isinstance(out, Problem):
                if len(problems) < MAX_PROBLEMS:
                    problems.append([out.file, out.row, out.field, out.message])
                continue
            kind, values = out
            w = writers.get(kind.value)
            if w is None:
                target = Path(folder) / f"part{part}-{kind.value}.csv"
                files[kind.value] = open(  # noqa: SIM115 -- closed in the finally below
                    target, "w", encoding="utf-8", newline="")
                w = writers[kind.value] = csv.writer(files[kind.value], lineterminator="\n")
                rows[kind.value] = 0
            w.writerow(values.values())
            rows[kind.value] += 1
            written += 1
            if written % every == 0:
                _write_count(Path(folder) / f"part{part}.rows", written)
    except (ParseError, OSError):
        return {"ok": False}
    finally:
        for fh in files.values():
            fh.close()
    return {"ok": True, "records": tally[0],
            "fragments": {k: [files[k].name, rows[k]] for k in files},
            "problems": problems,
            "sections": [[list(key), sid, source._sections[sid]]
                         for key, sid in source._section_ids.items()],
            "taught": sorted(source._taught), "standards": sorted(source.standards),
            "leas": [[o.id, o.name, o.parent, o.file, o.row] for o in source._leas.values()],
            "schools": [[o.id, o.name, o.parent, o.file, o.row]
                        for o in source._schools.values()]}


def read_edfi(path: Path, *, district: str | None = None) -> EdFiSource:
    """Open Ed-Fi XML / JSON files (a file or a folder) for loading; see the module docstring.

    Raises :class:`InputError` when ``path`` does not exist or holds no ``.xml``/``.json``
    file; every other problem is yielded by :meth:`EdFiSource.rows`.
    """
    return EdFiSource(Path(path), district=district)


class EdFiSource:
    """Parsed Ed-Fi files (a :class:`lineage.sources.common.ParsedSource`)."""

    def __init__(self, path: Path, *, district: str | None = None) -> None:
        self.origin = str(path)
        self.warnings: list[Problem] = []
        self.notes: list[str] = []
        self._district = district
        if path.is_dir():
            self.paths = sorted(p for p in path.rglob("*")
                                if p.is_file() and p.suffix.lower() in (".xml", ".json"))
        elif path.is_file():
            self.paths = [path]
        else:
            raise InputError([Problem(str(path), None, None, "no such file or folder")])
        if not self.paths:
            raise InputError([Problem(str(path), None, None, "no .xml or .json file in the "
                                      "folder; give Ed-Fi interchange files or API JSON")])
        if path.is_dir() and not any(_looks_edfi(p) for p in self.paths):
            raise InputError([Problem(str(path), None, None, (
                f"no Ed-Fi interchange files (Interchange*.xml) or API resource files ("
                f"{', '.join(v + '.json' for v in list(RESOURCES.values())[:3])}, ...) in {path}; give the folder "
                "of the Ed-Fi export"))])
        self._leas: dict[str, OrgRecord] = {}
        self._schools: dict[str, OrgRecord] = {}
        self._sections: dict[str, str] = {}                  # section id -> school id
        self._taught: set[str] = set()                       # sections of teaching rows
        self._section_ids: dict[tuple[str, ...], str] = {}   # natural key -> section id
        self._known_refs: dict[tuple, tuple[str, str]] = {}  # reference as read -> (id, school)
        self._actors: list = []
        self.standards: set[str] = set()
        self.counts: dict[str, int] = {}
        self._scratch: Path | None = None    # fragments of files converted in parts
        #: Called with the rows converted so far by the parts of the file being converted in
        #: parts (set by :func:`lineage.sources.native.write_native` to report progress).
        self.on_rows: Callable[[int], None] | None = None
        self._files_in_parts = 0
        self._done = False

    # -- reading records -------------------------------------------------------------------
    def _xml(self, path: Path) -> Iterator[tuple[str, int, dict] | Problem]:
        """The records of an XML interchange this reader uses, as ``(name, row, dict)``
        (``row``: the record's position among all the children of the root), or the
        problem that stops the file (a DOCTYPE, XML that is not well-formed, unreadable)."""
        from xml.etree.ElementTree import ParseError

        try:
            if _has_dtd(path):
                yield Problem(str(path), None, None, "XML with a DOCTYPE is refused (an Ed-Fi "
                              "interchange has none; entity declarations can expand without "
                              "bound)")
                return
            yield from _xml_records(_byte_range(path, 0, None))
        except ParseError as exc:
            line = exc.position[0] if getattr(exc, "position", None) else None
            yield Problem(str(path), line, None, "not well-formed XML; export the interchange "
                          "again")
        except OSError as exc:
            yield Problem(str(path), None, None, f"cannot read the file ({exc.strerror})")

    def _xml_in_parts(self, path: Path) -> list[RowItem] | None:
        """A large XML interchange (at least :data:`PARALLEL_MIN_BYTES`, two or more CPUs)
        converted in two parts at once, each by :func:`convert_xml_part` in a child process
        (:mod:`lineage.sources.parallel`), cut at :func:`_xml_cut`. Returns what
        :meth:`rows` would have yielded for the file -- the problems of each part (rows
        renumbered as in the whole file) and a :class:`Fragment` per bulk kind and part, in
        the order of the file -- after merging each part's sections, teaching and
        organisations into this source; ``None`` (nothing merged) when the file is small, no
        cut is found, or a part fails or does not parse, e.g. because the cut was not between
        two records: the caller then reads the file itself, which also reports a file that is
        not well-formed exactly as before."""
        size = path.stat().st_size
        if size < PARALLEL_MIN_BYTES or _cpus() < 2 or _has_dtd(path):
            return None
        cut = _xml_cut(path, size)
        if cut is None:
            return None
        head, close, offset = cut
        from lineage.sources import parallel

        if self._scratch is None:
            self._scratch = Path(tempfile.mkdtemp(prefix="lineage-edfi-"))
        self._files_in_parts += 1
        common = {"path": str(path), "district": self._district, "folder": str(self._scratch),
                  "every": PARTS_PROGRESS_EVERY}
        first = 2 * self._files_in_parts - 1           # fragment names unique per file
        children: list = []
        try:
            children.append(parallel.start("edfi-xml-part", part=first, head=0, start=0,
                                           stop=offset, close=close, **common))
            children.append(parallel.start("edfi-xml-part", part=first + 1, head=head,
                                           start=offset, stop=None, close="", **common))
            counts = [self._scratch / f"part{n}.rows" for n in (first, first + 1)]

            def waiting() -> None:
                if self.on_rows is not None:
                    self.on_rows(sum(_read_count(c) for c in counts))

            results = [parallel.finish(child, waiting) for child in children]
        finally:                                # interrupted (Ctrl-C): no child outlives us
            parallel.stop(children)
        if any(r is None or not r.get("ok") for r in results):
            return None
        items: list[RowItem] = []
        before = 0                          # records of the parts before this one
        for r in results:
            for key, sid, school in r["sections"]:
                if tuple(key) not in self._section_ids:     # as _section does
                    self._section_ids[tuple(key)] = sid
                    self._sections[sid] = school
            self._taught.update(r["taught"])
            self.standards.update(r["standards"])
            for kind, found in (("leas", self._leas), ("schools", self._schools)):
                for oid, label, parent, file, row in r[kind]:
                    found.setdefault(oid, OrgRecord(oid, label, parent, file, row + before))
            items.extend(Problem(file, None if row is None else row + before, field, message)
                         for file, row, field, message in r["problems"])
            items.extend(Fragment(BulkKind(kind), Path(frag), rows)
                         for kind, (frag, rows) in r["fragments"].items())
            before += r["records"]
        return items

    def _json(self, path: Path) -> Iterator[tuple[str, int, dict] | Problem]:
        import ijson

        name = _resource_of(path)
        if name is None:
            if path.stem.lower().split("-")[0].split("_")[0] not in UNREAD:
                self.warnings.append(Problem(str(path), None, None, (
                    "not named like an Ed-Fi resource this reader uses ("
                    + ", ".join(sorted(RESOURCES.values())) + "); ignored")))
            return
        n = 0
        try:
            with open(path, "rb") as fh:
                for item in ijson.items(fh, "item"):
                    n += 1
                    if not isinstance(item, dict):
                        yield Problem(str(path), n, None, "not a resource object; the file must "
                                      "hold the JSON array the ODS/API returns")
                        continue
                    yield name, n, item
            if n == 0:
                with open(path, "rb") as fh:
                    head = fh.read(64).lstrip()
                if head[:1] not in (b"[", b""):
                    yield Problem(str(path), None, None, "expected a JSON array of resources "
                                  "(as the ODS/API returns them)")
        except ijson.JSONError:
            yield Problem(str(path), n + 1 if n else None, None,
                          "not valid JSON; export the resource again")
        except OSError as exc:
            yield Problem(str(path), None, None, f"cannot read the file ({exc.strerror})")

    # -- the rows --------------------------------------------------------------------------
    def rows(self) -> Iterator[RowItem]:
        """Stream enrolments, rosters, teaching and guardians from every file, in one pass
        (see :class:`lineage.sources.common.ParsedSource`); organisation problems come last.
        Once only."""
        if self._done:
            raise RuntimeError("rows() already consumed")
        self._done = True
        n = dict.fromkeys(("enrolments", "rosters", "teaching", "guardians"), 0)
        for path in self.paths:
            in_parts = self._xml_in_parts(path) if path.suffix.lower() == ".xml" else None
            if in_parts is not None:
                for item in in_parts:
                    if isinstance(item, Fragment):
                        n[item.kind.value] += item.rows
                    yield item
                continue
            reader = self._xml if path.suffix.lower() == ".xml" else self._json
            for item in reader(path):
                if isinstance(item, Problem):
                    yield item
                    continue
                out = self._record(str(path), *item)
                if out is None:
                    continue
                if not isinstance(out, Problem):
                    n[out[0].value] += 1
                yield out
        actors, _, problems = organisation_actors(
            list(self._leas.values()), list(self._schools.values()), self._district,
            origin=self.origin)
        self._actors = actors
        yield from problems
        self.counts.update(n, districts=len(self._leas), schools=len(self._schools),
                           sections=len(self._sections))
        std = " and ".join(sorted(self.standards)) or "DS 4/5"
        self.notes.append(
            f"{self.origin}: Ed-Fi {std}, {len(self.paths)} file(s): {len(self._leas)} "
            f"LEA(s), {len(self._schools)} school(s), {len(self._sections)} sections, "
            f"{n['enrolments']} school enrolments, {n['rosters']} roster rows, {n['teaching']} "
            f"teaching rows, {n['guardians']} guardianships")

    def _date(self, rec: dict, file: str, row: int, fld: str, *, required: bool
              ) -> tuple[date, str] | None | Problem:
        """The date of ``fld`` as ``(date, ISO text)``; ``None`` when empty and not
        ``required``; else a :class:`Problem` naming the field, never the value."""
        text = _get(rec, fld)
        if not text:
            if required:
                return Problem(file, row, fld, "empty; the date is required")
            return None
        try:
            return _iso_date(text)
        except ValueError as exc:
            return Problem(file, row, fld, str(exc))

    def _section(self, rec: dict, file: str, row: int) -> tuple[str, str] | Problem:
        ref = rec.get("sectionReference")
        raw = tuple(map(ref.get, _SECTION_KEY)) if type(ref) is dict else None
        try:
            known = self._known_refs.get(raw) if raw is not None else None
        except TypeError:                       # a part is an object or an array
            known = raw = None
        if known is not None:                   # the same reference seen before (XML: text)
            return known
        key = tuple(_get(ref, k) for k in _SECTION_KEY)
        sid = self._section_ids.get(key)
        if sid is not None:
            if raw == key:
                self._known_refs[raw] = sid, key[0]
            return sid, key[0]
        missing = [k for k, v in zip(_SECTION_KEY, key) if not v]
        if missing:
            return Problem(file, row, "sectionReference." + missing[0], "empty; a section "
                           "reference needs " + ", ".join(_SECTION_KEY))
        school = key[0]
        if not is_key(school):
            return Problem(file, row, "sectionReference.schoolId", "not an identifier")
        sid = self._section_ids[key] = compose_key(*key)
        self._sections[sid] = school
        if raw == key:
            self._known_refs[raw] = sid, school
        return sid, school

    def _record(self, file: str, name: str, row: int, rec: dict) -> RowItem | None:
        if name in ("LocalEducationAgency", "School"):
            return self._org(file, name, row, rec)
        if name in ("StudentParentAssociation", "StudentContactAssociation"):
            parent = "parent" if name == "StudentParentAssociation" else "contact"
            self.standards.add("DS 4" if parent == "parent" else "DS 5")
            student = _get(rec, "studentReference", "studentUniqueId")
            if not student:
                return Problem(file, row, "studentReference.studentUniqueId", "empty")
            raw = _get(rec, f"{parent}Reference", f"{parent}UniqueId")
            guardian = person_key(PARENT_PREFIX, raw)
            if guardian is None:
                return Problem(file, row, f"{parent}Reference.{parent}UniqueId", (
                    "empty or not usable as an actor id (letters, digits, '.', '_', '-', ':', "
                    "'/' only)"))
            return _row(BulkKind.GUARDIANS, guardian, student, "", "")
        if name == "StaffSectionAssociation":
            raw = _get(rec, "staffReference", "staffUniqueId")
            teacher = person_key(STAFF_PREFIX, raw)
            if teacher is None:
                return Problem(file, row, "staffReference.staffUniqueId", (
                    "empty or not usable as an actor id (letters, digits, '.', '_', '-', ':', "
                    "'/' only)"))
        else:
            student = _get(rec, "studentReference", "studentUniqueId")
            if not student:
                return Problem(file, row, "studentReference.studentUniqueId", "empty")
        if name == "StudentSchoolAssociation":
            school = _get(rec, "schoolReference", "schoolId")
            if not school or not is_key(school):
                return Problem(file, row, "schoolReference.schoolId", "empty or not an id")
            start = self._date(rec, file, row, "entryDate", required=True)
            end = self._date(rec, file, row, "exitWithdrawDate", required=False)
            fields = ("entryDate", "exitWithdrawDate")
        else:
            sec = self._section(rec, file, row)
            if isinstance(sec, Problem):
                return sec
            start = self._date(rec, file, row, "beginDate",
                               required=name == "StudentSectionAssociation")
            end = self._date(rec, file, row, "endDate", required=False)
            fields = ("beginDate", "endDate")
        for d in (start, end):
            if isinstance(d, Problem):
                return d
        if start and end and end[0] < start[0]:
            return Problem(file, row, fields[1], f"dates out of order: {fields[1]} is before "
                           f"{fields[0]}")
        since = start[1] if start else ""
        until = end[1] if end else ""
        if name == "StudentSchoolAssociation":
            return _row(BulkKind.ENROLMENTS, student, school, since, until)
        if name == "StudentSectionAssociation":
            return _row(BulkKind.ROSTERS, student, sec[0], since, until)
        self._taught.add(sec[0])
        return _row(BulkKind.TEACHING, sec[0], sec[1], teacher, since, until)

    def _org(self, file: str, name: str, row: int, rec: dict) -> Problem | None:
        fld = "localEducationAgencyId" if name == "LocalEducationAgency" else "schoolId"
        oid = _get(rec, fld)
        if not oid or not is_key(oid):
            return Problem(file, row, fld, "empty or not an id")
        label = _get(rec, "nameOfInstitution") or None
        if name == "LocalEducationAgency":
            self._leas.setdefault(oid, OrgRecord(oid, label, None, file, row))
        else:
            lea = _get(rec, "localEducationAgencyReference", "localEducationAgencyId") or None
            self._schools.setdefault(oid, OrgRecord(oid, label, lea, file, row))
        return None

    # -- the inventory ---------------------------------------------------------------------
    def inventory(self) -> Inventory:
        """LEAs, schools and every section the associations name that no staff section
        association names (a taught section comes as the section of its teaching rows, at the
        same school; complete after rows())."""
        sections = [Section(id=s, school=school) for s, school in self._sections.items()
                    if s not in self._taught]
        return Inventory(name=f"Ed-Fi files {self.origin}", actors=list(self._actors),
                         sections=sections)

    def close(self) -> None:
        """Remove the fragments of files converted in parts (files are opened and closed
        while streaming)."""
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None
