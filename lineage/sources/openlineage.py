"""OpenLineage events (specification 2-0-x) as datasets and flows, placed by a mapping file.

``lineage load --openlineage FILE.json|FILE.jsonl --mapping MAPPING.yaml`` reads ``RunEvent``,
``DatasetEvent`` and ``JobEvent`` objects (a ``.jsonl`` file: one event per line; a ``.json``
file: one event or an array of events) into typed models (:class:`RunEvent`,
:class:`DatasetEvent`, :class:`JobEvent`; facets keep every field they carry).
:func:`inventory_from_events` is the core, a function over any iterable of event dicts (the web
workspace's HTTP receiver calls it with the events it receives).

The mapping file (YAML; several may be given, their ``datasets`` entries are tried in order)::

    datasets:                    # first entry whose namespace and name match (fnmatch globs)
      - namespace: "postgres://sis.cedar.k12:5432"
        name: "sis.public.*"
        actor: cedar-valley-sd   # who holds the dataset (an actor of an inventory or the graph)
        dataset: cv-sis          # its dataset id (default: "<namespace>/<name>")
        existing: true           # an inventory defines it (e.g. the SIS with its coverage):
                                 # only flows are added
      - namespace: "s3://brightpath-exchange"
        actor: brightpath
        granularity: student     # student | deidentified | aggregate (default: see below)
        legal_basis: school_official   # basis, agreement and purpose of flows INTO the dataset
        agreement: NDPA-CV-2024-11     #   when they cross to another actor (disclosures)
        purpose: reading platform roster sync
        elements: [...]          # elements it holds when no event carries its schema
        min_cell_size: 10        # aggregates
    columns: {stu_dob: Date of Birth}        # column -> data element, extending the default
    elements: [{name: Locker number, category: Other}]

``columns`` and ``elements`` are the metadata-dictionary import's mapping
(:func:`lineage.sources.dictionary.load_mapping`: the same default mapping, the same file rules).
A field name is looked up as written and then as words (``birth_date``, ``birthDate`` ->
"birth date"), with a nested field's full dotted name first and then its last part.

Rules:

* A dataset's **elements** are its mapped schema fields (``schema`` facet of any event), or the
  entry's ``elements``. Fields mapped to no element are listed once per dataset (a warning).
* Each input -> output of a run with a ``COMPLETE`` event becomes one **flow** (id
  ``ol:<job name>:<hash of job, input, output>``), dated from the first to the last completed
  run seen (the event time's own date). START, RUNNING, FAIL, ABORT and OTHER events add what
  they say about datasets (schemas, column lineage) and the run's inputs and outputs, but no
  flow. A flow whose ends have different holders is a disclosure (with the output entry's
  basis, agreement and purpose), otherwise a transformation. Inputs and outputs of a run are
  the union over all its events (the specification lets a COMPLETE event omit them).
* **Elements carried**: with a ``columnLineage`` facet on the output, the elements of the input
  fields of that input that feed an output field **directly** (``type: DIRECT``; a legacy facet
  without transformations counts as direct) and are not masked; an input that the facet names
  only indirectly (filter, join, group by) or not at all gives no flow. Without the facet: the
  input's elements, narrowed to the output's when its schema is known.
* **Granularity** of an output the mapping does not fix: ``aggregate`` when its column lineage
  has a transformation of subtype ``AGGREGATION``, ``deidentified`` when one has
  ``masking: true``, else ``student``. A flow into an aggregate carries no elements (counts
  only, operation ``aggregate``); into a de-identified dataset it is a ``deidentify``. The
  mapping wins over the facets (a warning says when they disagree).
* Datasets that no mapping entry places are listed once each (warnings) with the entry to add;
  flows from or to them are not made.

Errors: :class:`~lineage.core.errors.InputError` lists every bad event (row = line of a ``.jsonl``
file, position in a ``.json`` array, or in the iterable) and every mapping problem at once.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from lineage.core.errors import InputError, Problem, pydantic_errors
from lineage.core.models import (
    Dataset,
    ElementDef,
    ElementName,
    Flow,
    Inventory,
    Key,
    coerce_basis,
)
from lineage.core.vocabulary import (
    ELEMENT_CATEGORY,
    FlowKind,
    Granularity,
    LegalBasis,
    Operation,
)
from lineage.sources.common import RowItem, compose_key, is_key
from lineage.sources.dictionary import ColumnMapping, column_key, load_mapping
from lineage.sources.inventory import load_yaml

# --- the events (OpenLineage 2-0-x) -------------------------------------------------------


class _Open(BaseModel):
    """Parts of an event that producers extend: unknown fields are kept."""

    model_config = ConfigDict(extra="allow")


class EventType(str, Enum):
    """``RunEvent.eventType``: the run's state transition."""

    START = "START"
    RUNNING = "RUNNING"
    COMPLETE = "COMPLETE"
    ABORT = "ABORT"
    FAIL = "FAIL"
    OTHER = "OTHER"


class Run(_Open):
    """The run an event is about: ``runId`` (a UUID) and run facets."""

    runId: str = Field(..., min_length=1)
    facets: dict[str, Any] = Field(default_factory=dict)


class Job(_Open):
    """A job: unique by ``namespace`` + ``name``."""

    namespace: str = Field(..., min_length=1)
    name: str = Field(..., min_length=1)
    facets: dict[str, Any] = Field(default_factory=dict)


class DatasetRef(_Open):
    """A dataset: unique by ``namespace`` + ``name``, with dataset facets (``schema``,
    ``columnLineage``, ...). Inputs may add ``inputFacets``, outputs ``outputFacets``."""

    namespace: str = Field(..., min_length=1)
    name: str = Field(..., min_length=1)
    facets: dict[str, Any] = Field(default_factory=dict)


class _Event(_Open):
    eventTime: datetime = Field(..., description="when the event happened (ISO date-time)")
    producer: str = Field(..., description="URI of the producer")
    schemaURL: str = Field(..., description="URL of the event's JSON schema")


class RunEvent(_Event):
    """A run's state change (``eventType``), with its job, run, inputs and outputs."""

    eventType: EventType | None = None
    run: Run
    job: Job
    inputs: list[DatasetRef] = Field(default_factory=list)
    outputs: list[DatasetRef] = Field(default_factory=list)


class DatasetEvent(_Event):
    """Metadata about one dataset, outside any run."""

    dataset: DatasetRef


class JobEvent(_Event):
    """Metadata about one job (its declared inputs and outputs), outside any run."""

    job: Job
    inputs: list[DatasetRef] = Field(default_factory=list)
    outputs: list[DatasetRef] = Field(default_factory=list)


class Transformation(_Open):
    """One transformation of a column lineage input field (facet 1-2-0)."""

    type: str = "DIRECT"
    subtype: str | None = None
    description: str | None = None
    masking: bool = False


class InputField(_Open):
    """An input field feeding an output field."""

    namespace: str
    name: str
    field: str
    transformations: list[Transformation] = Field(default_factory=list)


class ColumnLineageField(_Open):
    """An output field and the input fields it comes from."""

    inputFields: list[InputField] = Field(default_factory=list)
    transformationDescription: str | None = None
    transformationType: str | None = None


class ColumnLineageFacet(_Open):
    """``ColumnLineageDatasetFacet``: output field -> input fields (``dataset`` lists inputs
    that affect every field indirectly)."""

    fields: dict[str, ColumnLineageField] = Field(default_factory=dict)
    dataset: list[InputField] = Field(default_factory=list)


class SchemaField(_Open):
    """A field of ``SchemaDatasetFacet`` (nested ``fields`` for structs)."""

    name: str
    type: str | None = None
    fields: list[SchemaField] = Field(default_factory=list)


SchemaField.model_rebuild()


class SchemaFacet(_Open):
    """``SchemaDatasetFacet``: the dataset's fields."""

    fields: list[SchemaField] = Field(default_factory=list)


def _schema_kept(fields: Any) -> list[dict[str, Any]]:
    out = []
    for f in fields if isinstance(fields, list) else []:
        if isinstance(f, dict) and isinstance(f.get("name"), str):
            item: dict[str, Any] = {"name": f["name"]}
            if isinstance(f.get("type"), str):
                item["type"] = f["type"]
            if f.get("fields"):
                item["fields"] = _schema_kept(f["fields"])
            out.append(item)
    return out


def _input_field_kept(inp: Any) -> dict[str, Any] | None:
    if not isinstance(inp, dict):
        return None
    item = {k: inp[k] for k in ("namespace", "name", "field") if isinstance(inp.get(k), str)}
    ts = [{k: t[k] for k in ("type", "subtype", "masking") if k in t}
          for t in inp.get("transformations") or [] if isinstance(t, dict)]
    if ts:
        item["transformations"] = ts
    return item


def _dataset_kept(ref: Any) -> Any:
    if not isinstance(ref, dict):
        return ref  # left for validation to refuse
    out = {k: ref[k] for k in ("namespace", "name") if k in ref}
    facets = ref.get("facets") if isinstance(ref.get("facets"), dict) else {}
    kept: dict[str, Any] = {}
    schema = facets.get("schema")
    if isinstance(schema, dict):
        kept["schema"] = {"fields": _schema_kept(schema.get("fields"))}
    cl = facets.get("columnLineage")
    if isinstance(cl, dict):
        fields = {}
        given = cl.get("fields") if isinstance(cl.get("fields"), dict) else {}
        for name, spec in given.items():
            if not isinstance(spec, dict):
                continue
            one: dict[str, Any] = {"inputFields": [x for x in map(
                _input_field_kept, spec.get("inputFields") or []) if x is not None]}
            if isinstance(spec.get("transformationType"), str):
                one["transformationType"] = spec["transformationType"]
            fields[name] = one
        kept["columnLineage"] = {"fields": fields, "dataset": [
            x for x in map(_input_field_kept, cl.get("dataset") or []) if x is not None]}
    if kept:
        out["facets"] = kept
    return out


def lineage_facts(data: dict[str, Any]) -> dict[str, Any]:
    """The part of an OpenLineage event that the lineage rules read, and nothing else: event
    type and time, producer and schema URL, the run's id, the job's namespace and name, and of
    each dataset its namespace, name, ``schema`` field names and types, and ``columnLineage``
    (fields, input fields, transformation type/subtype/masking).

    Everything else an event may carry — run and job facets (SQL text, error messages, source
    code locations), descriptions, tags, ownership, statistics, custom facets — is dropped:
    producers put free text there that can hold a student's ID or name, and the tracker keeps
    none (README "Privacy of the tracker"). ``inventory_from_events`` gives the same
    inventory from the facts as from the whole event. Input: an event dict as received (not yet
    validated: what does not have the expected shape is left for :func:`parse_event` to refuse).
    """
    out = {k: data[k] for k in ("eventType", "eventTime", "producer", "schemaURL") if k in data}
    if isinstance(data.get("run"), dict):
        out["run"] = {k: data["run"][k] for k in ("runId",) if k in data["run"]}
    elif "run" in data:
        out["run"] = data["run"]
    if isinstance(data.get("job"), dict):
        out["job"] = {k: data["job"][k] for k in ("namespace", "name") if k in data["job"]}
    elif "job" in data:
        out["job"] = data["job"]
    for key in ("inputs", "outputs"):
        if isinstance(data.get(key), list):
            out[key] = [_dataset_kept(d) for d in data[key]]
        elif key in data:
            out[key] = data[key]
    if "dataset" in data:
        out["dataset"] = _dataset_kept(data["dataset"])
    return out


def event_texts(data: Any) -> list[str]:
    """Every text an event (as :func:`lineage_facts` keeps it) would store: the job's and
    datasets' namespaces and names, the producer, schema field names, column lineage... (all
    strings, keys of objects included). The receiver checks them for student IDs before
    storing anything (a pipeline that writes one file per student)."""
    out: list[str] = []
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, str):
            out.append(x)
        elif isinstance(x, dict):
            out.extend(k for k in x if isinstance(k, str))
            stack.extend(x.values())
        elif isinstance(x, list):
            stack.extend(x)
    return out


def parse_event(data: Any) -> RunEvent | DatasetEvent | JobEvent:
    """One event dict as its model: a ``RunEvent`` when it has ``run`` or ``eventType``, a
    ``DatasetEvent`` when it has ``dataset``, else a ``JobEvent``. Raises ``ValueError``
    (not a JSON object) or pydantic's ``ValidationError``."""
    if not isinstance(data, dict):
        raise ValueError("an event is a JSON object")
    if "run" in data or "eventType" in data:
        return RunEvent.model_validate(data)
    if "dataset" in data:
        return DatasetEvent.model_validate(data)
    return JobEvent.model_validate(data)


# --- the mapping --------------------------------------------------------------------------


class DatasetRule(BaseModel):
    """One ``datasets:`` entry of a mapping file (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    namespace: str = Field(..., min_length=1, description="namespace glob (fnmatch)")
    name: str = Field("*", min_length=1, description="dataset name glob (fnmatch)")
    actor: Key = Field(..., description="actor id of the holder")
    dataset: Key | None = Field(None, description="dataset id; default '<namespace>/<name>'")
    existing: bool = Field(False, description="an inventory defines the dataset: add flows only")
    granularity: Granularity | None = Field(None, description="default: from column lineage")
    elements: list[ElementName] | None = Field(None, description="elements it holds when no "
                                               "event carries its schema")
    legal_basis: LegalBasis | None = Field(None, description="basis of disclosures into it")
    agreement: Key | None = Field(None, description="agreement of disclosures into it")
    purpose: str | None = Field(None, description="purpose of flows into it")
    min_cell_size: int | None = Field(None, ge=1, description="aggregates: minimum cell size")

    _basis = field_validator("legal_basis", mode="before")(lambda cls, v: coerce_basis(v))

    def matches(self, namespace: str, name: str) -> bool:
        """True when this entry places the dataset ``namespace`` / ``name``."""
        return fnmatch.fnmatchcase(namespace, self.namespace) and \
            fnmatch.fnmatchcase(name, self.name)


@dataclass
class OpenLineageMapping:
    """Dataset placement rules (tried in order) and the column -> element mapping."""

    rules: list[DatasetRule]
    columns: ColumnMapping
    files: list[str] = field(default_factory=list)

    def place(self, namespace: str, name: str) -> DatasetRule | None:
        """The first rule placing ``namespace`` / ``name``, or ``None``."""
        return next((r for r in self.rules if r.matches(namespace, name)), None)

    def element_of(self, field_name: str) -> tuple[bool, str | None]:
        """``(known, element)`` of a field: ``(True, None)`` for a field the mapping ignores,
        ``(False, None)`` for one it does not know."""
        cols = self.columns.columns
        leaf = field_name.rsplit(".", 1)[-1]
        for cand in dict.fromkeys((field_name, _words(field_name), leaf, _words(leaf))):
            key = column_key(cand)
            if key in cols:
                return True, cols[key]
        return False, None


def _words(name: str) -> str:
    """``birth_date`` / ``birthDate`` / ``birth-date`` -> ``birth date``."""
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return re.sub(r"[_.\-]+", " ", s).strip()


def read_mapping(paths: Iterable[Path]) -> OpenLineageMapping:
    """Read OpenLineage mapping files (YAML; see the module docstring).

    Raises :class:`InputError` with every problem: unreadable YAML, a ``datasets`` entry that
    does not validate (named by its position), an unknown element, no ``datasets`` at all.
    """
    paths = [Path(p) for p in paths]
    problems: list[Problem] = []
    rules: list[DatasetRule] = []
    try:
        columns = load_mapping(paths, extra_keys=("datasets",))
    except InputError as exc:
        problems.extend(exc.problems)
        columns = ColumnMapping(columns={})
    for path in paths:
        if path.suffix.lower() not in (".yaml", ".yml"):
            continue
        try:
            doc = load_yaml(path.read_text(encoding="utf-8-sig")) or {}
        except (OSError, UnicodeDecodeError, ValueError, RecursionError, yaml.YAMLError):
            continue                      # load_mapping reported it
        entries = doc.get("datasets") if isinstance(doc, dict) else None
        if entries is None:
            continue
        if not isinstance(entries, list):
            problems.append(Problem(str(path), None, "datasets", "expected a list of entries "
                                    "{namespace, name, actor, ...}"))
            continue
        for i, entry in enumerate(entries):
            where = f"datasets[{i}]"
            try:
                rule = DatasetRule.model_validate(entry)
            except ValidationError as exc:
                for loc, msg in pydantic_errors(exc):
                    problems.append(Problem(str(path), None, f"{where}.{loc}" if loc else where,
                                            msg))
                continue
            if rule.existing and rule.dataset is None:
                problems.append(Problem(str(path), None, f"{where}.dataset", (
                    "existing: true needs the inventory's dataset id in 'dataset'")))
            for e in rule.elements or []:
                if e not in ELEMENT_CATEGORY and e not in columns.elements:
                    problems.append(Problem(str(path), None, f"{where}.elements", (
                        f"unknown data element {e!r}: use an NDPA element name or define it "
                        "under 'elements' with its category")))
            rules.append(rule)
    if not rules and not problems:
        problems.append(Problem(", ".join(map(str, paths)) or "(command line)", None,
                                "datasets", "no 'datasets' entries: --openlineage needs a "
                                "mapping file saying which actor holds each namespace/dataset"))
    if problems:
        raise InputError(problems, hint="fix the mapping file(s) given with --mapping")
    return OpenLineageMapping(rules, columns, [str(p) for p in paths])


# --- the core -----------------------------------------------------------------------------


@dataclass
class _DatasetSeen:
    namespace: str
    name: str
    first_row: int
    fields: set[str] = field(default_factory=set)
    # output field -> list of (input namespace, input name, input field, direct, masked)
    lineage: dict[str, list[tuple[str, str, str, bool, bool]]] = field(default_factory=dict)
    indirect: set[tuple[str, str]] = field(default_factory=set)
    aggregated: bool = False
    masked: bool = False


@dataclass
class _RunSeen:
    job: tuple[str, str] | None = None
    inputs: dict[tuple[str, str], None] = field(default_factory=dict)
    outputs: dict[tuple[str, str], None] = field(default_factory=dict)
    completed: list[date] = field(default_factory=list)


@dataclass
class _FlowSeen:
    job: tuple[str, str]
    source: str
    target: str
    first: date
    last: date
    elements: set[str]
    runs: int = 0


def _schema_fields(fields: list[SchemaField], prefix: str = "") -> Iterator[str]:
    for f in fields:
        name = f"{prefix}{f.name}"
        if f.fields:
            yield from _schema_fields(f.fields, name + ".")
        else:
            yield name


def inventory_from_events(events: Iterable[dict], mapping: OpenLineageMapping, *,
                          origin: str = "events") -> tuple[Inventory, list[Problem]]:
    """Datasets and flows from OpenLineage events (rules in the module docstring).

    ``events``: event dicts as the specification defines them (any iterable; row numbers in
    problems are 1-based positions in it). ``mapping``: from :func:`read_mapping`. ``origin``:
    how messages name the events' source.

    Returns ``(inventory, warnings)``: the inventory holds the datasets the mapping defines
    (``existing`` ones are only referred to), the flows, and the mapping-defined elements they
    use; it names actors and datasets it does not define, which
    :func:`lineage.sources.inventory.validate` checks against the other inputs and the graph.
    Raises :class:`InputError` listing every event that does not validate.
    """
    return _build(enumerate(events, 1), mapping, origin)


def _build(items: Iterable[tuple[int, Any]], mapping: OpenLineageMapping, origin: str
           ) -> tuple[Inventory, list[Problem]]:
    problems: list[Problem] = []
    warnings: list[Problem] = []
    seen: dict[tuple[str, str], _DatasetSeen] = {}
    runs: dict[str, _RunSeen] = {}

    def dataset(ref: DatasetRef, row: int) -> tuple[str, str]:
        key = (ref.namespace, ref.name)
        ds = seen.get(key)
        if ds is None:
            ds = seen[key] = _DatasetSeen(ref.namespace, ref.name, row)
        facets = ref.facets or {}
        try:
            if isinstance(facets.get("schema"), dict):
                ds.fields.update(_schema_fields(SchemaFacet.model_validate(
                    facets["schema"]).fields))
            if isinstance(facets.get("columnLineage"), dict):
                cl = ColumnLineageFacet.model_validate(facets["columnLineage"])
                for out_field, spec in cl.fields.items():
                    legacy = (spec.transformationType or "").upper()
                    entries = ds.lineage.setdefault(out_field, [])
                    for inp in spec.inputFields:
                        ts = inp.transformations
                        direct = any(t.type.upper() == "DIRECT" for t in ts) if ts \
                            else legacy != "INDIRECT"
                        masked = any(t.masking for t in ts) if ts else legacy.startswith("MASK")
                        if any((t.subtype or "").upper() == "AGGREGATION" for t in ts):
                            ds.aggregated = True
                        ds.masked |= masked
                        entries.append((inp.namespace, inp.name, inp.field, direct, masked))
                        if not direct:
                            ds.indirect.add((inp.namespace, inp.name))
                for inp in cl.dataset:
                    ds.indirect.add((inp.namespace, inp.name))
        except ValidationError as exc:
            loc, msg = pydantic_errors(exc)[0]
            problems.append(Problem(origin, row, f"{ref.namespace} {ref.name}: facets.{loc}",
                                    msg))
        return key

    for row, data in items:
        try:
            event = parse_event(data)
        except ValueError as exc:       # ValidationError is a ValueError
            errs = pydantic_errors(exc) if isinstance(exc, ValidationError) else []
            for loc, msg in errs[:5] or [("", str(exc))]:
                problems.append(Problem(origin, row, loc or None, msg))
            continue
        if isinstance(event, DatasetEvent):
            dataset(event.dataset, row)
            continue
        ins = [dataset(d, row) for d in event.inputs]
        outs = [dataset(d, row) for d in event.outputs]
        if isinstance(event, JobEvent):
            continue
        run = runs.setdefault(event.run.runId, _RunSeen())
        run.job = run.job or (event.job.namespace, event.job.name)
        run.inputs.update(dict.fromkeys(ins))
        run.outputs.update(dict.fromkeys(outs))
        if event.eventType is EventType.COMPLETE:
            run.completed.append(event.eventTime.date())
    if problems:
        raise InputError(problems, hint="each line/item must be an OpenLineage RunEvent, "
                         "DatasetEvent or JobEvent (https://openlineage.io/spec/2-0-2/"
                         "OpenLineage.json)")

    # place every dataset seen
    placed: dict[tuple[str, str], tuple[DatasetRule, str]] = {}
    for key, ds in seen.items():
        rule = mapping.place(*key)
        if rule is None:
            warnings.append(Problem(origin, ds.first_row, None, (
                f"dataset {ds.namespace!r} {ds.name!r} is not placed by the mapping; flows from "
                f"or to it were not made. Add under datasets: - {{namespace: {json.dumps(ds.namespace)}, "
                f"name: {json.dumps(ds.name)}, actor: <holder actor id>, granularity: student}}")))
            continue
        did = rule.dataset or _dataset_id(ds.namespace, ds.name)
        placed[key] = (rule, did)

    used_custom: set[str] = set()

    def elements_of(key: tuple[str, str]) -> tuple[set[str], bool]:
        """(elements, known) of a seen dataset: the rule's, else its mapped schema fields."""
        rule, _ = placed[key]
        if rule.elements is not None:
            return set(rule.elements), True
        ds = seen[key]
        out = set()
        for f in ds.fields:
            _, e = mapping.element_of(f)
            if e:
                out.add(e)
        return out, bool(ds.fields)

    # unmapped fields, once per dataset
    for key, (rule, did) in placed.items():
        ds = seen[key]
        unknown = sorted(f for f in ds.fields if not mapping.element_of(f)[0])
        if unknown and rule.elements is None:
            warnings.append(Problem(origin, ds.first_row, None, (
                f"dataset {did}: field(s) {', '.join(unknown[:12])}"
                f"{' ...' if len(unknown) > 12 else ''} map to no data element and are not "
                "counted; add them under 'columns:' in the mapping if they hold student data "
                "(or map them to null to silence this)")))

    # datasets defined here
    defined: dict[str, dict[str, Any]] = {}
    for key, (rule, did) in placed.items():
        if rule.existing:
            continue
        ds = seen[key]
        els, known = elements_of(key)
        d = defined.setdefault(did, {"rule": rule, "elements": set(), "known": False,
                                     "aggregated": False, "masked": False})
        d["elements"] |= els
        d["known"] |= known
        d["aggregated"] |= ds.aggregated
        d["masked"] |= ds.masked

    def granularity(did: str) -> Granularity:
        d = defined.get(did)
        if d is None:
            return Granularity.STUDENT         # an existing dataset: the inventory says
        derived = Granularity.AGGREGATE if d["aggregated"] else \
            Granularity.DEIDENTIFIED if d["masked"] else Granularity.STUDENT
        return d["rule"].granularity or derived

    for did, d in defined.items():
        derived = Granularity.AGGREGATE if d["aggregated"] else \
            Granularity.DEIDENTIFIED if d["masked"] else Granularity.STUDENT
        given = d["rule"].granularity
        if given is not None and given is not derived and derived is not Granularity.STUDENT:
            warnings.append(Problem(origin, None, None, (
                f"dataset {did}: the mapping says granularity {given.value}, its column lineage "
                f"shows {derived.value}; the mapping wins")))

    # flows
    flows: dict[tuple[tuple[str, str], str, str], _FlowSeen] = {}
    indirect_only = 0
    for run in runs.values():
        if not run.completed or run.job is None:
            continue
        first, last = min(run.completed), max(run.completed)
        for ikey in run.inputs:
            for okey in run.outputs:
                if ikey not in placed or okey not in placed:
                    continue
                (_, src), (orule, tgt) = placed[ikey], placed[okey]
                if src == tgt:
                    continue
                in_els, _ = elements_of(ikey)
                out = seen[okey]
                lineage = [e for es in out.lineage.values() for e in es
                           if (e[0], e[1]) == ikey]
                if out.lineage or out.indirect:
                    carried = set()
                    for _, _, fname, direct, masked in lineage:
                        if direct and not masked:
                            _, el = mapping.element_of(fname)
                            if el:
                                carried.add(el)
                    if not any(e[3] for e in lineage):
                        indirect_only += 1
                        continue
                else:
                    carried = set(in_els)
                    out_els, out_known = elements_of(okey)
                    if out_known and not orule.existing:
                        carried &= out_els
                if granularity(tgt) is Granularity.AGGREGATE:
                    carried = set()
                fk = (run.job, src, tgt)
                f = flows.get(fk)
                if f is None:
                    flows[fk] = _FlowSeen(run.job, src, tgt, first, last, carried, 1)
                else:
                    f.first, f.last = min(f.first, first), max(f.last, last)
                    f.elements |= carried
                    f.runs += 1

    holder = {did: rule.actor for rule, did in placed.values()}
    rule_of = {did: rule for rule, did in placed.values()}
    out_flows: list[Flow] = []
    datasets: list[Dataset] = []
    try:
        for did, d in sorted(defined.items()):
            rule = d["rule"]
            g = granularity(did)
            used_custom |= {e for e in d["elements"] if e not in ELEMENT_CATEGORY}
            datasets.append(Dataset(
                id=did, holder=rule.actor, granularity=g,
                purpose=rule.purpose,
                elements=sorted(d["elements"]) if d["known"] or rule.elements is not None
                else None,
                min_cell_size=rule.min_cell_size if g is Granularity.AGGREGATE else None))
        for (job, src, tgt), f in sorted(flows.items(), key=lambda kv: (kv[0][1], kv[0][2],
                                                                         kv[0][0])):
            orule = rule_of[tgt]
            g = granularity(tgt)
            kind = FlowKind.DISCLOSURE if holder[src] != holder[tgt] else FlowKind.TRANSFORMATION
            op = Operation.AGGREGATE if g is Granularity.AGGREGATE else \
                Operation.DEIDENTIFY if g is Granularity.DEIDENTIFIED else Operation.COPY
            used_custom |= {e for e in f.elements if e not in ELEMENT_CATEGORY}
            disclosure = kind is FlowKind.DISCLOSURE
            out_flows.append(Flow(
                id=_flow_id(job, src, tgt), kind=kind, operation=op, source=src, target=tgt,
                elements=sorted(f.elements),
                legal_basis=orule.legal_basis if disclosure else None,
                agreement=orule.agreement if disclosure else None,
                purpose=orule.purpose or f"OpenLineage job {job[0]}/{job[1]}",
                valid_from=f.first, valid_to=f.last))
    except ValidationError as exc:
        raise InputError([Problem(origin, None, loc, msg)
                          for loc, msg in pydantic_errors(exc)]) from None
    if indirect_only:
        warnings.append(Problem(origin, None, None, (
            f"{indirect_only} input -> output pair(s) used only indirectly (filter, join, group "
            "by) per their column lineage: no flow made")))
    extra = [ElementDef(name=e, category=mapping.columns.elements[e])
             for e in sorted(used_custom) if e in mapping.columns.elements]
    inv = Inventory(name=f"OpenLineage events ({origin})", elements=extra, datasets=datasets,
                    flows=out_flows)
    return inv, warnings


def _dataset_id(namespace: str, name: str) -> str:
    """``<namespace>/<name>`` when that is an identifier, else a composed key with a hash."""
    text = f"{namespace}/{name}"
    return text if is_key(text) else compose_key(namespace, name)


def _flow_id(job: tuple[str, str], source: str, target: str) -> str:
    digest = hashlib.sha256("\x1f".join((*job, source, target)).encode("utf-8")).hexdigest()[:12]
    head = re.sub(r"[^A-Za-z0-9._\-]", "_", job[1])[:60]
    return f"ol:{head}:{digest}"


# --- files --------------------------------------------------------------------------------


def read_events(path: Path) -> Iterator[tuple[int, Any] | Problem]:
    """The events of a ``.jsonl`` file (``(line, dict)`` per non-empty line) or a ``.json``
    file (one event, or an array: ``(position, dict)``); a :class:`Problem` for a line or file
    that is not JSON."""
    path = Path(path)
    f = str(path)
    try:
        fh = open(path, encoding="utf-8-sig")  # noqa: SIM115 -- closed below
    except OSError as exc:
        yield Problem(f, None, None, f"cannot read the file ({exc.strerror})")
        return
    with fh:
        try:
            if path.suffix.lower() in (".jsonl", ".ndjson"):
                for line, text in enumerate(fh, 1):
                    if not text.strip():
                        continue
                    try:
                        yield line, json.loads(text)
                    except json.JSONDecodeError as exc:
                        yield Problem(f, line, None, f"not valid JSON: {exc.msg}")
                return
            try:
                doc = json.load(fh)
            except json.JSONDecodeError as exc:
                yield Problem(f, exc.lineno, None, f"not valid JSON: {exc.msg}")
                return
        except UnicodeDecodeError:
            yield Problem(f, None, None, "not UTF-8 text")
            return
    if isinstance(doc, list):
        yield from enumerate(doc, 1)
    else:
        yield 1, doc


class OpenLineageSource:
    """Events files and a mapping as a :class:`lineage.sources.common.ParsedSource` (no bulk
    rows: :meth:`rows` yields only problems)."""

    def __init__(self, path: Path, mapping: OpenLineageMapping) -> None:
        self.path = Path(path)
        self.origin = str(path)
        self.mapping = mapping
        self.warnings: list[Problem] = []
        self.notes: list[str] = []
        self._inventory: Inventory | None = None

    def rows(self) -> Iterator[RowItem]:
        """Read and build; yield every problem (none: the inventory is ready)."""
        read_problems: list[Problem] = []

        def events() -> Iterator[tuple[int, Any]]:
            for item in read_events(self.path):
                if isinstance(item, Problem):
                    read_problems.append(item)
                else:
                    yield item
        try:
            inv, warnings = _build(events(), self.mapping, self.origin)
        except InputError as exc:
            yield from read_problems
            yield from exc.problems
            return
        if read_problems:
            yield from read_problems
            return
        self.warnings.extend(warnings)
        self._inventory = inv
        self.notes.append(f"{self.origin}: OpenLineage: {len(inv.datasets)} datasets defined, "
                          f"{len(inv.flows)} flows")

    def inventory(self) -> Inventory:
        """The datasets and flows (after :meth:`rows`)."""
        if self._inventory is None:
            raise RuntimeError("rows() must be consumed first")
        return self._inventory

    def close(self) -> None:
        """Nothing to close."""


def read_openlineage(path: Path, mapping_files: Iterable[Path]) -> OpenLineageSource:
    """Open an events file with its mapping files. Raises :class:`InputError` for mapping
    problems; event problems are yielded by :meth:`OpenLineageSource.rows`."""
    return OpenLineageSource(Path(path), read_mapping(mapping_files))
