"""Documents for people: the answer to a parent's inquiry and the public data inventory.

Two documents, each built as plain data first (a dict, the ``json`` format) and then rendered
through the Jinja2 templates in ``lineage/templates/`` (Markdown, HTML; PDF from the HTML with
WeasyPrint):

* :func:`student_report` -- what a district sends a parent (or eligible student) who asks who
  has seen the student's records: the **record of disclosures** (FERPA §99.32: each party that
  received personally identifiable information, when, which elements, the legal basis and its
  citation, the legitimate interest or purpose, the threat for a health-or-safety emergency
  (§99.32(a)(5)), and redisclosures with who made them (§99.32(b), §99.33)); the school officials,
  service providers and parents who hold or can read the record (exempt from the record by
  §99.32(d), but what parents ask about); who received only de-identified or aggregate data;
  the agreements behind each; the date the report was made, the as-of date and the 45-day
  inspection deadline (FERPA §99.10(b)). The student appears only as the ID the officer typed,
  never as the pseudonymous key of the graph.
* :func:`data_inventory` -- the public inventory (Illinois SOPPA, Oklahoma, Utah "metadata
  dictionary"): each element collected with its NDPA Exhibit B category and purposes; each
  recipient with its elements, purposes, legal bases (label and citation), agreements and their
  dates; aggregate recipients separately; one-off disclosures about individual students
  (transfers, emergencies) only as recipient, basis and elements. No student-level content.

Errors: :class:`~lineage.errors.NotFoundError` for an unknown student;
:class:`~lineage.errors.RenderError` when a PDF cannot be produced (WeasyPrint or its system
libraries missing) or a template fails; the store's database errors.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from lineage.core.errors import RenderError
from lineage.render.tables import cell, render_csv
from lineage.core.pseudonym import Pseudonymizer
from lineage.graph.store import Store
from lineage.core.vocabulary import RECORD_EXEMPT, Access, LegalBasis, Role
from lineage.core.windows import to_date

#: Days a district has to let a parent inspect and review the records, FERPA §99.10(b).
INSPECTION_DAYS = 45
INSPECTION_RULE = "FERPA §99.10(b)"

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"

#: Roles whose grants and collections are internal to the district (not in the public inventory).
INTERNAL_ROLES = (Role.DISTRICT.value, Role.SCHOOL.value, Role.TEACHER.value, Role.PARENT.value,
                  Role.ELIGIBLE_STUDENT.value)

ROLE_LABELS: dict[str, str] = {
    "parent": "parent or guardian", "eligible_student": "eligible student",
    "teacher": "teacher", "school": "school", "district": "school district",
    "vendor": "service provider", "state": "state agency", "federal": "federal agency",
    "researcher": "researcher", "emergency": "emergency services",
    "court": "court or juvenile justice", "public": "the public", "other": "other",
}

ACCESS_LABELS: dict[str, str] = {
    "identifiable": "identifiable", "deidentified": "de-identified only",
    "aggregate": "aggregate only",
}

INVENTORY_CSV_COLUMNS = [
    "section", "recipient_id", "recipient", "role", "access", "element_count", "elements",
    "purposes", "legal_bases", "citations", "agreements", "agreement_dates", "population",
    "datasets", "min_cell_size", "suppressed",
]


# --- small helpers ------------------------------------------------------------------------------

def _iso(value: Any) -> str | None:
    d = to_date(value)
    return d.isoformat() if d else None


def basis_info(value: str | None) -> dict[str, str] | None:
    """``{"value", "label", "citation"}`` of a legal basis (None stays None).

    An unknown value keeps its text as the label and an empty citation.
    """
    if not value:
        return None
    try:
        b = LegalBasis(value)
    except ValueError:
        return {"value": value, "label": value.replace("_", " "), "citation": ""}
    return {"value": b.value, "label": b.label, "citation": b.citation}


def _bases(values: Iterable[str | None]) -> list[dict[str, str]]:
    out, seen = [], set()
    for v in values:
        if v and v not in seen:
            seen.add(v)
            out.append(basis_info(v))
    return out


def _add(items: list, value: Any) -> None:
    if value and value not in items:
        items.append(value)


def _role(role: str | None) -> str:
    return ROLE_LABELS.get(role or "", (role or "").replace("_", " "))


# --- templates and PDF --------------------------------------------------------------------------

def _md(value: Any) -> str:
    """A value as one Markdown table cell: lists joined by '; ', pipes and newlines escaped."""
    return cell(value).replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _env():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2"),
                                            default_for_string=False),
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["md"] = _md
    env.filters["cell"] = cell
    env.filters["role"] = _role
    env.filters["access"] = lambda a: ACCESS_LABELS.get(a or "", a or "")
    env.filters["basis"] = lambda b: (f"{b['label']} ({b['citation']})" if b and b.get("citation")
                                      else (b or {}).get("label", ""))
    return env


def render_template(name: str, **context: Any) -> str:
    """Render ``lineage/templates/<name>`` with ``context``. Raises :class:`RenderError`."""
    import jinja2

    try:
        return _env().get_template(name).render(**context)
    except jinja2.TemplateError as exc:
        raise RenderError(f"template {name} could not be rendered: {exc}") from None


PDF_HINT = ("install WeasyPrint (pip install 'student-data-lineage[pdf]') and its system "
            "libraries (Debian/Ubuntu: apt-get install -y libpango-1.0-0 libpangoft2-1.0-0)")


def html_to_pdf(html: str) -> bytes:
    """Render an HTML document to PDF bytes with WeasyPrint.

    Raises :class:`RenderError` naming what to install when WeasyPrint or its system
    libraries (Pango) are missing, or when rendering fails.
    """
    try:
        from weasyprint import HTML
    except ImportError as exc:
        raise RenderError(f"PDF output needs WeasyPrint, which is not installed ({exc.name})",
                          hint=PDF_HINT) from None
    except OSError as exc:  # WeasyPrint present, Pango/GObject shared libraries missing
        raise RenderError(f"PDF output needs the Pango library, which could not be loaded "
                          f"({exc})", hint=PDF_HINT) from None
    try:
        return HTML(string=html, base_url=str(TEMPLATES_DIR)).write_pdf()
    except Exception as exc:  # noqa: BLE001 - any rendering failure becomes a RenderError
        raise RenderError(f"the PDF could not be rendered: {type(exc).__name__}: {exc}") from None


# --- the parent's inquiry -----------------------------------------------------------------------

@dataclass
class _ActorInfo:
    purposes: list[str]
    accesses: list[dict]


def _actor_info(lin, exposures: list) -> dict[str, _ActorInfo]:
    """Purposes (flows into datasets an actor holds, its grants) and access-log events per actor."""
    known = {e.actor_id for e in exposures}
    # an actor seen only in access logs has no grant covering the student: its grants'
    # purposes would mislead, so only their log events are shown
    with_grant = {e.actor_id for e in exposures if e.could}
    info = {aid: _ActorInfo([], []) for aid in known}
    for did, levels in lin.reach.items():
        d = lin.ds[did]
        holder = (d.get("holder") or {}).get("id")
        for reach in levels.values():
            if holder in info:
                for s in reach.steps:
                    _add(info[holder].purposes, s.purpose)
        for g in d.get("grants") or []:
            if g.get("actor") in with_grant:
                _add(info[g["actor"]].purposes, g.get("purpose"))
    for a in lin.ctx.accesses:
        at = to_date(a.get("at"))
        if lin.as_of and at and at > lin.as_of:
            continue
        if a["actor"] in info:
            info[a["actor"]].accesses.append({"date": _iso(at), "dataset": a.get("dataset"),
                                              "action": a.get("action") or "read"})
    for i in info.values():
        i.accesses.sort(key=lambda x: (x["date"] or "", x["dataset"] or ""))
    return info


def _agreements(store: Store, lin, ids: Iterable[str]) -> list[dict]:
    """Details of the agreements named (from the flows of the student's lineage)."""
    wanted = sorted({i for i in ids if i})
    found: dict[str, dict] = {}
    for d in lin.ds.values():
        for f in d.get("inflows") or []:
            ag = f.get("agreement_info")
            if ag and ag.get("id") in wanted:
                found[ag["id"]] = ag
    missing = [i for i in wanted if i not in found]
    if missing:  # agreements only known from grants: a fixed, parameterised look-up
        for ag in store.read("queries/agreements_by_id", ids=missing):
            found[ag["ag"]["id"]] = ag["ag"]
    out = []
    for i in wanted:
        ag = found.get(i)
        if ag is None:
            out.append({"id": i, "kind": None, "purpose": None, "legal_basis": None,
                        "valid_from": None, "valid_to": None, "destroy_by": None,
                        "recipients": [], "permitted_elements": []})
            continue
        out.append({"id": i, "kind": ag.get("kind"), "purpose": ag.get("purpose"),
                    "legal_basis": basis_info(ag.get("legal_basis")),
                    "valid_from": _iso(ag.get("valid_from")), "valid_to": _iso(ag.get("valid_to")),
                    "destroy_by": _iso(ag.get("destroy_by")),
                    "recipients": sorted(ag.get("recipients") or []),
                    "permitted_elements": sorted(ag.get("permitted_elements") or [])})
    return out


def _why_not_recorded(e, bases: list[dict]) -> str:
    if not e.could:
        return ("an access log shows this access but no grant or flow allows it; the district "
                "is reviewing it")
    values = {b["value"] for b in bases}
    if not values:
        return "holds the education records (the district or school itself)"
    exempt = {v for v in values if v in {x.value for x in RECORD_EXEMPT}}
    if exempt == values:
        return "exempt from the record (§99.32(d)): " + ", ".join(
            b["label"] for b in bases)
    return "can read the records under: " + ", ".join(b["label"] for b in bases)


def student_report(store: Store, pseudo: Pseudonymizer, student_id: str, *,
                   as_of: date | None = None, made_on: date | None = None,
                   received_on: date | None = None) -> dict[str, Any]:
    """The answer to a parent's inquiry about one student, as plain data (the JSON format).

    ``student_id`` is the district's ID as typed; it is hashed to find the student and is the
    only way the student is named in the result. ``as_of`` answers as the graph stood on that
    date (default: ever). ``made_on`` is the report date (default today); ``received_on`` the
    date the inquiry was received (default ``made_on``), from which the 45-day deadline of
    FERPA §99.10(b) is counted.

    Returns ``{"student", "made_on", "as_of", "inspection": {"received_on", "respond_by",
    "days", "rule"}, "exposure": {"student", "as_of", "actors": [...]},
    "record": {"student", "as_of", "disclosures": [...]}, "officials": [...], "not_pii": [...],
    "agreements": [...]}``: ``exposure.actors`` and ``record.disclosures`` have the shapes of
    :func:`lineage.answers.exposure` / :func:`lineage.answers.record_of_disclosures`, with names,
    basis labels and citations added; ``officials`` are the identifiable actors not in the
    record (school officials, service providers, parents, the holders themselves, and accesses
    seen only in logs) with ``why``; ``not_pii`` the de-identified and aggregate recipients.
    Dates are ISO strings. Raises :class:`~lineage.errors.NotFoundError` for an unknown student.
    """
    from lineage.questions.student import student_lineage

    made_on = made_on or date.today()
    received_on = received_on or made_on
    sl = student_lineage(store, pseudo, student_id, as_of)
    lin = sl.lineage
    exposures = lin.exposures(sl.actors)
    record = lin.record_of_disclosures(sl.actors)
    names = {aid: (a.get("name") or aid) for aid, a in sl.actors.items()}
    names.update({e.actor_id: e.actor_name for e in exposures})
    roles = {e.actor_id: e.role for e in exposures}
    info = _actor_info(lin, exposures)

    actors = []
    for e in exposures:
        row = e.as_dict()
        row["role_label"] = _role(e.role)
        row["access_label"] = ACCESS_LABELS[e.access.value]
        row["bases"] = _bases(e.legal_bases)
        row["purposes"] = info[e.actor_id].purposes
        row["access_log"] = info[e.actor_id].accesses
        actors.append(row)

    disclosures = []
    for d in record:
        row = d.as_dict()
        row["discloser_name"] = names.get(d.discloser_id, d.discloser_id)
        row["recipient_role"] = _role(roles.get(d.actor_id))
        row["basis"] = basis_info(d.legal_basis)
        disclosures.append(row)
    recorded = {d.actor_id for d in record}

    officials, not_pii = [], []
    for row, e in zip(actors, exposures):
        if e.access is Access.IDENTIFIABLE:
            if e.actor_id in recorded:
                continue
            officials.append({**row, "why": _why_not_recorded(e, row["bases"])})
        else:
            not_pii.append(row)

    agreement_ids = [a for e in exposures for a in e.agreements] + [d.agreement for d in record]
    as_of_iso = as_of.isoformat() if as_of else None
    return {
        "student": student_id,
        "made_on": made_on.isoformat(),
        "as_of": as_of_iso,
        "inspection": {"received_on": received_on.isoformat(),
                       "respond_by": (received_on + timedelta(days=INSPECTION_DAYS)).isoformat(),
                       "days": INSPECTION_DAYS, "rule": INSPECTION_RULE},
        "exposure": {"student": student_id, "as_of": as_of_iso, "actors": actors},
        "record": {"student": student_id, "as_of": as_of_iso, "disclosures": disclosures},
        "officials": officials,
        "not_pii": not_pii,
        "agreements": _agreements(store, lin, agreement_ids),
    }


def student_picture(store: Store, pseudo: Pseudonymizer, report: dict[str, Any]) -> tuple[str | None, str | None]:
    """The lineage picture of a report as inline SVG: ``(svg, None)``, or ``(None, why)`` when
    the picture module or Graphviz is missing (the report then shows a table instead).

    The picture names the student only by the typed ID (``report["student"]``).
    """
    try:
        from lineage.render.dot import lineage_svg
    except ImportError as exc:
        return None, f"the picture module is not available ({exc})"
    exposure = {"student": report["student"], "as_of": report["as_of"],
                "actors": report["exposure"]["actors"]}
    try:
        path_data = None
        try:
            from lineage.render.dot import student_paths
        except ImportError:
            student_paths = None
        if student_paths is not None:
            as_of = date.fromisoformat(report["as_of"]) if report["as_of"] else None
            path_data = student_paths(store, pseudo, report["student"], as_of=as_of)
            path_data = {**path_data, "student": report["student"]}
        return lineage_svg(exposure, path_data=path_data, student_label=report["student"]), None
    except RenderError as exc:
        return None, exc.message


def report_markdown(report: dict[str, Any]) -> str:
    """The parent's report as Markdown (``templates/report.md.j2``)."""
    return render_template("report.md.j2", r=report)


def report_html(report: dict[str, Any], picture: str | None = None,
                picture_note: str | None = None) -> str:
    """The parent's report as one self-contained HTML page (``templates/report.html.j2``).

    ``picture`` is inline SVG (see :func:`student_picture`); without it a table of who holds
    what stands in its place, with ``picture_note`` saying why.
    """
    return render_template("report.html.j2", r=report, picture=picture,
                           picture_note=picture_note)


def report_pdf(report: dict[str, Any], picture: str | None = None,
               picture_note: str | None = None) -> bytes:
    """The parent's report as PDF (the HTML rendered by WeasyPrint). Raises :class:`RenderError`."""
    return html_to_pdf(report_html(report, picture, picture_note))


# --- the public data inventory ------------------------------------------------------------------

def data_inventory(store: Store, *, made_on: date | None = None) -> dict[str, Any]:
    """The public data inventory of everything in the graph, as plain data (the JSON format).

    Returns ``{"made_on", "elements": [{name, category, ceds_id, sensitive, purposes,
    recipients: [recipient name]}], "recipients": [{id, name, role, role_label, access,
    elements, element_count, purposes, bases: [{value, label, citation}], agreements: [{id,
    kind, purpose, valid_from, valid_to, destroy_by}], populations, sources, datasets,
    channels}], "aggregates": [{recipient_id, recipient, role, role_label, dataset,
    dataset_name, purposes, bases, agreements, min_cell_size, suppressed, smallest_cell,
    sources, channels}], "case_by_case": [{id, name, role, role_label, bases, elements,
    element_count, disclosures}]}``.

    Recipients are the actors that get student-level data (identifiable or de-identified) from
    another actor by a disclosure flow, collect it themselves under an agreement (a party other
    than a school or district), or may read it through an access grant (parties other than
    schools, districts, teachers and parents). ``case_by_case`` are flows that list their
    students (transfers, emergencies): only recipient, bases and elements are shown, never
    dates, purposes or threats, which could identify a student.
    """
    rows = store.read("queries/inventory", internal_roles=list(INTERNAL_ROLES))
    row = rows[0] if rows else {"elements": [], "channels": []}
    channels = row.get("channels") or []

    recipients: dict[str, dict] = {}
    aggregates: dict[tuple[str, str], dict] = {}
    case: dict[str, dict] = {}
    element_recipients: dict[str, set[str]] = {}

    def agreement(ch: dict) -> dict | None:
        ag = ch.get("agreement")
        if not ag:
            return None
        return {"id": ag["id"], "kind": ag.get("kind"), "purpose": ag.get("purpose"),
                "valid_from": _iso(ag.get("valid_from")), "valid_to": _iso(ag.get("valid_to")),
                "destroy_by": _iso(ag.get("destroy_by"))}

    for ch in channels:
        rec = ch["recipient"]
        src = (ch.get("discloser") or {}).get("name") or (ch.get("discloser") or {}).get("id")
        if ch.get("granularity") == "aggregate":
            ds = ch.get("dataset") or {}
            a = aggregates.setdefault((rec["id"], ds.get("id")), {
                "recipient_id": rec["id"], "recipient": rec.get("name") or rec["id"],
                "role": rec.get("role"), "role_label": _role(rec.get("role")),
                "dataset": ds.get("id"), "dataset_name": ds.get("name") or ds.get("id"),
                "purposes": [], "bases": [], "agreements": [],
                "min_cell_size": ds.get("min_cell_size"), "suppressed": ds.get("suppressed"),
                "smallest_cell": ds.get("smallest_cell"), "sources": [], "channels": []})
            _add(a["purposes"], ch.get("purpose"))
            _add(a["bases"], basis_info(ch.get("legal_basis")))
            _add(a["agreements"], agreement(ch))
            _add(a["sources"], src)
            _add(a["channels"], ch["id"])
            continue
        if ch.get("subjects_only"):
            c = case.setdefault(rec["id"], {
                "id": rec["id"], "name": rec.get("name") or rec["id"], "role": rec.get("role"),
                "role_label": _role(rec.get("role")), "bases": [], "elements": [],
                "disclosures": 0})
            _add(c["bases"], basis_info(ch.get("legal_basis")))
            c["elements"] = sorted(set(c["elements"]) | set(ch.get("elements") or []))
            c["element_count"] = len(c["elements"])
            c["disclosures"] += 1
            continue
        r = recipients.setdefault(rec["id"], {
            "id": rec["id"], "name": rec.get("name") or rec["id"], "role": rec.get("role"),
            "role_label": _role(rec.get("role")), "access": None, "elements": [],
            "element_count": 0, "purposes": [], "bases": [], "agreements": [],
            "populations": [], "sources": [], "datasets": [], "channels": []})
        access = "identifiable" if ch.get("granularity") == "student" else "deidentified"
        if r["access"] != "identifiable":
            r["access"] = access
        r["elements"] = sorted(set(r["elements"]) | set(ch.get("elements") or []))
        r["element_count"] = len(r["elements"])
        _add(r["purposes"], ch.get("purpose"))
        _add(r["bases"], basis_info(ch.get("legal_basis")))
        _add(r["agreements"], agreement(ch))
        _add(r["populations"], ch.get("population"))
        _add(r["sources"], src)
        _add(r["datasets"], (ch.get("dataset") or {}).get("id"))
        _add(r["channels"], ch["id"])
        for e in ch.get("elements") or []:
            element_recipients.setdefault(e, set()).add(r["name"])

    elements = []
    for e in row.get("elements") or []:
        elements.append({"name": e["name"], "category": e.get("category"),
                         "ceds_id": e.get("ceds_id"), "sensitive": bool(e.get("sensitive")),
                         "purposes": e.get("purposes") or [],
                         "recipients": sorted(element_recipients.get(e["name"], set()),
                                              key=str.lower)})
    return {
        "made_on": (made_on or date.today()).isoformat(),
        "elements": elements,
        "recipients": sorted(recipients.values(), key=lambda r: (r["name"].lower(), r["id"])),
        "aggregates": sorted(aggregates.values(),
                             key=lambda a: (a["recipient"].lower(), a["dataset"] or "")),
        "case_by_case": sorted(case.values(), key=lambda c: (c["name"].lower(), c["id"])),
    }


def _agreement_text(ag: dict) -> str:
    kind = f"{ag['kind']}, " if ag.get("kind") else ""
    return f"{ag['id']} ({kind}{ag.get('valid_from') or 'open'}..{ag.get('valid_to') or 'open'})"


def inventory_csv(inv: dict[str, Any]) -> str:
    """The inventory as CSV: one row per recipient (:data:`INVENTORY_CSV_COLUMNS`); ``section``
    is ``recipient``, ``aggregate`` or ``case_by_case``. Lists are joined by '; '."""
    rows = []
    for r in inv["recipients"]:
        rows.append({
            "section": "recipient", "recipient_id": r["id"], "recipient": r["name"],
            "role": r["role"], "access": r["access"], "element_count": r["element_count"],
            "elements": r["elements"], "purposes": r["purposes"],
            "legal_bases": [b["label"] for b in r["bases"]],
            "citations": [b["citation"] for b in r["bases"]],
            "agreements": [a["id"] for a in r["agreements"]],
            "agreement_dates": [_agreement_text(a) for a in r["agreements"]],
            "population": r["populations"], "datasets": r["datasets"]})
    for a in inv["aggregates"]:
        rows.append({
            "section": "aggregate", "recipient_id": a["recipient_id"],
            "recipient": a["recipient"], "role": a["role"], "access": "aggregate",
            "element_count": 0, "purposes": a["purposes"],
            "legal_bases": [b["label"] for b in a["bases"]],
            "citations": [b["citation"] for b in a["bases"]],
            "agreements": [x["id"] for x in a["agreements"]],
            "agreement_dates": [_agreement_text(x) for x in a["agreements"]],
            "datasets": [a["dataset"]], "min_cell_size": a["min_cell_size"],
            "suppressed": a["suppressed"]})
    for c in inv["case_by_case"]:
        rows.append({
            "section": "case_by_case", "recipient_id": c["id"], "recipient": c["name"],
            "role": c["role"], "access": "identifiable", "element_count": c["element_count"],
            "elements": c["elements"], "legal_bases": [b["label"] for b in c["bases"]],
            "citations": [b["citation"] for b in c["bases"]]})
    return render_csv(rows, INVENTORY_CSV_COLUMNS)


def inventory_markdown(inv: dict[str, Any]) -> str:
    """The inventory as Markdown (``templates/inventory.md.j2``)."""
    return render_template("inventory.md.j2", inv=inv)


def inventory_html(inv: dict[str, Any]) -> str:
    """The inventory as one self-contained HTML page (``templates/inventory.html.j2``)."""
    return render_template("inventory.html.j2", inv=inv)
