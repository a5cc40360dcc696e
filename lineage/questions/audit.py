"""The policy audit: check the whole graph against the rules of the field (``lineage check``).

Each rule has a stable ID, a default severity, the source it comes from, and one query
(``cypher/queries/policy_<id with _>.cypher``; federal- and public-identifiable share
``policy_identifiable_to_aggregate_only.cypher``) that returns the graph's violations; this module
turns the rows into :class:`Finding` objects with a one-line message and removes duplicates.

A finding is ``{"rule", "severity", "subject", "message"}``:

* ``severity`` — ``low`` (the graph cannot show the rule is met), ``medium`` (a term of an
  agreement or a record the rules require is not kept: dates, destruction, an emergency's
  threat) or ``high`` (data went where the rules do not allow);
* ``subject`` — the ids involved, in this order: actors (the one who discloses or acts, then
  the one who receives), datasets (source, then target), then the flow, grant or agreement;
* ``message`` — one line for a person. It never contains a student key or ID: access findings
  count students ("1 student not on their roster").

The rules (see :data:`RULES`; sources in brackets):

===============================  ========  ========================================================
rule                             severity  what is a finding
===============================  ========  ========================================================
small-cell                       high      an aggregate held by a public or federal recipient
                                           publishes a cell below the minimum cell size without
                                           suppression: a named small cell, or a recorded
                                           ``smallest_cell``; medium when it suppresses only below
                                           a declared minimum smaller than ``--min-cell-size``; low
                                           when it records neither suppression nor a smallest cell
                                           [FERPA §99.31(b)(1); NCES]
federal-identifiable             high      identifiable data reaches a federal actor (U.S.
                                           Department of Education: aggregate counts only),
                                           under any basis but directory information
                                           (military recruiters, FERPA §99.37): a flow from
                                           another actor's identifiable dataset into one it
                                           holds, a grant on another holder's identifiable
                                           dataset, or an identifiable dataset it holds that
                                           covers schools or lists students [domain brief;
                                           EDFacts, 20 U.S.C. §9543]
public-identifiable              high      the same for the public (aggregate reports only, never
                                           an individual student; directory information, e.g. an
                                           honor roll, excepted) [domain brief; FERPA §99.31(b)(1)]
vendor-agreement                 high      a vendor receives data (disclosure, collection into its
                                           dataset, access grant) under no agreement naming it
                                           [FERPA §99.31(a)(1)(i)(B); NDPA]
vendor-elements                  high      a vendor receives elements its agreement does not permit
                                           [NDPA Exhibit B]
vendor-agreement-window          medium    a vendor flow/grant is dated outside its agreement's
                                           window (open dates mean "while the agreement runs")
                                           [NDPA term]
sensitive-to-vendor              high      a vendor receives sensitive elements (Special Indicator,
                                           Student Survey Responses) its agreement does not list
                                           [NDPA Exhibit B; PPRA 20 U.S.C. §1232h]
research-basis                   high      a researcher receives identifiable data without a
                                           studies or audit/evaluation basis, without an agreement
                                           naming it, or outside the agreement's window [FERPA
                                           §99.31(a)(6), §99.35]
research-destroy-by              medium    identifiable research data is held past the agreement's
                                           destroy-by date (dataset ``valid_to`` null or later), or
                                           the research agreement has none [FERPA
                                           §99.31(a)(6)(iii)(C)(4)]
roster-access                    high      an access log shows a teacher reading the record of a
                                           student not on their roster that day (and no broad grant
                                           covers it) [FERPA §99.31(a)(1)(ii)]
redisclosure-basis               high      a party passes on identifiable data it received by
                                           disclosure with no basis, or with no agreement naming
                                           the new recipient when the original agreement does not
                                           allow redisclosure; a school or district that received
                                           records (a transfer) holds them as its own and is not
                                           checked [FERPA §99.33]
transformation-to-another-actor  high      a transformation flow into an identifiable dataset whose
                                           holder is outside the source's educational agency:
                                           data leaving one agency for another is a disclosure and
                                           must be declared one, with its basis [domain brief;
                                           FERPA §99.30, §99.32]
directory-information-elements   high      an identifiable flow or grant to another actor under
                                           directory information moves an element that cannot be
                                           directory information: a sensitive element or one of
                                           Assessment, Attendance, Conduct, Transcript, Student In
                                           App Performance, Student work, Student Survey Responses
                                           [FERPA §99.3, §99.37]
emergency-threat                 medium    a flow under the health or safety emergency basis
                                           records no threat, or a grant has that basis (a grant
                                           cannot record one: record the disclosure as a flow with
                                           its threat) [FERPA §99.32(a)(5), §99.36]
disclosure-basis                 high      an identifiable disclosure or grant to an actor outside
                                           the holder's educational agency has no legal basis
                                           (a school and its district are one agency,
                                           ``same_agency``) [FERPA §99.30, §99.31]
studies-without-agreement        high      the studies basis is used with no written agreement
                                           [FERPA §99.31(a)(6)(iii)(C)]
unexplained-members              low       a ``members_only`` dataset fed by flows lists members
                                           whose records no inflow can deliver (never in a source's
                                           live population while a flow ran and they were members):
                                           the graph cannot show how their records got there; the
                                           lineage rules hold no record for them (docs/rules.md
                                           rule 2) [FERPA §99.32(a)]
===============================  ========  ========================================================

**One finding per problem.** A more specific rule suppresses more general ones for the same
flow or grant (only among the rules being run, so ``--rule X`` shows everything ``X`` finds):

* ``federal-identifiable`` and ``public-identifiable`` suppress ``redisclosure-basis``,
  ``studies-without-agreement`` and ``disclosure-basis`` (no basis would allow the channel);
* ``redisclosure-basis`` suppresses ``studies-without-agreement``, ``research-basis`` and
  ``disclosure-basis``; ``studies-without-agreement`` suppresses ``research-basis`` and
  ``disclosure-basis``; ``research-basis`` suppresses ``disclosure-basis``;
* ``vendor-agreement`` suppresses ``vendor-elements``, ``vendor-agreement-window`` and
  ``sensitive-to-vendor`` (without a valid agreement there are no terms to compare);
* ``sensitive-to-vendor`` takes the sensitive elements out of ``vendor-elements``; the latter
  reports the remaining elements outside the agreement, if any.

Errors: :class:`~lineage.core.errors.UsageError` for an unknown rule ID; the store's
:class:`~lineage.core.errors.DatabaseUnavailable` / :class:`~lineage.core.errors.DatabaseError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from lineage.core.errors import UsageError
from lineage.core.vocabulary import (
    ORGANISATION_ROLES,
    RESEARCH_BASES,
    SENSITIVE_CATEGORIES,
    FlowKind,
    Granularity,
    LegalBasis,
    Role,
    Scope,
)
from lineage.core.windows import iso
from lineage.graph.store import Store
from lineage.questions.agency import inside
from lineage.rules.evaluator import DEFAULT_MIN_CELL_SIZE, Lineage, StudentContext


class Severity(str, Enum):
    """How serious a finding is. Ordered: ``low`` < ``medium`` < ``high``."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        """1 low, 2 medium, 3 high."""
        return {"low": 1, "medium": 2, "high": 3}[self.value]


#: Exit 1 from ``lineage check`` when a finding is at or above this (low findings only say the
#: graph cannot show a rule is met; they do not fail a run unless asked).
DEFAULT_FAIL_ON = Severity.MEDIUM

#: Roles whose aggregates the small-cell rule checks (published to the public, sent to ED).
AGGREGATE_RECIPIENT_ROLES = (Role.PUBLIC.value, Role.FEDERAL.value)

#: NDPA Exhibit B categories whose elements are never directory information (FERPA §99.3:
#: directory information is name, address, telephone, email, photograph, date and place of
#: birth, grade level, enrollment status, dates of attendance, participation in activities,
#: degrees and awards): the sensitive categories and records of performance and behaviour. Kept
#: conservative: identifiers (a student ID may be directory information when it cannot be used
#: alone to access records), demographics, enrollment and contact data are not listed.
NOT_DIRECTORY_CATEGORIES = tuple(sorted(SENSITIVE_CATEGORIES | {
    "Assessment", "Attendance", "Conduct", "Transcript", "Student In App Performance",
    "Student work", "Student Survey Responses"}))


@dataclass
class Finding:
    """One problem found by the audit.

    ``key`` (the flow, grant or dataset the finding is about, e.g. ``"flow:V4"``) is used to
    remove duplicates between rules and is not part of the output shape.
    """

    rule: str
    severity: Severity
    subject: list[str]
    message: str
    key: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The output shape ``{rule, severity, subject, message}``."""
        return {"rule": self.rule, "severity": self.severity.value, "subject": self.subject,
                "message": self.message}


@dataclass
class _Context:
    """What rule builders may need: the rules being run and the cell-size threshold."""

    active: frozenset[str]
    min_cell_size: int | None
    default_min_cell_size: int


@dataclass(frozen=True)
class Rule:
    """A policy rule: id, default severity, title, source, and how its findings are built."""

    id: str
    severity: Severity
    title: str
    source: str
    build: Callable[[Store, _Context], list[Finding]]
    suppresses: tuple[str, ...] = field(default_factory=tuple)


# --- helpers -----------------------------------------------------------------------------------

def _ids(*parts: Any) -> list[str]:
    """Subject ids in order, without None or repeats."""
    out: list[str] = []
    for p in parts:
        items = p if isinstance(p, (list, tuple)) else [p]
        for i in items:
            if i and i not in out:
                out.append(str(i))
    return out


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _list(items: Iterable[str]) -> str:
    return ", ".join(sorted(items))


def _via(row: dict) -> str:
    return f"{row['channel']} {row['id']}"


def _in(row: dict) -> str:
    """'in' a dataset a grant reads, 'from' the source of a flow."""
    return "in" if row.get("channel") == "grant" else "from"


def _window(a: Any, b: Any) -> str:
    return f"{iso(a, 'open')}..{iso(b, 'open')}"


def _channel_subject(row: dict, actor: str) -> list[str]:
    """Subject of a flow/grant finding: discloser, recipient, source, target, flow or grant."""
    target = row.get("target") if row.get("channel", "flow") == "flow" else None
    return _ids(row.get("discloser"), row.get(actor), row.get("source"), target, row["id"])


_VENDOR = {"vendor_roles": [Role.VENDOR.value]}
#: How a role grant's (no actor) recipients are named in a finding.
_ROLE_GRANTS = {"roster": Scope.ROSTER.value, "every_teacher": "every teacher of the student",
                "every_guardian": "every guardian of the student"}
_RESEARCH = {"researcher_roles": [Role.RESEARCHER.value],
             "research_bases": sorted(b.value for b in RESEARCH_BASES)}


# --- rule builders -----------------------------------------------------------------------------

def _small_cell(store: Store, ctx: _Context) -> list[Finding]:
    out = []
    rows = store.read("queries/policy_small_cell", recipient_roles=list(AGGREGATE_RECIPIENT_ROLES),
                      min_cell_size=ctx.min_cell_size,
                      default_min_cell_size=ctx.default_min_cell_size)
    for r in rows:
        n, d, h = r["threshold"], r["dataset"], r["recipient"]
        flows = r.get("flows") or []
        subject = _ids([f.get("discloser") for f in flows], h, [f.get("source") for f in flows],
                       d, [f["id"] for f in flows])
        problem = r["problem"]
        if problem == "cells":
            cells = sorted(r["cells"], key=lambda c: (c["size"], c["label"]))
            shown = "; ".join(f"'{c['label']}' ({_plural(c['size'], 'student')})" for c in cells)
            msg = (f"{d} (received by {h}) publishes {_plural(len(cells), 'cell')} below the "
                   f"minimum cell size {n} without suppression: {shown}")
            sev = Severity.HIGH
        elif problem == "smallest":
            msg = (f"{d} (received by {h}) publishes cells as small as {r['smallest_cell']}, "
                   f"below the minimum cell size {n}, without suppression")
            sev = Severity.HIGH
        elif problem == "weak_suppression":
            msg = (f"{d} (received by {h}) suppresses only cells below {r['declared_min']}; "
                   f"the minimum cell size is {n}")
            sev = Severity.MEDIUM
        else:
            msg = (f"{d} (received by {h}) records no suppression and no smallest cell: cannot "
                   f"show that every published cell has at least {n} students")
            sev = Severity.LOW
        out.append(Finding("small-cell", sev, subject, msg, f"dataset:{d}"))
    return out


def _identifiable_to(store: Store, rule: str, role: Role, only: str) -> list[Finding]:
    """Findings of ``federal-identifiable`` / ``public-identifiable``
    (``cypher/queries/policy_identifiable_to_aggregate_only.cypher``): identifiable data
    reaching an actor of ``role``; ``only`` says what such an actor may receive."""
    out = []
    for r in store.read("queries/policy_identifiable_to_aggregate_only",
                        recipient_roles=[role.value],
                        directory_information=LegalBasis.DIRECTORY_INFORMATION.value):
        who = r["recipient"]
        under = f" under {r['basis']}" if r.get("basis") else ""
        if r["channel"] == "dataset":
            how = (f"covers {_list(r['covers'])}" if r["covers"]
                   else f"lists {_plural(r['members'], 'student')}")
            subject = _ids(who, r["target"])
            msg = f"{who} holds identifiable student-level data in {r['target']} ({how})"
        else:
            subject = _channel_subject(r, "recipient")
            verb = "can read" if r["channel"] == "grant" else "receives"
            msg = (f"{who} {verb} identifiable student-level data {_in(r)} {r['source']} "
                   f"({_via(r)}){under}")
        out.append(Finding(rule, Severity.HIGH, subject, f"{msg}; {only}",
                           f"{r['channel']}:{r['id']}"))
    return out


def _federal_identifiable(store: Store, ctx: _Context) -> list[Finding]:
    return _identifiable_to(store, "federal-identifiable", Role.FEDERAL,
                            "a federal agency receives aggregate counts only")


def _public_identifiable(store: Store, ctx: _Context) -> list[Finding]:
    return _identifiable_to(store, "public-identifiable", Role.PUBLIC,
                            "the public receives aggregate reports only, never an "
                            "individual student")


def _vendor_agreement(store: Store, ctx: _Context) -> list[Finding]:
    out = []
    for r in store.read("queries/policy_vendor_agreement", **_VENDOR):
        v, els = r["vendor"], r.get("elements") or []
        what = _plural(len(els), "element")
        if r["sensitive"]:
            what += f" (sensitive: {_list(r['sensitive'])})"
        where = f"from {r['source']} " if r.get("source") else ""
        if r.get("agreement"):
            why = f"under {r['agreement']}, which does not name {v}"
        else:
            why = "under no agreement"
        verb = "can read" if r["channel"] == "grant" else "receives"
        out.append(Finding("vendor-agreement", Severity.HIGH, _channel_subject(r, "vendor"),
                           f"{v} {verb} {what} {where}({_via(r)}) {why}",
                           f"{r['channel']}:{r['id']}"))
    return out


def _vendor_elements(store: Store, ctx: _Context) -> list[Finding]:
    out = []
    for r in store.read("queries/policy_vendor_elements", **_VENDOR):
        excess = set(r["excess"])
        if "sensitive-to-vendor" in ctx.active:
            excess -= set(r.get("sensitive") or [])
        if not excess:
            continue
        verb = "can read" if r["channel"] == "grant" else "receives"
        out.append(Finding(
            "vendor-elements", Severity.HIGH, _channel_subject(r, "vendor"),
            f"{r['vendor']} {verb} {_plural(len(excess), 'element')} outside {r['agreement']} "
            f"({_via(r)}): {_list(excess)}", f"{r['channel']}:{r['id']}"))
    return out


def _vendor_agreement_window(store: Store, ctx: _Context) -> list[Finding]:
    out = []
    for r in store.read("queries/policy_vendor_agreement_window", **_VENDOR):
        out.append(Finding(
            "vendor-agreement-window", Severity.MEDIUM, _channel_subject(r, "vendor"),
            f"{r['vendor']} gets data by {_via(r)} dated {_window(r['valid_from'], r['valid_to'])}, "
            f"outside {r['agreement']} ({_window(r['agreement_from'], r['agreement_to'])})",
            f"{r['channel']}:{r['id']}"))
    return out


def _sensitive_to_vendor(store: Store, ctx: _Context) -> list[Finding]:
    out = []
    for r in store.read("queries/policy_sensitive_to_vendor", **_VENDOR):
        sens = r["sensitive"]
        terms = f"{r['agreement']} does not list" if r.get("agreement") else \
            "no agreement naming it lists"
        verb = "can read" if r["channel"] == "grant" else "receives"
        out.append(Finding(
            "sensitive-to-vendor", Severity.HIGH, _channel_subject(r, "vendor"),
            f"{r['vendor']} {verb} {_plural(len(sens), 'sensitive element')} that {terms} "
            f"({_via(r)}): {_list(sens)}", f"{r['channel']}:{r['id']}"))
    return out


_RESEARCH_PROBLEMS = {
    "basis": "without a studies or audit/evaluation basis",
    "no_agreement": "without a written agreement",
    "not_named": "under an agreement that does not name it",
    "agreement_basis": "under an agreement that is not for studies or audit/evaluation",
    "window": "outside the agreement's dates",
}


def _research_basis(store: Store, ctx: _Context) -> list[Finding]:
    out = []
    for r in store.read("queries/policy_research_basis", **_RESEARCH):
        parts = [_RESEARCH_PROBLEMS[p] for p in r["problems"]]
        why = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
        ag = f" ({r['agreement']})" if r.get("agreement") else ""
        r = {**r, "channel": "flow"}
        out.append(Finding(
            "research-basis", Severity.HIGH, _channel_subject(r, "researcher"),
            f"{r['researcher']} receives identifiable data from {r['source']} (flow {r['id']}) "
            f"{why}{ag}", f"flow:{r['id']}"))
    return out


def _research_destroy_by(store: Store, ctx: _Context) -> list[Finding]:
    out = []
    for r in store.read("queries/policy_research_destroy_by",
                        researcher_roles=_RESEARCH["researcher_roles"]):
        if r["problem"] == "no_destroy_by":
            msg = (f"{r['agreement']} states no destroy-by date for the identifiable data "
                   f"{r['holder']} holds in {r['dataset']}")
        else:
            end = f"until {iso(r['valid_to'], 'open')}" if r.get("valid_to") else "with no end date"
            msg = (f"{r['holder']} holds {r['dataset']} {end}, beyond the destroy-by date "
                   f"{iso(r['destroy_by'], 'open')} of {r['agreement']} (the data must be destroyed by "
                   "then)")
        out.append(Finding("research-destroy-by", Severity.MEDIUM,
                           _ids(r["holder"], r["dataset"], r["flows"], r["agreement"]), msg,
                           f"dataset:{r['dataset']}"))
    return out


def _roster_access(store: Store, ctx: _Context) -> list[Finding]:
    out = []
    for r in store.read("queries/policy_roster_access", teacher_roles=[Role.TEACHER.value]):
        first, last = iso(r["first"], 'open'), iso(r["last"], 'open')
        when = f"on {first}" if first == last else f"between {first} and {last}"
        n = r["students"]
        who = "a student" if n == 1 else f"{n} students"
        out.append(Finding(
            "roster-access", Severity.HIGH, _ids(r["actor"], r["dataset"]),
            f"{r['actor']} read {r['dataset']} records of {who} not on their roster "
            f"({_plural(r['events'], 'access', 'accesses')} {when})",
            f"access:{r['actor']}:{r['dataset']}"))
    return out


def _redisclosure_basis(store: Store, ctx: _Context) -> list[Finding]:
    out = []
    for r in store.read("queries/policy_redisclosure_basis",
                        record_holder_roles=[x.value for x in ORGANISATION_ROLES]):
        rec = r["recipient"]
        why = []
        if r.get("basis") is None:
            why.append("no legal basis")
        if not r["named"]:
            why.append(f"no agreement naming {rec}" if not r.get("agreement")
                       else f"{r['agreement']}, which does not name {rec}")
        orig = _list(r.get("original_agreements") or [])
        terms = (f"; {orig} does not allow redisclosure" if orig
                 else f"; received from {_list(r['received_from'])} under no agreement "
                 "allowing redisclosure") if not r["allowed"] else ""
        r = {**r, "channel": "flow"}
        out.append(Finding(
            "redisclosure-basis", Severity.HIGH, _channel_subject(r, "recipient"),
            f"{r['discloser']} rediscloses {r['source']} to {rec} (flow {r['id']}) with "
            f"{' and '.join(why)}{terms}", f"flow:{r['id']}"))
    return out


def _disclosure_basis(store: Store, ctx: _Context) -> list[Finding]:
    out = []
    rows = store.read("queries/policy_disclosure_basis", **_ROLE_GRANTS)
    within = inside(store, [(r["discloser"], r["recipient"]) for r in rows])
    for r in rows:
        if within(r["discloser"], r["recipient"]):
            continue                # within one educational agency: not a disclosure
        verb = "can read" if r["channel"] == "grant" else "receives"
        out.append(Finding(
            "disclosure-basis", Severity.HIGH, _channel_subject(r, "recipient"),
            f"{r['recipient']} {verb} identifiable data from {r['source']} ({_via(r)}) with no "
            "legal basis", f"{r['channel']}:{r['id']}"))
    return out


def _transformation_to_another_actor(store: Store, ctx: _Context) -> list[Finding]:
    out = []
    rows = store.read("queries/policy_transformation_to_another_actor",
                      transformation=FlowKind.TRANSFORMATION.value,
                      student=Granularity.STUDENT.value)
    within = inside(store, [(r["discloser"], r["recipient"]) for r in rows])
    for r in rows:
        if within(r["discloser"], r["recipient"]):
            continue                # a school's data rolled up by its district: one agency
        r = {**r, "channel": "flow"}
        out.append(Finding(
            "transformation-to-another-actor", Severity.HIGH, _channel_subject(r, "recipient"),
            f"{r['discloser']} passes {r['source']} to {r['recipient']} ({r['target']}) by "
            f"transformation {r['id']}: data leaving one actor for another is a disclosure; "
            "declare it kind: disclosure with its legal basis", f"flow:{r['id']}"))
    return out


def _directory_information_elements(store: Store, ctx: _Context) -> list[Finding]:
    out = []
    for r in store.read("queries/policy_directory_information_elements",
                        directory=LegalBasis.DIRECTORY_INFORMATION.value,
                        categories=list(NOT_DIRECTORY_CATEGORIES), **_ROLE_GRANTS):
        els = r["elements"]
        verb = "can read" if r["channel"] == "grant" else "receives"
        out.append(Finding(
            "directory-information-elements", Severity.HIGH, _channel_subject(r, "recipient"),
            f"{r['recipient']} {verb} {_plural(len(els), 'element')} that cannot be directory "
            f"information {_in(r)} {r['source']} ({_via(r)}) under directory_information: "
            f"{_list(els)}", f"{r['channel']}:{r['id']}"))
    return out


def _emergency_threat(store: Store, ctx: _Context) -> list[Finding]:
    out = []
    for r in store.read("queries/policy_emergency_threat",
                        emergency=LegalBasis.HEALTH_SAFETY_EMERGENCY.value, **_ROLE_GRANTS):
        who = r.get("recipient") or "its recipient"
        if r["channel"] == "grant":
            msg = (f"{who} can read {r['source']} (grant {r['id']}) under "
                   "health_safety_emergency, but a grant cannot record the threat: record such a "
                   "disclosure as a flow with its threat")
        else:
            src = f" from {r['source']}" if r.get("source") else ""
            msg = (f"{who} receives data{src} (flow {r['id']}) under health_safety_emergency "
                   "with no threat recorded (FERPA §99.32(a)(5) requires it): give the flow its "
                   "threat")
        out.append(Finding("emergency-threat", Severity.MEDIUM, _channel_subject(r, "recipient"),
                           msg, f"{r['channel']}:{r['id']}"))
    return out


def _studies_without_agreement(store: Store, ctx: _Context) -> list[Finding]:
    out = []
    for r in store.read("queries/policy_studies_without_agreement",
                        studies=LegalBasis.STUDIES.value):
        verb = "can read" if r["channel"] == "grant" else "receives"
        out.append(Finding(
            "studies-without-agreement", Severity.HIGH, _channel_subject(r, "recipient"),
            f"{r['recipient']} {verb} identifiable data from {r['source']} ({_via(r)}) under the "
            "studies exception with no written agreement", f"{r['channel']}:{r['id']}"))
    return out


def _unexplained_members(store: Store, ctx: _Context) -> list[Finding]:
    from lineage.questions.student import contexts, subgraph

    out = []
    for r in store.read("queries/policy_unexplained_members"):
        d = r["dataset"]
        upstream = sorted(x["id"] for x in store.read("queries/upstream_population",
                                                       datasets=[d], all_flows=True))
        ds, _ = subgraph(store, upstream, [], [], within=upstream)
        missing = 0
        members = r["members"]
        for i in range(0, len(members), 1000):
            for row in contexts(store, members[i:i + 1000]):
                if d not in Lineage(StudentContext.from_row(row), ds).reached():
                    missing += 1
        if missing:
            out.append(Finding(
                "unexplained-members", Severity.LOW, _ids(r["holder"], d),
                f"{d} (held by {r['holder']}) lists {_plural(missing, 'member')} that no inflow "
                "can deliver (not in a source's live population while a flow ran and they were "
                "members): the graph cannot show how their records got there",
                f"dataset:{d}"))
    return out


#: Every rule, in report order (most specific first within a family).
RULES: tuple[Rule, ...] = (
    Rule("small-cell", Severity.HIGH, "aggregates to public or federal recipients meet the "
         "minimum cell size", "FERPA §99.31(b)(1); NCES minimum cell size", _small_cell),
    Rule("federal-identifiable", Severity.HIGH, "a federal agency receives aggregate counts "
         "only, never identifiable data", "domain brief; EDFacts (20 U.S.C. §9543)",
         _federal_identifiable,
         ("redisclosure-basis", "studies-without-agreement", "disclosure-basis")),
    Rule("public-identifiable", Severity.HIGH, "the public receives aggregate reports only, "
         "never an individual student", "domain brief; FERPA §99.31(b)(1)",
         _public_identifiable,
         ("redisclosure-basis", "studies-without-agreement", "disclosure-basis")),
    Rule("vendor-agreement", Severity.HIGH, "vendors receive data only under an agreement "
         "naming them", "FERPA §99.31(a)(1)(i)(B); NDPA", _vendor_agreement,
         ("vendor-elements", "vendor-agreement-window", "sensitive-to-vendor")),
    Rule("sensitive-to-vendor", Severity.HIGH, "sensitive elements go to a vendor only when its "
         "agreement lists them", "NDPA Exhibit B; PPRA 20 U.S.C. §1232h", _sensitive_to_vendor),
    Rule("vendor-elements", Severity.HIGH, "vendors receive only the elements their agreement "
         "permits", "NDPA Exhibit B", _vendor_elements),
    Rule("vendor-agreement-window", Severity.MEDIUM, "vendors receive data only while their "
         "agreement is valid", "NDPA (term of the agreement)", _vendor_agreement_window),
    Rule("redisclosure-basis", Severity.HIGH, "redisclosure only with a basis and an agreement "
         "naming the recipient", "FERPA §99.33", _redisclosure_basis,
         ("studies-without-agreement", "research-basis", "disclosure-basis")),
    Rule("studies-without-agreement", Severity.HIGH, "the studies exception needs a written "
         "agreement", "FERPA §99.31(a)(6)(iii)(C)", _studies_without_agreement,
         ("research-basis", "disclosure-basis")),
    Rule("research-basis", Severity.HIGH, "identifiable data to researchers only under a studies "
         "or audit/evaluation agreement naming them, within its window",
         "FERPA §99.31(a)(6), §99.35", _research_basis, ("disclosure-basis",)),
    Rule("research-destroy-by", Severity.MEDIUM, "identifiable research data is not held past "
         "the destroy-by date", "FERPA §99.31(a)(6)(iii)(C)(4)", _research_destroy_by),
    Rule("roster-access", Severity.HIGH, "teachers read only students on their rosters",
         "FERPA §99.31(a)(1)(ii)", _roster_access),
    Rule("transformation-to-another-actor", Severity.HIGH, "data leaving one actor for another "
         "is declared a disclosure, not a transformation", "domain brief; FERPA §99.30, §99.32",
         _transformation_to_another_actor),
    Rule("directory-information-elements", Severity.HIGH, "directory information carries no "
         "element that cannot be directory information", "FERPA §99.3, §99.31(a)(11), §99.37",
         _directory_information_elements),
    Rule("emergency-threat", Severity.MEDIUM, "a health or safety emergency disclosure records "
         "its threat", "FERPA §99.32(a)(5), §99.36", _emergency_threat),
    Rule("disclosure-basis", Severity.HIGH, "every identifiable disclosure has a legal basis",
         "FERPA §99.30, §99.31", _disclosure_basis),
    Rule("unexplained-members", Severity.LOW, "every listed member of a sample fed by flows "
         "is one an inflow can deliver", "FERPA §99.32(a); docs/rules.md rule 2",
         _unexplained_members),
)

RULES_BY_ID: dict[str, Rule] = {r.id: r for r in RULES}
RULE_IDS: tuple[str, ...] = tuple(RULES_BY_ID)


def select_rules(ids: Sequence[str] | None) -> list[Rule]:
    """The rules to run: all when ``ids`` is empty, else those named (in :data:`RULES` order).

    Raises :class:`UsageError` naming the valid IDs for an unknown one.
    """
    if not ids:
        return list(RULES)
    unknown = [i for i in ids if i not in RULES_BY_ID]
    if unknown:
        raise UsageError(f"unknown rule {', '.join(repr(u) for u in unknown)}; rules: "
                         f"{', '.join(RULE_IDS)}")
    wanted = set(ids)
    return [r for r in RULES if r.id in wanted]


def suppress(findings: list[Finding], rules: Sequence[Rule]) -> list[Finding]:
    """Drop findings that a more specific rule's finding on the same flow/grant covers."""
    by_key: dict[str, set[str]] = {}
    for f in findings:
        by_key.setdefault(f.key, set()).add(f.rule)
    suppressed_by: dict[str, set[str]] = {}
    for r in rules:
        for s in r.suppresses:
            suppressed_by.setdefault(s, set()).add(r.id)
    return [f for f in findings
            if not (suppressed_by.get(f.rule, set()) & by_key.get(f.key, set()))]


def audit(store: Store, rules: Sequence[str] | None = None, *,
          min_cell_size: int | None = None,
          default_min_cell_size: int = DEFAULT_MIN_CELL_SIZE) -> list[Finding]:
    """Run the policy rules over the whole graph; return the findings, most severe first.

    ``rules``: rule IDs to run (default all). ``min_cell_size``: threshold that overrides every
    aggregate's own ``min_cell_size`` (default: the aggregate's own, else
    ``default_min_cell_size``, 10). Sorted by severity (high first), rule order, subject.
    Raises :class:`UsageError` for an unknown rule ID or a threshold below 1.
    """
    chosen = select_rules(rules)
    if min_cell_size is not None and min_cell_size < 1:
        raise UsageError("--min-cell-size must be at least 1")
    ctx = _Context(frozenset(r.id for r in chosen), min_cell_size, default_min_cell_size)
    findings: list[Finding] = []
    for rule in chosen:
        findings.extend(rule.build(store, ctx))
    findings = suppress(findings, chosen)
    order = {r.id: i for i, r in enumerate(RULES)}
    findings.sort(key=lambda f: (-f.severity.rank, order[f.rule], f.subject, f.message))
    return findings


def fails(findings: Iterable[Finding], fail_on: Severity | str = DEFAULT_FAIL_ON) -> bool:
    """True when any finding's severity is at or above ``fail_on``."""
    level = Severity(fail_on)
    return any(f.severity.rank >= level.rank for f in findings)


def rules_table() -> list[dict[str, str]]:
    """The rules as rows ``{id, severity, title, source}`` (for ``lineage check --list-rules``)."""
    return [{"id": r.id, "severity": r.severity.value, "title": r.title, "source": r.source}
            for r in RULES]
