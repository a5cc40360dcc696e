"""Ed-Fi Data Standard 4 and 5: XML interchange files and ODS/API JSON, as an inventory and
native bulk rows.

``lineage load --edfi FILE_OR_DIR [--district ID]`` reads one file or every ``.xml`` and
``.json`` file under a folder (sorted, recursively):

* **XML interchanges** (``InterchangeEducationOrganization``, ``InterchangeStudentEnrollment``,
  ``InterchangeStaffAssociation``, ``InterchangeStudentParent`` / ``...Contact``, any
  namespace): streamed with :func:`xml.etree.ElementTree.iterparse`; every record (a child of
  the interchange root) is turned into a small dict and cleared at once, so memory stays flat
  however large the file. A file with a ``DOCTYPE`` is refused before parsing (no DTD, hence
  no entity expansion; expat never fetches external entities). Elements are matched by local name; a reference's fields
  are found with or without its ``...Identity`` wrapper.
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

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from lineage.core.errors import InputError, Problem
from lineage.core.models import BulkKind, Inventory, Section
from lineage.sources.common import (
    PARENT_PREFIX,
    STAFF_PREFIX,
    OrgRecord,
    RowItem,
    compose_key,
    is_key,
    native_row,
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


_CAMEL: dict[str, str] = {}


def _camel(tag: str) -> str:
    """``{ns}StudentReference`` -> ``studentReference`` (cached: tags repeat)."""
    key = _CAMEL.get(tag)
    if key is None:
        local = tag.rsplit("}", 1)[-1]
        key = _CAMEL[tag] = local[:1].lower() + local[1:]
    return key


def _xml_dict(elem: Any) -> dict[str, Any]:
    """An XML record as nested dicts keyed by camelCase local names (first child of a name wins;
    text stripped). A reference's ``...Identity`` wrapper is flattened into the reference, so
    ``StudentReference/StudentIdentity/StudentUniqueId`` reads like the API's
    ``studentReference.studentUniqueId``."""
    out: dict[str, Any] = {}
    for child in elem:
        key = _camel(child.tag)
        if len(child):
            value = _xml_dict(child)
            if key.endswith("Identity"):
                for k, v in value.items():
                    out.setdefault(k, v)
                continue
        else:
            value = (child.text or "").strip()
        out.setdefault(key, value)
    return out


def _has_dtd(path: Path) -> bool:
    """True when the XML prolog (before the root element) holds a ``<!DOCTYPE``: the only
    place a DTD, hence an entity declaration, can be. Comments and processing instructions
    are skipped; only the prolog is read."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    i = 0
    while True:
        i = head.find(b"<", i)
        if i < 0 or i + 1 >= len(head):
            return False
        if head.startswith(b"<!--", i):
            end = head.find(b"-->", i + 4)
            if end < 0:
                return False
            i = end + 3
        elif head.startswith(b"<?", i):
            end = head.find(b"?>", i + 2)
            if end < 0:
                return False
            i = end + 2
        else:
            return head.startswith(b"<!DOCTYPE", i)


def _get(node: Any, *path: str) -> str:
    """The text at ``path`` in a record dict (``""`` when missing or not a scalar)."""
    for key in path:
        if not isinstance(node, dict):
            return ""
        node = node.get(key)
    if node is None or isinstance(node, (dict, list)):
        return ""
    return str(node).strip()


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
        self._actors: list = []
        self.standards: set[str] = set()
        self.counts: dict[str, int] = {}
        self._done = False

    # -- reading records -------------------------------------------------------------------
    def _xml(self, path: Path) -> Iterator[tuple[str, int, dict] | Problem]:
        from xml.etree.ElementTree import ParseError, iterparse

        depth = 0
        n = 0
        root = None
        try:
            if _has_dtd(path):
                yield Problem(str(path), None, None, "XML with a DOCTYPE is refused (an Ed-Fi "
                              "interchange has none; entity declarations can expand without "
                              "bound)")
                return
            for event, elem in iterparse(str(path), events=("start", "end")):
                if event == "start":
                    if root is None:
                        root = elem
                    depth += 1
                    continue
                depth -= 1
                if depth != 1:
                    continue
                n += 1
                name = elem.tag.rsplit("}", 1)[-1]
                if name in RESOURCES:
                    yield name, n, _xml_dict(elem)
                root.clear()
        except ParseError as exc:
            line = exc.position[0] if getattr(exc, "position", None) else None
            yield Problem(str(path), line, None, "not well-formed XML; export the interchange "
                          "again")
        except OSError as exc:
            yield Problem(str(path), None, None, f"cannot read the file ({exc.strerror})")

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
              ) -> date | None | Problem:
        text = _get(rec, fld)
        if not text:
            if required:
                return Problem(file, row, fld, "empty; the date is required")
            return None
        try:
            return parse_date(text)
        except ValueError as exc:
            return Problem(file, row, fld, str(exc))

    def _section(self, rec: dict, file: str, row: int) -> tuple[str, str] | Problem:
        parts = [_get(rec, "sectionReference", k) for k in _SECTION_KEY]
        missing = [k for k, v in zip(_SECTION_KEY, parts) if not v]
        if missing:
            return Problem(file, row, "sectionReference." + missing[0], "empty; a section "
                           "reference needs " + ", ".join(_SECTION_KEY))
        school = parts[0]
        if not is_key(school):
            return Problem(file, row, "sectionReference.schoolId", "not an identifier")
        key = tuple(parts)
        sid = self._section_ids.get(key)
        if sid is None:
            sid = self._section_ids[key] = compose_key(*parts)
            self._sections[sid] = school
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
            return native_row(BulkKind.GUARDIANS, guardian=guardian, student_id=student)
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
        if start and end and end < start:
            return Problem(file, row, fields[1], f"dates out of order: {fields[1]} is before "
                           f"{fields[0]}")
        if name == "StudentSchoolAssociation":
            return native_row(BulkKind.ENROLMENTS, student_id=student, org=school,
                              valid_from=start, valid_to=end)
        if name == "StudentSectionAssociation":
            return native_row(BulkKind.ROSTERS, student_id=student, section=sec[0],
                              valid_from=start, valid_to=end)
        self._taught.add(sec[0])
        return native_row(BulkKind.TEACHING, section=sec[0], school=sec[1], teacher=teacher,
                          valid_from=start, valid_to=end)

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
        """Nothing to close (files are opened and closed while streaming)."""
