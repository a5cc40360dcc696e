"""Import a district "metadata dictionary" spreadsheet (exported to CSV) as an :class:`Inventory`.

Districts keep their public data inventory as a spreadsheet (Utah calls it the district
"metadata dictionary"; Illinois SOPPA and Oklahoma require similar lists): one row per
recipient and purpose, one column per data element with an ``X`` where the element is shared,
and the FERPA exception relied on. The acceptance case is ``seeds/cedar-valley/`` (see
``/work/shared/cases/cedar-valley.md``).

Shape of the sheet (rules, in the order they are applied):

* Read as UTF-8 (a byte-order mark is allowed) with :mod:`csv`; the delimiter (``,``, ``;`` or
  tab) is sniffed with :class:`csv.Sniffer` on the first KB, falling back to ``,``; when no
  header is found with it, the other two are tried. Quoted line breaks inside cells (the
  ``"PURPOSE/<newline>DESCRIPTION"`` header) are fine.
* The header is the first record that has a ``DATA RECIPIENT`` cell (within the first
  :data:`HEADER_SEARCH_ROWS` non-empty records); title rows above it are skipped with a warning.
  Header names are whitespace-folded (``"PURPOSE/\\nDESCRIPTION"`` -> ``"PURPOSE/ DESCRIPTION"``)
  and matched case-insensitively, spaces around ``/`` ignored.
* Fixed columns (:data:`FIXED_COLUMNS`): ORDER, REQ'D, CATEGORY, DATA RECIPIENT (required),
  PURPOSE/DESCRIPTION (any header starting with "PURPOSE"), STUDENT POPULATION,
  FEDERAL / STATE / LOCAL, FERPA EXCEPTION (required), NOTES. Every other named column is an
  *element column* and must map to a data element through :data:`DEFAULT_COLUMN_MAPPING` or a
  mapping file (see :func:`load_mapping`); every unmapped column is reported at once.
  A column without a name is allowed only when all its cells are blank (spreadsheets export
  trailing empty columns).
* Rows are numbered by the physical line on which the record starts (header on line 1; the
  case file's header spans lines 1-2, so its first data row is line 3). Completely empty rows,
  and rows whose only filled cell is ORDER, are skipped.
* CATEGORY is filled only on the first row of a group: a blank cell continues the category above.
* Marks (:func:`parse_mark`): ``x``, ``y``, ``yes``, ``true``, ``1`` (any case) and the check
  marks other tools export (``✓`` ``✔`` ``☑`` ``✅``, with or without an emoji variation
  selector) mean shared; blank, ``0``, ``n``, ``no``, ``false`` mean not shared. Any other mark
  is one problem per distinct mark, naming its column(s) and rows (not one per cell). A row
  with nothing marked shared is a problem too (refusing it is conservative: skipping it would
  hide a recipient), unless its only marks were unknown ones (already reported).
* FERPA EXCEPTION is read with :func:`lineage.core.vocabulary.parse_basis` (case and surrounding
  spaces ignored). An alias that needs a warning (``Study`` -> ``studies``) is accepted with a
  warning naming the row; an unknown exception (``Scool Official``) is a problem.

What the import builds (deterministic: the same file gives an equal :class:`Inventory`, so
loading it twice changes nothing):

* the district actor ``district_id`` (role ``district``, name ``district_name``);
* the source dataset ``<district_id>-sis`` held by the district, granularity ``student``,
  keeping every mapped element of the sheet, with coverage ``[{org: district_id}]``.
  The sheet has no rosters, so coverage is **every student of the district**: a conservative
  "could have" (see :data:`COVERAGE_NOTE`, which outputs should show);
* one actor per distinct DATA RECIPIENT (whitespace-folded name), id = :func:`slug` of the name
  (``State Board of Education`` -> ``state-board-of-education``), role by :func:`guess_role`;
* per recipient one dataset ``<district_id>--<recipient id>`` held by the recipient,
  granularity ``student``, elements unset (it keeps whatever its flows carry), purpose and
  population = the distinct PURPOSE / STUDENT POPULATION texts of its rows joined by ``"; "``;
* per row one disclosure flow ``<district_id>-dict-<ORDER or line>`` from the SIS dataset to
  the recipient's dataset, carrying the marked columns' elements (deduplicated, sorted), with
  the legal basis, purpose = PURPOSE/DESCRIPTION, population = STUDENT POPULATION, and no dates
  (open window);
* elements defined by mapping files (not in the NDPA catalogue) and used by the sheet, as
  ``Inventory.elements``.

REQ'D, FEDERAL / STATE / LOCAL and NOTES have no field in the model and are not stored
(FEDERAL / STATE / LOCAL only feeds the role guess); CATEGORY is returned in
:attr:`DictionaryImport.category` for reports.

Errors: every problem of the sheet and of the mapping files is collected and raised at once as
one :class:`~lineage.core.errors.InputError` (nothing is returned, so nothing is written). No other
exception type escapes :func:`import_dictionary`, whatever the bytes of the file.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from lineage.core.errors import InputError, Problem, pydantic_errors
from lineage.core.models import Actor, Coverage, Dataset, ElementDef, Flow, Inventory
from lineage.core.vocabulary import (
    ELEMENT_CATEGORY,
    NDPA_CATEGORIES,
    FlowKind,
    Granularity,
    LegalBasis,
    Operation,
    Role,
    parse_basis,
)
from lineage.sources.inventory import TOO_DEEP, load_yaml, open_regular, yaml_problem

#: Shown by outputs of an imported sheet: why every student of the district is covered.
COVERAGE_NOTE = ("The metadata dictionary has no rosters: every student of the district is "
                 "counted as covered by each recipient (a conservative 'could have').")

#: Marks meaning "shared" (compared case-folded, emoji variation selectors removed).
SHARED_MARKS = frozenset({"x", "y", "yes", "true", "1", "✓", "✔", "☑", "✅"})

#: Marks meaning "not shared" (compared the same way). Blank means not shared too.
NOT_SHARED_MARKS = frozenset({"", "0", "n", "no", "false"})

#: Variation selectors (text / emoji presentation) that spreadsheets append to check marks.
_VARIATION_SELECTORS = dict.fromkeys(map(ord, "\ufe0e\ufe0f"))


def parse_mark(cell: str) -> bool | None:
    """Read one element cell of a metadata dictionary: ``True`` shared (:data:`SHARED_MARKS`),
    ``False`` not shared (:data:`NOT_SHARED_MARKS`, blank included), ``None`` a mark not
    understood. Case, surrounding white space and emoji variation selectors are ignored.
    Never raises."""
    key = cell.translate(_VARIATION_SELECTORS).strip().casefold()
    if key in SHARED_MARKS:
        return True
    if key in NOT_SHARED_MARKS:
        return False
    return None

#: How many non-empty records are searched for the header row.
HEADER_SEARCH_ROWS = 20

#: Bytes of the file given to :class:`csv.Sniffer`.
SNIFF_BYTES = 1024


def column_key(name: str) -> str:
    """The lookup key of a column name: lower-cased, white space folded, no spaces around '/'."""
    key = " ".join(str(name).lower().split())
    return re.sub(r"\s*/\s*", "/", key)


#: Fixed (non-element) columns: role -> accepted header keys (see :func:`column_key`).
#: PURPOSE also accepts any header starting with "purpose".
FIXED_COLUMNS: dict[str, frozenset[str]] = {
    "ORDER": frozenset({"order", "#"}),
    "REQ'D": frozenset({"req'd", "req’d", "reqd", "req", "required"}),
    "CATEGORY": frozenset({"category"}),
    "DATA RECIPIENT": frozenset({"data recipient", "data recipients", "recipient"}),
    "PURPOSE/DESCRIPTION": frozenset({"purpose", "purpose/description", "purpose/ description"}),
    "STUDENT POPULATION": frozenset({"student population", "population"}),
    "FEDERAL / STATE / LOCAL": frozenset({"federal/state/local", "fed/state/local", "level"}),
    "FERPA EXCEPTION": frozenset({"ferpa exception", "ferpa exceptions", "ferpa exception used"}),
    "NOTES": frozenset({"notes", "note", "comments", "comment"}),
}

#: Fixed columns a sheet must have.
REQUIRED_COLUMNS = ("DATA RECIPIENT", "FERPA EXCEPTION")

_SYNONYMS: dict[str, tuple[str, ...]] = {
    "Student Name": (
        "student name", "student names", "name", "full name", "student full name", "legal name",
        "preferred name", "first name", "last name", "middle name", "student first name",
        "student last name", "first/last name", "student name (first/last)"),
    "Local ID number": (
        "student id", "student id (local)", "local id", "local student id", "local id number",
        "student id number", "student number", "student #", "student no.", "district id",
        "district student id", "student id (district)"),
    "State ID number": (
        "state id", "state id (ssid)", "ssid", "state student id", "state id number", "sasid",
        "state student identifier", "statewide student id", "statewide id", "ssid number"),
    "Provider/App assigned student ID number": (
        "app id", "app student id", "vendor id", "vendor student id", "provider id"),
    "Student app username": (
        "username", "user name", "usernames", "login", "login id", "login name", "student login",
        "student username", "user id", "account name"),
    "Student app passwords": ("password", "passwords", "student password", "student passwords"),
    "Date of Birth": ("birthdate", "birth date", "birthday", "dob", "date of birth",
                      "birthdate (dob)"),
    "Place of Birth": ("place of birth", "birthplace", "birth place", "country of birth"),
    "Gender": ("gender", "sex", "gender/sex", "sex/gender"),
    "Ethnicity or race": (
        "race/ethnicity", "ethnicity/race", "ethnicity", "race", "race and ethnicity",
        "race & ethnicity", "ethnicity or race"),
    "Language information": (
        "language", "languages", "home language", "primary language", "native language",
        "language spoken at home", "language information"),
    "Other demographic information": ("demographics", "other demographics", "citizenship"),
    "Student school enrollment": (
        "school", "school name", "schools", "enrollment", "school enrollment",
        "enrollment status", "building", "campus", "school of enrollment"),
    "Student grade level": ("grade", "grade level", "current grade", "grade lvl", "grade (level)"),
    "Homeroom": ("homeroom",),
    "Guidance counselor": ("counselor", "guidance counselor", "school counselor"),
    "Specific curriculum programs": ("programs", "curriculum programs", "program participation",
                                     "gifted", "gifted/talented"),
    "Year of graduation": ("graduation year", "year of graduation", "grad year", "cohort year",
                           "cohort"),
    "Student scheduled courses": (
        "schedule", "schedules", "class schedule", "course schedule", "courses", "classes",
        "sections", "scheduled courses", "course enrollment", "course enrollments"),
    "Teacher names": ("teacher", "teachers", "teacher name", "teacher names",
                      "homeroom teacher"),
    "Student course grades": (
        "grades", "grades/transcript", "grades/transcripts", "transcript", "transcripts",
        "course grades", "report card", "report cards", "final grades", "gpa",
        "grades and transcript"),
    "Student course data": ("course history", "course data", "credits"),
    "Student school (daily) attendance data": (
        "attendance", "daily attendance", "attendance data", "absences", "tardies",
        "attendance records"),
    "Student class attendance data": ("class attendance", "period attendance",
                                      "section attendance"),
    "Standardized test scores": (
        "assessment results", "assessment", "assessments", "assessment scores", "test scores",
        "test results", "standardized test scores", "state test scores", "state assessment",
        "state assessments", "standardized tests", "benchmark scores"),
    "Observation data": ("observation data", "observations"),
    "Other assessment data": ("other assessment data", "screening results", "screener results"),
    "English language learner information": (
        "el status", "el", "ell", "ell status", "el/ell", "english learner",
        "english learner status", "english language learner", "english language learners",
        "lep", "lep status", "esl", "esl status", "ml status", "multilingual learner"),
    "Specialized education services (IEP or 504)": (
        "sped/504", "sped", "iep", "504", "iep/504", "504/iep", "504 plan", "iep status",
        "sped status", "special education", "special ed", "special education status",
        "special education/504", "sped/iep", "sped/iep/504"),
    "Student disability information": ("disability", "disabilities", "disability status",
                                       "disability information"),
    "Medical alerts/health data": (
        "medical", "medical alerts", "medical alert", "medical info", "medical information",
        "health", "health data", "health information", "health conditions", "allergies",
        "medications", "immunizations", "medical/health"),
    "Living situations (homeless/foster care)": (
        "homeless", "homeless status", "foster", "foster care", "homeless/foster",
        "foster/homeless", "mckinney-vento", "living situation", "housing status"),
    "Low income status": (
        "low income (frl)", "low income", "frl", "frl status", "free/reduced lunch",
        "free/reduced", "free and reduced lunch", "free/reduced price lunch",
        "economically disadvantaged", "economic status", "lunch status", "meal status",
        "meal eligibility"),
    "Other indicator information": ("military connected", "military family", "migrant",
                                    "migrant status"),
    "Student Contact Address": ("address", "home address", "student address", "mailing address",
                                "street address", "residential address"),
    "Student Contact Email": ("student email", "email", "e-mail", "email address",
                              "student email address", "student e-mail"),
    "Student Contact Phone": ("student phone", "phone", "phone number", "student phone number",
                              "student cell phone", "cell phone"),
    "Parent/Guardian Name": (
        "parent name", "parent names", "guardian name", "guardian names", "parent/guardian name",
        "parent/guardian", "parent", "guardian", "parent/guardian names", "contact name"),
    "Parent/Guardian Phone": (
        "parent phone", "guardian phone", "parent/guardian phone", "parent phone number",
        "guardian phone number", "parent cell phone"),
    "Parent/Guardian Email": (
        "parent email", "guardian email", "parent/guardian email", "parent email address",
        "guardian email address", "parent e-mail"),
    "Parent/Guardian Address": ("parent address", "guardian address", "parent/guardian address"),
    "Parent ID number": ("parent id", "guardian id", "parent id number", "parent/guardian id"),
    "Student bus assignment": (
        "bus route", "bus routes", "bus", "bus number", "bus assignment", "route",
        "transportation", "bus route/stop"),
    "Student pick up and/or drop off location": (
        "bus stop", "bus stops", "stop", "pick up location", "drop off location",
        "pick-up/drop-off", "pickup/dropoff", "pick up/drop off location"),
    "Student bus card ID number": ("bus card", "bus pass", "bus card id"),
    "Other": ("photo", "photos", "student photo", "picture", "pictures", "image", "images",
              "photograph", "photographs", "video"),
    "Conduct or behavioral data": (
        "discipline", "discipline incidents", "disciplinary records", "behavior", "behaviour",
        "behavior incidents", "behavior data", "conduct", "suspensions"),
    "Student responses to surveys or questionnaires": (
        "survey responses", "survey", "surveys", "questionnaire", "questionnaires",
        "questionnaire responses", "student surveys"),
    "Student generated content": ("student work", "student generated content", "assignments",
                                  "essays", "student content"),
    "Academic or extracurricular activities": (
        "activities", "extracurricular activities", "extracurriculars", "athletics", "sports",
        "clubs"),
    "Program/application performance": ("app performance", "in-app performance",
                                        "program performance", "progress data"),
    "Meta data on user interaction with application": ("usage data", "app usage",
                                                       "usage statistics"),
    "IP Addresses of users": ("ip address", "ip addresses"),
    "Online communications captured": ("online communications", "messages", "chat"),
}

#: Default column mapping: :func:`column_key` of a district's column name -> catalogue element.
DEFAULT_COLUMN_MAPPING: dict[str, str] = {
    column_key(col): element for element, cols in _SYNONYMS.items() for col in cols}


@dataclass(frozen=True)
class ColumnMapping:
    """A merged column mapping.

    ``columns``: column key -> element name, or ``None`` for a column to ignore.
    ``elements``: elements defined by mapping files (name -> NDPA category), not in the catalogue.
    ``ignored_by``: column key -> mapping file that said to ignore it (for warnings).
    """

    columns: dict[str, str | None]
    elements: dict[str, str] = field(default_factory=dict)
    ignored_by: dict[str, str] = field(default_factory=dict)


@dataclass
class DictionaryImport:
    """The result of :func:`import_dictionary`.

    ``inventory``: what to load. ``warnings``: accepted oddities (aliases, skipped rows,
    ignored columns), each naming file/row/field. ``recipients``: recipient actor id -> sorted
    element names it receives (all its rows). ``columns``: element column (header as written,
    whitespace-folded) -> element. ``category``: row (line) -> CATEGORY in force on that row.
    ``flow_rows``: flow id -> row (line) it came from.
    """

    inventory: Inventory
    warnings: list[Problem]
    recipients: dict[str, list[str]]
    columns: dict[str, str]
    category: dict[int, str] = field(default_factory=dict)
    flow_rows: dict[str, int] = field(default_factory=dict)


# --- identifiers ---------------------------------------------------------------------------

_KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/\-]*$")


def slug(text: str, *, max_length: int = 60) -> str:
    """An identifier from a name: ASCII-folded, lower-case, runs of non-alphanumerics -> '-'.

    ``'State Board of Education'`` -> ``'state-board-of-education'``. A name with no ASCII
    letter or digit becomes ``'recipient-<hash>'``; a long one is cut and given a hash suffix
    (so different long names keep different ids). Returns ``''`` only for blank text.
    """
    text = " ".join(text.split())
    if not text:
        return ""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    s = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    if not s:
        return f"recipient-{digest}"
    if len(s) > max_length:
        s = s[: max_length - 9].rstrip("-") + "-" + digest
    return s


#: Role guess, first match wins (bases of all the recipient's rows are considered together).
_ROLE_BY_BASIS: tuple[tuple[frozenset[LegalBasis], Role], ...] = (
    (frozenset({LegalBasis.JUVENILE_JUSTICE, LegalBasis.COURT_ORDER}), Role.COURT),
    (frozenset({LegalBasis.FEDERAL_REPORTING}), Role.FEDERAL),
    (frozenset({LegalBasis.AUDIT_EVALUATION, LegalBasis.STATE_LAW}), Role.STATE),
    (frozenset({LegalBasis.STUDIES}), Role.RESEARCHER),
    (frozenset({LegalBasis.OTHER_SCHOOL}), Role.SCHOOL),
    (frozenset({LegalBasis.HEALTH_SAFETY_EMERGENCY}), Role.EMERGENCY),
    (frozenset({LegalBasis.PARENT}), Role.PARENT),
    (frozenset({LegalBasis.CONSENT}), Role.OTHER),
)


def guess_role(bases: Iterable[LegalBasis], levels: Iterable[str] = ()) -> Role:
    """Guess a recipient's role from the FERPA exceptions and FEDERAL / STATE / LOCAL of its rows.

    First rule that matches wins:

    1. juvenile justice or court order -> ``court``;
    2. federal reporting -> ``federal``;
    3. audit/evaluation or state law, or any row marked ``State`` -> ``state``;
    4. studies -> ``researcher``;
    5. other school -> ``school``; health/safety emergency -> ``emergency``; parent -> ``parent``;
    6. written consent -> ``other`` (a party the parents chose, not a district contractor);
    7. otherwise (school official, directory information, child nutrition, ...) -> ``vendor``.

    A ``Federal`` level alone does not make a federal actor (e.g. a lunch vendor working under
    the federal child nutrition program).
    """
    bases = set(bases)
    is_state = any(" ".join(lv.lower().split()) == "state" for lv in levels)
    for group, role in _ROLE_BY_BASIS:
        if role is Role.STATE and is_state:
            return Role.STATE
        if bases & group:
            return role
    return Role.STATE if is_state else Role.VENDOR


# --- mapping files -------------------------------------------------------------------------

def _canonical_element(name: str, defined: dict[str, str]) -> str | None:
    """The catalogue / defined element named ``name`` (case and white space ignored), or None."""
    want = " ".join(name.split()).lower()
    for known in (*ELEMENT_CATEGORY, *defined):
        if known.lower() == want:
            return known
    return None


def _suggest(name: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=3, cutoff=0.6)
    return f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""


def _read_text(path: Path, problems: list[Problem]) -> str | None:
    """The file's text (UTF-8, BOM allowed), or None after adding a problem."""
    try:
        with open_regular(Path(path)) as fh:
            data = fh.read()
    except OSError as exc:
        problems.append(Problem(str(path), None, None,
                                f"cannot read the file ({exc.strerror or exc}); check the path"))
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(Problem(str(path), data.count(b"\n", 0, exc.start) + 1, None,
                                f"not UTF-8 text (byte {exc.start}); export the sheet as "
                                "'CSV UTF-8' (a spreadsheet file such as .xlsx is not accepted)"))
        return None


def _mapping_yaml(path: Path, text: str, problems: list[Problem],
                  extra_keys: frozenset[str] = frozenset()
                  ) -> tuple[list[tuple[int | None, str, Any]], list[tuple[int | None, Any, Any]]]:
    f = str(path)
    try:
        doc = load_yaml(text)
    except RecursionError:
        problems.append(Problem(f, None, None, TOO_DEEP))
        return [], []
    except (ValueError, TypeError, OverflowError) as exc:
        problems.append(Problem(f, None, None, f"not valid YAML: {exc}"))
        return [], []
    except yaml.YAMLError as exc:
        line, message = yaml_problem(exc)
        problems.append(Problem(f, line, None, message))
        return [], []
    if doc is None:
        return [], []
    if not isinstance(doc, dict):
        problems.append(Problem(f, None, None, "expected a mapping with keys 'columns' (column "
                                "-> element) and optionally 'elements' ([{name, category}])"))
        return [], []
    for key in doc:
        if key not in ("columns", "elements") and key not in extra_keys:
            problems.append(Problem(f, None, str(key), "unknown key; use 'columns' and 'elements'"))
    columns: list[tuple[int | None, str, Any]] = []
    elements: list[tuple[int | None, Any, Any]] = []
    cols = doc.get("columns") or {}
    if not isinstance(cols, dict):
        problems.append(Problem(f, None, "columns", "expected a mapping: column name -> element"))
    else:
        for col, element in cols.items():
            if isinstance(col, bool) or not isinstance(col, (str, int, float)):
                problems.append(Problem(f, None, "columns", f"column name {col!r} is not text; "
                                        "quote it"))
                continue
            columns.append((None, str(col), element))
    elems = doc.get("elements") or []
    if not isinstance(elems, list):
        problems.append(Problem(f, None, "elements", "expected a list of {name, category}"))
    else:
        for i, item in enumerate(elems):
            if not isinstance(item, dict) or set(item) - {"name", "category"}:
                problems.append(Problem(f, None, f"elements[{i}]",
                                        "expected {name: ..., category: ...}"))
                continue
            elements.append((None, item.get("name"), item.get("category")))
    return columns, elements


def _mapping_csv(path: Path, text: str, problems: list[Problem]
                 ) -> tuple[list[tuple[int | None, str, Any]], list[tuple[int | None, Any, Any]]]:
    f = str(path)
    columns: list[tuple[int | None, str, Any]] = []
    elements: list[tuple[int | None, Any, Any]] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    end = 0
    try:
        for record in reader:
            start, end = end + 1, reader.line_num
            cells = [c.strip() for c in record]
            if not any(cells):
                continue
            if header is None:
                header = [column_key(c) for c in cells]
                missing = [c for c in ("column", "element") if c not in header]
                if missing:
                    problems.append(Problem(f, start, None, "the header must name the columns "
                                            "'column' and 'element' (and optionally 'category'); "
                                            f"missing: {', '.join(missing)}"))
                    return [], []
                continue
            row = dict(zip(header, cells))
            col, element, category = row.get("column", ""), row.get("element", ""), row.get(
                "category", "")
            if not col:
                problems.append(Problem(f, start, "column", "no column name"))
                continue
            columns.append((start, col, element or None))
            if category:
                elements.append((start, element, category))
    except csv.Error as exc:
        problems.append(Problem(f, reader.line_num or None, None, f"not readable as CSV: {exc}"))
    return columns, elements


def load_mapping(paths: Iterable[Path] = (), *, extra_keys: Iterable[str] = ()) -> ColumnMapping:
    """Merge :data:`DEFAULT_COLUMN_MAPPING` with mapping files, later files overriding earlier.

    A mapping file is YAML (``.yaml``/``.yml``)::

        columns: {"My Col": "Date of Birth", "Locker": "Locker number", "Comments": null}
        elements: [{name: "Locker number", category: "Other"}]

    or CSV (``.csv``) with a header ``column,element`` and an optional ``category`` column
    (a row with a category defines its element). An element must be an NDPA catalogue element
    (:data:`lineage.core.vocabulary.ELEMENT_CATEGORY`, case ignored) or be defined with an NDPA
    category in a mapping file. An empty element (YAML ``null``, blank CSV cell) means "not an
    element column: ignore it" (reported as a warning on import).

    ``extra_keys``: further top-level YAML keys a caller's own file format adds (the
    OpenLineage mapping's ``datasets``); they are left to that caller.

    Raises :class:`InputError` listing every problem of every file.
    """
    problems: list[Problem] = []
    extra = frozenset(extra_keys)
    parsed: list[tuple[str, list, list]] = []
    for path in paths:
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in (".yaml", ".yml", ".csv"):
            problems.append(Problem(str(path), None, None,
                                    "unknown mapping file type; use .yaml, .yml or .csv"))
            continue
        text = _read_text(path, problems)
        if text is None:
            continue
        cols, elems = (_mapping_csv(path, text, problems) if suffix == ".csv"
                       else _mapping_yaml(path, text, problems, extra))
        parsed.append((str(path), cols, elems))

    defined: dict[str, str] = {}
    for f, _, elems in parsed:
        for row, name, category in elems:
            if not isinstance(name, str) or not name.strip():
                problems.append(Problem(f, row, "name", "an element needs a name"))
                continue
            name = " ".join(name.split())
            if not isinstance(category, str) or category.strip() not in NDPA_CATEGORIES:
                problems.append(Problem(f, row, "category",
                                        f"element {name!r}: category {category!r} is not an NDPA "
                                        f"category{_suggest(str(category), NDPA_CATEGORIES)}; use "
                                        f"one of: {', '.join(NDPA_CATEGORIES)}"))
                continue
            category = category.strip()
            known = _canonical_element(name, {})
            if known is not None:
                if ELEMENT_CATEGORY[known] != category:
                    problems.append(Problem(f, row, "category",
                                            f"{known!r} is a catalogue element of category "
                                            f"{ELEMENT_CATEGORY[known]!r}; do not redefine it"))
                continue
            if name in defined and defined[name] != category:
                problems.append(Problem(f, row, "category", f"element {name!r} is already "
                                        f"defined with category {defined[name]!r}"))
                continue
            defined[name] = category

    columns: dict[str, str | None] = dict(DEFAULT_COLUMN_MAPPING)
    ignored_by: dict[str, str] = {}
    for f, cols, _ in parsed:
        for row, col, element in cols:
            key = column_key(col)
            if not key:
                problems.append(Problem(f, row, "column", "no column name"))
                continue
            if element is None or (isinstance(element, str) and not element.strip()):
                columns[key] = None
                ignored_by[key] = f
                continue
            if not isinstance(element, str):
                problems.append(Problem(f, row, col, f"element {element!r} is not text"))
                continue
            canonical = _canonical_element(element, defined)
            if canonical is None:
                problems.append(Problem(
                    f, row, col,
                    f"unknown element {element.strip()!r}"
                    f"{_suggest(element.strip(), [*ELEMENT_CATEGORY, *defined])}; use an NDPA "
                    "catalogue element or define it under 'elements' with a category"))
                continue
            columns[key] = canonical
            ignored_by.pop(key, None)
    if problems:
        raise InputError(problems, hint="fix the mapping file(s) given with --mapping")
    return ColumnMapping(columns=columns, elements=defined, ignored_by=ignored_by)


# --- the sheet -----------------------------------------------------------------------------

def _sniff_delimiter(text: str) -> str:
    """``,``, ``;`` or tab, sniffed on the first KB; comma when the sniffer cannot tell."""
    try:
        return csv.Sniffer().sniff(text[:SNIFF_BYTES], delimiters=",;\t").delimiter
    except Exception:  # noqa: BLE001 - sniffing is a heuristic; any failure means "use comma"
        return ","


def _fixed_role(key: str) -> str | None:
    for role, keys in FIXED_COLUMNS.items():
        if key in keys:
            return role
    if key.startswith("purpose"):
        return "PURPOSE/DESCRIPTION"
    return None


@dataclass
class _Row:
    line: int
    cells: list[str]


def _records(path: Path, text: str, problems: list[Problem], delimiter: str) -> list[_Row]:
    """Non-empty records with the line each starts on. A CSV error is a problem (reading stops)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[_Row] = []
    end = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem(str(path), end + 1, None, f"not readable as CSV: {exc}; "
                                    "export the sheet again as CSV"))
            break
        start, end = end + 1, reader.line_num
        cells = [" ".join(c.split()) for c in record]
        if any(cells):
            rows.append(_Row(start, cells))
    return rows


def _find_header(rows: list[_Row]) -> int | None:
    """Index of the first record with a DATA RECIPIENT cell (within HEADER_SEARCH_ROWS), or None."""
    return next((i for i, r in enumerate(rows[:HEADER_SEARCH_ROWS])
                 if any(_fixed_role(column_key(c)) == "DATA RECIPIENT" for c in r.cells)), None)


def _listed(noun: str, items: list[str], most: int = 10) -> str:
    """``"column 'A'"`` / ``"rows 3, 4, 5 and 12 more"``: at most ``most`` items named."""
    head = ", ".join(items[:most]) + (f" and {len(items) - most} more" if len(items) > most else "")
    return f"{noun}{'s' if len(items) != 1 else ''} {head}"


def _read_sheet(path: Path, text: str, problems: list[Problem]) -> tuple[list[_Row], int | None]:
    """Records and the header's index. The sniffed delimiter is tried first; when no header is
    found with it, the other delimiters (``,``, ``;``, tab) are tried in turn."""
    sniffed = _sniff_delimiter(text)
    first: tuple[list[_Row], list[Problem]] | None = None
    for delimiter in dict.fromkeys((sniffed, ",", ";", "\t")):
        found: list[Problem] = []
        rows = _records(path, text, found, delimiter)
        header_at = _find_header(rows)
        if header_at is not None:
            problems.extend(found)
            return rows, header_at
        if first is None:
            first = (rows, found)
    assert first is not None
    problems.extend(first[1])
    return first[0], None


def import_dictionary(path: Path, district_id: str, *, district_name: str | None = None,
                      mapping_files: Iterable[Path] = ()) -> DictionaryImport:
    """Read a district metadata dictionary CSV into an :class:`Inventory` (see the module doc).

    ``path``: the CSV export. ``district_id``: the district actor's id (an identifier, e.g.
    ``cedar-valley``); ``district_name``: its display name. ``mapping_files``: YAML/CSV mapping
    files extending :data:`DEFAULT_COLUMN_MAPPING` (see :func:`load_mapping`).

    Returns a :class:`DictionaryImport`. Raises :class:`InputError` listing every problem of the
    sheet and the mapping files (unmapped columns, bad marks, unknown FERPA exceptions, missing
    recipients, ...), each with file, row, field and what to do. Never raises anything else.
    """
    path = Path(path)
    f = str(path)
    problems: list[Problem] = []
    warnings: list[Problem] = []

    if not isinstance(district_id, str) or not _KEY_RE.match(district_id.strip()) \
            or len(district_id.strip()) > 64:
        problems.append(Problem(f, None, "district", f"district id {district_id!r} is not an "
                                "identifier: use 1-64 letters, digits, '.', '_', '-' "
                                "(e.g. 'cedar-valley')"))
        district_id = "district"
    district_id = district_id.strip()

    try:
        mapping = load_mapping(mapping_files)
    except InputError as exc:
        problems.extend(exc.problems)
        mapping = ColumnMapping(columns=dict(DEFAULT_COLUMN_MAPPING))

    text = _read_text(path, problems)
    n_before = len(problems)
    rows, header_at = _read_sheet(path, text, problems) if text is not None else ([], None)
    if text is not None and not rows and len(problems) == n_before:
        problems.append(Problem(f, None, None, "the file is empty; export the metadata "
                                "dictionary sheet with its header row"))

    # header: the first record naming DATA RECIPIENT
    if rows and header_at is None:
        problems.append(Problem(f, rows[0].line, None, "no header row: no cell reads 'DATA "
                                f"RECIPIENT' in the first {HEADER_SEARCH_ROWS} rows; the header "
                                "must name the DATA RECIPIENT and FERPA EXCEPTION columns"))
    if header_at is None:
        raise InputError(problems)
    if header_at:
        skipped = rows[:header_at]
        warnings.append(Problem(f, skipped[0].line, None, f"{len(skipped)} row(s) above the "
                                f"header (lines {skipped[0].line}-{skipped[-1].line}) skipped"))
    header_row = rows[header_at]
    data = rows[header_at + 1:]
    header = header_row.cells
    hline = header_row.line

    fixed: dict[str, int] = {}                  # role -> column index
    element_cols: dict[int, str | None] = {}    # index -> element (None = unmapped)
    unnamed: list[int] = []
    seen: dict[str, int] = {}
    unmapped: list[str] = []
    for i, name in enumerate(header):
        if not name:
            unnamed.append(i)
            continue
        key = column_key(name)
        if key in seen:
            problems.append(Problem(f, hline, name, f"column name used twice (columns "
                                    f"{seen[key] + 1} and {i + 1}); rename or delete one"))
            continue
        seen[key] = i
        role = _fixed_role(key)
        if role is not None:
            if role in fixed:
                problems.append(Problem(f, hline, name, f"a second {role} column (first: "
                                        f"'{header[fixed[role]]}'); delete one"))
            else:
                fixed[role] = i
            continue
        if key in mapping.columns and mapping.columns[key] is None:
            warnings.append(Problem(f, hline, name, "column ignored (mapping file "
                                    f"{mapping.ignored_by.get(key, '?')} says it is not an "
                                    "element column)"))
            continue
        element = mapping.columns.get(key)
        element_cols[i] = element
        if element is None:
            unmapped.append(name)
    for role in REQUIRED_COLUMNS:
        if role not in fixed:
            problems.append(Problem(f, hline, role, f"no {role} column; the header must have one"))
    for name in unmapped:
        guess = difflib.get_close_matches(column_key(name), list(DEFAULT_COLUMN_MAPPING), n=1,
                                          cutoff=0.75)
        hint = (f" (close to '{guess[0]}' = {DEFAULT_COLUMN_MAPPING[guess[0]]!r})"
                if guess else "")
        problems.append(Problem(
            f, hline, name,
            f"column is not mapped to a data element{hint}; add it to a mapping file passed with "
            f"--mapping (YAML: columns: {{\"{name}\": <element>}}, or CSV: column,element)"))
    if not element_cols and header_at is not None and not unmapped:
        problems.append(Problem(f, hline, None, "no element columns: the sheet must have one "
                                "column per data element (X = shared)"))

    def cell(row: _Row, role: str) -> str:
        i = fixed.get(role)
        return row.cells[i] if i is not None and i < len(row.cells) else ""

    # rows
    width = len(header)
    category_now = ""
    categories: dict[int, str] = {}
    flows: list[dict[str, Any]] = []
    flow_rows: dict[str, int] = {}
    unnamed_reported: set[int] = set()
    # a mark not understood -> (its column indexes, its rows), each in first-seen order
    unknown_marks: dict[str, tuple[dict[int, None], dict[int, None]]] = {}
    order_i = fixed.get("ORDER")
    for row in data:
        if not any(c for i, c in enumerate(row.cells) if i != order_i):
            continue                        # empty, or a numbered template row
        for i, c in enumerate(row.cells):
            if not c:
                continue
            if i >= width:
                problems.append(Problem(f, row.line, f"column {i + 1}", "a cell to the right of "
                                        "the last named column; name the column or delete it"))
                break
            if i in unnamed and i not in unnamed_reported:
                unnamed_reported.add(i)
                problems.append(Problem(f, row.line, f"column {i + 1}", "a cell under a column "
                                        "without a name; name the column in the header"))
        if cell(row, "CATEGORY"):
            category_now = cell(row, "CATEGORY")
        if category_now:
            categories[row.line] = category_now

        recipient = cell(row, "DATA RECIPIENT")
        if not recipient and "DATA RECIPIENT" in fixed:
            problems.append(Problem(f, row.line, header[fixed["DATA RECIPIENT"]],
                                    "no recipient; write who receives the data"))

        basis: LegalBasis | None = None
        raw_basis = cell(row, "FERPA EXCEPTION")
        if "FERPA EXCEPTION" in fixed:
            bfield = header[fixed["FERPA EXCEPTION"]]
            if not raw_basis:
                problems.append(Problem(f, row.line, bfield, "no FERPA exception; write the "
                                        "exception the disclosure relies on (e.g. 'School "
                                        "Official', 'Studies', 'Written Parental Consent')"))
            else:
                try:
                    basis, alias = parse_basis(raw_basis)
                except ValueError as exc:
                    problems.append(Problem(f, row.line, bfield, str(exc)))
                else:
                    if alias:
                        written = basis.label[:1].upper() + basis.label[1:]
                        warnings.append(Problem(f, row.line, bfield,
                                                f"{raw_basis!r} read as {basis.value!r} (alias); "
                                                f"write '{written}' to silence this warning"))

        elements: set[str] = set()
        marked = unknown = False
        for i, element in element_cols.items():
            mark = row.cells[i] if i < len(row.cells) else ""
            shared = parse_mark(mark)
            if shared:
                marked = True
                if element is not None:
                    elements.add(element)
            elif shared is None:
                unknown = True
                seen_mark = unknown_marks.setdefault(mark.strip(), ({}, {}))
                seen_mark[0].setdefault(i, None)
                seen_mark[1].setdefault(row.line, None)
        if element_cols and not marked and not unknown:
            problems.append(Problem(f, row.line, None, "no element marked; mark with X the "
                                    "elements this recipient receives, or delete the row"))

        order = cell(row, "ORDER")
        suffix = slug(order, max_length=40) if order else str(row.line)
        flow_id = f"{district_id}-dict-{suffix}"
        if flow_id in flow_rows:
            ofield = header[order_i] if order_i is not None else "ORDER"
            problems.append(Problem(f, row.line, ofield, f"ORDER {order or row.line!r} gives the "
                                    f"same flow id as row {flow_rows[flow_id]}; make ORDER unique "
                                    "(or leave it blank to use the line number)"))
        flow_rows.setdefault(flow_id, row.line)
        flows.append({"id": flow_id, "line": row.line, "recipient": recipient, "basis": basis,
                      "level": cell(row, "FEDERAL / STATE / LOCAL"),
                      "purpose": cell(row, "PURPOSE/DESCRIPTION") or None,
                      "population": cell(row, "STUDENT POPULATION") or None,
                      "elements": sorted(elements)})
    for mark, (cols, lines) in unknown_marks.items():
        problems.append(Problem(f, next(iter(lines)), header[next(iter(cols))], (
            f"mark {mark!r} not understood "
            f"({_listed('column', [repr(header[c]) for c in sorted(cols)])}; "
            f"{_listed('row', [str(n) for n in lines])}): write X (or Y, yes, true, 1, a check "
            "mark) when the element is shared, leave the cell blank (or 0, no, false) if not")))
    if not flows and not problems:
        problems.append(Problem(f, hline, None, "no data rows under the header; one row per "
                                "recipient and purpose is expected"))

    # recipients
    by_name: dict[str, dict[str, Any]] = {}
    name_of_slug: dict[str, tuple[str, int]] = {}
    for fl in flows:
        name = fl["recipient"]
        if not name:
            continue
        if name not in by_name:
            rid = slug(name)
            if rid in name_of_slug:
                other, line = name_of_slug[rid]
                problems.append(Problem(f, fl["line"], header[fixed["DATA RECIPIENT"]],
                                        f"recipient {name!r} gets the same id {rid!r} as {other!r} "
                                        f"(row {line}); write the name the same way on every row"))
            elif rid == district_id:
                problems.append(Problem(f, fl["line"], header[fixed["DATA RECIPIENT"]],
                                        f"recipient {name!r} gets the district's own id {rid!r}; "
                                        "use another --district id or recipient name"))
            name_of_slug.setdefault(rid, (name, fl["line"]))
            by_name[name] = {"id": rid, "flows": []}
        by_name[name]["flows"].append(fl)

    if problems:
        raise InputError(problems, hint="fix the sheet (or add a mapping file with --mapping) "
                         "and import again")

    used = sorted({e for e in element_cols.values() if e is not None})
    sis_id = f"{district_id}-sis"
    dname = " ".join(district_name.split()) if district_name else None
    label = dname or district_id
    recipients: dict[str, list[str]] = {}
    try:
        actors = [Actor(id=district_id, name=dname, role=Role.DISTRICT)]
        datasets = [Dataset(id=sis_id, name=f"{label} student information system",
                            holder=district_id, granularity=Granularity.STUDENT,
                            purpose="district student records (source of every disclosure in "
                            "the metadata dictionary)", elements=used,
                            coverage=[Coverage(org=district_id)])]
        out_flows: list[Flow] = []
        for name, rec in by_name.items():
            rflows = rec["flows"]
            rid = rec["id"]
            role = guess_role([fl["basis"] for fl in rflows], [fl["level"] for fl in rflows])
            actors.append(Actor(id=rid, name=name, role=role))
            ds_id = f"{district_id}--{rid}"
            purposes = list(dict.fromkeys(fl["purpose"] for fl in rflows if fl["purpose"]))
            pops = list(dict.fromkeys(fl["population"] for fl in rflows if fl["population"]))
            datasets.append(Dataset(id=ds_id, name=f"{name}: data from {label}", holder=rid,
                                    granularity=Granularity.STUDENT,
                                    purpose="; ".join(purposes) or None,
                                    population="; ".join(pops) or None))
            recipients[rid] = sorted({e for fl in rflows for e in fl["elements"]})
            for fl in rflows:
                out_flows.append(Flow(id=fl["id"], kind=FlowKind.DISCLOSURE,
                                      operation=Operation.COPY, source=sis_id, target=ds_id,
                                      elements=fl["elements"], legal_basis=fl["basis"],
                                      purpose=fl["purpose"], population=fl["population"]))
        out_flows.sort(key=lambda fl: flow_rows[fl.id])
        extra = [ElementDef(name=e, category=mapping.elements[e])
                 for e in used if e in mapping.elements]
        inventory = Inventory(name=f"Metadata dictionary of {label} ({path.name})",
                              elements=extra, actors=actors, datasets=datasets, flows=out_flows)
    except ValidationError as exc:
        raise InputError([Problem(f, None, loc or None,
                                  f"{msg} (an id built from the sheet or --district is "
                                  "not valid; shorten or simplify it)")
                          for loc, msg in pydantic_errors(exc)]) from None

    columns = {header[i]: e for i, e in element_cols.items() if e is not None}
    return DictionaryImport(inventory=inventory, warnings=warnings, recipients=recipients,
                            columns=columns, category=categories, flow_rows=flow_rows)
