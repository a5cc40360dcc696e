"""Pure parsing tests of the metadata dictionary importer (no database).

Acceptance case: /work/shared/cases/cedar-valley.md;
file: seeds/cedar-valley/metadata-dictionary.csv.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lineage.core.errors import InputError
from lineage.core.vocabulary import ELEMENT_CATEGORY, FlowKind, LegalBasis, Role
from lineage.sources.dictionary import (
    DEFAULT_COLUMN_MAPPING,
    column_key,
    guess_role,
    import_dictionary,
    slug,
)
from tests.helpers import CEDAR_COUNTS, CEDAR_VALLEY

CASE = CEDAR_VALLEY
DISTRICT = "cedar-valley"

EXPECTED = CEDAR_COUNTS

CASE_COLUMNS = {
    "Student Name": "Student Name", "Student ID (local)": "Local ID number",
    "State ID (SSID)": "State ID number", "Birthdate": "Date of Birth", "Gender": "Gender",
    "Race/Ethnicity": "Ethnicity or race", "Grade": "Student grade level",
    "School": "Student school enrollment", "Schedule": "Student scheduled courses",
    "Teacher": "Teacher names", "Grades/Transcript": "Student course grades",
    "Attendance": "Student school (daily) attendance data",
    "Assessment Results": "Standardized test scores",
    "EL Status": "English language learner information",
    "SPED/504": "Specialized education services (IEP or 504)",
    "Medical": "Medical alerts/health data", "Address": "Student Contact Address",
    "Student Email": "Student Contact Email", "Username": "Student app username",
    "Parent Name": "Parent/Guardian Name", "Parent Phone": "Parent/Guardian Phone",
    "Parent Email": "Parent/Guardian Email", "Bus Route": "Student bus assignment",
    "Photo": "Other", "Discipline": "Conduct or behavioral data",
    "Low Income (FRL)": "Low income status",
}


def case_text() -> str:
    return CASE.read_bytes().decode("utf-8")


def write(tmp_path: Path, text: str, name: str = "sheet.csv") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode("utf-8"))
    return p


def add_columns(text: str, names: list[str]) -> str:
    """The case sheet with extra element columns (blank cells) before NOTES, via the csv module."""
    rows = list(csv.reader(io.StringIO(text, newline="")))
    at = len(rows[0]) - 1
    for i, row in enumerate(rows):
        if not row:
            continue
        row[at:at] = names if i == 0 else [""] * len(names)
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


@pytest.fixture(scope="module")
def imported():
    return import_dictionary(CASE, DISTRICT, district_name="Cedar Valley School District")


# --- the acceptance case -------------------------------------------------------------------

def test_case_counts(imported):
    inv = imported.inventory
    names = {a.id: a.name for a in inv.actors}
    assert {names[rid]: len(els) for rid, els in imported.recipients.items()} == EXPECTED
    assert len(imported.recipients) == 15
    assert len(inv.flows) == 16
    assert len(imported.columns) == 26
    assert imported.columns == CASE_COLUMNS


def test_case_shape(imported):
    inv = imported.inventory
    district = next(a for a in inv.actors if a.id == DISTRICT)
    assert district.role is Role.DISTRICT
    sis = next(d for d in inv.datasets if d.id == f"{DISTRICT}-sis")
    assert sis.holder == DISTRICT
    assert [c.org for c in sis.coverage] == [DISTRICT]
    assert sorted(sis.elements) == sorted(set(CASE_COLUMNS.values()))
    assert len(inv.datasets) == 16
    assert all(e in ELEMENT_CATEGORY for e in sis.elements)
    for fl in inv.flows:
        assert fl.kind is FlowKind.DISCLOSURE
        assert fl.source == sis.id
        assert fl.valid_from is None and fl.valid_to is None
        assert fl.elements == sorted(set(fl.elements))
    sbe = [fl for fl in inv.flows if fl.target == f"{DISTRICT}--state-board-of-education"]
    assert [fl.id for fl in sbe] == [f"{DISTRICT}-dict-1", f"{DISTRICT}-dict-2"]
    roles = {a.id: a.role for a in inv.actors}
    assert roles["state-board-of-education"] is Role.STATE
    assert roles["county-juvenile-court"] is Role.COURT
    assert roles["state-university-early-literacy-center"] is Role.RESEARCHER
    assert roles["cloudsis-hosting"] is Role.VENDOR
    bases = {fl.id: fl.legal_basis for fl in inv.flows}
    assert bases[f"{DISTRICT}-dict-5"] is LegalBasis.SCHOOL_OFFICIAL      # trailing space
    assert bases[f"{DISTRICT}-dict-7"] is LegalBasis.CHILD_NUTRITION
    assert bases[f"{DISTRICT}-dict-14"] is LegalBasis.JUVENILE_JUSTICE
    assert bases[f"{DISTRICT}-dict-16"] is LegalBasis.STUDIES              # 'Study' alias
    mathquest = next(d for d in inv.datasets if d.holder == "mathquest")
    assert mathquest.population == "Grades 3-8"
    # CATEGORY continues down; first data row is line 3 (the header spans two lines)
    assert imported.category[3] == "State Reporting"
    assert imported.category[4] == "State Reporting"
    assert imported.category[7] == "Instruction"          # MathQuest, ReadWell continue it
    assert imported.flow_rows[f"{DISTRICT}-dict-12"] == 15   # after the empty line 14


def test_alias_warning_names_its_row(imported):
    assert len(imported.warnings) == 1
    w = imported.warnings[0]
    assert w.row == 19 and w.field == "FERPA EXCEPTION"
    assert "'Study' read as 'studies' (alias)" in w.message


def test_same_file_twice_is_equal(imported):
    again = import_dictionary(CASE, DISTRICT, district_name="Cedar Valley School District")
    assert again.inventory == imported.inventory
    assert again.inventory.model_dump_json() == imported.inventory.model_dump_json()
    assert again.recipients == imported.recipients


# --- refusals ------------------------------------------------------------------------------

def test_misspelt_exception_refused(tmp_path):
    text = case_text()
    assert text.count("School Official,") > 1
    bad = text.replace("School Official,", "Scool Official,", 1)   # row ORDER 3, line 5
    with pytest.raises(InputError) as err:
        import_dictionary(write(tmp_path, bad), DISTRICT)
    probs = err.value.problems
    assert [(p.row, p.field) for p in probs] == [(5, "FERPA EXCEPTION")]
    assert "Scool Official" in probs[0].message
    assert "row 5" in str(err.value)


def test_unmapped_columns_listed_at_once(tmp_path):
    bad = add_columns(case_text(), ["Locker Number", "Shoe Size"])
    with pytest.raises(InputError) as err:
        import_dictionary(write(tmp_path, bad), DISTRICT)
    fields = [p.field for p in err.value.problems]
    assert fields == ["Locker Number", "Shoe Size"]
    assert all("--mapping" in p.message for p in err.value.problems)


def test_bad_mark_names_row_and_column(tmp_path):
    rows = case_text().split("\n")
    rows[2] = rows[2].replace(",X,X,X,X,X,X,", ",X,X,maybe,X,X,X,", 1)
    with pytest.raises(InputError) as err:
        import_dictionary(write(tmp_path, "\n".join(rows)), DISTRICT)
    assert [(p.row, p.field) for p in err.value.problems] == [(3, "Gender")]


def test_mapping_file_yaml_extends(tmp_path):
    bad = write(tmp_path, add_columns(case_text(), ["Locker Number", "Shoe Size"]))
    mapping = write(tmp_path, (
        'columns:\n  "Locker Number": "Locker number"\n  "shoe   size": "Other demographic '
        'information"\nelements:\n  - {name: "Locker number", category: "Other"}\n'),
        "mapping.yaml")
    result = import_dictionary(bad, DISTRICT, mapping_files=[mapping])
    assert result.columns["Locker Number"] == "Locker number"
    assert result.columns["Shoe Size"] == "Other demographic information"
    assert [(e.name, e.category) for e in result.inventory.elements] == [("Locker number", "Other")]
    assert len(result.inventory.flows) == 16


def test_mapping_file_csv_extends_and_overrides(tmp_path):
    bad = write(tmp_path, add_columns(case_text(), ["Locker Number", "Shoe Size"]))
    mapping = write(tmp_path, "column,element,category\nLocker Number,Locker number,Other\n"
                    "Shoe Size,other demographic information,\nPhoto,Student generated content,\n",
                    "mapping.csv")
    result = import_dictionary(bad, DISTRICT, mapping_files=[mapping])
    assert result.columns["Locker Number"] == "Locker number"
    assert result.columns["Shoe Size"] == "Other demographic information"
    assert result.columns["Photo"] == "Student generated content"


def test_mapping_file_unknown_element_refused(tmp_path):
    mapping = write(tmp_path, "column,element\nLocker Number,Lockr numbr\n", "mapping.csv")
    with pytest.raises(InputError) as err:
        import_dictionary(CASE, DISTRICT, mapping_files=[mapping])
    assert [(p.file, p.row, p.field) for p in err.value.problems] == [
        (str(mapping), 2, "Locker Number")]


@pytest.mark.parametrize("text, field", [
    ("", None),
    ("ORDER,CATEGORY,FERPA EXCEPTION,Birthdate\n1,x,Studies,X\n", None),     # no DATA RECIPIENT
    ("DATA RECIPIENT,FERPA EXCEPTION,Birthdate,birthdate\nA,Studies,X,X\n", "birthdate"),
    ("DATA RECIPIENT,Birthdate\nA,X\n", "FERPA EXCEPTION"),
    ("DATA RECIPIENT,FERPA EXCEPTION,Birthdate\n", None),                    # no data rows
    ("DATA RECIPIENT,FERPA EXCEPTION,Birthdate\nA,Studies,\n", None),         # nothing marked
    ("DATA RECIPIENT,FERPA EXCEPTION,Birthdate\n,Studies,X\n", "DATA RECIPIENT"),
])
def test_garbage_is_input_error(tmp_path, text, field):
    with pytest.raises(InputError) as err:
        import_dictionary(write(tmp_path, text), DISTRICT)
    assert err.value.problems
    if field:
        assert field in [p.field for p in err.value.problems]


def test_binary_and_missing_file(tmp_path):
    p = tmp_path / "x.xlsx"
    p.write_bytes(b"PK\x03\x04\x00\xff\xfe\x00garbage")
    with pytest.raises(InputError):
        import_dictionary(p, DISTRICT)
    with pytest.raises(InputError):
        import_dictionary(tmp_path / "missing.csv", DISTRICT)
    with pytest.raises(InputError):
        import_dictionary(tmp_path, DISTRICT)             # a directory


def test_bad_district_id():
    with pytest.raises(InputError) as err:
        import_dictionary(CASE, "cedar valley!")
    assert [p.field for p in err.value.problems] == ["district"]


def test_semicolon_delimiter_and_title_row(tmp_path):
    text = ("Cedar Valley metadata dictionary 2025;;\n"
            "Data Recipient;Ferpa Exception;DOB;Sex\nAcme;School Official;X;\n")
    result = import_dictionary(write(tmp_path, text), "d1")
    assert result.recipients == {"acme": ["Date of Birth"]}
    assert result.inventory.flows[0].id == "d1-dict-3"
    assert any("above the header" in w.message for w in result.warnings)


# --- helpers -------------------------------------------------------------------------------

def test_default_mapping_is_catalogue_and_generous():
    assert all(e in ELEMENT_CATEGORY for e in DEFAULT_COLUMN_MAPPING.values())
    assert all(k == column_key(k) for k in DEFAULT_COLUMN_MAPPING)
    for col in ("first name", "last name", "local id", "ssid", "dob", "sex", "ethnicity",
                "grade level", "transcript", "test scores", "ell", "iep", "504", "allergies",
                "home address", "email", "login", "password", "guardian name", "bus stop",
                "behavior", "frl", "free/reduced lunch", "homeless", "foster", "home language",
                "survey responses"):
        assert column_key(col) in DEFAULT_COLUMN_MAPPING, col
    for col, element in CASE_COLUMNS.items():
        assert DEFAULT_COLUMN_MAPPING[column_key(col)] == element


def test_slug_and_role():
    assert slug("State Board of Education") == "state-board-of-education"
    assert slug("  Café  Ünïon ") == "cafe-union"
    assert slug("日本").startswith("recipient-")
    assert len(slug("x" * 500)) <= 60 and slug("x" * 500) != slug("x" * 499)
    assert guess_role([LegalBasis.JUVENILE_JUSTICE], ["State"]) is Role.COURT
    assert guess_role([LegalBasis.SCHOOL_OFFICIAL], ["State"]) is Role.STATE
    assert guess_role([LegalBasis.CHILD_NUTRITION], ["Federal"]) is Role.VENDOR
    assert guess_role([LegalBasis.CONSENT]) is Role.OTHER


# --- fuzzing -------------------------------------------------------------------------------

_HEADERS = ["ORDER", "DATA RECIPIENT", "FERPA EXCEPTION", "CATEGORY", "Birthdate", "Grade",
            "PURPOSE/\nDESCRIPTION", "x", "", "NOTES"]
_csvish = st.lists(
    st.lists(st.one_of(st.sampled_from(_HEADERS + ["X", "yes", "Study", "Scool", "A"]),
                       st.text(max_size=12)), max_size=8),
    max_size=6,
).map(lambda rows: "\n".join(",".join(r) for r in rows))


_pieces = st.sampled_from([b",", b"\n", b'"', b"\r", b";", b"\t", b"X", b"maybe", b"Study",
                           b"DATA RECIPIENT", b"\x00", b"\xff", b"", b"1", "\u00e9".encode()])


@st.composite
def _mutated_case(draw) -> bytes:
    """The case file with a few random slices replaced (gets deep into the row rules)."""
    b = bytearray(CASE.read_bytes())
    for _ in range(draw(st.integers(1, 5))):
        i = draw(st.integers(0, len(b)))
        j = min(len(b), i + draw(st.integers(0, 40)))
        b[i:j] = draw(_pieces) * draw(st.integers(1, 3))
    return bytes(b)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(st.binary(max_size=2000), st.text(max_size=2000).map(str.encode),
                      _csvish.map(str.encode), _mutated_case()))
def test_fuzz_only_input_error(tmp_path_factory, data):
    p = tmp_path_factory.mktemp("fuzz") / "sheet.csv"
    p.write_bytes(data)
    try:
        result = import_dictionary(p, "fuzz-district")
    except InputError as exc:
        assert exc.problems
    else:
        assert result.inventory.flows


# --- issue 11 item 2: the marks other tools export ------------------------------------------

def _marked(mark_of_row: dict[int, str]) -> str:
    """The case sheet with every 'X'/'x' of the given lines (index in the text) replaced."""
    rows = list(csv.reader(io.StringIO(case_text(), newline="")))
    for i, mark in mark_of_row.items():
        rows[i] = [mark if c in ("X", "x") else c for c in rows[i]]
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


@pytest.mark.parametrize("mark", ["✓", "✔", "☑", "✅", "✔\ufe0f", "Y", "TRUE", "1", " yes ", "True"])
def test_common_marks_accepted(tmp_path, imported, mark):
    result = import_dictionary(write(tmp_path, _marked({1: mark, 2: mark, 3: mark})), DISTRICT,
                               district_name="Cedar Valley School District")
    assert result.recipients == imported.recipients


def _cells(edits: dict[tuple[int, int], str]) -> str:
    """The case sheet with cells replaced: (record index, column index) -> text."""
    rows = list(csv.reader(io.StringIO(case_text(), newline="")))
    for (r, c), text in edits.items():
        rows[r][c] = text
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


@pytest.mark.parametrize("mark", ["0", "no", "N", "false", "FALSE"])
def test_negative_marks_are_not_shared(tmp_path, imported, mark):
    rows = list(csv.reader(io.StringIO(case_text(), newline="")))
    blanks = {(3, i): mark for i, c in enumerate(rows[3]) if 8 <= i < len(rows[0]) - 1 and not c}
    assert len(blanks) > 10
    result = import_dictionary(write(tmp_path, _cells(blanks)), DISTRICT)
    assert result.recipients["brightpath-learning"] == imported.recipients["brightpath-learning"]


def test_unknown_mark_reported_once(tmp_path):
    # the three first data rows marked with a cross that is not a mark of sharing
    with pytest.raises(InputError) as err:
        import_dictionary(write(tmp_path, _marked({1: "✗", 2: "✗", 3: "✗"})), DISTRICT)
    probs = err.value.problems
    assert len(probs) == 1, [str(p) for p in probs]
    p = probs[0]
    assert p.row == 3 and "'✗'" in p.message
    assert "rows 3, 4, 5" in p.message and "Student Name" in p.message


def test_unknown_marks_grouped_by_mark(tmp_path):
    text = _cells({(1, 12): "maybe", (2, 12): "maybe", (3, 8): "?"})
    with pytest.raises(InputError) as err:
        import_dictionary(write(tmp_path, text), DISTRICT)
    probs = err.value.problems
    assert [(p.row, p.field) for p in probs] == [(3, "Gender"), (5, "Student Name")]
    assert "rows 3, 4" in probs[0].message and "'maybe'" in probs[0].message


SHARED_EXAMPLES = ["x", "X", "y", "Y", "yes", "YES", "true", "TRUE", "1", "✓", "✔", "☑", "✅"]
NOT_SHARED_EXAMPLES = ["", "0", "no", "No", "false", "FALSE", "n", "N"]


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=8), st.sampled_from(SHARED_EXAMPLES + NOT_SHARED_EXAMPLES)),
       st.text(" \t\u00a0", max_size=3), st.text(" \t\u00a0", max_size=3))
def test_parse_mark_property(text, left, right):
    from lineage.sources.dictionary import parse_mark

    got = parse_mark(left + text + right)
    assert got in (True, False, None)
    assert got == parse_mark(text)                      # surrounding white space ignored
    if text.strip() in SHARED_EXAMPLES:
        assert got is True
    elif text.strip() in NOT_SHARED_EXAMPLES:
        assert got is False
    elif got is not None:                               # only the listed marks are understood
        folded = text.strip().casefold().replace("\ufe0f", "").replace("\ufe0e", "")
        assert folded in {m.casefold() for m in SHARED_EXAMPLES + NOT_SHARED_EXAMPLES}


def test_fifo_sheet_and_mapping_refused(tmp_path):
    """Issue 11 item 16: a sheet or mapping path that is a FIFO is refused, never read (no hang)."""
    import os
    import threading

    fifo = tmp_path / "sheet.csv"
    os.mkfifo(fifo)
    mapping = tmp_path / "mapping.yaml"
    os.mkfifo(mapping)
    out: list = []

    def run():
        try:
            import_dictionary(fifo, DISTRICT, mapping_files=[mapping])
        except InputError as exc:
            out.append(exc)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(timeout=10)
    assert not t.is_alive(), "import_dictionary blocked on a FIFO"
    messages = [str(p) for p in out[0].problems]
    assert sum("not a regular file" in m for m in messages) == 2, messages
