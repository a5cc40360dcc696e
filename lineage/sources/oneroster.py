"""OneRoster 1.1 and 1.2 CSV exports (IMS Global / 1EdTech) as an inventory and native bulk rows.

``lineage load --oneroster DIR_OR_ZIP [--district ID]`` reads a folder or a zip of the bulk or
delta CSV binding: ``manifest.csv``, ``orgs.csv``, ``academicSessions.csv``, ``classes.csv``,
``users.csv``, ``enrollments.csv`` and, in 1.2, ``roles.csv``. ``courses.csv`` is not needed (a
class is the section) and ``demographics.csv`` is never opened: nothing in it is read or stored.

What becomes what
-----------------

* ``orgs.csv``: type ``district`` -> a district actor, type ``school`` -> a school actor
  ``part_of`` its ``parentSourcedId`` district (other types are not actors). Actor id = the
  org's ``sourcedId``; name = its ``name``. ``--district ID`` renames the export's one district
  (see :func:`lineage.sources.common.organisation_actors`).
* ``classes.csv`` -> a section (id = the class's ``sourcedId``) at ``schoolSourcedId``. Its
  window is its terms' (``termSourcedIds`` -> ``academicSessions.csv``): the first
  ``startDate`` to the last ``endDate``. The class title is not stored (titles often carry a
  teacher's name); the section is named by its id. A class with a teacher comes as the
  section of its ``teaching`` rows (at the same school); a class without one, as a section of
  the inventory.
* ``enrollments.csv``, role ``student`` -> a roster row (``rosters``); role ``teacher`` -> a
  ``teaching`` row (teacher actor created by the load). Dates: ``beginDate`` / ``endDate``,
  each one that is empty taken from the class's terms. Other roles (administrator, aide,
  proctor) are counted and skipped.
* School enrolments (``enrolments``): from ``roles.csv`` when the export has it (1.2: each
  ``student`` role at an org, dated by the role's ``beginDate`` / ``endDate``, open when empty);
  otherwise (1.1) one per student enrollment, at its ``schoolSourcedId``, dated like the roster
  row (OneRoster 1.1 has no dated school membership; ``orgSourcedIds`` is not read).
* Guardians (``guardians``, open window: OneRoster gives no dates): a student's
  ``agentSourcedIds`` naming a user whose role is ``parent`` or ``guardian``, and a
  parent/guardian's ``agentSourcedIds`` naming a student.

Who a person is
---------------

Only ``sourcedId``, ``identifier``, ``role``, ``status`` and ``agentSourcedIds`` are read
about people; names, usernames, user ids, e-mail, SMS, phone, grades and passwords never leave
the CSV reader. A person's id is ``identifier`` when the cell is filled, else ``sourcedId``
(districts put the SIS student number in ``identifier``; the ``sourcedId`` is often a GUID the
export invents). A student's id goes, raw, into ``student_id`` (the loader hashes it); a
teacher's actor id is ``staff:<id>``, a guardian's ``parent:<id>``
(:func:`lineage.sources.common.person_key`).

Messy exports
-------------

Headers in any order and case; ``ext_`` columns, unknown columns (warned) and trailing empty
columns ignored; ``status`` ``tobedeleted`` (and 1.0's ``inactive``) rows skipped and counted
per file (nothing is deleted: having touched a record is permanent); US dates (``1/05/2023``)
accepted with one warning per file and field naming the rows; a missing ``manifest.csv`` read as
a bulk export of the files present (warned). In a **delta** export a class or org that the
delta's files do not hold may be one loaded before: it is referred to by its ``sourcedId`` and
checked against the graph; a user must always be in the export's ``users.csv`` (its
``identifier`` is needed).

Errors: every problem is collected (:meth:`OneRosterExport.rows` yields them) with file, row and
field; rows of ``users.csv``, ``enrollments.csv`` and ``roles.csv`` are never quoted in a
message. Memory: one small entry per user, class and org; enrollments and roles are streamed.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from lineage.core.errors import InputError, Problem
from lineage.core.models import BulkKind, Inventory, Section
from lineage.sources.common import (
    PARENT_PREFIX,
    STAFF_PREFIX,
    Header,
    OrgRecord,
    RowItem,
    UsDates,
    is_key,
    native_row,
    organisation_actors,
    parse_date,
    person_key,
    read_header,
)

# --- the IMS field names ------------------------------------------------------------------

_COMMON = ("sourcedId", "status", "dateLastModified")
FIELDS: dict[str, tuple[str, ...]] = {
    "manifest.csv": ("propertyName", "value"),
    "orgs.csv": _COMMON + ("name", "type", "identifier", "parentSourcedId", "metadata.classification",
                           "metadata.gender", "metadata.boarding"),
    "academicSessions.csv": _COMMON + ("title", "type", "startDate", "endDate", "parentSourcedId",
                                       "schoolYear"),
    "classes.csv": _COMMON + ("title", "grades", "courseSourcedId", "classCode", "classType",
                              "location", "schoolSourcedId", "termSourcedIds", "subjects",
                              "subjectCodes", "periods", "resources", "resourceSourcedIds"),
    "users.csv": _COMMON + ("enabledUser", "orgSourcedIds", "role", "username", "userIds",
                            "givenName", "familyName", "middleName", "identifier", "email", "sms",
                            "phone", "agentSourcedIds", "grades", "password",
                            "userMasterIdentifier", "resourceSourcedIds", "preferredGivenName",
                            "preferredMiddleName", "preferredFamilyName", "primaryOrgSourcedId",
                            "pronouns"),
    "enrollments.csv": _COMMON + ("classSourcedId", "schoolSourcedId", "userSourcedId", "role",
                                  "primary", "beginDate", "endDate"),
    "roles.csv": _COMMON + ("userSourcedId", "roleType", "role", "beginDate", "endDate",
                            "orgSourcedId", "userProfileSourcedId"),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "manifest.csv": ("propertyName", "value"),
    "orgs.csv": ("sourcedId", "type"),
    "academicSessions.csv": ("sourcedId", "startDate", "endDate"),
    "classes.csv": ("sourcedId", "schoolSourcedId", "termSourcedIds"),
    "users.csv": ("sourcedId",),
    "enrollments.csv": ("classSourcedId", "schoolSourcedId", "userSourcedId", "role"),
    "roles.csv": ("userSourcedId", "role", "orgSourcedId"),
}
#: Files whose rows are about people: their values are never quoted in a message.
PERSON_FILES = frozenset({"users.csv", "enrollments.csv", "roles.csv", "demographics.csv"})
#: Manifest keys of the files this reader uses (``file.<key>``) -> file name.
MANIFEST_FILES = {"orgs": "orgs.csv", "academicSessions": "academicSessions.csv",
                  "classes": "classes.csv", "users": "users.csv",
                  "enrollments": "enrollments.csv", "roles": "roles.csv"}

ROLES = frozenset({"administrator", "aide", "guardian", "parent", "proctor", "relative", "student",
                   "teacher"})
STATUSES = {"": True, "active": True, "tobedeleted": False, "inactive": False}

_STUDENT, _TEACHER, _GUARDIAN = 1, 2, 4
_ROLE_FLAG = {"student": _STUDENT, "teacher": _TEACHER, "parent": _GUARDIAN, "guardian": _GUARDIAN}


class _Skip(Exception):
    """A row problem already reported; skip the row."""


class _Rec:
    """One CSV record: its line and cells, read by field name."""

    __slots__ = ("line", "cells", "index", "width")

    def __init__(self, line: int, cells: list[str], header: Header) -> None:
        self.line = line
        self.cells = cells
        self.index = header.index
        self.width = len(cells)

    def get(self, name: str) -> str:
        """The stripped cell of field ``name`` (``""`` when the column is absent or short)."""
        i = self.index.get(name)
        if i is None or i >= self.width:
            return ""
        return self.cells[i].strip()


@dataclass
class _Class:
    section: str
    school: str
    start: date | None
    end: date | None


def read_oneroster(path: Path, *, district: str | None = None) -> OneRosterExport:
    """Open a OneRoster export (folder or zip) for loading; see the module docstring.

    Reads the manifest, orgs, academic sessions, classes and users at once (small files);
    :meth:`OneRosterExport.rows` then streams roles, enrollments and guardianships. Raises
    :class:`InputError` only when ``path`` is not a folder or zip; every other problem is
    yielded by :meth:`~OneRosterExport.rows`.
    """
    return OneRosterExport(Path(path), district=district)


class OneRosterExport:
    """A parsed OneRoster export (a :class:`lineage.sources.common.ParsedSource`)."""

    def __init__(self, path: Path, *, district: str | None = None) -> None:
        from lineage.sources.files import ExportFiles

        self.files = ExportFiles(path)
        self.origin = str(path)
        if not self.files.has("manifest.csv") and not any(
                self.files.has(n) for n in MANIFEST_FILES.values()):
            self.files.close()
            subs = self.files.subfolders()
            raise InputError([Problem(str(path), None, None, (
                f"no OneRoster files ({', '.join(MANIFEST_FILES.values())}, manifest.csv) in "
                f"{path}" + (f"; found sub-folders {', '.join(s + '/' for s in subs)} — give "
                             "one of them" if subs else "; give the export's folder or .zip")))])
        self.warnings: list[Problem] = []
        self.notes: list[str] = []
        self._problems: list[Problem] = []
        self._us = UsDates()
        self._skipped: dict[str, int] = {}
        self._district = district
        self.version = "1.1"
        self.modes: dict[str, str] = {}
        self._actors: list = []
        self._org_id: dict[str, str] = {}       # org sourcedId -> actor id (schools, districts)
        self._org_kind: dict[str, str] = {}     # org sourcedId -> type
        self._terms: dict[str, tuple[date, date]] = {}
        self._classes: dict[str, _Class] = {}
        self._taught: set[str] = set()          # sections (classes) of teaching rows
        self._dead_classes: set[str] = set()
        self._people: dict[str, tuple[int, str]] = {}    # user sourcedId -> (role flags, id)
        self._dead_users: set[str] = set()
        self._roles: dict[str, int] = {}                  # 1.2: user sourcedId -> role flags
        self.counts: dict[str, int] = {}
        self._pending: list[Problem] = self._problems    # where _emit() puts problems
        self._broken: set[str] = set()    # files with a bad header: no row problems about
                                          # references into them (they would all repeat it)
        self._manifest()
        self._orgs()
        self._sessions()
        self._read_classes()
        if self._has("roles.csv"):
            self._role_flags()
        self._users()
        self._done = False

    # -- file plumbing ---------------------------------------------------------------------
    def _has(self, name: str) -> bool:
        return self.modes.get(name, "absent") != "absent"

    def _delta(self, name: str) -> bool:
        """True when ``name`` is a delta file or absent (its ids may live in the graph)."""
        return self.modes.get(name, "absent") != "bulk"

    def _read(self, name: str, *, first: bool = True) -> Iterator[_Rec | Problem]:
        """Active records of ``name``: problems (bad header, status, CSV) are yielded;
        ``tobedeleted`` rows are skipped (counted in ``self._skipped`` and warned about unknown
        columns on the ``first`` read of a file only)."""
        label = self.files.label(name)
        person = name in PERSON_FILES
        try:
            with self.files.open_text(name) as fh:
                reader = csv.reader(fh)
                end = 0
                header: Header | None = None
                while True:
                    try:
                        cells = next(reader)
                    except StopIteration:
                        break
                    except (csv.Error, UnicodeDecodeError) as exc:
                        what = "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else \
                            "not readable as CSV"
                        yield Problem(label, end + 1, None, f"{what}; export the file again "
                                      "as UTF-8 CSV" + ("" if person else f" ({exc})"))
                        return
                    start, end = end + 1, reader.line_num
                    if not any(c.strip() for c in cells):
                        continue
                    if header is None:
                        header = read_header(cells, FIELDS[name], REQUIRED[name], label, start)
                        yield from header.problems
                        if header.problems:
                            self._broken.add(name)
                            return
                        unknown = [c for c in header.ignored]
                        if unknown and first:
                            self.warnings.append(Problem(label, start, None, (
                                f"column(s) {', '.join(repr(c) for c in unknown)} are not "
                                f"OneRoster {self.version} fields; ignored")))
                        continue
                    rec = _Rec(start, cells, header)
                    if "status" in header.index:
                        status = rec.get("status").lower()
                        alive = STATUSES.get(status)
                        if alive is None:
                            yield Problem(label, start, "status", "not a OneRoster status; use "
                                          "active or tobedeleted (or leave it empty in a bulk "
                                          "file)")
                            continue
                        if not alive:
                            if first:
                                self._skip(f"rows marked tobedeleted in {name}")
                            if name == "users.csv":
                                self._dead_users.add(rec.get("sourcedId"))
                            elif name == "classes.csv":
                                self._dead_classes.add(rec.get("sourcedId"))
                            continue
                    yield rec
                if header is None:
                    yield Problem(label, None, None, "the file is empty; a OneRoster CSV starts "
                                  "with its header row")
        except InputError as exc:
            yield from exc.problems

    def _date(self, rec: _Rec, name: str, fld: str) -> date | None:
        try:
            d, us = parse_date(rec.get(fld))
        except ValueError as exc:
            self._emit(Problem(self.files.label(name), rec.line, fld, str(exc)))
            raise _Skip from None
        if us:
            self._us.add(self.files.label(name), fld, rec.line)
        return d

    def _emit(self, p: Problem) -> None:
        self._pending.append(p)

    # -- manifest --------------------------------------------------------------------------
    def _manifest(self) -> None:
        present = {n for n in MANIFEST_FILES.values() if self.files.has(n)}
        if not self.files.has("manifest.csv"):
            self.modes = {n: "bulk" for n in present}
            self.version = "1.2" if "roles.csv" in present else "1.1"
            self.warnings.append(Problem(self.files.label("manifest.csv"), None, None, (
                f"no manifest.csv: read as a OneRoster {self.version} bulk export of the files "
                "present")))
            return
        props: dict[str, tuple[str, int]] = {}
        for item in self._read("manifest.csv"):
            if isinstance(item, Problem):
                self._problems.append(item)
                continue
            props[item.get("propertyName").strip()] = (item.get("value").strip(), item.line)
        label = self.files.label("manifest.csv")
        version, line = props.get("oneroster.version", ("", None))
        if version.startswith("1.2"):
            self.version = "1.2"
        elif version.startswith("1.1") or version == "1.0":
            self.version = "1.1"
        else:
            self._problems.append(Problem(label, line, "oneroster.version", (
                f"OneRoster version {version!r} not supported; this reader takes 1.1 and 1.2")))
        for key, name in MANIFEST_FILES.items():
            mode, line = props.get(f"file.{key}", ("absent", None))
            mode = mode.lower()
            if mode not in ("bulk", "delta", "absent"):
                self._problems.append(Problem(label, line, f"file.{key}",
                                              f"{mode!r} is not bulk, delta or absent"))
                continue
            if mode != "absent" and name not in present:
                self._problems.append(Problem(label, line, f"file.{key}", (
                    f"the manifest lists {name} as {mode} but the export has no such file")))
                continue
            if mode == "absent" and name in present:
                self.warnings.append(Problem(self.files.label(name), None, None,
                                             "the manifest says absent: file ignored"))
            self.modes[name] = mode
        if self._has("enrollments.csv") and not self._has("users.csv"):
            self._problems.append(Problem(label, None, "file.users", (
                "enrollments.csv needs users.csv in the same export (a person's identifier is "
                "read there)")))

    # -- orgs ------------------------------------------------------------------------------
    def _orgs(self) -> None:
        if not self._has("orgs.csv"):
            return
        name = "orgs.csv"
        label = self.files.label(name)
        districts: list[OrgRecord] = []
        schools: list[OrgRecord] = []
        kinds: dict[str, str] = {}
        for rec in self._read(name):
            if isinstance(rec, Problem):
                self._problems.append(rec)
                continue
            sid = rec.get("sourcedId")
            kind = rec.get("type").lower()
            if not sid:
                self._problems.append(Problem(label, rec.line, "sourcedId", "empty"))
                continue
            if sid in kinds:
                self._problems.append(Problem(label, rec.line, "sourcedId",
                                              f"org {sid!r} listed twice"))
                continue
            kinds[sid] = kind
            if kind not in ("district", "school"):
                continue
            if not is_key(sid):
                self._problems.append(Problem(label, rec.line, "sourcedId", (
                    f"org {sid!r} cannot be an actor id: use letters, digits, '.', '_', '-', "
                    "':', '/' (no spaces)")))
                continue
            org = OrgRecord(sid, rec.get("name") or None, rec.get("parentSourcedId") or None,
                            label, rec.line)
            (districts if kind == "district" else schools).append(org)
        self._org_kind = kinds
        actors, renamed, problems = organisation_actors(
            districts, schools, self._district, known_parents=set(kinds), origin=label)
        self._problems.extend(problems)
        self._actors = actors
        self._org_id = {o.id: renamed.get(o.id, o.id) for o in districts + schools}
        self.counts["districts"] = len(districts)
        self.counts["schools"] = len(schools)

    def _org(self, sid: str, rec: _Rec, name: str, fld: str, *, school: bool) -> str:
        """The actor id of org ``sid`` referred to by ``rec``; raises :class:`_Skip` after a
        problem when the export does not hold it and is not a delta."""
        actor = self._org_id.get(sid)
        if actor is not None:
            if school and self._org_kind.get(sid) != "school":
                self._emit(Problem(self.files.label(name), rec.line, fld, "names an org that is "
                                   "not a school"))
                raise _Skip
            return actor
        if sid in self._org_kind:
            self._emit(Problem(self.files.label(name), rec.line, fld,
                               "names an org that is not a school or district"))
            raise _Skip
        if self._delta("orgs.csv") and is_key(sid):
            return sid
        if "orgs.csv" in self._broken:
            raise _Skip
        self._emit(Problem(self.files.label(name), rec.line, fld, "names no org of orgs.csv"))
        raise _Skip

    # -- academic sessions -----------------------------------------------------------------
    def _sessions(self) -> None:
        if not self._has("academicSessions.csv"):
            return
        name = "academicSessions.csv"
        for rec in self._read(name):
            if isinstance(rec, Problem):
                self._problems.append(rec)
                continue
            try:
                start = self._date(rec, name, "startDate")
                end = self._date(rec, name, "endDate")
            except _Skip:
                continue
            label = self.files.label(name)
            if start is None or end is None:
                self._problems.append(Problem(label, rec.line, "startDate" if start is None
                                              else "endDate", "empty; a session needs both dates"))
                continue
            if end < start:
                self._problems.append(Problem(label, rec.line, "endDate",
                                              f"dates out of order: {end} is before {start}"))
                continue
            self._terms[rec.get("sourcedId")] = (start, end)

    # -- classes ---------------------------------------------------------------------------
    def _read_classes(self) -> None:
        if not self._has("classes.csv"):
            return
        name = "classes.csv"
        label = self.files.label(name)
        for rec in self._read(name):
            if isinstance(rec, Problem):
                self._problems.append(rec)
                continue
            sid = rec.get("sourcedId")
            if not is_key(sid):
                self._problems.append(Problem(label, rec.line, "sourcedId", (
                    f"class {sid!r} cannot be a section id: use letters, digits, '.', '_', '-', "
                    "':', '/' (no spaces)")))
                continue
            if sid in self._classes:
                self._problems.append(Problem(label, rec.line, "sourcedId",
                                              f"class {sid!r} listed twice"))
                continue
            try:
                school = self._org(rec.get("schoolSourcedId"), rec, name, "schoolSourcedId",
                                   school=True)
            except _Skip:
                continue
            starts, ends = [], []
            bad = False
            for t in (x.strip() for x in rec.get("termSourcedIds").split(",")):
                if not t:
                    continue
                if t in self._terms:
                    starts.append(self._terms[t][0])
                    ends.append(self._terms[t][1])
                elif not self._delta("academicSessions.csv"):
                    self._problems.append(Problem(label, rec.line, "termSourcedIds", (
                        f"term {t!r} is not in academicSessions.csv")))
                    bad = True
            if bad:
                continue
            self._classes[sid] = _Class(sid, school, min(starts) if starts else None,
                                        max(ends) if ends else None)
        self.counts["classes"] = len(self._classes)

    def _class(self, rec: _Rec, name: str) -> _Class:
        cid = rec.get("classSourcedId")
        c = self._classes.get(cid)
        if c is not None:
            return c
        if cid in self._dead_classes:
            self._skip("enrollments of classes marked tobedeleted")
            raise _Skip
        if self._delta("classes.csv") and is_key(cid):
            school = self._org(rec.get("schoolSourcedId"), rec, name, "schoolSourcedId",
                               school=True)
            return _Class(cid, school, None, None)
        if "classes.csv" in self._broken:
            raise _Skip
        self._emit(Problem(self.files.label(name), rec.line, "classSourcedId",
                           "names no class of classes.csv"))
        raise _Skip

    # -- people ----------------------------------------------------------------------------
    def _role_flags(self) -> None:
        """1.2: every user's roles, from roles.csv (users.csv has no role column)."""
        for rec in self._read("roles.csv", first=False):
            if isinstance(rec, Problem):
                continue            # reported when roles.csv is streamed by rows()
            flag = _ROLE_FLAG.get(rec.get("role").lower(), 0)
            if flag:
                uid = rec.get("userSourcedId")
                self._roles[uid] = self._roles.get(uid, 0) | flag

    def _users(self) -> None:
        if not self._has("users.csv"):
            return
        name = "users.csv"
        label = self.files.label(name)
        for rec in self._read(name):
            if isinstance(rec, Problem):
                self._problems.append(rec)
                continue
            sid = rec.get("sourcedId")
            if not sid:
                self._problems.append(Problem(label, rec.line, "sourcedId", "empty"))
                continue
            if sid in self._people:
                self._problems.append(Problem(label, rec.line, "sourcedId", "user listed twice"))
                continue
            if self.version == "1.1" and "role" not in rec.index:
                self._problems.append(Problem(label, 1, "role", "required column missing from "
                                              "the header (OneRoster 1.1 users have a role)"))
                self._broken.add(name)
                break
            role = rec.get("role").lower()
            if role and role not in ROLES:
                self._problems.append(Problem(label, rec.line, "role", (
                    f"not a OneRoster role; use one of {', '.join(sorted(ROLES))}")))
                continue
            if self.version == "1.1" and not role:
                self._problems.append(Problem(label, rec.line, "role", "empty; OneRoster 1.1 "
                                              "users need a role"))
                continue
            flags = _ROLE_FLAG.get(role, 0) | self._roles.get(sid, 0)
            pid = rec.get("identifier") or sid
            if flags & _TEACHER and person_key(STAFF_PREFIX, pid) is None or \
                    flags & _GUARDIAN and person_key(PARENT_PREFIX, pid) is None:
                self._problems.append(Problem(label, rec.line, "identifier" if rec.get(
                    "identifier") else "sourcedId", (
                    "a teacher's or guardian's id becomes an actor id: use letters, digits, '.', "
                    "'_', '-', ':', '/' (no spaces, at most 120 characters)")))
                continue
            self._people[sid] = (flags, pid)
        self.counts["users"] = len(self._people)

    def _person(self, uid: str, rec: _Rec, name: str, fld: str) -> tuple[int, str]:
        p = self._people.get(uid)
        if p is not None:
            return p
        if uid in self._dead_users:
            self._skip(f"{name} rows of users marked tobedeleted")
            raise _Skip
        if "users.csv" in self._broken:
            raise _Skip
        self._emit(Problem(self.files.label(name), rec.line, fld, (
            "names no user of users.csv (a delta export must carry the users its rows name)")))
        raise _Skip

    def _skip(self, why: str) -> None:
        self._skipped[why] = self._skipped.get(why, 0) + 1

    # -- the rows --------------------------------------------------------------------------
    def rows(self) -> Iterator[RowItem]:
        """Stream the native bulk rows (see :class:`lineage.sources.common.ParsedSource`):
        school enrolments, rosters, teaching and guardians. Yields every problem found since
        the export was opened, then the row problems. Once only."""
        if self._done:
            raise RuntimeError("rows() already consumed")
        self._done = True
        yield from self._problems
        self._pending = []
        n = dict.fromkeys(("enrolments", "rosters", "teaching", "guardians"), 0)
        if self._has("roles.csv"):
            for item in self._enrolments_from_roles():
                yield from self._drained()
                if isinstance(item, Problem):
                    yield item
                    continue
                n["enrolments"] += 1
                yield item
        if self._has("enrollments.csv"):
            for item in self._enrollments():
                yield from self._drained()
                if isinstance(item, Problem):
                    yield item
                    continue
                n[item[0].value] += 1
                yield item
        if self._has("users.csv"):
            for item in self._guardians():
                yield from self._drained()
                n["guardians"] += 1
                yield item
        yield from self._drained()
        self.warnings.extend(self._us.warnings())
        self.counts.update(n)
        self.notes.append(
            f"{self.origin}: OneRoster {self.version} "
            f"({'delta' if any(m == 'delta' for m in self.modes.values()) else 'bulk'}): "
            f"{self.counts.get('districts', 0)} district(s), {self.counts.get('schools', 0)} "
            f"school(s), {self.counts.get('classes', 0)} classes, {n['enrolments']} school "
            f"enrolments, {n['rosters']} roster rows, {n['teaching']} teaching rows, "
            f"{n['guardians']} guardianships")
        if self._skipped:
            self.notes.append("skipped (nothing is deleted): " + ", ".join(
                f"{v} {k}" for k, v in sorted(self._skipped.items())))

    def _drained(self) -> list[Problem]:
        """The problems found since the last call (emptied); a list, not a generator, so that
        the common call with none pending costs no generator per row."""
        out, self._pending = self._pending, []
        return out

    def _enrolments_from_roles(self) -> Iterator[RowItem]:
        name = "roles.csv"
        label = self.files.label(name)
        for rec in self._read(name):
            if isinstance(rec, Problem):
                yield rec
                continue
            role = rec.get("role").lower()
            if role not in ROLES:
                yield Problem(label, rec.line, "role",
                              f"not a OneRoster role; use one of {', '.join(sorted(ROLES))}")
                continue
            if role != "student":
                continue
            try:
                _, pid = self._person(rec.get("userSourcedId"), rec, name, "userSourcedId")
                org = self._org(rec.get("orgSourcedId"), rec, name, "orgSourcedId", school=False)
                start = self._date(rec, name, "beginDate")
                end = self._date(rec, name, "endDate")
            except _Skip:
                continue
            if start and end and end < start:
                yield Problem(label, rec.line, "endDate", "dates out of order: endDate is "
                              "before beginDate")
                continue
            yield native_row(BulkKind.ENROLMENTS, student_id=pid, org=org, valid_from=start,
                             valid_to=end)

    def _enrollments(self) -> Iterator[RowItem]:
        name = "enrollments.csv"
        label = self.files.label(name)
        from_roles = self._has("roles.csv")
        for rec in self._read(name):
            if isinstance(rec, Problem):
                yield rec
                continue
            role = rec.get("role").lower()
            if role not in ROLES:
                yield Problem(label, rec.line, "role",
                              f"not a OneRoster role; use one of {', '.join(sorted(ROLES))}")
                continue
            if role not in ("student", "teacher"):
                self._skip(f"{role} enrollments")
                continue
            try:
                cls = self._class(rec, name)
                _, pid = self._person(rec.get("userSourcedId"), rec, name, "userSourcedId")
                start = self._date(rec, name, "beginDate") or cls.start
                end = self._date(rec, name, "endDate") or cls.end
            except _Skip:
                continue
            if start and end and end < start:
                yield Problem(label, rec.line, "endDate", "dates out of order: the enrollment "
                              "(or its class's terms) ends before it begins")
                continue
            if role == "teacher":
                teacher = person_key(STAFF_PREFIX, pid)
                if teacher is None:
                    yield Problem(label, rec.line, "userSourcedId", (
                        "the teacher's identifier cannot be an actor id (letters, digits, '.', "
                        "'_', '-', ':', '/' only)"))
                    continue
                self._taught.add(cls.section)
                yield native_row(BulkKind.TEACHING, section=cls.section, school=cls.school,
                                 teacher=teacher, valid_from=start, valid_to=end)
                continue
            yield native_row(BulkKind.ROSTERS, student_id=pid, section=cls.section,
                             valid_from=start, valid_to=end)
            if not from_roles:
                yield native_row(BulkKind.ENROLMENTS, student_id=pid, org=cls.school,
                                 valid_from=start, valid_to=end)

    def _guardians(self) -> Iterator[RowItem]:
        seen: set[tuple[str, str]] = set()
        unknown = 0
        for rec in self._read("users.csv", first=False):
            if isinstance(rec, Problem):
                continue                    # reported when users.csv was first read
            me = self._people.get(rec.get("sourcedId"))
            agents = rec.get("agentSourcedIds")
            if me is None or not agents:
                continue
            for a in (x.strip() for x in agents.split(",")):
                other = self._people.get(a)
                if other is None:
                    unknown += a not in self._dead_users
                    continue
                if me[0] & _STUDENT and other[0] & _GUARDIAN:
                    pair = (a, rec.get("sourcedId"))
                    parent, student = other[1], me[1]
                elif me[0] & _GUARDIAN and other[0] & _STUDENT:
                    pair = (rec.get("sourcedId"), a)
                    parent, student = me[1], other[1]
                else:
                    continue
                if pair in seen:
                    continue
                seen.add(pair)
                yield native_row(BulkKind.GUARDIANS, guardian=person_key(PARENT_PREFIX, parent),
                                 student_id=student)
        if unknown:
            self.warnings.append(Problem(self.files.label("users.csv"), None, "agentSourcedIds", (
                f"{unknown} agent reference(s) name no user of users.csv; not linked")))

    # -- the inventory ---------------------------------------------------------------------
    def inventory(self) -> Inventory:
        """Districts, schools and a section for each class that no teaching row names (a
        class with a teacher comes as the section of its teaching rows, at the same school;
        complete after rows())."""
        sections = [Section(id=c.section, school=c.school) for c in self._classes.values()
                    if c.section not in self._taught]
        return Inventory(name=f"OneRoster {self.version} export {Path(self.origin).name}",
                         actors=list(self._actors), sections=sections)

    def close(self) -> None:
        """Close the export's zip archive, if any."""
        self.files.close()
