"""Pydantic v2 models of a data inventory: everything the graph holds except bulk student data.

Built fideslang-style from one reusable key type (:data:`Key`) and small base classes; every
field has a ``description``; validators are plain functions that raise ``ValueError``.
Dates are ISO dates (``YYYY-MM-DD``); every window ``[valid_from, valid_to]`` is inclusive and
``None`` means open (since ever / still running).

The inventory file format (YAML or JSON) is exactly :class:`Inventory`; ``lineage schema``
prints its JSON Schema. Bulk student data (teaching assignments, enrolments, rosters, guardians,
dataset members, flow subjects, access logs) is CSV, described by :class:`BulkFile` and parsed by
:mod:`lineage.sources.inventory`.
"""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from lineage.core.pseudonym import normalise_id
from lineage.core.vocabulary import (
    NDPA_CATEGORIES,
    AgreementKind,
    FlowKind,
    Granularity,
    LegalBasis,
    Operation,
    Retention,
    Role,
    Scope,
    parse_basis,
)

#: An identifier: letters, digits and ``. _ - : /``; 1-128 characters; no spaces.
Key = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128,
                                       pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/\-]*$")]

#: A data element name (free text, e.g. "Date of Birth").
ElementName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]

#: A student's district ID as typed by the district. Hashed on the way in; never stored.
#: The longest student ID read anywhere (inventories, bulk files, the CLI, the web workspace).
STUDENT_ID_MAX = 128
StudentRef = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                              max_length=STUDENT_ID_MAX)]


def check_window(valid_from: date | None, valid_to: date | None) -> None:
    """Raise ``ValueError`` when a window ends before it starts (windows are inclusive)."""
    if valid_from is not None and valid_to is not None and valid_to < valid_from:
        raise ValueError(f"dates out of order: valid_to {valid_to} is before valid_from {valid_from}")


def check_students_once(students: list[str]) -> None:
    """Raise ``ValueError`` when a list of students (a flow's, a small cell's) names one student
    twice (IDs compared as the loader hashes them, :func:`~lineage.core.pseudonym.normalise_id`).
    The message never names an ID."""
    ids = [normalise_id(s) for s in students]
    if len(set(ids)) != len(ids):
        raise ValueError("a student is listed twice (the IDs are not shown): list each once")


def check_cell_size(size: int, students: list[str]) -> None:
    """Raise ``ValueError`` when a small cell lists more students than it counts (``size``): a
    cell holds at most ``size`` students, so one of the IDs is wrong. Never names an ID."""
    if len(students) > size:
        raise ValueError(f"{len(students)} students are listed in a cell of size {size}: a cell "
                         "lists at most its size (the IDs are not shown): check the list and the "
                         "size")


def coerce_basis(value: object) -> object:
    """Accept a legal basis written as a FERPA exception name ('School Official', 'Studies')."""
    if isinstance(value, str) and value not in LegalBasis._value2member_map_:
        return parse_basis(value)[0]
    return value


class Base(BaseModel):
    """Base of every model: unknown fields are errors (a misspelt field must not pass silently)."""

    model_config = ConfigDict(extra="forbid", use_enum_values=False, str_strip_whitespace=True)


class Windowed(Base):
    """Something valid during an inclusive window of ISO dates."""

    valid_from: date | None = Field(None, description="first day (inclusive); empty = since ever")
    valid_to: date | None = Field(None, description="last day (inclusive); empty = still running")

    @model_validator(mode="after")
    def _window(self):
        check_window(self.valid_from, self.valid_to)
        return self


class ElementDef(Base):
    """A data element. NDPA Exhibit B elements are built in; define others here."""

    name: ElementName = Field(..., description="element name, e.g. 'Date of Birth'")
    category: str = Field(..., description="NDPA Exhibit B category, e.g. 'Demographics'")
    ceds_id: str | None = Field(None, description="CEDS global ID (six digits) where known",
                                pattern=r"^\d{6}$")
    sensitive: bool | None = Field(None, description="override; default: true for Special "
                                   "Indicator and Student Survey Responses")
    description: str | None = Field(None, description="what the element holds")

    @field_validator("category")
    @classmethod
    def _category(cls, v: str) -> str:
        if v not in NDPA_CATEGORIES:
            raise ValueError(f"unknown NDPA category {v!r}; use one of: {', '.join(NDPA_CATEGORIES)}")
        return v


class Actor(Base):
    """A person or organisation that can hold or read student data."""

    id: Key = Field(..., description="stable identifier, e.g. 'riverside-sd'")
    name: str | None = Field(None, description="display name; defaults to the id")
    role: Role = Field(..., description="role from the domain table (district, school, teacher, ...)")
    part_of: Key | None = Field(None, description="parent organisation (a school's district)")
    description: str | None = Field(None, description="free text")


class Coverage(Windowed):
    """Population coverage: every student enrolled at ``org`` (or its schools) in the window."""

    org: Key = Field(..., description="school or district actor id")


class SmallCell(Base):
    """A published aggregate cell, with the students counted in it (when it matters)."""

    label: str = Field(..., description="what the cell counts, e.g. 'grade 4 EL proficient'")
    size: int = Field(..., ge=0, description="number of students in the cell")
    suppressed: bool | None = Field(None, description="override of the dataset's suppression")
    elements: list[ElementName] = Field(default_factory=list,
                                        description="elements the cell reveals about its students")
    students: list[StudentRef] = Field(default_factory=list,
                                       description="district IDs of the students in the cell "
                                       "(hashed on load)")

    @model_validator(mode="after")
    def _students(self):
        check_students_once(self.students)
        check_cell_size(self.size, self.students)
        return self


class Dataset(Base):
    """A body of records held by one actor."""

    id: Key = Field(..., description="stable identifier, e.g. 'rsd-sis'")
    name: str | None = Field(None, description="display name")
    holder: Key = Field(..., description="actor id of the holder")
    granularity: Granularity = Field(..., description="student | deidentified | aggregate")
    purpose: str | None = Field(None, description="why the dataset exists")
    elements: list[ElementName] | None = Field(
        None, description="elements the dataset keeps; empty = whatever its flows carry")
    coverage: list[Coverage] = Field(default_factory=list,
                                     description="population coverage through enrolment")
    members_only: bool = Field(False, description="only students listed as members (a sample, "
                               "an opt-in list) are in the dataset")
    retention: Retention = Field(Retention.KEPT, description="kept | current (see docs)")
    valid_from: date | None = Field(None, description="dataset exists from")
    valid_to: date | None = Field(None, description="dataset destroyed on (holding ends)")
    min_cell_size: int | None = Field(None, ge=1, description="aggregates: minimum cell size used")
    suppressed: bool | None = Field(None, description="aggregates: small cells suppressed")
    smallest_cell: int | None = Field(None, ge=0, description="aggregates: smallest published cell")
    small_cells: list[SmallCell] = Field(default_factory=list,
                                         description="aggregates: cells below the minimum, named")
    population: str | None = Field(None, description="free-text student population "
                                   "(e.g. 'Grades 3-8'), kept and shown")

    @model_validator(mode="after")
    def _checks(self):
        check_window(self.valid_from, self.valid_to)
        if self.granularity is not Granularity.AGGREGATE and (self.small_cells or self.min_cell_size):
            raise ValueError("min_cell_size and small_cells apply to aggregate datasets only")
        return self


class Agreement(Windowed):
    """A written agreement: DPA/NDPA, research agreement, MOU, consent."""

    id: Key = Field(..., description="agreement identifier, e.g. 'NDPA-2024-017'")
    kind: AgreementKind = Field(..., description="ndpa | dpa | research | mou | consent | other")
    purpose: str | None = Field(None, description="purpose stated in the agreement")
    legal_basis: LegalBasis | None = Field(None, description="basis the agreement relies on")
    recipients: list[Key] = Field(default_factory=list, description="actor ids it names")
    permitted_elements: list[ElementName] = Field(default_factory=list,
                                                  description="elements it permits (Exhibit B)")
    destroy_by: date | None = Field(None, description="data must be destroyed by this date")
    may_redisclose: bool = Field(False, description="recipient may pass data on")

    _basis = field_validator("legal_basis", mode="before")(lambda cls, v: coerce_basis(v))


class Flow(Windowed):
    """Data moving: collected into a dataset, derived from one, or disclosed to another actor."""

    id: Key = Field(..., description="flow identifier, e.g. 'S1c'")
    kind: FlowKind = Field(..., description="collection | transformation | disclosure")
    operation: Operation = Field(Operation.COPY, description="copy | subset | join | "
                                 "deidentify | aggregate")
    source: Key | None = Field(None, description="source dataset id (none for a collection)")
    target: Key = Field(..., description="target dataset id")
    elements: list[ElementName] = Field(default_factory=list,
                                        description="elements carried; empty for aggregates = "
                                        "counts only")
    legal_basis: LegalBasis | None = Field(None, description="basis of a disclosure")
    agreement: Key | None = Field(None, description="agreement id it is made under")
    purpose: str | None = Field(None, description="purpose / legitimate interest")
    threat: str | None = Field(None, description="health or safety emergency: the threat "
                               "(FERPA §99.32(a)(5))")
    students: list[StudentRef] = Field(default_factory=list,
                                       description="only these students' records flow "
                                       "(transfer, emergency); empty = the whole population")
    population: str | None = Field(None, description="free-text population, kept and shown")

    _basis = field_validator("legal_basis", mode="before")(lambda cls, v: coerce_basis(v))

    @model_validator(mode="after")
    def _source(self):
        check_students_once(self.students)
        if self.kind is FlowKind.COLLECTION and self.source is not None:
            raise ValueError("a collection has no source dataset")
        if self.kind is not FlowKind.COLLECTION and self.source is None:
            raise ValueError(f"a {self.kind.value} needs a source dataset")
        return self


class Grant(Windowed):
    """An actor may read a dataset, for the students its scope includes at the time.

    A *role grant* names no actor: scope ``roster`` then means "every teacher of the student's
    sections (at schools within ``scope_org`` when given), while taught", and ``own_child``
    "every guardian of the student (while enrolled within ``scope_org`` when given)". One such
    grant replaces one grant per teacher or parent, which a state cannot list (FERPA
    §99.31(a)(1) school officials; §99.10 parents' right to inspect).
    """

    id: Key = Field(..., description="grant identifier")
    actor: Key | None = Field(None, description="actor id that may read; omit for a role grant "
                              "(scope roster: every teacher of the student; own_child: every "
                              "guardian)")
    dataset: Key = Field(..., description="dataset id")
    scope: Scope = Field(..., description="all | roster | own_child | school | district")
    scope_org: Key | None = Field(None, description="school/district for scope school|district")
    elements: list[ElementName] = Field(default_factory=list,
                                        description="elements readable; empty = all the dataset keeps")
    legal_basis: LegalBasis | None = Field(None, description="basis, e.g. school_official")
    agreement: Key | None = Field(None, description="agreement id, if any")
    purpose: str | None = Field(None, description="legitimate interest")

    _basis = field_validator("legal_basis", mode="before")(lambda cls, v: coerce_basis(v))

    @model_validator(mode="after")
    def _scope(self):
        if self.scope in (Scope.SCHOOL, Scope.DISTRICT) and not self.scope_org:
            raise ValueError(f"scope {self.scope.value} needs scope_org")
        if self.actor is None and self.scope not in (Scope.ROSTER, Scope.OWN_CHILD):
            raise ValueError(f"scope {self.scope.value} needs an actor; only roster and "
                             "own_child grants may omit it (a role grant)")
        return self


class Teaching(Windowed):
    """A teacher teaching a section during a window."""

    actor: Key = Field(..., description="teacher actor id")


class Section(Base):
    """A class section (roster unit) at a school."""

    id: Key = Field(..., description="section identifier, e.g. 'LIN-4B-2024'")
    school: Key = Field(..., description="school actor id")
    name: str | None = Field(None, description="display name")
    teachers: list[Teaching] = Field(default_factory=list, description="who teaches it, when")


class BulkKind(str, Enum):
    """Kinds of bulk CSV file and their columns (header row required, any order)."""

    ENROLMENTS = "enrolments"    # student_id, org, valid_from, valid_to
    ROSTERS = "rosters"          # student_id, section, valid_from, valid_to
    GUARDIANS = "guardians"      # guardian, student_id, valid_from, valid_to
    MEMBERS = "members"          # dataset, student_id, valid_from, valid_to
    SUBJECTS = "subjects"        # flow, student_id
    ACCESS_LOG = "access_log"    # at, actor, student_id, dataset, action
    TEACHING = "teaching"        # section, school, teacher, valid_from, valid_to


class BulkFile(Base):
    """A CSV file of bulk student data, relative to the inventory file."""

    kind: BulkKind = Field(..., description="what the file holds")
    path: str = Field(..., description="CSV path relative to the inventory file")


class Inventory(Base):
    """One inventory file (YAML or JSON). Several files may be loaded together."""

    name: str | None = Field(None, description="what this inventory describes")
    elements: list[ElementDef] = Field(default_factory=list, description="extra data elements")
    actors: list[Actor] = Field(default_factory=list, description="people and organisations")
    datasets: list[Dataset] = Field(default_factory=list, description="bodies of records")
    agreements: list[Agreement] = Field(default_factory=list, description="written agreements")
    flows: list[Flow] = Field(default_factory=list, description="collections, transformations, "
                              "disclosures")
    grants: list[Grant] = Field(default_factory=list, description="access grants")
    sections: list[Section] = Field(default_factory=list, description="class sections")
    bulk: list[BulkFile] = Field(default_factory=list, description="bulk CSV files")
