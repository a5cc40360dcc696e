"""The format parsers without a database: dates, headers, identifiers, OneRoster, Ed-Fi and
OpenLineage read from the fixtures, messy variants, bad input, and Ed-Fi memory."""

from __future__ import annotations

import csv
import io
import json
import shutil
import tracemalloc
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lineage.core.errors import InputError, Problem
from lineage.core.models import BulkKind
from lineage.sources.common import (
    compose_key,
    is_key,
    native_row,
    parse_date,
    person_key,
    read_header,
)
from lineage.sources.edfi import read_edfi
from lineage.sources.native import write_native
from lineage.sources.oneroster import FIELDS, read_oneroster
from lineage.sources.openlineage import inventory_from_events, read_events, read_mapping
from tests.helpers import ROOT

FIX = ROOT / "tests" / "fixtures"

#: The rows every Maple Grove roster fixture gives (OneRoster 1.2 / Ed-Fi: enrolments from
#: school membership; sections named per format, see SECTIONS).
ENROLMENTS_12 = {("MG-1001", "2024-08-19", "2025-06-06"), ("MG-1002", "2024-08-19", "2025-02-14"),
                 ("MG-1003", "2024-08-19", "2025-06-06"), ("MG-1004", "2024-08-19", "2025-06-06")}
GUARDIANS = {("parent:P-501", "MG-1001"), ("parent:P-502", "MG-1002"), ("parent:P-502", "MG-1003")}


def parsed(source) -> tuple[dict[BulkKind, list[dict]], list[Problem]]:
    rows: dict[BulkKind, list[dict]] = {}
    problems = []
    for item in source.rows():
        if isinstance(item, Problem):
            problems.append(item)
        else:
            rows.setdefault(item[0], []).append(item[1])
    return rows, problems


# --- dates ---------------------------------------------------------------------------------

@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_iso_dates_round_trip(d):
    assert parse_date(d.isoformat()) == (d, False)
    assert parse_date(f"  {d.isoformat()}T13:45:00.000Z ") == (d, False)


@given(st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31)), st.booleans(),
       st.booleans())
def test_us_dates_read_month_first_and_flagged(d, pad_month, pad_day):
    m = f"{d.month:02d}" if pad_month else str(d.month)
    day = f"{d.day:02d}" if pad_day else str(d.day)
    assert parse_date(f"{m}/{day}/{d.year:04d}") == (d, True)


def test_us_date_example_and_empty():
    assert parse_date("1/05/2023") == (date(2023, 1, 5), True)
    assert parse_date("   ") == (None, False)


@pytest.mark.parametrize("text", ["13/05/2023", "2/30/2024", "1/5/23", "2023-02-30", "tomorrow",
                                  "05.01.2023"])
def test_bad_dates_are_refused_without_repeating_the_text(text):
    with pytest.raises(ValueError) as exc:
        parse_date(text)
    assert text not in str(exc.value)


@given(st.text(max_size=30))
def test_date_parser_raises_only_value_error(text):
    try:
        d, us = parse_date(text)
    except ValueError:
        return
    assert d is None or isinstance(d, date)


# --- headers -------------------------------------------------------------------------------

ENROLLMENT_FIELDS = list(FIELDS["enrollments.csv"])


@given(order=st.permutations(ENROLLMENT_FIELDS),
       cases=st.lists(st.sampled_from(["lower", "upper", "title", "same"]),
                      min_size=len(ENROLLMENT_FIELDS), max_size=len(ENROLLMENT_FIELDS)),
       ext=st.lists(st.sampled_from(["ext_note", "EXT_Period", "ext_x.y"]), max_size=3),
       blanks=st.integers(0, 3), pad=st.booleans())
def test_header_in_any_order_and_case(order, cases, ext, blanks, pad):
    def case(name, how):
        return {"lower": name.lower(), "upper": name.upper(), "title": name.title(),
                "same": name}[how]
    cells = [case(n, c) for n, c in zip(order, cases)]
    cells = [f" {c} " if pad else c for c in cells]
    for i, e in enumerate(ext):
        cells.insert(i * 2, e)
    cells += [""] * blanks
    h = read_header(cells, ENROLLMENT_FIELDS, ("classSourcedId", "userSourcedId"), "f.csv")
    assert h.problems == [] and h.ignored == []
    assert {name: cells[i].strip().lower() for name, i in h.index.items()} == \
        {n: n.lower() for n in ENROLLMENT_FIELDS}


def test_header_problems_name_the_column():
    h = read_header(["sourcedId", "ROLE", "role", "x"], ENROLLMENT_FIELDS, ("userSourcedId",),
                    "e.csv")
    assert [str(p) for p in h.problems] == [
        "e.csv, row 1, field 'role': column named twice (columns 2 and 3); delete one",
        "e.csv, row 1, field 'userSourcedId': required column missing from the header"]
    assert h.ignored == ["x"]


# --- identifiers ---------------------------------------------------------------------------

_part = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40)


@given(st.lists(_part, min_size=1, max_size=5), st.lists(_part, min_size=1, max_size=5))
def test_composed_keys_are_identifiers_and_distinct(a, b):
    ka, kb = compose_key(*a), compose_key(*b)
    assert is_key(ka) and is_key(kb)
    if a != b:
        assert ka != kb


def test_a_composed_key_written_as_is_never_equals_a_hashed_one():
    """Found by trying to break the Ed-Fi conversion: part ``1/2`` is hashed to
    ``1_2/.../S-80ba2f5b96``, which another section's parts spelled exactly like that used to
    get unhashed -- two sections, one id."""
    hashed = compose_key("1/2", "2025", "T", "C", "S")
    assert hashed == "1_2/2025/T/C/S-80ba2f5b96"
    lookalike = compose_key("1_2", "2025", "T", "C", "S-80ba2f5b96")
    assert lookalike != hashed and lookalike.startswith("1_2/2025/T/C/S-80ba2f5b96-")
    assert compose_key("1_2", "2025", "T", "C", "S-80ba2f5b9") == "1_2/2025/T/C/S-80ba2f5b9"


def test_composed_key_readable_when_possible():
    assert compose_key("255901101", "2025", "Fall", "MA4", "MA4-1") == \
        "255901101/2025/Fall/MA4/MA4-1"
    assert compose_key("255901101", "2024-2025 Fall Semester").startswith(
        "255901101/2024-2025_Fall_Semester-")


def test_person_keys():
    assert person_key("staff:", " E1001 ") == "staff:E1001"
    assert person_key("parent:", "P 501") is None
    assert person_key("parent:", "") is None
    assert native_row(BulkKind.GUARDIANS, guardian="parent:P-1", student_id="S1") == (
        BulkKind.GUARDIANS, {"guardian": "parent:P-1", "student_id": "S1", "valid_from": "",
                             "valid_to": ""})


# --- OneRoster -----------------------------------------------------------------------------

def test_oneroster_11_rows():
    src = read_oneroster(FIX / "oneroster-1.1", district="maple-sd")
    rows, problems = parsed(src)
    assert problems == []
    assert sorted(tuple(r.values()) for r in rows[BulkKind.TEACHING]) == [
        ("cls-4a", "maple-es", "staff:E1001", "2024-08-19", "2025-06-06"),
        ("cls-4m", "maple-es", "staff:E1002", "2024-08-19", "2024-12-20"),
        ("cls-7s", "maple-ms", "staff:E1003", "2024-08-19", "2025-06-06")]
    assert sorted(tuple(r.values()) for r in rows[BulkKind.ROSTERS]) == [
        ("MG-1001", "cls-4a", "2024-09-03", "2025-06-06"),   # US beginDate 9/03/2024
        ("MG-1001", "cls-4m", "2024-08-19", "2024-12-20"),   # the class's fall term
        ("MG-1002", "cls-4a", "2024-08-19", "2025-02-14"),   # US endDate 2/14/2025
        ("MG-1003", "cls-4a", "2024-08-19", "2025-06-06"),   # no identifier: the sourcedId
        ("MG-1004", "cls-7s", "2024-08-19", "2025-06-06")]
    # 1.1 has no dated school membership: one enrolment per student enrollment
    assert sorted(tuple(r.values()) for r in rows[BulkKind.ENROLMENTS]) == sorted(
        (r["student_id"], "maple-ms" if r["section"] == "cls-7s" else "maple-es",
         r["valid_from"], r["valid_to"]) for r in rows[BulkKind.ROSTERS])
    assert {(r["guardian"], r["student_id"]) for r in rows[BulkKind.GUARDIANS]} == GUARDIANS
    assert len(rows[BulkKind.GUARDIANS]) == 3       # P-502 named from both sides: once
    inv = src.inventory()
    assert [(a.id, a.role.value, a.part_of) for a in inv.actors] == [
        ("maple-sd", "district", None), ("maple-es", "school", "maple-sd"),
        ("maple-ms", "school", "maple-sd")]
    # every class has a teacher: each comes as the section of its teaching rows (above)
    assert inv.sections == []
    assert src.notes[-1] == (
        "skipped (nothing is deleted): 1 administrator enrollments, 1 enrollments of classes "
        "marked tobedeleted, 1 rows marked tobedeleted in classes.csv, 1 rows marked "
        "tobedeleted in enrollments.csv, 1 rows marked tobedeleted in users.csv")
    warnings = sorted(str(w) for w in src.warnings)
    assert warnings == [
        f"{FIX}/oneroster-1.1/enrollments.csv, row 5, field 'beginDate': US date read as "
        "month/day/year; write ISO dates (YYYY-MM-DD) to silence this warning",
        f"{FIX}/oneroster-1.1/enrollments.csv, row 7, field 'endDate': US date read as "
        "month/day/year; write ISO dates (YYYY-MM-DD) to silence this warning"]


def test_oneroster_12_messy_export_gives_the_same_rosters():
    src = read_oneroster(FIX / "oneroster-1.2" / "bulk", district="maple-sd")
    rows, problems = parsed(src)
    assert problems == []
    assert {(r["student_id"], r["valid_from"], r["valid_to"])
            for r in rows[BulkKind.ENROLMENTS]} == ENROLMENTS_12      # from roles.csv
    assert len(rows[BulkKind.ENROLMENTS]) == 4
    assert {(r["guardian"], r["student_id"]) for r in rows[BulkKind.GUARDIANS]} == GUARDIANS
    ref, _ = parsed(read_oneroster(FIX / "oneroster-1.1", district="maple-sd"))
    for kind in (BulkKind.ROSTERS, BulkKind.TEACHING):
        assert sorted(map(str, rows[kind])) == sorted(map(str, ref[kind]))
    assert src.inventory().actors[0].name == "Maple Grove School District"
    assert sorted(p.file.rsplit("/", 1)[-1] + f":{p.row}:{p.field}" for p in src.warnings) == [
        "academicSessions.csv:3:endDate", "academicSessions.csv:4:startDate",
        "classes.csv:1:None", "roles.csv:2:beginDate"]


def test_oneroster_zip_reads_like_the_folder(tmp_path):
    import zipfile

    z = tmp_path / "export.zip"
    with zipfile.ZipFile(z, "w") as f:
        for p in sorted((FIX / "oneroster-1.2" / "bulk").iterdir()):
            f.write(p, f"nightly/{p.name}")
    a, _ = parsed(read_oneroster(z, district="maple-sd"))
    b, _ = parsed(read_oneroster(FIX / "oneroster-1.2" / "bulk", district="maple-sd"))
    assert a == b


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_oneroster_columns_shuffled_and_recased_give_the_same_rows(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("or")
    for p in (FIX / "oneroster-1.1").iterdir():
        shutil.copy(p, folder / p.name)
    for name in ("users.csv", "enrollments.csv", "classes.csv", "orgs.csv"):
        with open(folder / name, newline="") as f:
            table = list(csv.reader(f))
        order = data.draw(st.permutations(range(len(table[0]))), label=name)
        upper = data.draw(st.booleans())
        extra = data.draw(st.integers(0, 2))
        out = io.StringIO()
        w = csv.writer(out)
        for i, row in enumerate(table):
            cells = [row[j] for j in order] + [""] * extra
            if i == 0 and upper:
                cells = [c.upper() for c in cells]
            w.writerow(cells)
        (folder / name).write_text(out.getvalue())
    got, problems = parsed(read_oneroster(folder, district="maple-sd"))
    want, _ = parsed(read_oneroster(FIX / "oneroster-1.1", district="maple-sd"))
    assert problems == [] and got == want


def test_oneroster_bad_rows_name_file_row_field_without_values(tmp_path):
    folder = tmp_path / "bad"
    shutil.copytree(FIX / "oneroster-1.2" / "bulk", folder)
    enr = (folder / "enrollments.csv").read_text()
    enr = enr.replace("enr-4,cls-4a,maple-es,a1f0c2d4-1111-4a00-8000-000000000001,student,false,"
                      "2024-09-03", "enr-4,cls-4a,maple-es,a1f0c2d4-1111-4a00-8000-000000000001,"
                      "student,false,2024-19-03")
    enr = enr.replace("enr-8,cls-7s", "enr-8,cls-9z")
    (folder / "enrollments.csv").write_text(enr)
    roles = (folder / "roles.csv").read_text().replace(",primary,student,2024-08-19,2025-02-14",
                                                       ",primary,studnet,2024-08-19,2025-02-14")
    (folder / "roles.csv").write_text(roles)
    users = (folder / "users.csv").read_text().replace(",E1002,", ",E 1002,")
    (folder / "users.csv").write_text(users)
    _, problems = parsed(read_oneroster(folder, district="maple-sd"))
    got = sorted((p.file.rsplit("/", 1)[-1], p.row, p.field) for p in problems)
    assert got == [("enrollments.csv", 3, "userSourcedId"), ("enrollments.csv", 5, "beginDate"),
                   ("enrollments.csv", 9, "classSourcedId"), ("roles.csv", 3, "role"),
                   ("users.csv", 8, "identifier")]
    text = "\n".join(map(str, problems))
    for value in ("2024-19-03", "studnet", "E 1002", "a1f0c2d4", "MG-100", "cls-9z"):
        assert value not in text


def test_oneroster_class_without_teacher_is_an_inventory_section(tmp_path):
    """A class that no teacher enrollment names is a section of the inventory, at its school;
    taught classes come only as the sections of their teaching rows."""
    folder = tmp_path / "untaught"
    shutil.copytree(FIX / "oneroster-1.1", folder)
    enr = (folder / "enrollments.csv").read_text().splitlines(keepends=True)
    kept = [line for line in enr if not (",cls-7s," in line and ",teacher," in line)]
    assert len(kept) == len(enr) - 1
    (folder / "enrollments.csv").write_text("".join(kept))
    src = read_oneroster(folder, district="maple-sd")
    rows, problems = parsed(src)
    assert problems == []
    assert sorted(r["section"] for r in rows[BulkKind.TEACHING]) == ["cls-4a", "cls-4m"]
    assert [(s.id, s.school) for s in src.inventory().sections] == [("cls-7s", "maple-ms")]


@pytest.mark.parametrize("fmt", ["oneroster-1.2/bulk", "edfi-ds4/xml", "edfi-ds5/json"])
def test_conversion_reports_rows_converted(tmp_path, monkeypatch, fmt):
    """A large export takes minutes to convert before validation starts: the converter reports
    the rows converted so far (every PROGRESS_EVERY rows, then once at the end), the total
    being unknown until the end."""
    from lineage.sources import native

    monkeypatch.setattr(native, "PROGRESS_EVERY", 4)
    reader = read_oneroster if fmt.startswith("oneroster") else read_edfi
    calls: list[tuple[str, int, int | None]] = []
    src = native.write_native(reader(FIX / fmt, district="maple-sd"), tmp_path, "x",
                              progress=lambda *a: calls.append(a))
    rows = 0
    for b in src.inventory.bulk:
        with open(tmp_path / b.path, encoding="utf-8") as fh:
            rows += sum(1 for _ in fh) - 1
    name = Path(fmt).name
    assert rows > 8
    assert calls == [(f"converting {name}", n, None) for n in range(4, rows + 1, 4)] + [
        (f"converting {name}", rows, None)]


def test_oneroster_several_districts_refuse_one_district_id(tmp_path):
    folder = tmp_path / "two"
    shutil.copytree(FIX / "oneroster-1.1", folder)
    with open(folder / "orgs.csv", "a") as f:
        f.write("org-oak,active,2024-07-01T00:00:00.000Z,Oak District,district,OK-1,\n")
    _, problems = parsed(read_oneroster(folder, district="maple-sd"))
    assert [(p.field, p.message) for p in problems] == [(
        "--district", "the export holds 2 districts (org-maple, org-oak); --district names one "
        "district: omit it to keep each district's own id")]
    _, problems = parsed(read_oneroster(folder))
    assert problems == []


def test_oneroster_not_a_folder_or_zip(tmp_path):
    (tmp_path / "x.csv").write_text("a,b\n")
    with pytest.raises(InputError) as exc:
        read_oneroster(tmp_path / "x.csv")
    assert "not a folder or a readable zip" in str(exc.value)


# --- Ed-Fi ---------------------------------------------------------------------------------

@pytest.mark.parametrize("folder", ["edfi-ds4/xml", "edfi-ds4/json", "edfi-ds5/xml",
                                    "edfi-ds5/json"])
def test_edfi_fixtures(folder):
    src = read_edfi(FIX / folder, district="maple-sd")
    rows, problems = parsed(src)
    assert problems == []
    assert {(r["student_id"], r["valid_from"], r["valid_to"])
            for r in rows[BulkKind.ENROLMENTS]} == ENROLMENTS_12
    assert {(r["guardian"], r["student_id"]) for r in rows[BulkKind.GUARDIANS]} == GUARDIANS
    hr = "255901101/2025/2024-2025_Year_Round/HR4/HR4-A-aefe2b34b6"
    ma = "255901101/2025/2024-2025_Fall_Semester/MA4/MA4-1-5359b9b08a"
    sc = "255901201/2025/2024-2025_Year_Round/SC7/SC7-3-a96abde3ed"
    assert sorted(tuple(r.values()) for r in rows[BulkKind.TEACHING]) == sorted([
        (hr, "255901101", "staff:E1001", "2024-08-19", "2025-06-06"),
        (ma, "255901101", "staff:E1002", "2024-08-19", "2024-12-20"),
        (sc, "255901201", "staff:E1003", "2024-08-19", "")])
    assert sorted(tuple(r.values()) for r in rows[BulkKind.ROSTERS]) == sorted([
        ("MG-1001", hr, "2024-09-03", "2025-06-06"), ("MG-1001", ma, "2024-08-19", "2024-12-20"),
        ("MG-1002", hr, "2024-08-19", "2025-02-14"), ("MG-1003", hr, "2024-08-19", "2025-06-06"),
        ("MG-1004", sc, "2024-08-19", "2025-06-06")])
    inv = src.inventory()
    assert [(a.id, a.name, a.part_of) for a in inv.actors] == [
        ("maple-sd", "Maple Grove School District", None),
        ("255901101", "Maple Grove Elementary", "maple-sd"),
        ("255901201", "Maple Grove Middle", "maple-sd")]
    assert inv.sections == []               # every class is taught: its teaching rows
    assert src.warnings == []


def test_edfi_section_without_staff_is_an_inventory_section(tmp_path):
    """A section that no staff section association names is a section of the inventory, at
    its school; taught sections come only as the sections of their teaching rows."""
    shutil.copytree(FIX / "edfi-ds5" / "json", tmp_path / "j")
    path = tmp_path / "j" / "staffSectionAssociations.json"
    items = json.loads(path.read_text())
    kept = [i for i in items if i["sectionReference"]["schoolId"] != 255901201]
    assert len(kept) == len(items) - 1
    path.write_text(json.dumps(kept))
    src = read_edfi(tmp_path / "j", district="maple-sd")
    rows, problems = parsed(src)
    assert problems == []
    assert len(rows[BulkKind.TEACHING]) == 2
    sc = "255901201/2025/2024-2025_Year_Round/SC7/SC7-3-a96abde3ed"
    assert [(s.id, s.school) for s in src.inventory().sections] == [(sc, "255901201")]


def test_edfi_bad_records_name_file_row_field_without_values(tmp_path):
    shutil.copytree(FIX / "edfi-ds5" / "json", tmp_path / "j")
    path = tmp_path / "j" / "studentSectionAssociations.json"
    items = json.loads(path.read_text())
    del items[1]["studentReference"]["studentUniqueId"]
    items[2]["beginDate"] = "2024-02-30"
    items[3]["endDate"] = "2024-01-01"
    path.write_text(json.dumps(items))
    (tmp_path / "j" / "broken.xml").write_text("<InterchangeStudentEnrollment><StudentSchool")
    (tmp_path / "j" / "dtd.xml").write_text('<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a '
                                            '"aaaa">]>\n<x>&a;</x>')
    _, problems = parsed(read_edfi(tmp_path / "j", district="maple-sd"))
    got = sorted((Path(p.file).name, p.row, p.field) for p in problems)
    assert got == [("broken.xml", 1, None), ("dtd.xml", None, None),
                   ("studentSectionAssociations.json", 2, "studentReference.studentUniqueId"),
                   ("studentSectionAssociations.json", 3, "beginDate"),
                   ("studentSectionAssociations.json", 4, "endDate")]
    text = "\n".join(map(str, problems))
    assert "2024-02-30" not in text and "MG-100" not in text


def test_edfi_doctype_after_a_long_prolog_is_refused(tmp_path):
    """The DOCTYPE check reads the whole prolog, not its first 64 KiB (an entity declared
    after 200 KB of comments once replaced one student's id by another's)."""
    path = tmp_path / "e.xml"
    path.write_text("<!--" + "c" * 200_000 + '-->\n<!DOCTYPE x [<!ENTITY a "S1">]>\n'
                    "<InterchangeStudentEnrollment/>")
    _, problems = parsed(read_edfi(path))
    assert [(p.row, p.field) for p in problems] == [(None, None)]
    assert "DOCTYPE is refused" in problems[0].message


@given(st.binary(max_size=300), st.sampled_from(["x.xml", "studentSchoolAssociations.json"]))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_edfi_garbage_gives_problems_never_exceptions(tmp_path_factory, data, name):
    path = tmp_path_factory.mktemp("g") / name
    path.write_bytes(data)
    for item in read_edfi(path).rows():
        assert isinstance(item, (Problem, tuple))


def _write_associations(path: Path, n: int) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<InterchangeStudentEnrollment xmlns="http://ed-fi.org/0500">\n')
        for i in range(n):
            f.write("<StudentSectionAssociation><StudentReference><StudentIdentity>"
                    f"<StudentUniqueId>S{i:07d}</StudentUniqueId></StudentIdentity>"
                    "</StudentReference><SectionReference><SectionIdentity>"
                    f"<LocalCourseCode>C{i % 50}</LocalCourseCode><SchoolId>255001001</SchoolId>"
                    f"<SchoolYear>2025</SchoolYear><SectionIdentifier>S{i % 400}"
                    "</SectionIdentifier><SessionName>2024-2025 Year Round</SessionName>"
                    "</SectionIdentity></SectionReference><BeginDate>2024-08-19</BeginDate>"
                    "<EndDate>2025-06-06</EndDate></StudentSectionAssociation>\n")
            if i % 7 == 0:      # records the reader skips unread must be freed too
                f.write(f"<Student><StudentUniqueId>S{i:07d}</StudentUniqueId><Name>"
                        "<FirstName>Synthetic</FirstName></Name></Student>\n")
        f.write("</InterchangeStudentEnrollment>\n")


def _peak(path: Path) -> tuple[int, int]:
    tracemalloc.start()
    try:
        n = sum(1 for item in read_edfi(path).rows() if not isinstance(item, Problem))
        return n, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_edfi_xml_memory_is_flat_in_the_file_size(tmp_path):
    """Python memory while streaming 2k and 20k associations (~1 and ~10 MB): the peak is the
    same small size (measured: ~0.6 MB either way at 5k and 50k; 0.3 MB at 200k / 98 MB)."""
    small, big = tmp_path / "small.xml", tmp_path / "big.xml"
    _write_associations(small, 2_000)
    _write_associations(big, 20_000)
    n_small, peak_small = _peak(small)
    n_big, peak_big = _peak(big)
    assert (n_small, n_big) == (2_000, 20_000)
    assert big.stat().st_size > 8_000_000
    assert peak_big < 3_000_000
    assert peak_big < peak_small + 1_000_000


def _oneroster_with_enrollments(folder: Path, n: int) -> Path:
    """The OneRoster 1.1 fixture with ``n`` more student enrollments of its users and classes
    (the enrollments file grows; users and classes stay)."""
    shutil.copytree(FIX / "oneroster-1.1", folder)
    with open(folder / "enrollments.csv", "a", encoding="utf-8", newline="") as fh:
        for i in range(n):
            fh.write(f"enr-x{i},active,2024-07-01T00:00:00.000Z,cls-4a,maple-es,u-s1,student,"
                     f"false,2024-09-{1 + i % 28:02d},2025-06-06\n")
    return folder


@pytest.mark.slow
def test_oneroster_memory_is_flat_in_the_enrollments_size(tmp_path):
    """Python memory while converting an export whose enrollments.csv holds 2k and then 20k
    more rows (the users' and classes' look-ups are the same): the peak does not grow with
    the file (rows stream to the native files; measured 0.66 and 0.61 MB)."""
    peaks = []
    for n in (2_000, 20_000):
        folder = _oneroster_with_enrollments(tmp_path / f"or{n}", n)
        out = tmp_path / f"out{n}"
        out.mkdir()
        tracemalloc.start()
        try:
            write_native(read_oneroster(folder), out, "oneroster")
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
        with open(out / "rosters.csv", encoding="utf-8") as fh:
            assert sum(1 for _ in fh) > n
    assert (tmp_path / "or20000" / "enrollments.csv").stat().st_size > 1_500_000
    assert peaks[1] < peaks[0] + 500_000, peaks


# --- OpenLineage ---------------------------------------------------------------------------

OL = FIX / "openlineage"


def test_openlineage_inventory_from_event_dicts():
    mapping = read_mapping([OL / "mapping.yaml"])
    events = [e for _, e in read_events(OL / "events.jsonl")]
    inv, warnings = inventory_from_events(events, mapping, origin="test")
    assert [(d.id, d.holder, d.granularity.value, d.elements) for d in inv.datasets] == [
        ("maple-proficiency-report", "public", "aggregate", []),
        ("readwell-ol-roster", "readwell", "student",
         ["Local ID number", "Student Name", "Student grade level"]),
        ("s3://univ-research-drop/maple/extract-2025.parquet", "univ-lab", "deidentified",
         ["Standardized test scores", "Student grade level"])]
    assert [(f.id, f.kind.value, f.operation.value, f.source, f.target, f.elements,
             str(f.valid_from), str(f.valid_to), f.legal_basis and f.legal_basis.value,
             f.agreement) for f in inv.flows] == [
        ("ol:state_report_card:139d159686ba", "disclosure", "aggregate", "maple-sis",
         "maple-proficiency-report", [], "2024-11-01", "2024-11-01", None, None),
        # the birth_date filter is indirect: Date of Birth is not carried
        ("ol:nightly_readwell_export:725053f434c1", "disclosure", "copy", "maple-sis",
         "readwell-ol-roster", ["Local ID number", "Student Name", "Student grade level"],
         "2024-09-02", "2024-10-15", "school_official", "NDPA-MG-2024-03"),
        # the masked research id drops Local ID number
        ("ol:research_extract:6ddb66567502", "disclosure", "deidentify", "maple-sis",
         "s3://univ-research-drop/maple/extract-2025.parquet",
         ["Standardized test scores", "Student grade level"], "2025-01-10", "2025-02-10",
         "studies", "RDA-MG-2025-01")]
    assert [str(w) for w in warnings] == [
        "test, row 15: dataset 'postgres://sis.maple.example:5432' 'scratch.tmp_roster' is not "
        "placed by the mapping; flows from or to it were not made. Add under datasets: - "
        '{namespace: "postgres://sis.maple.example:5432", name: "scratch.tmp_roster", actor: '
        "<holder actor id>, granularity: student}",
        "test: 1 input -> output pair(s) used only indirectly (filter, join, group by) per "
        "their column lineage: no flow made"]


def test_openlineage_json_array_equals_jsonl(tmp_path):
    mapping = read_mapping([OL / "mapping.yaml"])
    events = [e for _, e in read_events(OL / "events.jsonl")]
    (tmp_path / "events.json").write_text(json.dumps(events))
    again = [e for _, e in read_events(tmp_path / "events.json")]
    assert inventory_from_events(again, mapping)[0] == inventory_from_events(events, mapping)[0]


def test_openlineage_bad_events_all_reported():
    mapping = read_mapping([OL / "mapping.yaml"])
    good = [e for _, e in read_events(OL / "events.jsonl")]
    bad = [dict(good[3]), {"eventType": "DONE"}, "not an object", good[4]]
    del bad[0]["eventTime"]
    with pytest.raises(InputError) as exc:
        inventory_from_events(bad, mapping, origin="http")
    got = [(p.row, p.field) for p in exc.value.problems]
    assert (1, "eventTime") in got and (2, "eventType") in got and (3, None) in got
    assert all(row != 4 for row, _ in got)


def test_openlineage_mapping_problems(tmp_path):
    m = tmp_path / "m.yaml"
    m.write_text("datasets:\n  - {namespace: 'x://*', actor: 'bad id'}\n"
                 "  - {namespace: 'y://*', actor: a, existing: true}\n"
                 "  - {namespace: 'z://*', actor: a, elements: [Shoe size]}\n")
    with pytest.raises(InputError) as exc:
        read_mapping([m])
    assert [p.field for p in exc.value.problems] == [
        "datasets[0].actor", "datasets[1].dataset", "datasets[2].elements"]
    with pytest.raises(InputError) as exc:
        read_mapping([])
    assert "no 'datasets' entries" in str(exc.value)


def test_oneroster_bad_header_is_one_problem_not_one_per_row(tmp_path):
    folder = tmp_path / "x"
    shutil.copytree(FIX / "oneroster-1.1", folder)
    with open(folder / "users.csv", newline="") as f:
        rows = list(csv.reader(f))
    i = rows[0].index("role")
    out = io.StringIO()
    csv.writer(out).writerows(r[:i] + r[i + 1:] for r in rows)
    (folder / "users.csv").write_text(out.getvalue())
    _, problems = parsed(read_oneroster(folder, district="maple-sd"))
    assert [(Path(p.file).name, p.row, p.field) for p in problems] == [("users.csv", 1, "role")]
