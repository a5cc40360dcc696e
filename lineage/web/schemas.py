"""Request and response shapes of the JSON API (``/api/v1``), for its OpenAPI document.

Response models describe the same JSON as the CLI's ``--format json`` (the handlers return the
library's dicts unchanged; these models document them, and the Schemathesis test checks every
response against them). Extra keys are allowed where the library adds optional ones (a path
step's ``threat``, ``note`` or ``scope``). OpenLineage events follow the OpenLineage 2-0-x JSON
schema: ``RunEvent``, ``DatasetEvent`` and ``JobEvent`` (facets are free-form objects).
"""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    RootModel,
    Tag,
)

from lineage.core.models import STUDENT_ID_MAX
from lineage.web import service

StudentId = Annotated[str, Field(min_length=1, max_length=STUDENT_ID_MAX,
                                 description="the district's student ID, as typed (hashed by the "
                                             "server; never echoed, logged or recorded)")]
Id = Annotated[str, Field(min_length=1, max_length=200)]
IsoDate = Annotated[str | None, Field(description="ISO date (YYYY-MM-DD) or null (open)")]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Error(Model):
    detail: str = Field(description="what went wrong, and what to do")


# --- requests ------------------------------------------------------------------------------------

class ExposureQuery(Model):
    student_id: StudentId
    as_of: date | None = Field(None, description="answer as the graph stood on this date")
    element: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        None, description="only actors that touched this data element")


class RecordQuery(Model):
    student_id: StudentId
    as_of: date | None = None


class PathQuery(Model):
    student_id: StudentId
    actor_id: Id
    as_of: date | None = None


class ReportQuery(Model):
    student_id: StudentId
    as_of: date | None = None
    received: date | None = Field(None, description="date the inquiry was received (default "
                                  "today): the 45-day deadline of FERPA §99.10(b) counts from it")
    format: Literal["json", "md", "html", "pdf"] = "json"
    include_lookups: bool = Field(False, description="add who in the district looked at the "
                                  "records, and when")


class _Impact(Model):
    since: date | None = Field(None, description="first day of the window (inclusive)")
    until: date | None = Field(None, description="last day of the window (inclusive; not "
                                                 "before since)")
    format: Literal["json", "csv"] = "json"


class ImpactOfActor(_Impact):
    actor: Id = Field(description="the breached actor (e.g. a vendor)")

    @property
    def dataset(self) -> None:
        return None


class ImpactOfDataset(_Impact):
    dataset: Id = Field(description="the breached dataset")

    @property
    def actor(self) -> None:
        return None


ImpactQuery = ImpactOfActor | ImpactOfDataset


class LookupsQuery(Model):
    student_id: StudentId | None = Field(None, description="only look-ups of this student")
    user: Annotated[str, Field(min_length=1, max_length=64)] | None = Field(
        None, description="only look-ups by this user, API key or operating-system user")
    since: date | None = Field(None, description="from this day (inclusive, UTC)")
    limit: int = Field(1000, ge=1, le=10_000)


# --- responses -----------------------------------------------------------------------------------

Access = Literal["identifiable", "deidentified", "aggregate"]
Severity = Literal["low", "medium", "high"]


class Me(Model):
    name: str
    kind: Literal["user", "api_key"]
    role: str
    permissions: list[str]


class ActorExposure(Model):
    actor_id: str
    actor_name: str | None
    role: str | None
    access: Access
    elements: list[str]
    first_date: IsoDate
    last_date: IsoDate
    legal_bases: list[str | None]
    agreements: list[str | None]
    datasets: list[str]
    accessed: bool
    could: bool


class Exposure(Model):
    student: str = Field(description="the student's pseudonym")
    as_of: IsoDate
    actors: list[ActorExposure]


class Disclosure(Model):
    actor_id: str
    actor_name: str | None
    discloser_id: str | None
    date: IsoDate
    date_recorded: bool = Field(description="false when the disclosing flow has no date of "
                                "its own: `date` is then only the first day the disclosure "
                                "could have included the student, not a day on record")
    elements: list[str]
    legal_basis: str | None
    agreement: str | None
    purpose: str | None
    threat: str | None
    redisclosure: bool
    flow: str | None = Field(description="the flow that made the disclosure (null for a grant)")
    grant: str | None = Field(description="the grant that lets the recipient read the records "
                              "(null for a flow)")


class Record(Model):
    student: str = Field(description="the student's pseudonym")
    as_of: IsoDate
    disclosures: list[Disclosure]


class PathStep(Open):
    kind: str
    via: str | None
    from_: str | None = Field(alias="from")
    to: str | None
    elements: list[str]
    legal_basis: str | None
    agreement: str | None
    first_date: IsoDate
    last_date: IsoDate
    access: Access


class Path(Model):
    student: str = Field(description="the student's pseudonym")
    actor_id: str
    access: Access
    accessed: bool
    chains: list[list[PathStep]]


class Report(Open):
    student: str = Field(description="the student ID as typed in the request")
    made_on: str
    as_of: IsoDate
    inspection: dict[str, Any]
    exposure: dict[str, Any]
    record: dict[str, Any]
    officials: list[dict[str, Any]]
    not_pii: list[dict[str, Any]]
    agreements: list[dict[str, Any]]


class ImpactRow(Model):
    student: str = Field(description="pseudonym")
    elements: list[str]
    first_date: IsoDate
    last_date: IsoDate
    datasets: list[str]


class ImpactCounts(Model):
    students: int
    elements: dict[str, int]


class ImpactTarget(Model):
    actor: str | None
    dataset: str | None
    since: IsoDate
    until: IsoDate


class Impact(Model):
    target: ImpactTarget
    students: list[ImpactRow]
    counts: ImpactCounts


class NeighbourDataset(Open):
    id: str
    depth: int
    inflows: list[dict[str, Any]]


class Neighbourhood(Model):
    dataset: str
    direction: Literal["upstream", "downstream"]
    datasets: list[NeighbourDataset]


class Finding(Model):
    rule: str
    severity: Literal["low", "medium", "high"]
    subject: list[str]
    message: str


class Audit(Model):
    rules: list[str]
    min_cell_size: int | None
    fail_on: Literal["low", "medium", "high"]
    findings: list[Finding]


#: The audit's rule ids (``lineage check --list-rules``).
RuleId = Enum("RuleId", {r["id"].replace("-", "_"): r["id"] for r in service.audit_rules()},
              type=str)


class Rule(Model):
    id: str
    severity: Literal["low", "medium", "high"]
    title: str
    source: str


class Inventory(Model):
    made_on: str
    elements: list[dict[str, Any]]
    recipients: list[dict[str, Any]]
    aggregates: list[dict[str, Any]]
    case_by_case: list[dict[str, Any]]


class Run(Model):
    run_id: str | None
    job_namespace: str | None
    job_name: str | None
    events: int
    first_time: str | None
    last_time: str | None
    last_type: str | None
    received_by: str | None
    unfinished: bool


class SourceLoad(Model):
    source: str
    kind: str | None
    started: str | None = Field(description="UTC, ISO 8601")
    finished_at: str | None = Field(description="UTC, ISO 8601; null while unfinished")
    snapshot: str | None = Field(description="the export's date of a snapshot load")
    rows: dict[str, int] = Field(description="items written per kind")
    finished: bool
    status: Literal["finished", "UNFINISHED"]


class Sources(Model):
    counts: dict[str, int]
    openlineage_last_received: str | None
    runs: list[Run]
    loads: list[SourceLoad] = Field(default_factory=list, description="every source with its "
                                    "last load; UNFINISHED: answers may be incomplete")


class Lookup(Model):
    at: str = Field(description="UTC, ISO 8601")
    who: str
    who_kind: Literal["user", "api_key", "os_user"]
    channel: Literal["web", "api", "cli"]
    what: str
    student: str | None = Field(description="pseudonym")
    detail: str | None


class Lookups(Model):
    lookups: list[Lookup]


class Received(Model):
    stored: int = Field(description="events stored (append-only)")
    applied: int = Field(description="flows in the graph from every event received, after "
                         "applying them through the mapping (0 without a mapping)")
    problems: list[str] = Field(default_factory=list, description="why events could not be "
                                "applied (e.g. a dataset no mapping entry places); they stay "
                                "stored")


# --- OpenLineage 2-0-x ---------------------------------------------------------------------------

#: ``schemaURL`` must name spec 2-0-x (searched anywhere in the URL, as JSON Schema does).
SCHEMA_URL_PATTERN = r"/spec/2-0-[0-9]+/OpenLineage\.json"


class _OLBase(BaseModel):
    model_config = ConfigDict(extra="allow")

    eventTime: AwareDatetime = Field(description="when the event happened (ISO 8601 with offset)")
    producer: Annotated[str, Field(min_length=1, max_length=2000)]
    schemaURL: Annotated[str, Field(
        min_length=1, max_length=2000, pattern=SCHEMA_URL_PATTERN,
        description="the OpenLineage spec 2-0-x: …/spec/2-0-N/OpenLineage.json#/$defs/…")]


class OLJob(BaseModel):
    model_config = ConfigDict(extra="allow")
    namespace: Annotated[str, Field(min_length=1, max_length=1000)]
    name: Annotated[str, Field(min_length=1, max_length=1000)]
    facets: dict[str, Any] | None = None


class OLRun(BaseModel):
    model_config = ConfigDict(extra="allow")
    runId: UUID
    facets: dict[str, Any] | None = None


class OLDataset(BaseModel):
    model_config = ConfigDict(extra="allow")
    namespace: Annotated[str, Field(min_length=1, max_length=1000)]
    name: Annotated[str, Field(min_length=1, max_length=1000)]
    facets: dict[str, Any] | None = None


class RunEvent(_OLBase):
    eventType: Literal["START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"] | None = None
    run: OLRun
    job: OLJob
    inputs: list[OLDataset] | None = None
    outputs: list[OLDataset] | None = None


class DatasetEvent(_OLBase):
    dataset: OLDataset


class JobEvent(_OLBase):
    job: OLJob
    inputs: list[OLDataset] | None = None
    outputs: list[OLDataset] | None = None


def _event_kind(v: Any) -> str | None:
    if isinstance(v, dict):
        return "run" if "run" in v else "dataset" if "dataset" in v else "job"
    if isinstance(v, BaseModel):
        return ("run" if isinstance(v, RunEvent) else
                "dataset" if isinstance(v, DatasetEvent) else "job")
    return None


class OpenLineageEvent(RootModel[Annotated[
        Annotated[RunEvent, Tag("run")] | Annotated[DatasetEvent, Tag("dataset")]
        | Annotated[JobEvent, Tag("job")], Discriminator(_event_kind)]]):
    """One OpenLineage event: a RunEvent (has ``run``), a DatasetEvent (has ``dataset``) or a
    JobEvent (neither)."""
