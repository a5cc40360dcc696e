"""What the format parsers share: the parsed-source contract, dates, CSV headers, identifiers,
organisations and the rule for people's actor ids.

A format parser (:mod:`lineage.sources.oneroster`, :mod:`lineage.sources.edfi`,
:mod:`lineage.sources.openlineage`) is pure: it reads its files and returns a
:class:`ParsedSource`, never touching the graph or the pseudonym key. Its bulk rows are plain
dicts with exactly the columns of the native bulk kinds (:data:`NATIVE_COLUMNS`), values as the
native CSV holds them: text, ISO dates (``YYYY-MM-DD``, ``""`` = open end) and **raw** student
IDs in ``student_id`` (the loader hashes them, :mod:`lineage.core.pseudonym`).

People other than students become actors, and their ids are person identifiers too. The rule
(the same for every format): a teacher's actor id is ``staff:`` + the source's staff identifier,
a guardian's ``parent:`` + the source's parent/contact identifier (:func:`person_key`). The
prefix keeps them apart from organisation ids (Ed-Fi school and staff ids are both numbers)
and tells a reader what the id is; no name, e-mail, username or phone of anyone is ever read.
A staff or parent identifier is not a student's: FERPA's school-official and parent entries
name the party (34 CFR §99.32(a)(3)), so these ids stay readable in answers.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Protocol, get_args

from lineage.core.errors import Problem
from lineage.core.models import Actor, BulkKind, Inventory, Key
from lineage.core.vocabulary import Role
from lineage.sources.bulk import BULK, PARENT_PREFIX, STAFF_PREFIX  # noqa: F401 (re-exported)
from lineage.sources.inventory import parse_date as parse_iso_date

#: The columns of each native bulk kind, in the native CSV's order (required, then optional).
NATIVE_COLUMNS: dict[BulkKind, tuple[str, ...]] = {k: s.columns for k, s in BULK.items()}
_NATIVE_SETS = {k: frozenset(v) for k, v in NATIVE_COLUMNS.items()}

#: The pattern and length of an identifier (:data:`lineage.core.models.Key`).
_KEY_CONSTRAINTS = get_args(Key)[1]
KEY_RE = re.compile(_KEY_CONSTRAINTS.pattern)
KEY_MAX = _KEY_CONSTRAINTS.max_length

@dataclass(frozen=True)
class Fragment:
    """Rows of one bulk kind that a parser has already written as native CSV lines (no
    header; the columns of :data:`NATIVE_COLUMNS` in order), e.g. by a child process converting
    part of a large file: ``path`` holds ``rows`` rows. The consumer appends the file where
    the rows would have been written one by one."""

    kind: BulkKind
    path: Path
    rows: int


#: A row of a parser: ``(kind, native row dict)``, a :class:`Fragment` of rows already written,
#: or a :class:`Problem` with the input.
RowItem = tuple[BulkKind, dict[str, str]] | Fragment | Problem


class ParsedSource(Protocol):
    """What a format parser returns.

    ``origin``: the input as the user named it (for messages). ``warnings``: accepted oddities,
    each naming file, row and field (never a value of a student-bearing file). ``notes``: one
    line each for the load summary (counts, skipped rows).

    :meth:`rows` streams the bulk rows in one pass over the files: ``(BulkKind, dict)`` per
    row (or a :class:`Fragment` of rows already written), or a
    :class:`~lineage.core.errors.Problem` per bad row (problems of the whole input come
    first). :meth:`inventory` is the :class:`~lineage.core.models.Inventory` (actors, sections,
    datasets, flows...) without bulk files; it is complete once :meth:`rows` is exhausted
    (a format may learn sections from its rows). A parser that converts part of its input in
    other processes may also have an ``on_rows`` attribute, which the consumer sets to a
    callable taking the rows converted there so far (progress;
    :func:`lineage.sources.native.write_native` does).
    """

    origin: str
    warnings: list[Problem]
    notes: list[str]

    def rows(self) -> Iterator[RowItem]: ...

    def inventory(self) -> Inventory: ...

    def close(self) -> None: ...


_ISO: dict[date, str] = {}


def _text(v: str | date | None) -> str:
    if v is None:
        return ""
    if isinstance(v, date):
        s = _ISO.get(v)
        if s is None:
            s = v.isoformat()
            if len(_ISO) < 100_000:
                _ISO[v] = s
        return s
    return str(v)


def native_row(kind: BulkKind, **values: str | date | None) -> tuple[BulkKind, dict[str, str]]:
    """A native bulk row of ``kind``: every column of :data:`NATIVE_COLUMNS` present, dates
    as ISO text, ``None`` as ``""``. Raises ``KeyError`` for a column the kind does not have."""
    cols = NATIVE_COLUMNS[kind]
    if not _NATIVE_SETS[kind].issuperset(values):
        raise KeyError(f"{kind.value} has no column {sorted(set(values) - set(cols))}")
    row = dict.fromkeys(cols, "")
    for column, value in values.items():
        if value is not None:
            row[column] = value if type(value) is str else _text(value)
    return kind, row


# --- dates ---------------------------------------------------------------------------------

_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


@lru_cache(maxsize=8192)
def parse_date(text: str) -> tuple[date | None, bool]:
    """Read a date as exports write it: ``(date, written_as_us_date)``; empty text -> ``(None, False)``.

    Accepted: ISO ``YYYY-MM-DD``; an ISO date-time (``2023-01-05T10:00:00.000Z``, its own date
    is kept); a US date ``M/D/YYYY`` with or without leading zeros (``1/05/2023`` = 5 January
    2023), flagged ``True`` so that the caller can warn. Surrounding white space is ignored.
    Raises ``ValueError`` (a message that does not repeat the text) for anything else,
    including two-digit years and impossible days. Cached: exports repeat a few dates.
    """
    text = text.strip()
    if not text:
        return None, False
    m = _US_DATE.fullmatch(text)
    if m:
        month, day, year = (int(g) for g in m.groups())
        try:
            return date(year, month, day), True
        except ValueError:
            raise ValueError("not a date: month/day/year out of range; write ISO dates "
                             "(YYYY-MM-DD)") from None
    return parse_iso_date(text), False


@dataclass
class UsDates:
    """Rows whose dates were read as US month/day/year, per (file, field): one warning each."""

    rows: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    counts: dict[tuple[str, str], int] = field(default_factory=dict)

    def add(self, file: str, fld: str, row: int) -> None:
        """Note that ``row`` of ``file`` has a US date in ``fld``."""
        key = (file, fld)
        self.counts[key] = self.counts.get(key, 0) + 1
        first = self.rows.setdefault(key, [])
        if len(first) < 5:
            first.append(row)

    def warnings(self) -> list[Problem]:
        """One warning per (file, field) naming its rows once, never the values: a single row
        is the warning's row (``..., row 5, field 'beginDate': US date read as month/day/year;
        ...``); several are listed in the text (``..., field 'beginDate': US dates read as
        month/day/year in rows 5, 9 and 3 more; ...``)."""
        out = []
        fix = "write ISO dates (YYYY-MM-DD) to silence this warning"
        for (file, fld), rows in self.rows.items():
            n = self.counts[(file, fld)]
            if n == 1:
                out.append(Problem(file, rows[0], fld, f"US date read as month/day/year; {fix}"))
                continue
            more = f" and {n - len(rows)} more" if n > len(rows) else ""
            out.append(Problem(file, None, fld, (
                f"US dates read as month/day/year in rows {', '.join(map(str, rows))}{more}; "
                f"{fix}")))
        return out


# --- CSV headers ---------------------------------------------------------------------------

@dataclass
class Header:
    """A CSV header matched against a format's field names.

    ``index``: canonical field name -> column position. ``ignored``: header cells that are not
    fields of the format (kept for a warning; ``ext_`` extension columns and blank trailing
    cells are ignored silently). ``problems``: duplicate or missing required fields.
    """

    index: dict[str, int]
    ignored: list[str]
    problems: list[Problem]

    def get(self, cells: list[str], name: str) -> str:
        """The stripped cell of field ``name`` in a record (``""`` when absent or short)."""
        i = self.index.get(name)
        if i is None or i >= len(cells):
            return ""
        return cells[i].strip()


def read_header(cells: Iterable[str], fields: Iterable[str], required: Iterable[str],
                file: str, line: int = 1) -> Header:
    """Match header ``cells`` to ``fields`` (a format's field names), in any order and case.

    White space around a cell and a byte-order mark are ignored; cells starting with ``ext_``
    (case ignored: OneRoster's extension columns) and blank cells (spreadsheets' trailing empty
    columns) are skipped. A field named twice and a ``required`` field missing are problems
    (file, ``line``, field). Never raises.
    """
    canon = {f.lower(): f for f in fields}
    index: dict[str, int] = {}
    ignored: list[str] = []
    problems: list[Problem] = []
    for i, raw in enumerate(cells):
        cell = raw.replace("\ufeff", "").strip()
        if not cell or cell.lower().startswith("ext_"):
            continue
        name = canon.get(cell.lower())
        if name is None:
            ignored.append(cell)
            continue
        if name in index:
            problems.append(Problem(file, line, name, f"column named twice (columns "
                                    f"{index[name] + 1} and {i + 1}); delete one"))
            continue
        index[name] = i
    for name in required:
        if name not in index:
            problems.append(Problem(file, line, name, "required column missing from the header"))
    return Header(index, ignored, problems)


# --- identifiers ---------------------------------------------------------------------------

def is_key(text: str) -> bool:
    """True when ``text`` is a valid identifier (:data:`lineage.core.models.Key`)."""
    return 0 < len(text) <= KEY_MAX and KEY_RE.match(text) is not None


def person_key(prefix: str, raw: str) -> str | None:
    """The actor id of a person: ``prefix + raw`` (``staff:T123``), or ``None`` when that is not
    a valid identifier (spaces, other characters, too long); the caller reports it without
    echoing ``raw``."""
    key = prefix + raw.strip()
    return key if raw.strip() and is_key(key) else None


_UNSAFE = re.compile(r"[^A-Za-z0-9._:\-]")
#: How a hashed id of :func:`compose_key` ends.
_HASHED = re.compile(r"-[0-9a-f]{10}$")


def compose_key(*parts: str, max_length: int = 100) -> str:
    """An identifier built from several parts (an Ed-Fi section's natural key, an
    OpenLineage dataset): the parts joined with ``/``, characters an identifier cannot hold
    replaced by ``_``. When anything was replaced, a part held ``/``, the text is longer than
    ``max_length``, or it ends like a hashed id (``-`` and 10 hex digits), a 10-hex-digit hash of
    the exact parts is appended, so different inputs keep different ids (an id written as is
    can never equal a hashed one). Deterministic."""
    clean = [_UNSAFE.sub("_", p.strip()) for p in parts]
    text = "/".join(clean)
    exact = (all(c == p for c, p in zip(clean, parts)) and text[:1].isalnum()
             and _HASHED.search(text) is None)
    if exact and len(text) <= max_length:
        return text
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:10]
    head = text[: max_length - 11].strip("_/.:-") or "id"
    if not head[:1].isalnum():
        head = "id-" + head
    return f"{head}-{digest}"


# --- organisations -------------------------------------------------------------------------

@dataclass
class OrgRecord:
    """An organisation read from an export: its id in the export, display name, parent id
    (``None`` when it names none or names an organisation of another kind), and where it was
    read (file, row)."""

    id: str
    name: str | None
    parent: str | None
    file: str
    row: int | None


def organisation_actors(districts: list[OrgRecord], schools: list[OrgRecord],
                        district: str | None, *, known_parents: set[str] = frozenset(),
                        origin: str) -> tuple[list[Actor], dict[str, str], list[Problem]]:
    """Districts and schools of an export as actors (roles ``district`` / ``school``).

    ``district`` is the ``--district ID`` the user gave. Rules (the same for every format):

    * exactly one district in the export and ``district`` given: that district becomes actor
      ``district`` (its name kept); none: actor ``district`` is created (named by its id) when a
      school needs it; more than one: a problem (omit ``--district`` to keep their own ids);
    * ``district`` not given: each district keeps its own id; a school without a district
      parent is then a problem (nothing says which district it belongs to);
    * a school is ``part_of`` its parent district (renamed as above); a school whose parent is
      not a district of the export but an id in ``known_parents`` (an organisation of another
      type) or none joins ``district``; a parent id the export does not hold at all is kept as
      it is (the graph may hold that district; :func:`lineage.sources.inventory.validate` checks it).

    Returns ``(actors, renamed, problems)``; ``renamed`` maps an export id to its actor id
    where they differ.
    """
    problems: list[Problem] = []
    renamed: dict[str, str] = {}
    actors: list[Actor] = []
    if district is not None and not is_key(district):
        problems.append(Problem("(command line)", None, "--district", (
            f"{district!r} is not an identifier: use letters, digits, '.', '_', '-', ':', '/' "
            "(e.g. 'cedar-valley-sd')")))
        district = None
    district_ids = {d.id for d in districts}
    if district is not None and len(districts) > 1:
        problems.append(Problem(origin, None, "--district", (
            f"the export holds {len(districts)} districts "
            f"({', '.join(sorted(district_ids)[:5])}{', ...' if len(districts) > 5 else ''}); "
            "--district names one district: omit it to keep each district's own id")))
    elif district is not None and len(districts) == 1:
        renamed[districts[0].id] = district
    for d in districts:
        actors.append(Actor(id=renamed.get(d.id, d.id), name=d.name, role=Role.DISTRICT))
    orphans = False
    for s in schools:
        parent = s.parent
        if parent is not None and parent not in district_ids and parent in known_parents:
            parent = None
        if parent is None:
            if district is None:
                problems.append(Problem(s.file, s.row, "parent", (
                    f"school {s.id!r} names no district of the export; give --district ID "
                    "(the district actor the schools belong to)")))
            else:
                parent = district
                orphans = True
        actors.append(Actor(id=s.id, name=s.name, role=Role.SCHOOL,
                            part_of=renamed.get(parent, parent) if parent else None))
    if district is not None and not districts and orphans:
        actors.insert(0, Actor(id=district, role=Role.DISTRICT))
    return actors, renamed, problems
