"""The JSON API under ``/api/v1``: the CLI's answers (same shapes as ``--format json``) and the
OpenLineage receiver (``POST /api/v1/lineage``, the path the OpenLineage HTTP transport posts to).

Student IDs are sent in request bodies (POST), never in a URL. Every student look-up, report,
path and impact export is recorded (:func:`lineage.web.service.record_lookup`) with the API
key's name and the student's pseudonym.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request
from fastapi.responses import Response, StreamingResponse

from lineage.sources.openlineage import lineage_facts
from lineage.web import schemas, service
from lineage.web.accounts import Principal
from lineage.web.app import json_default
from lineage.web.deps import api_can, api_inventory, api_key_principal, workspace

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": schemas.Error, "description": "a value is not valid (what to do is said)"},
    401: {"model": schemas.Error, "description": "no API key, or an unknown or revoked one"},
    403: {"model": schemas.Error, "description": "the key's role may not use this"},
}
NOT_FOUND = {404: {"model": schemas.Error, "description": "unknown student, actor or dataset"}}

def known_query_only(request: Request) -> None:
    """Refuse (400) query parameters the endpoint does not take (a misspelt ``rules=`` would
    otherwise be ignored silently). The names are not echoed."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    allowed: set[str] = set()
    todo = [dependant]
    while todo:  # the endpoint's query parameters and those of its dependencies
        d = todo.pop()
        allowed |= {p.alias for p in d.query_params}
        todo.extend(d.dependencies)
    if set(request.query_params) - allowed:
        takes = ", ".join(sorted(allowed)) or "none"
        raise HTTPException(400, f"unknown query parameter; this endpoint takes: {takes}")


router = APIRouter(prefix="/api/v1", responses=ERRORS, dependencies=[Depends(known_query_only)])


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data, default=json_default, ensure_ascii=False),
                    status_code=status, media_type="application/json")


def _record(request: Request, p: Principal, what: str, key: str | None,
            detail: str | None = None) -> None:
    service.record_lookup(workspace(request).store, p.name, what, key, detail, channel="api",
                          who_kind=p.kind)


@router.get("/openapi.json", include_in_schema=False)
def openapi(request: Request, _p: Principal = Depends(api_key_principal)) -> Response:
    """The OpenAPI document of this API (any valid API key)."""
    return _json(request.app.openapi())


@router.get("/me", response_model=schemas.Me, tags=["session"])
def me(p: Principal = Depends(api_key_principal)) -> Response:
    """Who the API key is: name, role and what the role may do."""
    return _json({"name": p.name, "kind": p.kind, "role": p.role,
                  "permissions": sorted(p.permissions)})


@router.post("/exposure", response_model=schemas.Exposure, responses=NOT_FOUND,
             tags=["student"])
def exposure(request: Request, q: schemas.ExposureQuery,
             p: Principal = Depends(api_can("lineage"))) -> Response:
    """Every actor who could have touched the student's information (`lineage exposure`)."""
    ws = workspace(request)
    data = service.exposure(ws.store, ws.pseudo, q.student_id, as_of=q.as_of, element=q.element)
    _record(request, p, "exposure", data["student"],
            f"element={q.element}" if q.element else None)
    return _json(data)


@router.post("/record", response_model=schemas.Record, responses=NOT_FOUND, tags=["student"])
def record(request: Request, q: schemas.RecordQuery,
           p: Principal = Depends(api_can("report"))) -> Response:
    """The FERPA §99.32 record of disclosures (`lineage exposure --view record`); officers."""
    ws = workspace(request)
    data = service.record_of_disclosures(ws.store, ws.pseudo, q.student_id, as_of=q.as_of)
    _record(request, p, "record", data["student"])
    return _json(data)


@router.post("/path", response_model=schemas.Path, responses=NOT_FOUND, tags=["student"])
def path(request: Request, q: schemas.PathQuery,
         p: Principal = Depends(api_can("lineage"))) -> Response:
    """The chains of datasets, flows and grants that explain how an actor got the data
    (`lineage path`)."""
    ws = workspace(request)
    data = service.explain_path(ws.store, ws.pseudo, q.student_id, q.actor_id, as_of=q.as_of)
    _record(request, p, "path", data["student"], f"actor={q.actor_id}")
    return _json(data)


REPORT_MEDIA = {"application/json": {"schema": schemas.Report.model_json_schema(
    ref_template="#/components/schemas/{model}")},
    "text/markdown": {"schema": {"type": "string"}},
    "text/html": {"schema": {"type": "string"}},
    "application/pdf": {"schema": {"type": "string", "format": "binary"}}}


@router.post("/report", responses={**NOT_FOUND, 200: {"content": REPORT_MEDIA,
                                                      "description": "the report"},
                                   500: {"model": schemas.Error,
                                         "description": "the PDF could not be rendered"}},
             response_model=schemas.Report, tags=["student"])
def report(request: Request, q: schemas.ReportQuery,
           p: Principal = Depends(api_can("report"))) -> Response:
    """The answer to a parent's inquiry (`lineage report`): json, md, html or pdf; officers."""
    ws = workspace(request)
    data = service.student_report(ws.store, ws.pseudo, q.student_id, as_of=q.as_of,
                                  received_on=q.received, include_lookups=q.include_lookups)
    picture = note = None
    if q.format in ("html", "pdf"):
        picture, note = service.report_picture(ws.store, ws.pseudo, data)
    content, media = service.report_document(data, q.format, picture, note,
                                             incomplete=service.incomplete_note(ws.store))
    _record(request, p, "report", service.student_key(ws.pseudo, q.student_id),
            f"format={q.format} received={data['inspection']['received_on']}")
    headers = {} if q.format == "json" else {
        "Content-Disposition": f'attachment; filename="parent-report.{q.format}"'}
    return Response(content, media_type=media, headers=headers)


def _neighbours(request: Request, dataset_id: str, direction: str, depth: int | None) -> Response:
    return _json(service.neighbourhood(workspace(request).store, dataset_id, direction, depth))


@router.get("/datasets/{dataset_id}/upstream", response_model=schemas.Neighbourhood,
            responses=NOT_FOUND, tags=["datasets"])
def upstream(request: Request, dataset_id: str,
             depth: int | None = Query(None, ge=0, le=20, description="at most this many flows"),
             _p: Principal = Depends(api_can("lineage"))) -> Response:
    """Datasets upstream of a dataset through flows (`lineage upstream`)."""
    return _neighbours(request, dataset_id, "upstream", depth)


@router.get("/datasets/{dataset_id}/downstream", response_model=schemas.Neighbourhood,
            responses=NOT_FOUND, tags=["datasets"])
def downstream(request: Request, dataset_id: str,
               depth: int | None = Query(None, ge=0, le=20, description="at most this many flows"),
               _p: Principal = Depends(api_can("lineage"))) -> Response:
    """Datasets downstream of a dataset through flows (`lineage downstream`)."""
    return _neighbours(request, dataset_id, "downstream", depth)


def primed(rows):
    """Start an iterator so that its errors (an unknown actor) come before the response does;
    returns an iterator over all of its rows."""
    it = iter(rows)
    first = next(it, None)
    return it if first is None else itertools.chain([first], it)


@router.post("/impact", responses={**NOT_FOUND, 200: {
    "description": "the breach-notification list, streamed",
    "content": {"application/json": {"schema": schemas.Impact.model_json_schema(
        ref_template="#/components/schemas/{model}")},
        "text/csv": {"schema": {"type": "string"}}}}},
    response_model=schemas.Impact, tags=["datasets"])
def impact(request: Request, q: schemas.ImpactQuery,
           p: Principal = Depends(api_can("impact"))) -> Response:
    """Every student whose identifiable data the actor or dataset held in the window
    (`lineage impact`), streamed: JSON with counts per element, or CSV (spreadsheet-safe cells).
    Students are listed by pseudonym."""
    ws = workspace(request)
    rows = primed(service.impact(ws.store, actor=q.actor, dataset=q.dataset, since=q.since,
                                 until=q.until))
    target = {"actor": q.actor, "dataset": q.dataset, "since": q.since, "until": q.until}
    _record(request, p, "impact", None,
            service.impact_detail(q.actor, q.dataset, q.since, q.until, q.format))
    if q.format == "csv":
        return StreamingResponse(service.impact_csv(rows), media_type="text/csv; charset=utf-8",
                                 headers={"Content-Disposition":
                                          'attachment; filename="impact.csv"'})
    return StreamingResponse(service.impact_json(target, rows), media_type="application/json")


@router.get("/audit", response_model=schemas.Audit, tags=["audit"])
def audit(request: Request,
          rule: list[schemas.RuleId] | None = Query(
              None, description="run only these rules (repeatable)"),
          min_cell_size: int | None = Query(None, ge=1, le=1_000_000),
          fail_on: schemas.Severity = "medium",
          _p: Principal = Depends(api_can("audit"))) -> Response:
    """The policy findings, most severe first (`lineage check`)."""
    rules = [r.value for r in rule] if rule else None
    return _json(service.audit(workspace(request).store, rules, min_cell_size=min_cell_size,
                               fail_on=fail_on))


@router.get("/audit/rules", response_model=list[schemas.Rule], tags=["audit"])
def audit_rules(_p: Principal = Depends(api_can("audit"))) -> Response:
    """The audit's rules: id, severity, title and the source of the rule."""
    return _json(service.audit_rules())


@router.get("/inventory", response_model=schemas.Inventory, tags=["inventory"])
def inventory(request: Request, _p: Principal | None = Depends(api_inventory)) -> Response:
    """The public data inventory (`lineage inventory`); without a key when the server runs with
    `--public-inventory`."""
    return _json(service.inventory(workspace(request).store))


@router.get("/sources", response_model=schemas.Sources, tags=["inventory"])
def sources(request: Request, _p: Principal = Depends(api_can("sources"))) -> Response:
    """What has been loaded (counts by kind) and the OpenLineage runs received, unfinished
    runs flagged."""
    return _json(service.sources(workspace(request).store))


@router.post("/lookups", response_model=schemas.Lookups, tags=["session"])
def lookups(request: Request, q: schemas.LookupsQuery,
            _p: Principal = Depends(api_can("lookups"))) -> Response:
    """The look-up records (who looked up which student's answers, when), newest first;
    officers. The student is given in the body and listed by pseudonym."""
    ws = workspace(request)
    key = service.student_key(ws.pseudo, q.student_id) if q.student_id else None
    rows = service.list_lookups(ws.store, student_key=key, who=q.user, since=q.since,
                                limit=q.limit)
    return _json({"lookups": rows})


@router.post("/lineage", status_code=201, response_model=schemas.Received,
             responses={422: {"description": "not an OpenLineage 2-0-x event"}},
             tags=["openlineage"])
async def receive_openlineage(request: Request,
                        event: schemas.OpenLineageEvent = Body(
                            description="one OpenLineage RunEvent, DatasetEvent or JobEvent"),
                        p: Principal = Depends(api_can("ingest"))) -> Response:
    """Receive one OpenLineage event (the HTTP transport's default endpoint, at most 4 MiB).
    What the lineage rules read is stored (run id, job, datasets, their schema and column
    lineage; :func:`lineage.sources.openlineage.lineage_facts`: other facets, which may hold
    free text, are dropped) and applied to the lineage graph by the OpenLineage mapping."""
    from starlette.concurrency import run_in_threadpool

    # validated above; only what the lineage rules read is kept (no free-text facets: they
    # can hold a student's ID or name)
    facts = lineage_facts(json.loads(await request.body()))
    ws = workspace(request)
    result = await run_in_threadpool(service.apply_openlineage_events, ws.store, [facts],
                                     received_by=p.name, mapping=ws.config.openlineage_mapping,
                                     pseudo=ws.pseudo)
    return _json(result, status=201)
