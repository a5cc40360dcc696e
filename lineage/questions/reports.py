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

Errors: :class:`~lineage.core.errors.NotFoundError` for an unknown student;
:class:`~lineage.core.errors.RenderError` when a PDF cannot be produced (WeasyPrint or its system
libraries missing) or a template fails; the store's database errors.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from lineage.core.errors import UsageError
from lineage.core.pseudonym import Pseudonymizer
from lineage.core.vocabulary import PERSON_ROLES, RECORD_EXEMPT, Access, LegalBasis, Role, Scope
from lineage.core.windows import iso
from lineage.graph.store import Store
from lineage.questions.agency import inside

#: Days a district has to let a parent inspect and review the records, FERPA §99.10(b).
INSPECTION_DAYS = 45
INSPECTION_RULE = "FERPA §99.10(b)"

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

# --- small helpers ------------------------------------------------------------------------------

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


def role_words(role: str | None) -> str:
    return ROLE_LABELS.get(role or "", (role or "").replace("_", " "))


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
    purposes = lin.purposes(known, with_grant)
    info = {aid: _ActorInfo(purposes.get(aid, []), []) for aid in known}
    for a in lin.access_events():
        if a["actor"] in info:
            info[a["actor"]].accesses.append({"date": iso(a.get("at")),
                                              "dataset": a.get("dataset"),
                                              "action": a.get("action") or "read"})
    for i in info.values():
        i.accesses.sort(key=lambda x: (x["date"] or "", x["dataset"] or ""))
    return info


def _agreements(store: Store, lin, ids: Iterable[str]) -> list[dict]:
    """Details of the agreements named (from the flows of the student's lineage)."""
    wanted = sorted({i for i in ids if i})
    found: dict[str, dict] = {}
    for d in lin.datasets().values():
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
                    "valid_from": iso(ag.get("valid_from")), "valid_to": iso(ag.get("valid_to")),
                    "destroy_by": iso(ag.get("destroy_by")),
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
    :func:`lineage.questions.student.exposure` / :func:`lineage.questions.student.record_of_disclosures`, with names,
    basis labels and citations added; ``officials`` are the identifiable actors not in the
    record (school officials, service providers, parents, the holders themselves, and accesses
    seen only in logs) with ``why``; ``not_pii`` the de-identified and aggregate recipients.
    ``could_have`` (present only when not empty): ``[{"actor_id", "actor_name", "population",
    "note"}]``, the actors reached only through a population the district describes in words
    without a roster (:func:`lineage.questions.student.with_populations`): every student of the
    district is counted for them (a conservative "could have").
    Dates are ISO strings. Raises :class:`~lineage.core.errors.NotFoundError` for an unknown
    student and :class:`~lineage.core.errors.UsageError` when ``received_on`` is after
    ``made_on`` (an inquiry cannot be received after the report answering it).
    """
    from lineage.questions.student import exposure_rows, student_lineage

    made_on = made_on or date.today()
    received_on = received_on or made_on
    if received_on > made_on:
        when = "today" if made_on == date.today() else "the report date"
        raise UsageError(f"the inquiry cannot be received after {when} ({made_on}); give the "
                         "date the inquiry reached the district")
    sl = student_lineage(store, pseudo, student_id, as_of)
    lin = sl.lineage
    exposures = lin.exposures(sl.actors)
    record = lin.record_of_disclosures(sl.actors)
    names = {aid: (a.get("name") or aid) for aid, a in sl.actors.items()}
    names.update({e.actor_id: e.actor_name for e in exposures})
    roles = {e.actor_id: e.role for e in exposures}
    info = _actor_info(lin, exposures)

    actors = []
    for e, row in zip(exposures, exposure_rows(exposures, lin)):
        row["role_label"] = role_words(e.role)
        row["access_label"] = ACCESS_LABELS[e.access.value]
        row["bases"] = _bases(e.legal_bases)
        row["purposes"] = info[e.actor_id].purposes
        row["access_log"] = info[e.actor_id].accesses
        actors.append(row)

    disclosures = []
    for d in record:
        row = d.as_dict()
        row["discloser_name"] = names.get(d.discloser_id, d.discloser_id)
        row["recipient_role"] = role_words(roles.get(d.actor_id))
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
    could_have = [{"actor_id": r["actor_id"], "actor_name": r["actor_name"],
                   "population": r["population"], "note": r["coverage_note"]}
                  for r in actors if r.get("coverage_note")]
    return {
        **({"could_have": could_have} if could_have else {}),
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
    another actor by a flow (a disclosure, or a transformation into another holder's dataset),
    collect it themselves under an agreement (a party other than a school or district), or may
    read it through an access grant (any party outside the holder's educational agency,
    :func:`~lineage.rules.evaluator.same_agency`, but a parent or eligible student on their own
    records). ``case_by_case`` are flows that list their students (transfers, emergencies):
    only recipient, bases and elements are shown, never dates, purposes or threats, which could
    identify a student.
    """
    rows = store.read("queries/inventory", internal_roles=list(INTERNAL_ROLES),
                      person_roles=sorted(PERSON_ROLES), own_child=Scope.OWN_CHILD.value)
    row = rows[0] if rows else {"elements": [], "channels": []}
    ends = [((ch.get("discloser") or {}).get("id"), ch["recipient"]["id"])
            for ch in row.get("channels") or []]
    within = inside(store, ends)
    # records passing within one educational agency (a school and its district) leave no one
    channels = [ch for ch, (a, b) in zip(row.get("channels") or [], ends) if not within(a, b)]

    recipients: dict[str, dict] = {}
    aggregates: dict[tuple[str, str], dict] = {}
    case: dict[str, dict] = {}
    element_recipients: dict[str, set[str]] = {}

    def agreement(ch: dict) -> dict | None:
        ag = ch.get("agreement")
        if not ag:
            return None
        return {"id": ag["id"], "kind": ag.get("kind"), "purpose": ag.get("purpose"),
                "valid_from": iso(ag.get("valid_from")), "valid_to": iso(ag.get("valid_to")),
                "destroy_by": iso(ag.get("destroy_by"))}

    for ch in channels:
        rec = ch["recipient"]
        src = (ch.get("discloser") or {}).get("name") or (ch.get("discloser") or {}).get("id")
        if ch.get("granularity") == "aggregate":
            ds = ch.get("dataset") or {}
            a = aggregates.setdefault((rec["id"], ds.get("id")), {
                "recipient_id": rec["id"], "recipient": rec.get("name") or rec["id"],
                "role": rec.get("role"), "role_label": role_words(rec.get("role")),
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
                "role_label": role_words(rec.get("role")), "bases": [], "elements": [],
                "disclosures": 0})
            _add(c["bases"], basis_info(ch.get("legal_basis")))
            c["elements"] = sorted(set(c["elements"]) | set(ch.get("elements") or []))
            c["element_count"] = len(c["elements"])
            c["disclosures"] += 1
            continue
        r = recipients.setdefault(rec["id"], {
            "id": rec["id"], "name": rec.get("name") or rec["id"], "role": rec.get("role"),
            "role_label": role_words(rec.get("role")), "access": None, "elements": [],
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


