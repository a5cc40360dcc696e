"""Reading and validating inventory files (YAML/JSON) and bulk CSVs, before anything is written.

:func:`read_inventory` parses one file into an :class:`InventorySource`; :func:`validate`
checks a set of sources together (duplicate IDs, references between files and to what the
graph already holds, element names, every bulk CSV row) and raises one :class:`InputError`
listing **every** problem with its file, row and field. Bulk CSVs are streamed
(:func:`iter_bulk_rows`): a million rows never become a million objects.

Rules that keep bad input a clear refusal (issue 11):

* Only regular files are read (:func:`open_regular`): a FIFO, a device or a folder given as an
  inventory or bulk path is refused instead of blocking the loader.
* Each bulk file is hashed (SHA-256) as it is validated (:class:`FileStamp` in
  :attr:`Catalog.files`); the loader refuses to write a file that changed since.
* IDs read from bulk files are normalised like typed IDs (Unicode NFC, surrounding white space
  removed: :func:`lineage.core.pseudonym.normalise_id`).
* A value read from a row of a file that holds student IDs (every bulk kind but ``teaching``) is
  never echoed in a message: the problem names the row and the column instead. A student ID
  that is also the ID of an actor, teacher or guardian of the load (swapped or shifted columns)
  is refused, as is a teacher or guardian ID that is a student's ID in the graph.
* Roles are checked against the graph too: an actor an earlier load made a vendor never becomes
  a parent or a teacher through a bulk file.
* A header-only CSV is a warning (:attr:`Catalog.warnings`); an inventory that defines nothing
  is refused; impossible YAML dates and data nested too deeply are input errors.
"""

from __future__ import annotations

import csv
import difflib
import errno
import hashlib
import io
import itertools
import json
import os
import re
import stat
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import yaml
from pydantic import ValidationError

from lineage.core.errors import InputError, Problem, pydantic_errors
from lineage.core.models import STUDENT_ID_MAX, BulkFile, BulkKind, Inventory
from lineage.core.pseudonym import normalise_id
from lineage.core.vocabulary import (
    ACCESS_ACTIONS,
    ELEMENT_CATEGORY,
    ORGANISATION_ROLES,
    Role,
)
from lineage.core.windows import parse_day
from lineage.sources.bulk import BULK, BULK_ORDER, person_id


def bulk_in_order(sources: list[InventorySource]) -> list[tuple[InventorySource, BulkFile]]:
    """Every bulk file of the sources as ``(source, file)``, in :data:`BULK_ORDER` (stable)."""
    pairs = [(src, b) for src in sources for b in src.inventory.bulk]
    return sorted(pairs, key=lambda sb: BULK_ORDER.index(sb[1].kind))

MAX_PROBLEMS = 200


@dataclass
class InventorySource:
    """One parsed inventory: the model, the file it came from (for messages) and the folder
    its bulk CSV paths are relative to. ``source``: the source name the load records for what
    this input asserts (``--source``; ``None``: named by
    :func:`lineage.sources.provenance.default_source_name` from ``origin``); ``kind``: the kind
    of input (:data:`lineage.sources.provenance.SOURCE_KINDS`); ``partial``: the input is a
    delta, which ``--snapshot`` refuses."""

    inventory: Inventory
    origin: str
    base_dir: Path
    warnings: list[Problem] = field(default_factory=list)
    source: str | None = None
    kind: str = "inventory"
    #: True for a partial export (a OneRoster delta): never a full snapshot of its source
    partial: bool = False


@dataclass
class BulkRow:
    """One validated bulk CSV row. ``values`` hold parsed values (dates as ``date``;
    ``student_id`` still raw: the loader hashes it)."""

    kind: BulkKind
    line: int
    values: dict[str, Any]


def _loc(inv_data: Any, loc: tuple) -> str:
    """Render a pydantic error location, naming the item's id where there is one."""
    parts: list[str] = []
    node = inv_data
    for item in loc:
        if isinstance(item, int):
            label = f"[{item}]"
            try:
                node = node[item]
                if isinstance(node, dict) and "id" in node:
                    label = f"[{item}] (id {node['id']})"
            except (IndexError, KeyError, TypeError):
                node = None
            parts.append(label)
        else:
            parts.append(("." if parts else "") + str(item))
            try:
                node = node[item] if isinstance(node, dict) else None
            except (KeyError, TypeError):
                node = None
    return "".join(parts)


class NotRegularFile(OSError):
    """A path that is not a regular file (a FIFO, a device, a socket or a folder)."""


def _kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"


def open_regular(path: Path) -> BinaryIO:
    """Open ``path`` for binary reading, refusing anything but a regular file.

    The file is opened non-blocking and checked with ``fstat`` on the open descriptor (no race
    between the check and the read): opening a FIFO then returns at once instead of waiting for
    a writer, and a device (``/dev/zero``) is never read. Raises :class:`NotRegularFile` (an
    ``OSError`` whose ``strerror`` says what the path is) or the ``OSError`` of ``open``.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(errno.EINVAL, f"not a regular file ({_kind_of(mode)}); give "
                                 "the path of a file")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


@dataclass(frozen=True)
class FileStamp:
    """What a file held when it was validated: SHA-256 of its bytes (hex), size in bytes and
    modification time (ns) at the time it was opened."""

    sha256: str
    size: int
    mtime_ns: int


def file_stamp(path: Path) -> FileStamp:
    """Hash a whole (regular) file. Raises ``OSError`` / :class:`NotRegularFile`."""
    with open_regular(path) as fh:
        st = os.fstat(fh.fileno())
        h = hashlib.sha256()
        size = 0
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
            size += len(chunk)
    return FileStamp(h.hexdigest(), size, st.st_mtime_ns)


class _HashingReader(io.RawIOBase):
    """A raw binary reader that hashes (SHA-256) every byte it hands out."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.sha = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:  # noqa: D102
        return True

    def readinto(self, b) -> int:  # noqa: D102
        n = self._raw.readinto(b) or 0
        if n:
            self.sha.update(memoryview(b)[:n])
            self.size += n
        return n

    def close(self) -> None:  # noqa: D102
        self._raw.close()
        super().close()


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, except that a date that does not exist (``2024-02-30``) is a YAML
    error with its line instead of a ``ValueError`` from the timestamp constructor, and a key
    given twice in one mapping is an error (PyYAML keeps the last silently: a second ``flows:``
    block would drop every flow of the first)."""

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict:  # noqa: D102
        if isinstance(node, yaml.MappingNode):
            # the mapping's own keys (a merge key's ``<<: *base`` values may be overridden)
            seen: dict[Any, yaml.Mark] = {}
            for key_node, _ in node.value:
                if (not isinstance(key_node, yaml.ScalarNode)
                        or key_node.tag == "tag:yaml.org,2002:merge"):
                    continue
                key = key_node.value
                if key in seen:
                    raise KeyGivenTwice(
                        None, None, f"{_key_text(key)} is given twice in one mapping (first on "
                        f"line {seen[key].line + 1}): give each key once (merge the two blocks)",
                        key_node.start_mark)
                seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


class KeyGivenTwice(yaml.constructor.ConstructorError):
    """A key given twice in one YAML mapping (:class:`_Loader`); its message is the tool's own."""


def _key_text(key: Any) -> str:
    """A mapping key in a message: a field name (``flows``, ``role``) is shown; anything else
    (it may be a student ID) is not."""
    text = str(key)
    return f"the key {text!r}" if _FIELD_NAME.fullmatch(text) else "a key (not shown)"


_FIELD_NAME = re.compile(r"[a-z][a-z_]{0,39}")


def _timestamp(loader: _Loader, node: yaml.Node) -> Any:
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError) as exc:
        raise yaml.constructor.ConstructorError(
            None, None, f"not a date that exists ({exc})", node.start_mark) from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def load_yaml(text: str) -> Any:
    """Parse YAML with the safe loader (:class:`_Loader`). Raises ``yaml.YAMLError`` (with a
    mark for impossible dates and repeated keys), ``RecursionError`` for data nested too
    deeply."""
    return yaml.load(text, Loader=_Loader)  # noqa: S506 -- _Loader is a SafeLoader


_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")


def yaml_problem(exc: yaml.YAMLError) -> tuple[int | None, str]:
    """``(line from 1 or None, message)`` of a YAML error, for a :class:`Problem`. PyYAML quotes
    the text it stumbled on (an alias, a tag, a character); an inventory holds student IDs, so
    what it quotes is never shown, only where it is and what is wrong."""
    mark = getattr(exc, "problem_mark", None)
    problem = str(getattr(exc, "problem", None) or "cannot be parsed")
    if not isinstance(exc, KeyGivenTwice):
        problem = _QUOTED.sub("(not shown)", problem)
    return mark.line + 1 if mark is not None else None, "not valid YAML: " + problem


class DuplicateKeyError(ValueError):
    """A JSON object with one key twice (see :func:`load_json`)."""


def load_json(text: str) -> Any:
    """Parse JSON, refusing an object that gives one key twice (``json`` keeps the last
    silently). Raises ``json.JSONDecodeError`` or :class:`DuplicateKeyError`."""

    def pairs(items: list[tuple[str, Any]]) -> dict:
        out: dict = {}
        for k, v in items:
            if k in out:
                raise DuplicateKeyError(f"{_key_text(k)} is given twice in one object: give "
                                        "each key once")
            out[k] = v
        return out

    return json.loads(text, object_pairs_hook=pairs)


TOO_DEEP = ("nested too deeply (more levels than Python's recursion limit); an inventory is a "
            "few levels deep: check the brackets")


def read_inventory(path: Path) -> InventorySource:
    """Parse one inventory file (``.yaml``/``.yml``/``.json``) into an :class:`InventorySource`.

    Raises :class:`InputError` (with every schema problem, each naming the field path and the
    item id) when the file cannot be read, is not YAML/JSON, or does not match :class:`Inventory`.
    """
    origin = str(path)
    try:
        with open_regular(path) as fh:
            text = fh.read().decode("utf-8-sig")
    except OSError as exc:
        raise InputError([Problem(origin, None, None,
                                  f"cannot read the file: {exc.strerror or exc}")]) from None
    except UnicodeDecodeError as exc:
        raise InputError([Problem(origin, None, None, f"cannot read the file: {exc}")]) from None
    try:
        if path.suffix.lower() == ".json":
            data = load_json(text)
        else:
            data = load_yaml(text)
    except RecursionError:
        raise InputError([Problem(origin, None, None, TOO_DEEP)]) from None
    except json.JSONDecodeError as exc:
        raise InputError([Problem(origin, exc.lineno, None, f"not valid JSON: {exc.msg}")]) from None
    except DuplicateKeyError as exc:
        raise InputError([Problem(origin, None, None, f"not valid JSON: {exc}")]) from None
    except yaml.YAMLError as exc:
        line, message = yaml_problem(exc)
        raise InputError([Problem(origin, line, None, message)]) from None
    except (ValueError, TypeError, OverflowError) as exc:  # a YAML constructor's own error
        raise InputError([Problem(origin, None, None, f"not valid YAML: {exc}")]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError([Problem(origin, None, None,
                                  "an inventory is a mapping with keys such as actors, datasets, "
                                  "flows (see 'lineage schema')")])
    try:
        inv = Inventory.model_validate(data)
    except RecursionError:
        raise InputError([Problem(origin, None, None, TOO_DEEP)]) from None
    except ValidationError as exc:
        problems = []
        for err, (_, msg) in zip(exc.errors(), pydantic_errors(exc)):
            problems.append(Problem(origin, None, _loc(data, err["loc"]) or None, msg))
        raise InputError(problems, hint="'lineage schema' prints the format as JSON Schema") from None
    if not any((inv.elements, inv.actors, inv.datasets, inv.agreements, inv.flows, inv.grants,
                inv.sections, inv.bulk)):
        raise InputError([Problem(origin, None, None, (
            "the inventory defines nothing (no elements, actors, datasets, agreements, flows, "
            "grants, sections or bulk files): is it the right file?"))],
            hint="'lineage schema' prints the format as JSON Schema")
    return InventorySource(inv, origin, path.parent)


def parse_date(text: str) -> date | None:
    """Parse an ISO date (``YYYY-MM-DD``; a datetime keeps its date). Empty -> ``None``.

    Raises ``ValueError`` saying what is wrong without repeating the text
    (:func:`lineage.core.windows.parse_day`).
    """
    text = text.strip()
    if not text:
        return None
    return parse_day(text)


#: Columns of bulk files read as text IDs (normalised); the others are dates or element lists.
_DATE_COLUMNS = frozenset({"valid_from", "valid_to", "at"})


def not_utf8(path: Path) -> Problem:
    """The problem of a CSV that is not UTF-8 text, naming the first line (physical line,
    from 1) that holds a byte sequence UTF-8 cannot decode; never the bytes themselves (the
    file may hold student IDs). Reads the file again, line by line (only on this error path).
    """
    line = None
    try:
        with open_regular(path) as fh:
            for n, raw in enumerate(fh, start=1):
                try:
                    raw.decode("utf-8-sig" if n == 1 else "utf-8")
                except UnicodeDecodeError:
                    line = n
                    break
    except OSError:
        pass
    return Problem(str(path), line, None, "not UTF-8 text (a spreadsheet's 'CSV' in a local "
                   "code page, e.g. Latin-1); export the file as 'CSV UTF-8' and load it again")


def iter_bulk_rows(source: InventorySource, bulk: BulkFile,
                   stamps: dict[str, FileStamp] | None = None) -> Iterator[BulkRow | Problem]:
    """Stream one bulk CSV: yield a :class:`BulkRow` per valid row, a :class:`Problem` per bad one.

    Checks that the path is a regular file, the header (required columns), dates and their
    order. References (orgs, sections, datasets...) are checked by :func:`validate`. ID values
    are normalised (:func:`~lineage.core.pseudonym.normalise_id`). Problems in a file that holds
    student IDs (:attr:`~lineage.sources.bulk.BulkSpec.student_bearing`) never quote a cell.
    The rows are checked by :func:`rows_from`'s rules. When ``stamps`` is given and the file
    was read to its end, ``stamps[path]`` is set to the :class:`FileStamp` of exactly the
    bytes read. Never raises for bad content.
    """
    path = source.base_dir / bulk.path
    name = str(path)
    try:
        raw = open_regular(path)
    except OSError as exc:
        yield Problem(source.origin, None, "bulk", f"cannot open {bulk.kind.value} file {name}: "
                      f"{exc.strerror or exc}")
        return
    mtime_ns = os.fstat(raw.fileno()).st_mtime_ns
    hashing = _HashingReader(raw)
    buffered = io.BufferedReader(hashing, 1 << 16)
    fh = io.TextIOWrapper(buffered, encoding="utf-8-sig", newline="")
    with fh:
        reader = csv.reader(fh)
        try:
            header = [h.strip() for h in (next(reader, None) or [])]
        except UnicodeDecodeError:
            yield not_utf8(path)
            return
        except csv.Error as exc:
            yield Problem(name, 1, None, f"cannot read the CSV header: {exc}")
            return
        at = [reader.line_num]
        spec = BULK[bulk.kind]
        twice = [c for c in spec.columns if header.count(c) > 1]
        if twice:
            yield Problem(name, 1, twice[0], "the column is in the header twice: which one "
                          "holds the values is unclear; keep one")
            return
        width = len(header)
        longer: list[int] = []          # the first rows with values beyond the header
        n_longer = [0]                  # ... and how many there are

        def numbered() -> Iterator[tuple[int, dict[str, str] | None]]:
            # csv.DictReader's rows and line numbers, without its per-row Python layers: blank
            # lines are skipped; the line of a row is the last physical line it spans
            for row in reader:
                if row:
                    at[0] = reader.line_num
                    if len(row) > width and any(c.strip() for c in row[width:]):
                        n_longer[0] += 1
                        if len(longer) < 5:
                            longer.append(at[0])
                        yield at[0], None
                        continue
                    yield at[0], dict(zip(header, row))

        try:
            ok = yield from _check_rows(bulk.kind, numbered(), name, header)
            if not ok:
                return
            if longer:      # one problem for them all: a shifted file has one per row
                yield Problem(name, longer[0], None, (
                    (f"{_rows_text(longer, n_longer[0])}: " if n_longer[0] > 1 else "")
                    + "more values than the header has columns (a value holding an unquoted "
                    "comma, or a column without a name?): quote such values or name the "
                    "column; nothing of these rows was read"))
        except UnicodeDecodeError:
            yield not_utf8(path)
            return
        except csv.Error as exc:
            yield Problem(name, at[0], None, f"not a readable CSV: {exc}")
            return
        if stamps is not None:
            while buffered.read(1 << 16):
                pass
            stamps[name] = FileStamp(hashing.sha.hexdigest(), hashing.size, mtime_ns)


def rows_from(kind: BulkKind, rows: Iterable[dict[str, Any]], origin: str
              ) -> Iterator[BulkRow | Problem]:
    """Check bulk rows of ``kind`` from any source: dicts of text values keyed by column (as a
    CSV reader or a format adapter gives them). Yields a :class:`BulkRow` per valid row and a
    :class:`Problem` per bad one, exactly as for a file (:func:`iter_bulk_rows`), the first
    row's keys standing for the header and rows numbered from 2 as in a CSV with a header
    line. ``origin`` names the source in problems. Never raises for bad content."""
    it = iter(rows)
    first = next(it, None)
    if first is None:
        return
    numbered = ((i, r) for i, r in enumerate(itertools.chain([first], it), start=2))
    yield from _check_rows(kind, numbered, origin, [str(h).strip() for h in first])


_UNREAD = object()
#: Distinct date texts remembered per bulk file (a file holds few distinct days).
_DAYS_KEPT = 4096


def _check_rows(kind: BulkKind, numbered: Iterable[tuple[int, dict[str, Any]]], name: str,
                header: list[str]) -> Generator[BulkRow | Problem, None, bool]:
    """The checks of :func:`iter_bulk_rows` and :func:`rows_from` on ``(line, row)`` pairs;
    returns False when the header lacks a required column (then no row is read)."""
    spec = BULK[kind]
    required, optional = spec.required, spec.optional
    echo = not spec.student_bearing
    missing = [c for c in required if c not in header]
    if missing:
        yield Problem(name, 1, None, f"missing column(s) {', '.join(missing)}; a "
                      f"{kind.value} file needs {', '.join(required + optional)}")
        return False
    cols = [c for c in required + optional if c in header]
    # (column, how it is read, required): dates, element lists, access actions, IDs
    plan = [(c, "date" if c in _DATE_COLUMNS else c if c in ("elements", "action") else "id",
             c in required) for c in cols]
    days: dict[str, date | None] = {}                 # date text -> date (valid ones only)
    for line, raw_row in numbered:
        if raw_row is None:
            continue
        for v in raw_row.values():                    # a row of blank cells is skipped
            if isinstance(v, str) and v.strip():
                break
        else:
            continue
        values: dict[str, Any] = {}
        bad = False
        for c, how, req in plan:
            v = raw_row.get(c)
            v = v.strip() if isinstance(v, str) else ""
            if how == "id":
                if req and not v:
                    yield Problem(name, line, c, "empty; a value is required")
                    bad = True
                elif c == "student_id" and len(v) > STUDENT_ID_MAX:
                    yield Problem(name, line, c, f"longer than {STUDENT_ID_MAX} characters: a "
                                  f"student ID is at most {STUDENT_ID_MAX} (is this column the "
                                  f"student ID?); {HIDDEN}")
                    bad = True
                values[c] = normalise_id(v)
            elif how == "date":
                d = days.get(v, _UNREAD)
                if d is _UNREAD:
                    try:
                        d = parse_date(v)
                    except ValueError as exc:
                        yield Problem(name, line, c, f"{v[:40]!r} is {exc}" if echo
                                      else f"{exc}; {HIDDEN}")
                        bad = True
                        continue
                    if len(days) < _DAYS_KEPT:
                        days[v] = d
                values[c] = d
                if c == "at" and d is None:
                    yield Problem(name, line, c, "empty; the date of the access is required")
                    bad = True
            elif how == "elements":
                values[c] = [e.strip() for e in v.split(";") if e.strip()]
            else:
                if v and v.lower() not in ACCESS_ACTIONS:
                    yield Problem(name, line, c, "not an access action: use one of "
                                  f"{', '.join(ACCESS_ACTIONS)} (or leave it empty for read); "
                                  + ("the value is not shown (the file holds student IDs)"
                                     if not echo else f"got {v!r}"))
                    bad = True
                    continue
                values[c] = v.lower() or None
        if bad:
            continue
        vf, vt = values.get("valid_from"), values.get("valid_to")
        if vf and vt and vt < vf:
            yield Problem(name, line, "valid_to",
                          f"dates out of order: valid_to {vt} is before valid_from {vf}"
                          if echo else "dates out of order: valid_to is before valid_from")
            continue
        yield BulkRow(kind, line, values)
    return True


@dataclass
class Catalog:
    """IDs defined by the inputs, by kind, plus element names and actor roles."""

    actors: dict[str, Role] = field(default_factory=dict)
    datasets: set[str] = field(default_factory=set)
    agreements: set[str] = field(default_factory=set)
    flows: set[str] = field(default_factory=set)
    grants: set[str] = field(default_factory=set)
    sections: set[str] = field(default_factory=set)
    elements: dict[str, str] = field(default_factory=dict)
    #: teachers and guardians created by bulk teaching / guardians files (not in ``actors``,
    #: so that a million of them stay a set of strings)
    people: set[str] = field(default_factory=set)
    #: section id -> school id (inventory sections and teaching files), to spread roster rows
    #: over concurrent writers by school
    section_school: dict[str, str] = field(default_factory=dict)
    #: bulk file path -> what it held when validated (the loader writes only that)
    files: dict[str, FileStamp] = field(default_factory=dict)
    #: accepted oddities (a header-only CSV), each naming its file
    warnings: list[Problem] = field(default_factory=list)


class BulkSink(Protocol):
    """What :func:`validate` hands the valid bulk rows to while it reads them (see there)."""

    def begin(self, source: InventorySource, bulk: BulkFile) -> Callable[[BulkRow], None]:
        """A bulk file starts: return the function that takes each of its valid rows."""

    def end(self, source: InventorySource, bulk: BulkFile, rows: int) -> None:
        """The file was read to its end, ``rows`` valid rows, no problem found so far."""


#: Called with {kind: set(ids)} of references not defined in the inputs; returns the subset
#: that the graph already holds, by kind. Kinds: actors, datasets, agreements, flows, sections, elements.
ExistingLookup = Callable[[dict[str, set[str]]], dict[str, set[str]]]

#: Called with actor IDs and the role values they may have; returns ``{id: role}`` for those
#: the graph holds with another role (the others: absent, or a fitting role).
RoleLookup = Callable[[list[str], frozenset[str]], dict[str, str]]

#: Called with raw IDs; returns those that are the IDs of students already in the graph
#: (the caller hashes them with the pseudonym key).
StudentLookup = Callable[[list[str]], set[str]]

#: Called with ``(section id, school id)`` pairs of bulk teaching rows; returns ``{section id:
#: school id}`` for the sections the graph already holds at another school.
SchoolLookup = Callable[[list[tuple[str, str]]], dict[str, str]]

#: IDs per graph lookup (people of bulk files are checked in chunks of this size while streaming).
LOOKUP_CHUNK = 20_000


#: What a message says in place of a value read from a file that holds student IDs.
HIDDEN = "(the value is not shown: the file holds student IDs)"

_SEPARATORS = re.compile(r"[\s/\\.,;:=?&#|()\[\]{}'\"<>*+!@~%$^`]+")
#: Unicode dashes read as ``-`` (an ID typed in a word processor: ``RSD\u20111001``).
_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"})


def id_tokens(text: str) -> set[str]:
    """The words of ``text`` that could be student IDs, normalised
    (:func:`~lineage.core.pseudonym.normalise_id`): the parts between separators (white space,
    ``/ . , ; : = ? & # @ ~ % $ ^`` and brackets; Unicode dashes read as ``-``), their parts
    between ``_``, and the runs of one to three
    of their ``-``-separated pieces (IDs hold ``-``), of at least 3 characters with a digit, and
    of at least 5 when all digits (a year or a grade in a text is no student's ID:
    ``etl/card-RSD-1001`` -> ``{"card-RSD-1001", "RSD-1001"}``)."""
    out: set[str] = set()
    for part in _SEPARATORS.split(text.translate(_DASHES)):
        for word in (part, *part.split("_")) if "_" in part else (part,):
            pieces = word.split("-")
            runs = [word] + ["-".join(pieces[i:j]) for i in range(len(pieces))
                             for j in range(i + 1, min(i + 3, len(pieces)) + 1)
                             if (i, j) != (0, len(pieces))]
            out.update(normalise_id(r) for r in runs
                       if (len(r) >= 5 if r.isdigit() else
                           len(r) >= 3 and any(c.isdigit() for c in r)))
    return out


#: Fields naming another entry (checked as references, where an unknown student ID is hidden).
_REFERENCES = frozenset({"part_of", "holder", "source", "target", "agreement", "actor",
                         "dataset", "scope_org", "school", "org"})


def _free_texts(inv: Inventory) -> Iterator[tuple[str, str]]:
    """``(field path, text)`` of the ids, names and free text an inventory defines for its
    elements, datasets, flows, agreements, grants and small cells, and of its actors' and
    sections' names and descriptions; not references to other entries, lists (student lists,
    the elements a flow carries) or enumerations. Actor and section ids are left out: roster formats make them from the
    export's own ids (``sourcedId``), which a numbering shared with student IDs would make
    look like one; an actor id that IS a student's ID is refused by its own check
    (:func:`validate`)."""
    for kind in ("elements", "actors", "datasets", "agreements", "flows", "grants", "sections"):
        for i, item in enumerate(getattr(inv, kind)):
            for name, value in item:
                if (isinstance(value, str) and not isinstance(value, Enum)
                        and name not in _REFERENCES
                        and not (kind in ("actors", "sections") and name == "id")):
                    yield f"{kind}[{i}].{name}", value
            for j, cell in enumerate(getattr(item, "small_cells", None) or ()):
                yield f"{kind}[{i}].small_cells[{j}].label", cell.label


def _rows_text(rows: list[int], count: int) -> str:
    """``"row 5"`` / ``"rows 2, 3, 7 and 140 more"`` (``rows``: the first few, ``count``: all)."""
    if count == 1:
        return f"row {rows[0]}"
    more = count - len(rows)
    return f"rows {', '.join(map(str, rows))}" + (f" and {more} more" if more > 0 else "")


def _collapse_hidden(problems: Iterable[Problem]) -> list[Problem]:
    """Problems whose value is not shown (a file of student IDs) that say the same thing about
    the same file and column, as one problem naming the first rows and the count (a shifted
    column would otherwise give one line per row)."""
    out: list[Problem] = []
    groups: dict[tuple[str, str | None, str], list[Problem]] = {}
    for p in problems:
        if HIDDEN in p.message and p.row is not None:
            groups.setdefault((p.file, p.field, p.message), []).append(p)
        else:
            out.append(p)
    for (file, column, message), same in groups.items():
        rows = sorted(p.row for p in same)
        out.append(same[0] if len(same) == 1 else
                   Problem(file, rows[0], column, f"{_rows_text(rows[:5], len(rows))}: {message}"))
    return out


def validate(sources: list[InventorySource], existing: ExistingLookup | None = None,
             roles: RoleLookup | None = None, students: StudentLookup | None = None,
             sink: BulkSink | None = None, schools: SchoolLookup | None = None) -> Catalog:
    """Check the sources together; return the :class:`Catalog` of what they define.

    Raises :class:`InputError` with every problem (duplicate IDs across all files, unknown
    actor/dataset/agreement/flow/section/element references, wrong roles, bad CSV rows, student
    IDs that are also actor IDs). References not defined in the inputs are looked up with
    ``existing`` (the graph); without it they are problems. ``roles`` checks the roles of actors
    the inputs use but do not define (an organisation of a coverage, a guardian of a bulk file
    the graph already holds); ``students`` finds teacher and guardian IDs that are students in
    the graph (swapped columns); ``schools`` finds sections of teaching files that the graph
    holds at another school (a section belongs to one school; an inventory's section that moves
    is a change to its definition, see :func:`lineage.graph.writer.definition_changes`). Bulk
    CSVs are streamed once here (and again when written);
    each is hashed into :attr:`Catalog.files`. Messages about files that hold student IDs name
    the row and column, never the value.

    ``sink`` (:class:`BulkSink`): handed every valid bulk row **as it is read**, while no problem
    has been found yet (from the first problem on, the input is refused anyway): a caller that
    writes only after this returns (the offline importer's conversion) reads each file once.
    """
    problems: list[Problem] = []
    cat = Catalog()
    first_seen: dict[tuple[str, str], str] = {}

    def define(kind: str, ident: str, origin: str, where: str) -> bool:
        key = (kind, ident)
        if key in first_seen:
            problems.append(Problem(origin, None, where,
                                    f"duplicate {kind} id {ident!r} (first defined in {first_seen[key]})"))
            return False
        first_seen[key] = origin
        return True

    for src in sources:
        inv = src.inventory
        defined = (  # (field, kind, items, where their ids go)
            ("elements", "element", inv.elements, cat.elements),
            ("actors", "actor", inv.actors, cat.actors),
            ("datasets", "dataset", inv.datasets, cat.datasets),
            ("agreements", "agreement", inv.agreements, cat.agreements),
            ("flows", "flow", inv.flows, cat.flows),
            ("grants", "grant", inv.grants, cat.grants),
            ("sections", "section", inv.sections, cat.sections),
        )
        for key, kind, items, into in defined:
            for i, item in enumerate(items):
                ident = item.name if kind == "element" else item.id
                if not define(kind, ident, src.origin, f"{key}[{i}]"):
                    continue
                if kind == "element":
                    into[ident] = item.category
                elif kind == "actor":
                    into[ident] = item.role
                else:
                    into.add(ident)

    # Student IDs an inventory lists (flows[].students, small_cells[].students) are never echoed,
    # wherever else in the inputs they appear (a student ID typed as an actor, say); nor is an
    # unknown reference that the graph holds as a student (checked with ``students`` at the end).
    listed = {normalise_id(x) for src in sources for f in src.inventory.flows for x in f.students}
    listed.update(normalise_id(x) for src in sources for d in src.inventory.datasets
                  for c in d.small_cells for x in c.students)

    def at(kind: str, i: int, ident: str) -> str:
        """Where an inventory entry is: ``actors[3] (id routeco)``, by position alone when its
        id is a student ID."""
        return f"{kind}[{i}]" if ident in listed else f"{kind}[{i}] (id {ident})"

    # references: (kind, id) -> first place it was referenced; the same problem without the
    # value, used when the value turns out to be a student's ID in the graph
    pending: dict[tuple[str, str], Problem] = {}
    defined_of = {"actors": cat.actors, "datasets": cat.datasets, "agreements": cat.agreements,
                  "flows": cat.flows, "sections": cat.sections}
    pending_hidden: dict[tuple[str, str], Problem] = {}
    role_checks: dict[tuple[str, frozenset[Role]], Problem] = {}  # first place only

    def ref(kind: str, ident: str | None, origin: str, row: int | None, where: str,
            roles: set[Role] | None = None, echo: bool = True) -> None:
        if ident is None:
            return
        defined = defined_of[kind]
        if kind == "actors" and ident in cat.people:
            return
        if not roles and ident in defined:            # the usual case: nothing to check
            return
        noun = kind[:-1]
        echo = echo and ident not in listed
        what = f"{ident!r}" if echo else HIDDEN
        if ident not in defined and (kind, ident) not in pending:
            close = difflib.get_close_matches(ident, list(defined), n=3)
            fix = (": define it in an inventory file loaded with this one, or load the file "
                   "that defines it first"
                   + (f" (closest: {', '.join(close)})" if close else ""))
            pending[(kind, ident)] = Problem(origin, row, where, f"unknown {noun} {what}{fix}")
            if echo:
                pending_hidden[(kind, ident)] = Problem(origin, row, where,
                                                        f"unknown {noun} {HIDDEN}{fix}")
        if roles and kind == "actors" and (ident, frozenset(roles)) not in role_checks:
            role_checks[(ident, frozenset(roles))] = (Problem(
                origin, row, where,
                f"actor {what} must have role {' or '.join(sorted(r.value for r in roles))}"))

    def elements(names: list[str], origin: str, where: str, echo: bool = True) -> None:
        for n in names:
            if n not in ELEMENT_CATEGORY and n not in cat.elements and ("elements", n) not in pending:
                what = f"{n!r}" if echo and n not in listed else HIDDEN
                close = difflib.get_close_matches(n, [*ELEMENT_CATEGORY, *cat.elements], n=3)
                pending[("elements", n)] = Problem(
                    origin, None, where, f"unknown data element {what}: use an NDPA Exhibit B "
                    "element name or define it under 'elements' with its category"
                    + (f" (closest: {', '.join(close)})" if close else ""))

    # teachers / guardians not defined by an inventory, waiting for the graph lookup:
    # allowed roles -> [(id, file, row, column, echo)]
    people_queue: dict[frozenset[Role], list[tuple[str, str, int, str, bool]]] = {}
    # the districts' own ids inside prefixed actor ids (staff:T-100 -> T-100), of the actors the
    # inventories define and of the people the bulk files name: a student ID equal to one is
    # refused like a student ID equal to an actor's id
    prefixed_people: set[str] = {p for a in cat.actors if (p := person_id(a)) is not None}

    def person(ident: str, allowed: set[Role], origin: str, row: int, where: str,
               echo: bool) -> None:
        """A teacher / guardian of a bulk file: created by the load unless an inventory or the
        graph defines it, in which case its role must fit (a vendor never becomes a teacher or
        a parent)."""
        role = cat.actors.get(ident)
        if role is None:
            if ident not in cat.people:
                cat.people.add(ident)
                own = person_id(ident)
                if own is not None:
                    prefixed_people.add(own)
                if roles is not None or students is not None:
                    queue = people_queue.setdefault(frozenset(allowed), [])
                    queue.append((ident, origin, row, where, echo))
                    if len(queue) >= LOOKUP_CHUNK:
                        flush_people()
        elif role not in allowed and (ident, frozenset(allowed)) not in role_checks:
            what = f"{ident!r}" if echo else HIDDEN
            role_checks[(ident, frozenset(allowed))] = Problem(
                origin, row, where, f"actor {what} has role {role.value}; a {where} must have "
                f"role {' or '.join(sorted(r.value for r in allowed))}")

    # sections first met in a teaching file, waiting for the graph lookup of their school:
    # [(section, school, file, row)]
    taught: list[tuple[str, str, str, int]] = []

    def flush_taught() -> None:
        if taught and schools is not None:
            moved = schools([(t[0], t[1]) for t in taught])
            for section, school, file, row in taught:
                if section in moved:
                    problems.append(Problem(file, row, "school", (
                        f"section {section!r} is at school {moved[section]!r} in the graph: a "
                        "section belongs to one school; give this one its own section id (or "
                        "correct its school)")))
        taught.clear()

    # student IDs that are also IDs of actors / people: (file, column) -> [first rows], count
    conflicts: dict[tuple[str, str], tuple[list[int], list[int]]] = {}
    graph_students: dict[tuple[str, str], tuple[list[int], list[int]]] = {}

    def note(into: dict, file: str, row: int, column: str) -> None:
        rows, count = into.setdefault((file, column), ([], [0]))
        if len(rows) < 5:
            rows.append(row)
        count[0] += 1

    def flush_people() -> None:
        for allowed, queue in people_queue.items():
            if not queue:
                continue
            ids = [q[0] for q in queue]
            wrong = roles(ids, frozenset(r.value for r in allowed)) if roles else {}
            # a person's id, or the district's own id inside a prefixed one, that is a student's
            own = {ident: person_id(ident) for ident in ids}
            studs = (students(sorted(set(ids) | {x for x in own.values() if x is not None}))
                     if students else set())
            for ident, origin, row, where, echo in queue:
                if ident in wrong:
                    what = (f"{ident!r}" if echo
                            else HIDDEN)
                    problems.append(Problem(
                        origin, row, where, f"actor {what} is in the graph with role "
                        f"{wrong[ident]}; a {where} must have role "
                        f"{' or '.join(sorted(r.value for r in allowed))} (an actor has one role)"))
                if ident in studs or own[ident] in studs:
                    note(graph_students, origin, row, where)
            queue.clear()

    orgs = set(ORGANISATION_ROLES)
    for src in sources:
        inv, o = src.inventory, src.origin

        for i, a in enumerate(inv.actors):
            ref("actors", a.part_of, o, None, f"{at('actors', i, a.id)}.part_of")
        for i, d in enumerate(inv.datasets):
            w = at("datasets", i, d.id)
            ref("actors", d.holder, o, None, f"{w}.holder")
            for j, c in enumerate(d.coverage):
                ref("actors", c.org, o, None, f"{w}.coverage[{j}].org", orgs)
            elements(d.elements or [], o, f"{w}.elements")
            for j, c in enumerate(d.small_cells):
                elements(c.elements, o, f"{w}.small_cells[{j}].elements")
        for i, g in enumerate(inv.agreements):
            w = at("agreements", i, g.id)
            for r in g.recipients:
                ref("actors", r, o, None, f"{w}.recipients")
            elements(g.permitted_elements, o, f"{w}.permitted_elements")
        for i, f in enumerate(inv.flows):
            w = at("flows", i, f.id)
            ref("datasets", f.source, o, None, f"{w}.source")
            ref("datasets", f.target, o, None, f"{w}.target")
            ref("agreements", f.agreement, o, None, f"{w}.agreement")
            elements(f.elements, o, f"{w}.elements")
            if f.source is not None and f.source == f.target:
                problems.append(Problem(o, None, f"{w}.target", "a flow cannot feed its own source"))
        for i, g in enumerate(inv.grants):
            w = at("grants", i, g.id)
            ref("actors", g.actor, o, None, f"{w}.actor")
            ref("datasets", g.dataset, o, None, f"{w}.dataset")
            ref("actors", g.scope_org, o, None, f"{w}.scope_org", orgs)
            ref("agreements", g.agreement, o, None, f"{w}.agreement")
            elements(g.elements, o, f"{w}.elements")
        for i, s in enumerate(inv.sections):
            w = at("sections", i, s.id)
            cat.section_school[s.id] = s.school
            ref("actors", s.school, o, None, f"{w}.school", orgs)
            for j, t in enumerate(s.teachers):
                ref("actors", t.actor, o, None, f"{w}.teachers[{j}].actor")

    # student IDs inside the ids, names and free text the inputs define (an OpenLineage dataset
    # or job named per student, a purpose naming one): nothing of them may reach the graph
    texts = [(src.origin, where, tokens) for src in sources
             for where, text in _free_texts(src.inventory) if (tokens := id_tokens(text))]
    words: set[str] = set().union(*(t for _, _, t in texts)) if texts else set()
    # the sources' warnings may quote a name (an OpenLineage schema field): never an ID
    warned = [(src, i, id_tokens(w.message)) for src in sources for i, w in enumerate(src.warnings)]
    words.update(*(t for _, _, t in warned))
    in_texts: set[str] = words & listed             # the words that are students' IDs

    # bulk CSVs, streamed
    for src, b in bulk_in_order(sources):
        name = str(src.base_dir / b.path)
        spec = BULK[b.kind]
        echo = not spec.student_bearing
        n_rows = n_problems = 0
        person_column, person_roles = spec.person_column, set(spec.person_roles)
        has_elements = "elements" in spec.columns
        take = sink.begin(src, b) if sink is not None and not problems else None
        for item in iter_bulk_rows(src, b, cat.files):
            if isinstance(item, Problem):
                problems.append(item)
                n_problems += 1
                take = None
                if len(problems) >= MAX_PROBLEMS:
                    break
                continue
            n_rows += 1
            v, line = item.values, item.line
            if take is not None:
                take(item)
            if person_column:
                person(v[person_column], person_roles, name, line, person_column, echo)
            sid = v.get("student_id")
            if sid is not None and (sid in cat.actors or sid in cat.people
                                    or sid in prefixed_people):
                note(conflicts, name, line, "student_id")
            if sid is not None and sid in words:
                in_texts.add(sid)
            for r in spec.refs:
                if r.orgs:
                    ref(r.kind, v[r.column], name, line, r.column, orgs, echo=echo)
                else:
                    ref(r.kind, v[r.column], name, line, r.column, echo=echo)
            if has_elements:
                elements(v.get("elements") or [], name, "elements", echo=echo)
            if b.kind is BulkKind.TEACHING:  # teaching rows define sections
                section, school = v["section"], v["school"]
                first = cat.section_school.get(section)
                if first is None:
                    cat.section_school[section] = school
                    if schools is not None:           # is it at another school in the graph?
                        taught.append((section, school, name, line))
                        if len(taught) >= LOOKUP_CHUNK:
                            flush_taught()
                elif first != school:
                    problems.append(Problem(name, line, "school", (
                        f"section {section!r} is already at school {first!r}: a section "
                        "belongs to one school; give the other one its own section id")))
                cat.sections.add(section)
        if take is not None and not problems:
            sink.end(src, b, n_rows)
        if len(problems) >= MAX_PROBLEMS:
            break
        if n_rows == 0 and n_problems == 0:
            cat.warnings.append(Problem(name, None, None, f"no data rows (only the header): "
                                        f"this {b.kind.value} file loads nothing"))
    flush_people()
    flush_taught()

    # one lookup: the words of the texts and warnings, and the ids of the actors an inventory
    # defines (an actor whose id is, or prefixed staff:/parent: holds, the ID of a student in
    # the graph; same-load students are checked with the bulk rows)
    own_ids = {src.origin: [(i, a.id, person_id(a.id)) for i, a in enumerate(src.inventory.actors)]
               for src in sources}
    wanted = {x for ids in own_ids.values() for _, a, p in ids for x in (a, p) if x}
    found = (students(sorted((words - in_texts) | wanted))
             if students is not None and (words or wanted) else set())
    in_texts |= found & words
    for origin, ids in own_ids.items():
        for i, a, p in ids:
            if a in found or p in found:
                problems.append(Problem(origin, None, f"actors[{i}].id", (
                    "is a student's ID in the graph (the value is not shown): a student ID "
                    "must never become an actor's ID")))
    for src, i, tokens in warned:
        hits = tokens & in_texts
        if hits:
            w = src.warnings[i]
            message = w.message
            for hit in sorted(hits, key=len, reverse=True):
                message = message.replace(hit, "(a student ID, not shown)")
            src.warnings[i] = Problem(w.file, w.row, w.field, message)
    for origin, where, tokens in texts:
        if tokens & in_texts:
            problems.append(Problem(origin, None, where, (
                "holds a student's ID (the value is not shown): a student ID is never stored in "
                "the graph, not even inside a name or a free text; remove it (OpenLineage "
                "datasets or jobs named per student: give the mapping entry a 'dataset:' id, "
                "so that those files are one dataset)")))

    # students listed in inventories (flows, small cells) that are actor IDs
    for src in sources:
        for i, f in enumerate(src.inventory.flows):
            if any(normalise_id(s) in cat.actors or normalise_id(s) in cat.people
                   or normalise_id(s) in prefixed_people for s in f.students):
                problems.append(Problem(src.origin, None, f"{at('flows', i, f.id)}.students",
                                        "a student ID here is also the ID of an actor, teacher "
                                        "or guardian: student IDs must never name actors"))
        for i, d in enumerate(src.inventory.datasets):
            for j, c in enumerate(d.small_cells):
                if any(normalise_id(s) in cat.actors or normalise_id(s) in cat.people
                       or normalise_id(s) in prefixed_people for s in c.students):
                    problems.append(Problem(
                        src.origin, None, f"{at('datasets', i, d.id)}.small_cells[{j}].students",
                        "a student ID here is also the ID of an actor, teacher or guardian: "
                        "student IDs must never name actors"))
    for (file, column), (rows, count) in conflicts.items():
        problems.append(Problem(file, rows[0], column, (
            f"{_rows_text(rows, count[0])}: the student ID is also the ID of an actor, teacher or "
            "guardian of this load (the values are not shown): are the columns swapped or "
            "shifted? A student ID must never become an actor's ID")))
    for (file, column), (rows, count) in graph_students.items():
        problems.append(Problem(file, rows[0], column, (
            f"{_rows_text(rows, count[0])}: the {column} ID is a student's ID in the graph (the "
            "values are not shown): are the columns swapped? A student ID must never become an "
            "actor's ID")))

    if pending:
        wanted: dict[str, set[str]] = {}
        for kind, ident in pending:
            wanted.setdefault(kind, set()).add(ident)
        found = existing(wanted) if existing else {}
        unknown = [(key, prob) for key, prob in pending.items()
                   if key[1] not in found.get(key[0], set())]
        studs = (students(sorted({k[1] for k, _ in unknown if k in pending_hidden}))
                 if students else set())
        problems.extend(_collapse_hidden(
            pending_hidden[key] if key[1] in studs and key in pending_hidden else prob
            for key, prob in unknown))
    # role checks: actors defined in the inputs, and (with ``roles``) those only the graph holds
    by_allowed: dict[frozenset[Role], list[str]] = {}
    for (ident, allowed), prob in role_checks.items():
        role = cat.actors.get(ident)
        if role is not None:
            if role not in allowed:
                problems.append(prob)
        elif ident not in cat.people:
            by_allowed.setdefault(allowed, []).append(ident)
    if roles is not None:
        for allowed, ids in by_allowed.items():
            wrong = roles(ids, frozenset(r.value for r in allowed))
            for ident in ids:
                if ident in wrong:
                    prob = role_checks[(ident, allowed)]
                    problems.append(Problem(prob.file, prob.row, prob.field,
                                            prob.message + f" (the graph holds it with role "
                                            f"{wrong[ident]})"))

    if problems:
        raise InputError(problems[:MAX_PROBLEMS], truncated=len(problems) >= MAX_PROBLEMS)
    return cat
