"""The workspace's pages, rendered on the server (Jinja2; no script anywhere).

The student's ID is typed into a form and sent by POST; every follow-up (an actor's path, a
download) is another POST form carrying it in a hidden field, so it never appears in a URL, a
query string, the browser's history or the server's access log. Every POST needs the session's
CSRF token. Look-ups are recorded with the signed-in user and the student's pseudonym.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import (
    HTMLResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)

from lineage.core.models import STUDENT_ID_MAX
from lineage.core.windows import parse_day
from lineage.web import accounts, service
from lineage.web.accounts import Principal
from lineage.web.api import primed
from lineage.web.app import Workspace
from lineage.web.deps import page_can, page_session, require_csrf, signed_in, workspace
from lineage.web.security import Session

router = APIRouter(include_in_schema=False)

NAV = [("/student", "Student look-up", "lineage"), ("/impact", "Breach impact", "impact"),
       ("/audit", "Audit", "audit"), ("/inventory", "Data inventory", "inventory"),
       ("/sources", "Sources", "sources"), ("/lookups", "Look-ups", "lookups")]


def render(request: Request, template: str, *, session: Session | None,
           principal: Principal | None, status: int = 200, **ctx: Any) -> HTMLResponse:
    """A page of ``lineage/web/templates`` with the layout's context (navigation, CSRF)."""
    ws: Workspace = workspace(request)
    nav = [(href, label) for href, label, perm in NAV
           if principal is not None and principal.can(perm)]
    incomplete = None
    if principal is not None or template == "inventory.html.j2":
        try:        # every answer page says when a source's last load did not finish
            incomplete = service.incomplete_note(ws.store)
        except service.LineageError:    # never silently: the answer may be incomplete
            incomplete = ("Note: whether every load finished could not be checked (the "
                          "database did not answer); the graph may be incomplete")
    html = ws.env.get_template(template).render(
        principal=principal, csrf=session.csrf if session else None, nav=nav,
        public_inventory=ws.config.public_inventory, incomplete=incomplete, **ctx)
    return HTMLResponse(html, status_code=status)


def _with_session(request: Request) -> tuple[Session, bool]:
    """The browser's session, or a new anonymous one (``True``: set its cookie)."""
    s = page_session(request)
    if s is not None:
        return s, False
    return workspace(request).sessions.new(), True


def _set_cookie(request: Request, response: Response, session: Session) -> Response:
    ws = workspace(request)
    response.set_cookie(value=ws.sessions.sign(session.sid), **ws.sessions.cookie_kwargs())
    return response


def _date(value: str | None, name: str) -> date | None:
    if not value or not value.strip():
        return None
    try:
        return parse_day(value)
    except ValueError as exc:
        raise service.UsageError(f"{name}: {value.strip()[:20]!r} is {exc}") from None


def _student(value: str) -> str:
    v = (value or "").strip()
    if not v or len(v) > 64:
        raise service.UsageError("type the district's student ID (1-64 characters)")
    return v


def _record(request: Request, p: Principal, what: str, key: str | None,
            detail: str | None = None) -> None:
    service.record_lookup(workspace(request).store, p.name, what, key, detail, channel="web",
                          who_kind="user")


# --- sign-in -------------------------------------------------------------------------------------

@router.get("/", response_class=HTMLResponse)
def home(request: Request):
    s, p = signed_in(request)
    return render(request, "home.html.j2", session=s, principal=p, title="Workspace")


@router.get("/signin", response_class=HTMLResponse)
def signin_form(request: Request):
    s, new = _with_session(request)
    if s.user is not None:
        return RedirectResponse("/", status_code=303)
    response = render(request, "signin.html.j2", session=s, principal=None, title="Sign in",
                      message=None)
    return _set_cookie(request, response, s) if new else response


@router.post("/signin", response_class=HTMLResponse)
def signin(request: Request, username: str = Form("", max_length=200),
           password: str = Form("", max_length=1000), csrf: str = Form("", max_length=200)):
    ws = workspace(request)
    s = page_session(request)
    require_csrf(s, csrf)
    name = username.strip().lower()
    address = request.client.host if request.client else "unknown"
    wait = max(ws.user_limit.retry_after(name), ws.address_limit.retry_after(address))
    if wait:
        return render(request, "signin.html.j2", session=s, principal=None, status=429,
                      title="Sign in", message=f"Too many failed sign-ins: try again in "
                      f"{(wait + 59) // 60} minutes.")
    p = accounts.authenticate(ws.store, name, password)
    if p is None:
        ws.user_limit.fail(name)
        ws.address_limit.fail(address)
        return render(request, "signin.html.j2", session=s, principal=None, status=401,
                      title="Sign in", message="Wrong name or password.")
    ws.user_limit.clear(name)
    ws.sessions.end(s)  # a new session id and CSRF token after sign-in: no fixation
    fresh = ws.sessions.new(p.name, p.role)
    return _set_cookie(request, RedirectResponse("/", status_code=303), fresh)


@router.post("/signout")
def signout(request: Request, csrf: str = Form("", max_length=200)):
    ws = workspace(request)
    s = page_session(request)
    require_csrf(s, csrf)
    ws.sessions.end(s)
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(ws.sessions.cookie_name, path="/", secure=ws.sessions.secure,
                           httponly=True, samesite="strict")
    return response


# --- one student ---------------------------------------------------------------------------------

@router.get("/student", response_class=HTMLResponse)
def student_form(request: Request, auth=Depends(page_can("lineage"))):
    s, p = auth
    return render(request, "student_form.html.j2", session=s, principal=p,
                  title="Student look-up")


@router.post("/student", response_class=HTMLResponse)
def student(request: Request, student_id: str = Form("", max_length=STUDENT_ID_MAX),
            as_of: str = Form("", max_length=40), received: str = Form("", max_length=40),
            csrf: str = Form("", max_length=200), auth=Depends(page_can("lineage"))):
    s, p = auth
    require_csrf(s, csrf)
    ws = workspace(request)
    sid = _student(student_id)
    as_of_d, received_d = _date(as_of, "as of"), _date(received, "received on")
    key = service.student_key(ws.pseudo, sid)
    report_body = None
    if p.can("report"):
        report = service.student_report(ws.store, ws.pseudo, sid, as_of=as_of_d,
                                        received_on=received_d)
        actors = report["exposure"]["actors"]
        picture, note = service.report_picture(ws.store, ws.pseudo, report)
        report_body = service.report_body(report, picture, note)
        _record(request, p, "report", key, "web page")
    else:
        exp = service.exposure(ws.store, ws.pseudo, sid, as_of=as_of_d)
        actors = exp["actors"]
        picture, note = service.report_picture(
            ws.store, ws.pseudo, {"student": sid, "as_of": exp["as_of"],
                                  "exposure": {"actors": actors}})
        _record(request, p, "exposure", key, "web page")
    counts = {c: sum(1 for a in actors if a["access"] == c)
              for c in ("identifiable", "deidentified", "aggregate")}
    return render(request, "student.html.j2", session=s, principal=p,
                  title=f"Student {sid}", student_id=sid, as_of=as_of_d and as_of_d.isoformat(),
                  received=(received_d or date.today()).isoformat(), actors=actors,
                  counts=counts, picture=picture, picture_note=note, report_body=report_body,
                  extra_css=["/assets/report.css"] if report_body else [])


@router.post("/student/path", response_class=HTMLResponse)
def student_path(request: Request, student_id: str = Form("", max_length=STUDENT_ID_MAX),
                 actor_id: str = Form("", max_length=200), as_of: str = Form("", max_length=40),
                 received: str = Form("", max_length=40), csrf: str = Form("", max_length=200),
                 auth=Depends(page_can("lineage"))):
    s, p = auth
    require_csrf(s, csrf)
    ws = workspace(request)
    sid = _student(student_id)
    as_of_d = _date(as_of, "as of")
    data = service.explain_path(ws.store, ws.pseudo, sid, actor_id.strip(), as_of=as_of_d)
    _record(request, p, "path", data["student"], f"actor={data['actor_id']}")
    return render(request, "path.html.j2", session=s, principal=p,
                  title=f"How {data['actor_id']} got the data", student_id=sid,
                  as_of=as_of_d and as_of_d.isoformat(), path=data,
                  received=(_date(received, "received on") or date.today()).isoformat())


@router.post("/student/report")
def student_report(request: Request, student_id: str = Form("", max_length=STUDENT_ID_MAX),
                   fmt: str = Form("pdf", alias="format", max_length=10),
                   as_of: str = Form("", max_length=40), received: str = Form("", max_length=40),
                   include_lookups: str = Form("", max_length=10),
                   csrf: str = Form("", max_length=200), auth=Depends(page_can("report"))):
    s, p = auth
    require_csrf(s, csrf)
    ws = workspace(request)
    if fmt not in ("md", "html", "pdf", "json"):
        raise service.UsageError("format must be md, html, pdf or json")
    sid = _student(student_id)
    report = service.student_report(ws.store, ws.pseudo, sid, as_of=_date(as_of, "as of"),
                                    received_on=_date(received, "received on"),
                                    include_lookups=include_lookups == "yes")
    picture = note = None
    if fmt in ("html", "pdf"):
        picture, note = service.report_picture(ws.store, ws.pseudo, report)
    content, media = service.report_document(report, fmt, picture, note,
                                             incomplete=service.incomplete_note(ws.store))
    _record(request, p, "report", service.student_key(ws.pseudo, sid),
            f"format={fmt} received={report['inspection']['received_on']}")
    name = f"parent-report-{report['inspection']['received_on']}.{fmt}"
    return Response(content, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/student/record")
def student_record(request: Request, student_id: str = Form("", max_length=STUDENT_ID_MAX),
                   as_of: str = Form("", max_length=40), csrf: str = Form("", max_length=200),
                   auth=Depends(page_can("report"))):
    s, p = auth
    require_csrf(s, csrf)
    ws = workspace(request)
    data = service.record_of_disclosures(ws.store, ws.pseudo, _student(student_id),
                                         as_of=_date(as_of, "as of"))
    _record(request, p, "record", data["student"], "format=csv")
    return Response(service.record_csv(data), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition":
                             'attachment; filename="record-of-disclosures.csv"'})


# --- breach impact -------------------------------------------------------------------------------

def _impact_target(target: str, target_id: str) -> tuple[str | None, str | None]:
    tid = target_id.strip()
    if target not in ("actor", "dataset") or not tid:
        raise service.UsageError("choose actor or dataset and type its id")
    return (tid, None) if target == "actor" else (None, tid)


@router.get("/impact", response_class=HTMLResponse)
def impact_form(request: Request, actor: str = "", dataset: str = "",
                auth=Depends(page_can("impact"))):
    s, p = auth
    return render(request, "impact.html.j2", session=s, principal=p, title="Breach impact",
                  target="dataset" if dataset and not actor else "actor",
                  target_id=(actor or dataset)[:200], since="", until="", counts=None)


@dataclass(frozen=True)
class ImpactForm:
    """A breach-impact form, checked: the session, the principal, the target kind as typed,
    the actor or dataset, and the window (ISO dates, inclusive; ``None`` = open)."""

    session: Session
    principal: Principal
    target: str
    actor: str | None
    dataset: str | None
    since: date | None
    until: date | None


def checked_impact_form(target: str = Form("actor", max_length=10),
                target_id: str = Form("", max_length=200),
                since: str = Form("", max_length=40), until: str = Form("", max_length=40),
                csrf: str = Form("", max_length=200),
                auth=Depends(page_can("impact"))) -> ImpactForm:
    """The fields both impact forms post (counts and CSV), signed in and CSRF-checked."""
    s, p = auth
    require_csrf(s, csrf)
    actor, dataset = _impact_target(target, target_id)
    return ImpactForm(s, p, target, actor, dataset, _date(since, "since"), _date(until, "until"))


@router.post("/impact", response_class=HTMLResponse)
def impact(request: Request, f: ImpactForm = Depends(checked_impact_form)):
    counts = service.impact_counts(service.impact(workspace(request).store, actor=f.actor,
                                                  dataset=f.dataset, since=f.since,
                                                  until=f.until))
    _record(request, f.principal, "impact", None,
            service.impact_detail(f.actor, f.dataset, f.since, f.until, "counts"))
    return render(request, "impact.html.j2", session=f.session, principal=f.principal,
                  title="Breach impact", target=f.target, target_id=f.actor or f.dataset,
                  since=f.since.isoformat() if f.since else "",
                  until=f.until.isoformat() if f.until else "", counts=counts)


@router.post("/impact/csv")
def impact_csv(request: Request, f: ImpactForm = Depends(checked_impact_form)):
    rows = primed(service.impact(workspace(request).store, actor=f.actor, dataset=f.dataset,
                                 since=f.since, until=f.until))
    _record(request, f.principal, "impact", None,
            service.impact_detail(f.actor, f.dataset, f.since, f.until, "csv"))
    return StreamingResponse(service.impact_csv(rows), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="impact.csv"'})


# --- audit, datasets -----------------------------------------------------------------------------

SEVERITIES = ("high", "medium", "low")


@router.get("/audit", response_class=HTMLResponse)
def audit(request: Request, auth=Depends(page_can("audit"))):
    s, p = auth
    ws = workspace(request)
    data = service.audit(ws.store)
    kinds = service.id_kinds(ws.store, [i for f in data["findings"] for i in f["subject"]])
    groups = {sev: [f for f in data["findings"] if f["severity"] == sev] for sev in SEVERITIES}
    return render(request, "audit.html.j2", session=s, principal=p, title="Audit",
                  groups=groups, kinds=kinds, rules=service.audit_rules(),
                  total=len(data["findings"]))


@router.get("/datasets/{dataset_id}", response_class=HTMLResponse)
def dataset(request: Request, dataset_id: str, auth=Depends(page_can("lineage"))):
    s, p = auth
    ws = workspace(request)
    up = service.neighbourhood(ws.store, dataset_id, "upstream")
    down = service.neighbourhood(ws.store, dataset_id, "downstream")
    return render(request, "dataset.html.j2", session=s, principal=p,
                  title=f"Dataset {dataset_id}", dataset_id=dataset_id, up=up, down=down)


# --- inventory, sources, look-ups ----------------------------------------------------------------

def _inventory_auth(request: Request) -> tuple[Session | None, Principal | None]:
    if workspace(request).config.public_inventory:
        s = page_session(request)
        if s is None or s.user is None:
            return s, None
    s, p = signed_in(request)
    if not p.can("inventory"):
        raise HTTPException(403, f"your role ({p.role}) may not open this page")
    return s, p


@router.get("/inventory", response_class=HTMLResponse)
def inventory(request: Request):
    s, p = _inventory_auth(request)
    inv = service.inventory(workspace(request).store)
    return render(request, "inventory.html.j2", session=s, principal=p,
                  title="Student data inventory", body=service.inventory_body(inv),
                  extra_css=["/assets/inventory.css"])


@router.get("/inventory/download/{fmt}")
def inventory_download(request: Request, fmt: str):
    _inventory_auth(request)
    if fmt not in ("csv", "json"):
        raise HTTPException(404, "the inventory downloads are csv and json")
    inv = service.inventory(workspace(request).store)
    if fmt == "json":
        content, media = service.report_document(inv, "json")
    else:
        content, media = service.inventory_csv(inv).encode("utf-8"), "text/csv; charset=utf-8"
    return Response(content, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="data-inventory.{fmt}"'})


@router.get("/sources", response_class=HTMLResponse)
def sources(request: Request, auth=Depends(page_can("sources"))):
    s, p = auth
    return render(request, "sources.html.j2", session=s, principal=p, title="Sources",
                  data=service.sources(workspace(request).store))


def _lookups_page(request: Request, s: Session, p: Principal, *, key: str | None = None,
                  user: str = "", since: date | None = None, student_typed: bool = False):
    rows = service.list_lookups(workspace(request).store, student_key=key, who=user or None,
                                since=since, limit=500)
    return render(request, "lookups.html.j2", session=s, principal=p, title="Look-ups",
                  rows=rows, user=user, since=since.isoformat() if since else "",
                  student_typed=student_typed)


@router.get("/lookups", response_class=HTMLResponse)
def lookups(request: Request, auth=Depends(page_can("lookups"))):
    s, p = auth
    return _lookups_page(request, s, p)


@router.post("/lookups", response_class=HTMLResponse)
def lookups_filter(request: Request, student_id: str = Form("", max_length=STUDENT_ID_MAX),
                   user: str = Form("", max_length=64), since: str = Form("", max_length=40),
                   csrf: str = Form("", max_length=200), auth=Depends(page_can("lookups"))):
    s, p = auth
    require_csrf(s, csrf)
    ws = workspace(request)
    key = service.student_key(ws.pseudo, student_id.strip()) if student_id.strip() else None
    return _lookups_page(request, s, p, key=key, user=user.strip(),
                         since=_date(since, "since"), student_typed=key is not None)


# --- style sheets of the report templates --------------------------------------------------------

@router.get("/assets/{name}.css")
def template_css(request: Request, name: str):
    templates = {"report": "report.html.j2", "inventory": "inventory.html.j2"}
    if name not in templates:
        raise HTTPException(404, "no such style sheet")
    ws = workspace(request)
    css = ws.css.get(name)
    if css is None:
        css = ws.css[name] = service.template_css(templates[name])
    return Response(css, media_type="text/css", headers={"Cache-Control": "max-age=3600"})
