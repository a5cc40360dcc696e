"""Reading and validating inventory files (YAML/JSON) and bulk CSVs, before anything is written.

:func:`read_inventory` parses one file into an :class:`InventorySource`; :func:`validate`
checks a set of sources together (duplicate IDs, references between files and to what the
graph already holds, element names, every bulk CSV row) and raises one :class:`InputError`
listing **every** problem with its file, row and field. Bulk CSVs are streamed
(:func:`iter_bulk_rows`): a million rows never become a million objects.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from lineage.errors import InputError, Problem
from lineage.models import BulkFile, BulkKind, Inventory
from lineage.vocabulary import ELEMENT_CATEGORY, ORGANISATION_ROLES, Role

#: Required columns of each bulk kind (a header row is required; extra columns are ignored).
BULK_COLUMNS: dict[BulkKind, tuple[str, ...]] = {
    BulkKind.ENROLMENTS: ("student_id", "org"),
    BulkKind.ROSTERS: ("student_id", "section"),
    BulkKind.GUARDIANS: ("guardian", "student_id"),
    BulkKind.MEMBERS: ("dataset", "student_id"),
    BulkKind.SUBJECTS: ("flow", "student_id"),
    BulkKind.ACCESS_LOG: ("at", "actor", "student_id", "dataset"),
    BulkKind.TEACHING: ("section", "school", "teacher"),
}

#: Optional columns read when present.
BULK_OPTIONAL: dict[BulkKind, tuple[str, ...]] = {
    BulkKind.ENROLMENTS: ("valid_from", "valid_to"),
    BulkKind.ROSTERS: ("valid_from", "valid_to"),
    BulkKind.GUARDIANS: ("valid_from", "valid_to"),
    BulkKind.MEMBERS: ("valid_from", "valid_to"),
    BulkKind.SUBJECTS: (),
    BulkKind.ACCESS_LOG: ("action", "elements"),
    BulkKind.TEACHING: ("valid_from", "valid_to"),
}

#: Roles a teacher / guardian named in a bulk file may have when an inventory defines it.
PERSON_ROLES: dict[BulkKind, set[Role]] = {
    BulkKind.TEACHING: {Role.TEACHER},
    BulkKind.GUARDIANS: {Role.PARENT, Role.ELIGIBLE_STUDENT},
}

#: Order in which bulk files are validated and written: files that create actors and sections
#: (teaching, guardians) come before the rows that refer to them.
BULK_ORDER: tuple[BulkKind, ...] = (
    BulkKind.TEACHING, BulkKind.GUARDIANS, BulkKind.ENROLMENTS, BulkKind.ROSTERS,
    BulkKind.MEMBERS, BulkKind.SUBJECTS, BulkKind.ACCESS_LOG,
)


def bulk_in_order(sources: list[InventorySource]) -> list[tuple[InventorySource, BulkFile]]:
    """Every bulk file of the sources as ``(source, file)``, in :data:`BULK_ORDER` (stable)."""
    pairs = [(src, b) for src in sources for b in src.inventory.bulk]
    return sorted(pairs, key=lambda sb: BULK_ORDER.index(sb[1].kind))

MAX_PROBLEMS = 200


@dataclass
class InventorySource:
    """One parsed inventory: the model, the file it came from (for messages) and the folder
    its bulk CSV paths are relative to."""

    inventory: Inventory
    origin: str
    base_dir: Path
    warnings: list[Problem] = field(default_factory=list)


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


def read_inventory(path: Path) -> InventorySource:
    """Parse one inventory file (``.yaml``/``.yml``/``.json``) into an :class:`InventorySource`.

    Raises :class:`InputError` (with every schema problem, each naming the field path and the
    item id) when the file cannot be read, is not YAML/JSON, or does not match :class:`Inventory`.
    """
    origin = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([Problem(origin, None, None, f"cannot read the file: {exc}")]) from None
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            data = yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise InputError([Problem(origin, exc.lineno, None, f"not valid JSON: {exc.msg}")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise InputError([Problem(origin, line, None, f"not valid YAML: {getattr(exc, 'problem', exc)}")]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError([Problem(origin, None, None,
                                  "an inventory is a mapping with keys such as actors, datasets, "
                                  "flows (see 'lineage schema')")])
    try:
        inv = Inventory.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(Problem(origin, None, _loc(data, err["loc"]) or None, msg))
        raise InputError(problems, hint="'lineage schema' prints the format as JSON Schema") from None
    return InventorySource(inv, origin, path.parent)


def parse_date(text: str) -> date | None:
    """Parse an ISO date (``YYYY-MM-DD``; a datetime keeps its date). Empty -> ``None``.

    Raises ``ValueError`` naming the expected format.
    """
    text = text.strip()
    if not text:
        return None
    try:
        if len(text) > 10:
            return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO date (YYYY-MM-DD)") from None


def iter_bulk_rows(source: InventorySource, bulk: BulkFile) -> Iterator[BulkRow | Problem]:
    """Stream one bulk CSV: yield a :class:`BulkRow` per valid row, a :class:`Problem` per bad one.

    Checks the header (required columns), dates and their order. References (orgs, sections,
    datasets...) are checked by :func:`validate`. Never raises for bad content.
    """
    path = source.base_dir / bulk.path
    name = str(path)
    required = BULK_COLUMNS[bulk.kind]
    optional = BULK_OPTIONAL[bulk.kind]
    try:
        fh = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        yield Problem(source.origin, None, "bulk", f"cannot open {bulk.kind.value} file {name}: {exc.strerror}")
        return
    with fh:
        try:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in (reader.fieldnames or [])]
        except (csv.Error, UnicodeDecodeError) as exc:
            yield Problem(name, 1, None, f"cannot read the CSV header: {exc}")
            return
        reader.fieldnames = header
        missing = [c for c in required if c not in header]
        if missing:
            yield Problem(name, 1, None, f"missing column(s) {', '.join(missing)}; a "
                          f"{bulk.kind.value} file needs {', '.join(required + optional)}")
            return
        cols = [c for c in required + optional if c in header]
        try:
            for raw in reader:
                line = reader.line_num
                if raw is None or all(not (v or "").strip() for v in raw.values() if isinstance(v, str)):
                    continue
                values: dict[str, Any] = {}
                bad = False
                for c in cols:
                    v = raw.get(c)
                    v = v.strip() if isinstance(v, str) else ""
                    if c in ("valid_from", "valid_to", "at"):
                        try:
                            values[c] = parse_date(v)
                        except ValueError as exc:
                            yield Problem(name, line, c, str(exc))
                            bad = True
                            continue
                        if c == "at" and values[c] is None:
                            yield Problem(name, line, c, "empty; the date of the access is required")
                            bad = True
                    elif c == "elements":
                        values[c] = [e.strip() for e in v.split(";") if e.strip()]
                    else:
                        if c in required and not v:
                            yield Problem(name, line, c, "empty; a value is required")
                            bad = True
                        values[c] = v
                if bad:
                    continue
                vf, vt = values.get("valid_from"), values.get("valid_to")
                if vf and vt and vt < vf:
                    yield Problem(name, line, "valid_to",
                                  f"dates out of order: valid_to {vt} is before valid_from {vf}")
                    continue
                yield BulkRow(bulk.kind, line, values)
        except (csv.Error, UnicodeDecodeError) as exc:
            yield Problem(name, reader.line_num, None, f"not a readable CSV: {exc}")


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


#: Called with {kind: set(ids)} of references not defined in the inputs; returns the subset
#: that the graph already holds, by kind. Kinds: actors, datasets, agreements, flows, sections, elements.
ExistingLookup = Callable[[dict[str, set[str]]], dict[str, set[str]]]


def validate(sources: list[InventorySource], existing: ExistingLookup | None = None) -> Catalog:
    """Check the sources together; return the :class:`Catalog` of what they define.

    Raises :class:`InputError` with every problem (duplicate IDs across all files, unknown
    actor/dataset/agreement/flow/section/element references, wrong roles, bad CSV rows).
    References not defined in the inputs are looked up with ``existing`` (the graph); without
    it they are problems. Bulk CSVs are streamed once here (and again when written).
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

    # references: (kind, id) -> first place it was referenced
    pending: dict[tuple[str, str], Problem] = {}
    role_checks: dict[tuple[str, frozenset[Role]], Problem] = {}  # first place only

    def ref(kind: str, ident: str | None, origin: str, row: int | None, where: str,
            roles: set[Role] | None = None) -> None:
        if ident is None:
            return
        defined = {
            "actors": cat.actors, "datasets": cat.datasets, "agreements": cat.agreements,
            "flows": cat.flows, "sections": cat.sections,
        }[kind]
        noun = kind[:-1]
        if kind == "actors" and ident in cat.people:
            return
        if ident not in defined and (kind, ident) not in pending:
            pending[(kind, ident)] = Problem(
                origin, row, where, f"unknown {noun} {ident!r}: define it in an inventory file "
                f"loaded with this one, or load the file that defines it first")
        if roles and kind == "actors" and (ident, frozenset(roles)) not in role_checks:
            role_checks[(ident, frozenset(roles))] = (Problem(
                origin, row, where,
                f"actor {ident!r} must have role {' or '.join(sorted(r.value for r in roles))}"))

    def elements(names: list[str], origin: str, where: str) -> None:
        for n in names:
            if n not in ELEMENT_CATEGORY and n not in cat.elements and ("elements", n) not in pending:
                pending[("elements", n)] = Problem(
                    origin, None, where, f"unknown data element {n!r}: use an NDPA Exhibit B "
                    "element name or define it under 'elements' with its category")

    def person(ident: str, roles: set[Role], origin: str, row: int, where: str) -> None:
        """A teacher / guardian of a bulk file: created by the load unless an inventory defines
        it, in which case its role must fit (a vendor never becomes a teacher or a parent)."""
        role = cat.actors.get(ident)
        if role is None:
            cat.people.add(ident)
        elif role not in roles and (ident, frozenset(roles)) not in role_checks:
            role_checks[(ident, frozenset(roles))] = Problem(
                origin, row, where, f"actor {ident!r} has role {role.value}; a {where} must have "
                f"role {' or '.join(sorted(r.value for r in roles))}")

    orgs = set(ORGANISATION_ROLES)
    for src in sources:
        inv, o = src.inventory, src.origin
        for i, a in enumerate(inv.actors):
            ref("actors", a.part_of, o, None, f"actors[{i}] (id {a.id}).part_of")
        for i, d in enumerate(inv.datasets):
            w = f"datasets[{i}] (id {d.id})"
            ref("actors", d.holder, o, None, f"{w}.holder")
            for j, c in enumerate(d.coverage):
                ref("actors", c.org, o, None, f"{w}.coverage[{j}].org", orgs)
            elements(d.elements or [], o, f"{w}.elements")
            for j, c in enumerate(d.small_cells):
                elements(c.elements, o, f"{w}.small_cells[{j}].elements")
        for i, g in enumerate(inv.agreements):
            w = f"agreements[{i}] (id {g.id})"
            for r in g.recipients:
                ref("actors", r, o, None, f"{w}.recipients")
            elements(g.permitted_elements, o, f"{w}.permitted_elements")
        for i, f in enumerate(inv.flows):
            w = f"flows[{i}] (id {f.id})"
            ref("datasets", f.source, o, None, f"{w}.source")
            ref("datasets", f.target, o, None, f"{w}.target")
            ref("agreements", f.agreement, o, None, f"{w}.agreement")
            elements(f.elements, o, f"{w}.elements")
            if f.source is not None and f.source == f.target:
                problems.append(Problem(o, None, f"{w}.target", "a flow cannot feed its own source"))
        for i, g in enumerate(inv.grants):
            w = f"grants[{i}] (id {g.id})"
            ref("actors", g.actor, o, None, f"{w}.actor")
            ref("datasets", g.dataset, o, None, f"{w}.dataset")
            ref("actors", g.scope_org, o, None, f"{w}.scope_org", orgs)
            ref("agreements", g.agreement, o, None, f"{w}.agreement")
            elements(g.elements, o, f"{w}.elements")
        for i, s in enumerate(inv.sections):
            w = f"sections[{i}] (id {s.id})"
            cat.section_school[s.id] = s.school
            ref("actors", s.school, o, None, f"{w}.school", orgs)
            for j, t in enumerate(s.teachers):
                ref("actors", t.actor, o, None, f"{w}.teachers[{j}].actor")

    # bulk CSVs, streamed
    for src, b in bulk_in_order(sources):
        name = str(src.base_dir / b.path)
        for item in iter_bulk_rows(src, b):
            if isinstance(item, Problem):
                problems.append(item)
                if len(problems) >= MAX_PROBLEMS:
                    break
                continue
            v, line = item.values, item.line
            if b.kind is BulkKind.ENROLMENTS:
                ref("actors", v["org"], name, line, "org", orgs)
            elif b.kind is BulkKind.ROSTERS:
                ref("sections", v["section"], name, line, "section")
            elif b.kind is BulkKind.GUARDIANS:
                # a guardian not defined anywhere is created (role parent) by the load; one
                # defined in an inventory must be a parent (a vendor is never a guardian)
                person(v["guardian"], PERSON_ROLES[b.kind], name, line, "guardian")
            elif b.kind is BulkKind.TEACHING:
                ref("actors", v["school"], name, line, "school", orgs)
                first = cat.section_school.setdefault(v["section"], v["school"])
                if first != v["school"]:
                    problems.append(Problem(name, line, "school", (
                        f"section {v['section']!r} is already at school {first!r}: a section "
                        "belongs to one school; give the other one its own section id")))
                cat.sections.add(v["section"])
                person(v["teacher"], PERSON_ROLES[b.kind], name, line, "teacher")
            elif b.kind is BulkKind.MEMBERS:
                ref("datasets", v["dataset"], name, line, "dataset")
            elif b.kind is BulkKind.SUBJECTS:
                ref("flows", v["flow"], name, line, "flow")
            elif b.kind is BulkKind.ACCESS_LOG:
                ref("actors", v["actor"], name, line, "actor")
                ref("datasets", v["dataset"], name, line, "dataset")
                elements(v.get("elements") or [], name, "elements")

    if pending:
        wanted: dict[str, set[str]] = {}
        for kind, ident in pending:
            wanted.setdefault(kind, set()).add(ident)
        found = existing(wanted) if existing else {}
        for (kind, ident), prob in pending.items():
            if ident not in found.get(kind, set()):
                problems.append(prob)
    # role checks for actors defined in the inputs (graph actors are trusted)
    for (ident, roles), prob in role_checks.items():
        role = cat.actors.get(ident)
        if role is not None and role not in roles:
            problems.append(prob)

    if problems:
        raise InputError(problems[:MAX_PROBLEMS], truncated=len(problems) >= MAX_PROBLEMS)
    return cat
