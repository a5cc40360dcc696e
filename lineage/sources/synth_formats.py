"""The synthetic state written as OneRoster 1.2 or Ed-Fi DS 5 (``lineage synth --format``).

:func:`convert` turns a native synthetic state (``inventory.yaml`` + bulk CSVs, as
:func:`lineage.sources.synth.generate` writes it) into another format: what that format carries (the
districts and schools, sections, teaching, school enrolments, rosters, guardians) goes into its
files; everything else (vendors, the state, research, agreements, flows, grants, dataset
members, flow subjects, access logs) stays in a smaller ``inventory.yaml`` with its CSVs.
Loading ``inventory.yaml`` together with the format's files gives the graph the native state
gives, with people's ids following the formats' rule (``staff:``/``parent:`` prefixes,
:mod:`lineage.sources.common`).

* **OneRoster 1.2** (``oneroster/``): ``manifest.csv`` (bulk), ``orgs.csv``,
  ``academicSessions.csv`` (one term per distinct teaching window), ``courses.csv`` (one per
  school), ``classes.csv``, ``users.csv`` (``identifier`` = the native id, ``sourcedId`` a
  UUID derived from it; placeholder names, never a person's), ``roles.csv`` (students' school
  enrolments with their dates; teachers and guardians), ``enrollments.csv`` (dates left empty
  when they equal the class's terms, as exports do).
* **Ed-Fi DS 5 XML** (``edfi/``): ``InterchangeEducationOrganization.xml`` (LEAs and schools:
  their ids must be numbers, see :func:`lineage.sources.synth.generate`),
  ``InterchangeStudentEnrollment.xml``, ``InterchangeStaffAssociation.xml``,
  ``InterchangeStudentContact.xml``. Sections are named by ``sectionIdentifier`` = the native
  section id, ``localCourseCode`` ``SYN``, session ``<year>-<year> Year Round``.

Memory: one entry per section, student (its guardians) and teacher; rows are streamed.
"""

from __future__ import annotations

import csv
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO
from xml.sax.saxutils import escape

import yaml

from lineage.core.errors import UsageError
from lineage.core.models import BulkKind
from lineage.sources.common import PARENT_PREFIX, STAFF_PREFIX

#: The kinds a roster format carries (the rest stays native).
ROSTER_KINDS = (BulkKind.TEACHING, BulkKind.ENROLMENTS, BulkKind.ROSTERS, BulkKind.GUARDIANS)
FORMATS = ("native", "oneroster", "edfi")
_NS = uuid.UUID("3f9a1f4e-5b1c-4e0a-9a57-6c3b1d2e7f10")
_TS = "2025-07-01T00:00:00.000Z"
EDFI_NS = "http://ed-fi.org/0500"


def _uid(kind: str, ident: str) -> str:
    return str(uuid.uuid5(_NS, f"{kind}:{ident}"))


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        yield from csv.DictReader(f)


def _writer(path: Path, header: list[str]) -> tuple[IO[str], csv.writer]:
    fh = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115 -- caller closes
    w = csv.writer(fh, lineterminator="\n")
    w.writerow(header)
    return fh, w


def _rename_actors(src: Path, dst: Path, people: dict[str, str]) -> None:
    """Copy an access-log CSV, its ``actor`` column renamed through ``people``."""
    with open(src, newline="", encoding="utf-8") as f, \
            open(dst, "w", encoding="utf-8", newline="") as g:
        reader = csv.reader(f)
        w = csv.writer(g, lineterminator="\n")
        header = next(reader)
        w.writerow(header)
        col = header.index("actor")
        for row in reader:
            row[col] = people.get(row[col], row[col])
            w.writerow(row)


def convert(native: Path, out: Path, fmt: str) -> dict[str, int]:
    """Write the native state in ``native`` into ``out`` as ``fmt`` (``oneroster``/``edfi``).

    Writes ``out/inventory.yaml`` (the native inventory without district and school actors and
    without the roster kinds' bulk files), moves the other bulk CSVs into ``out`` and writes
    the format's files into ``out/oneroster`` or ``out/edfi``. Returns rows written per file.
    Raises :class:`UsageError` for an unknown format, or (Ed-Fi) an organisation id that is
    not a number.
    """
    if fmt not in ("oneroster", "edfi"):
        raise UsageError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    with open(native / "inventory.yaml", encoding="utf-8") as f:
        inv = yaml.load(f, Loader=loader)  # noqa: S506 -- a safe loader
    orgs = [a for a in inv.get("actors", []) if a["role"] in ("district", "school")]
    inv["actors"] = [a for a in inv.get("actors", []) if a["role"] not in ("district", "school")]
    paths = {BulkKind(b["kind"]): native / b["path"] for b in inv.get("bulk", [])}
    inv["bulk"] = [b for b in inv.get("bulk", []) if BulkKind(b["kind"]) not in ROSTER_KINDS]
    people = {r["teacher"]: STAFF_PREFIX + r["teacher"] for r in _rows(paths[BulkKind.TEACHING])}
    people.update((r["guardian"], PARENT_PREFIX + r["guardian"])
                  for r in _rows(paths[BulkKind.GUARDIANS]))
    for b in inv["bulk"]:
        if BulkKind(b["kind"]) is BulkKind.ACCESS_LOG:   # teachers and guardians renamed
            _rename_actors(native / b["path"], out / b["path"], people)
        else:
            shutil.move(str(native / b["path"]), str(out / b["path"]))
    inv["name"] = f"{inv.get('name', 'Synthetic state')} (rosters in {fmt})"
    with open(out / "inventory.yaml", "w", encoding="utf-8", newline="") as f:
        yaml.dump(inv, f, Dumper=dumper, sort_keys=False, allow_unicode=True)
    folder = out / fmt
    folder.mkdir(exist_ok=True)
    if fmt == "oneroster":
        return _oneroster(orgs, paths, folder)
    return _edfi(orgs, paths, folder)


# --- OneRoster 1.2 -------------------------------------------------------------------------

def _oneroster(orgs: list[dict], paths: dict[BulkKind, Path], out: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    district_of = {a["id"]: a.get("part_of") for a in orgs}

    def table(name: str, header: list[str], rows) -> None:
        fh, w = _writer(out / name, header)
        n = 0
        with fh:
            for r in rows:
                w.writerow(r)
                n += 1
        counts[name] = n

    table("manifest.csv", ["propertyName", "value"], [
        ["manifest.version", "1.0"], ["oneroster.version", "1.2"],
        *[[f"file.{k}", "bulk"] for k in ("academicSessions", "classes", "courses", "enrollments",
                                          "orgs", "roles", "users")],
        *[[f"file.{k}", "absent"] for k in ("categories", "classResources", "courseResources",
                                            "demographics", "lineItems", "resources", "results",
                                            "userProfiles")],
        ["source.systemName", "lineage synth"], ["source.systemCode", "synthetic"]])
    table("orgs.csv", ["sourcedId", "status", "dateLastModified", "name", "type", "identifier",
                       "parentSourcedId"],
          ([a["id"], "active", _TS, a.get("name") or a["id"], a["role"], a["id"],
            a.get("part_of") or ""] for a in orgs))

    # sections and their terms (one per distinct teaching window), from teaching.csv
    terms: dict[tuple[str, str], str] = {}
    sections: dict[str, tuple[str, list[tuple[str, str]]]] = {}   # section -> (school, windows)
    teachers: dict[str, str] = {}                                  # teacher -> first school
    for r in _rows(paths[BulkKind.TEACHING]):
        window = (r["valid_from"], r["valid_to"])
        terms.setdefault(window, f"term-{len(terms) + 1}")
        _, windows = sections.setdefault(r["section"], (r["school"], []))
        if window not in windows:
            windows.append(window)
        teachers.setdefault(r["teacher"], r["school"])
    table("academicSessions.csv", ["sourcedId", "status", "dateLastModified", "title", "type",
                                   "startDate", "endDate", "parentSourcedId", "schoolYear"],
          ([t, "active", _TS, f"{a} to {b}", "term", a, b, "", b[:4]]
           for (a, b), t in terms.items()))
    schools = sorted({s for s, _ in sections.values()})
    table("courses.csv", ["sourcedId", "status", "dateLastModified", "schoolYearSourcedId",
                          "title", "courseCode", "grades", "orgSourcedId", "subjects",
                          "subjectCodes"],
          ([f"course-{s}", "active", _TS, "", "Synthetic course", "SYN", "", s, "", ""]
           for s in schools))
    table("classes.csv", ["sourcedId", "status", "dateLastModified", "title", "grades",
                          "courseSourcedId", "classCode", "classType", "location",
                          "schoolSourcedId", "termSourcedIds", "subjects", "subjectCodes",
                          "periods"],
          ([sec, "active", _TS, sec, "", f"course-{school}", sec, "scheduled", "", school,
            ",".join(terms[w] for w in ws), "", "", ""] for sec, (school, ws) in sections.items()))
    # a class's window: its first term's start to its last term's end (how the reader reads it)
    span = {sec: (min(a for a, _ in ws), max(b for _, b in ws))
            for sec, (_, ws) in sections.items()}

    # people
    agents: dict[str, list[str]] = {}
    for r in _rows(paths[BulkKind.GUARDIANS]):
        agents.setdefault(r["student_id"], []).append(r["guardian"])
    guardian_org: dict[str, str] = {}
    first_org: dict[str, str] = {}
    for r in _rows(paths[BulkKind.ENROLMENTS]):
        first_org.setdefault(r["student_id"], r["org"])
    user_header = ["sourcedId", "status", "dateLastModified", "enabledUser", "username",
                   "userIds", "givenName", "familyName", "middleName", "identifier", "email",
                   "sms", "phone", "agentSourcedIds", "grades", "password"]

    def users() -> Iterator[list[str]]:
        for sid, org in first_org.items():
            guardians = agents.get(sid, [])
            for g in guardians:
                guardian_org.setdefault(g, district_of.get(org) or org)
            yield [_uid("student", sid), "active", _TS, "true", _uid("student", sid), "",
                   "Synthetic", "Student", "", sid, "", "", "",
                   ",".join(_uid("guardian", g) for g in guardians), "", ""]
        for t in teachers:
            yield [_uid("teacher", t), "active", _TS, "true", _uid("teacher", t), "",
                   "Synthetic", "Teacher", "", t, "", "", "", "", "", ""]
        for g in guardian_org:
            yield [_uid("guardian", g), "active", _TS, "true", _uid("guardian", g), "",
                   "Synthetic", "Guardian", "", g, "", "", "", "", "", ""]
    table("users.csv", user_header, users())

    def roles() -> Iterator[list[str]]:
        n = 0
        for r in _rows(paths[BulkKind.ENROLMENTS]):
            n += 1
            yield [f"role-s{n}", "active", _TS, _uid("student", r["student_id"]), "primary",
                   "student", r["valid_from"], r["valid_to"], r["org"], ""]
        for t, school in teachers.items():
            yield [f"role-t-{t}", "active", _TS, _uid("teacher", t), "primary", "teacher", "",
                   "", school, ""]
        for g, org in guardian_org.items():
            yield [f"role-g-{g}", "active", _TS, _uid("guardian", g), "primary", "guardian", "",
                   "", org, ""]
    table("roles.csv", ["sourcedId", "status", "dateLastModified", "userSourcedId", "roleType",
                        "role", "beginDate", "endDate", "orgSourcedId", "userProfileSourcedId"],
          roles())

    def enrollments() -> Iterator[list[str]]:
        n = 0
        for r in _rows(paths[BulkKind.TEACHING]):
            n += 1
            a, b = span[r["section"]]
            yield [f"enr-{n}", "active", _TS, r["section"], r["school"],
                   _uid("teacher", r["teacher"]), "teacher", "true",
                   "" if r["valid_from"] == a else r["valid_from"],
                   "" if r["valid_to"] == b else r["valid_to"]]
        for r in _rows(paths[BulkKind.ROSTERS]):
            n += 1
            a, b = span[r["section"]]
            yield [f"enr-{n}", "active", _TS, r["section"], sections[r["section"]][0],
                   _uid("student", r["student_id"]), "student", "false",
                   "" if r["valid_from"] == a else r["valid_from"],
                   "" if r["valid_to"] == b else r["valid_to"]]
    table("enrollments.csv", ["sourcedId", "status", "dateLastModified", "classSourcedId",
                              "schoolSourcedId", "userSourcedId", "role", "primary",
                              "beginDate", "endDate"], enrollments())
    return counts


# --- Ed-Fi DS 5 XML ------------------------------------------------------------------------

def _edfi(orgs: list[dict], paths: dict[BulkKind, Path], out: Path) -> dict[str, int]:
    for a in orgs:
        if not a["id"].isdigit():
            raise UsageError(f"Ed-Fi needs numeric education organisation ids; {a['id']!r} is "
                             "not (lineage synth --format edfi numbers them)")
    counts: dict[str, int] = {}
    e = escape

    def interchange(name: str, records: Iterator[str]) -> None:
        n = 0
        with open(out / f"Interchange{name}.xml", "w", encoding="utf-8") as f:
            f.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<Interchange{name} '
                    f'xmlns="{EDFI_NS}">\n')
            buf: list[str] = []
            for rec in records:
                buf.append(rec)
                n += 1
                if len(buf) >= 5000:
                    f.write("".join(buf))
                    buf.clear()
            f.write("".join(buf))
            f.write(f"</Interchange{name}>\n")
        counts[f"Interchange{name}.xml"] = n

    def ref(kind: str, fields: list[tuple[str, str]]) -> str:
        return f"<{kind}Reference>" + "".join(f"<{k}>{e(v)}</{k}>" for k, v in fields) + \
            f"</{kind}Reference>"

    def edorgs() -> Iterator[str]:
        for a in orgs:
            name = e(a.get("name") or a["id"])
            if a["role"] == "district":
                yield (f"  <LocalEducationAgency><LocalEducationAgencyId>{a['id']}"
                       f"</LocalEducationAgencyId><NameOfInstitution>{name}</NameOfInstitution>"
                       "</LocalEducationAgency>\n")
            else:
                lea = ref("LocalEducationAgency", [("LocalEducationAgencyId", a["part_of"])]) \
                    if a.get("part_of") else ""
                yield (f"  <School><SchoolId>{a['id']}</SchoolId><NameOfInstitution>{name}"
                       f"</NameOfInstitution>{lea}</School>\n")
    interchange("EducationOrganization", edorgs())

    sections: dict[str, str] = {}

    def section_of(sec: str, school: str, start: str, end: str) -> str:
        text = sections.get(sec)
        if text is None:
            text = sections[sec] = ref("Section", [
                ("LocalCourseCode", "SYN"), ("SchoolId", school), ("SchoolYear", end[:4]),
                ("SectionIdentifier", sec), ("SessionName", f"{start[:4]}-{end[:4]} Year Round")])
        return text

    def staff() -> Iterator[str]:
        for r in _rows(paths[BulkKind.TEACHING]):
            sec = section_of(r["section"], r["school"], r["valid_from"], r["valid_to"])
            end = f"<EndDate>{r['valid_to']}</EndDate>" if r["valid_to"] else ""
            begin = f"<BeginDate>{r['valid_from']}</BeginDate>" if r["valid_from"] else ""
            yield (f"  <StaffSectionAssociation>{ref('Staff', [('StaffUniqueId', r['teacher'])])}"
                   f"{sec}{begin}{end}</StaffSectionAssociation>\n")
    interchange("StaffAssociation", staff())

    def enrolment() -> Iterator[str]:
        for r in _rows(paths[BulkKind.ENROLMENTS]):
            end = f"<ExitWithdrawDate>{r['valid_to']}</ExitWithdrawDate>" if r["valid_to"] else ""
            yield ("  <StudentSchoolAssociation>"
                   f"{ref('Student', [('StudentUniqueId', r['student_id'])])}"
                   f"{ref('School', [('SchoolId', r['org'])])}<EntryDate>{r['valid_from']}"
                   f"</EntryDate>{end}</StudentSchoolAssociation>\n")
        for r in _rows(paths[BulkKind.ROSTERS]):
            end = f"<EndDate>{r['valid_to']}</EndDate>" if r["valid_to"] else ""
            yield ("  <StudentSectionAssociation>"
                   f"{ref('Student', [('StudentUniqueId', r['student_id'])])}"
                   f"{sections[r['section']]}<BeginDate>{r['valid_from']}</BeginDate>{end}"
                   "</StudentSectionAssociation>\n")
    interchange("StudentEnrollment", enrolment())

    def contacts() -> Iterator[str]:
        for r in _rows(paths[BulkKind.GUARDIANS]):
            yield ("  <StudentContactAssociation>"
                   f"{ref('Student', [('StudentUniqueId', r['student_id'])])}"
                   f"{ref('Contact', [('ContactUniqueId', r['guardian'])])}"
                   "</StudentContactAssociation>\n")
    interchange("StudentContact", contacts())
    return counts
