"""The web workspace's one seam onto the library.

Every page and API endpoint of :mod:`lineage.web` reaches the library through this module, and
only through it: the answers (:mod:`lineage.questions.student`), the documents (:mod:`lineage.questions.reports`),
the audit (:mod:`lineage.questions.audit`), the look-up records (:mod:`lineage.questions.lookups`), the store and
the errors. When the library moves, only the imports here change.

Functions take an open :class:`Store` and plain values, and return the same plain data (dicts
and lists, dates as ISO text) as the CLI's ``--format json``. Student IDs are the district's IDs
as typed; they are hashed by the :class:`Pseudonymizer` and never returned, logged or recorded
(look-up records carry the pseudonym). Errors are the library's (:class:`LineageError` and its
subclasses); the web layer maps them to HTTP statuses once (:mod:`lineage.web.app`).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from lineage.core.errors import (
    ConfigurationError,
    DatabaseError,
    DatabaseUnavailable,
    InputError,
    LineageError,
    NotFoundError,
    Problem,
    RenderError,
    UsageError,
)
from lineage.core.pseudonym import Pseudonymizer
from lineage.core.settings import LineageSettings, Neo4jSettings
from lineage.graph.store import Store
from lineage.questions import audit as policy
from lineage.questions import datasets, lookups, reports
from lineage.questions import student as answers
from lineage.questions.sources import incomplete_warning, list_sources, unfinished_sources
from lineage.render import documents
from lineage.render.answers import IMPACT_COLUMNS, RECORD_COLUMNS
from lineage.render.tables import cell

__all__ = [
    "ConfigurationError", "DatabaseError", "DatabaseUnavailable", "InputError", "LineageError",
    "LineageSettings", "Neo4jSettings", "NotFoundError", "Pseudonymizer", "RenderError", "Store",
    "UsageError", "cell",
]

#: Labels of the classes and roles, as the reports print them.
ACCESS_LABELS = reports.ACCESS_LABELS
ROLE_LABELS = reports.ROLE_LABELS



# --- opening -------------------------------------------------------------------------------------

def open_store(settings: Neo4jSettings) -> Store:
    """A :class:`Store` on ``settings`` (close it with ``close()`` or a ``with`` block)."""
    return Store(settings)


def prepare(store: Store) -> dict[str, str]:
    """Check the database answers and create the workspace's constraints and indexes
    (``cypher/web/schema.cypher``, idempotent). Returns the server's ``{name, version, edition}``.
    Raises :class:`DatabaseUnavailable` / :class:`DatabaseError`.
    """
    info = store.verify()
    store.run_schema("web/schema")
    return info


def pseudonymizer(settings: LineageSettings) -> Pseudonymizer:
    """The pseudonymizer of ``LINEAGE_PSEUDONYM_KEY``. Raises :class:`ConfigurationError`."""
    return Pseudonymizer.from_settings(settings)


# --- one student ---------------------------------------------------------------------------------

def exposure(store: Store, pseudo: Pseudonymizer, student_id: str, *, as_of: date | None = None,
             element: str | None = None) -> dict[str, Any]:
    """``lineage exposure --format json``: see :func:`lineage.questions.student.exposure`."""
    return answers.exposure(store, pseudo, student_id, as_of=as_of, element=element)


def record_of_disclosures(store: Store, pseudo: Pseudonymizer, student_id: str, *,
                          as_of: date | None = None) -> dict[str, Any]:
    """``lineage exposure --view record --format json`` (FERPA §99.32)."""
    return answers.record_of_disclosures(store, pseudo, student_id, as_of=as_of)


def explain_path(store: Store, pseudo: Pseudonymizer, student_id: str, actor_id: str, *,
                 as_of: date | None = None) -> dict[str, Any]:
    """``lineage path --format json``: see :func:`lineage.questions.student.explain_path`."""
    return answers.explain_path(store, pseudo, student_id, actor_id, as_of=as_of)


def student_key(pseudo: Pseudonymizer, student_id: str) -> str:
    """The pseudonym of a typed student ID (what look-up records name)."""
    return pseudo(student_id)


def student_report(store: Store, pseudo: Pseudonymizer, student_id: str, *,
                   as_of: date | None = None, received_on: date | None = None,
                   include_lookups: bool = False) -> dict[str, Any]:
    """``lineage report --format json`` (:func:`lineage.questions.reports.student_report`); with
    ``include_lookups`` (``--include-lookups``) also ``"lookups"``: who in the district looked
    at the records, and when (:func:`lineage.questions.lookups.for_report`)."""
    data = reports.student_report(store, pseudo, student_id, as_of=as_of,
                                  received_on=received_on)
    if include_lookups:
        data["lookups"] = lookups.for_report(store, pseudo(student_id))
    return data


def report_picture(store: Store, pseudo: Pseudonymizer, report: dict[str, Any]
                   ) -> tuple[str | None, str | None]:
    """The report's lineage picture: ``(inline SVG, None)`` or ``(None, why not)``."""
    return documents.student_picture(store, pseudo, report)


def report_document(report: dict[str, Any], fmt: str, picture: str | None = None,
                    note: str | None = None, incomplete: str | None = None) -> tuple[bytes, str]:
    """The parent report as a file: ``(content, media type)`` for ``fmt`` ``md``, ``html``,
    ``pdf`` (WeasyPrint) or ``json``. ``incomplete``: the unfinished-load note
    (:func:`incomplete_note`), shown at the top of md/html/pdf (JSON is unchanged).
    Raises :class:`RenderError` (PDF) or :class:`UsageError`.
    """
    if fmt != "json" and incomplete:
        report = {**report, "incomplete": incomplete}
    if fmt == "md":
        return documents.report_markdown(report).encode("utf-8"), "text/markdown; charset=utf-8"
    if fmt == "html":
        return (documents.report_html(report, picture, note).encode("utf-8"),
                "text/html; charset=utf-8")
    if fmt == "pdf":
        return documents.report_pdf(report, picture, note), "application/pdf"
    if fmt == "json":
        return (json.dumps(report, indent=2, default=cell, ensure_ascii=False).encode("utf-8")
                + b"\n", "application/json")
    raise UsageError(f"unknown report format {fmt!r}: use md, html, pdf or json")


def report_body(report: dict[str, Any], picture: str | None, note: str | None) -> str:
    """The inner ``<body>`` of the report's HTML (``lineage/templates/report.html.j2``), to show
    inside a workspace page; its style sheet is :func:`template_css` of ``report.html.j2``."""
    return _body(documents.report_html(report, picture, note))


def inventory_body(inv: dict[str, Any]) -> str:
    """The inner ``<body>`` of the public inventory's HTML (``inventory.html.j2``)."""
    return _body(documents.inventory_html(inv))


def _body(html: str) -> str:
    m = re.search(r"<body[^>]*>(.*)</body>", html, flags=re.S)
    return m.group(1) if m else html


def template_css(name: str) -> str:
    """The ``<style>`` of a report template (``report.html.j2``, ``inventory.html.j2``), served as
    a style sheet so workspace pages need no inline style (a strict Content-Security-Policy)."""
    text = (Path(documents.TEMPLATES_DIR) / name).read_text(encoding="utf-8")
    m = re.search(r"<style>(.*?)</style>", text, flags=re.S)
    return m.group(1).strip() + "\n" if m else ""


def record_csv(record: dict[str, Any]) -> str:
    """The record of disclosures as CSV (:data:`RECORD_COLUMNS`), safe to open in a spreadsheet."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(RECORD_COLUMNS)
    for r in record["disclosures"]:
        w.writerow(safe_row(r, RECORD_COLUMNS))
    return buf.getvalue()


# --- breach impact -------------------------------------------------------------------------------

def impact(store: Store, *, actor: str | None = None, dataset: str | None = None,
           since: date | None = None, until: date | None = None) -> Iterator[dict[str, Any]]:
    """Stream the breach-impact rows (:func:`lineage.questions.student.impact`): one dict per affected
    student ``{student (pseudonym), elements, first_date, last_date, datasets}``; window
    inclusive. Raises :class:`UsageError` unless exactly one of ``actor``/``dataset`` is given
    or when ``until`` is before ``since``; :class:`NotFoundError` for an unknown target.
    """
    if (actor is None) == (dataset is None):
        raise UsageError("give exactly one of actor or dataset")
    if since and until and until < since:
        raise UsageError(f"until {until} is before since {since}")
    return datasets.impact(store, actor=actor, dataset=dataset, since=since, until=until)


def impact_counts(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Count impact rows without keeping them: ``{"students": n, "elements": {element: n}}``
    (elements sorted), the ``counts`` of ``lineage impact --format json``."""
    n = 0
    per: dict[str, int] = {}
    for r in rows:
        n += 1
        for e in r["elements"]:
            per[e] = per.get(e, 0) + 1
    return {"students": n, "elements": dict(sorted(per.items()))}


def impact_csv(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The impact list as CSV text chunks (header, then about 500 rows a chunk), streamed: a
    million rows never held in memory. Cells are spreadsheet-safe (:func:`safe_cell`)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(IMPACT_COLUMNS)
    n = 0
    for r in rows:
        w.writerow(safe_row(r, IMPACT_COLUMNS))
        n += 1
        if n % 500 == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def impact_json(target: dict[str, Any], rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The impact answer as JSON text chunks, the shape of ``lineage impact --format json``:
    ``{"target": {actor, dataset, since, until}, "students": [...], "counts": {...}}``,
    streamed row by row; the counts are kept while streaming (not the rows)."""
    n = 0
    per: dict[str, int] = {}
    yield '{"target": ' + json.dumps(target, default=cell) + ', "students": ['
    for r in rows:
        n += 1
        for e in r["elements"]:
            per[e] = per.get(e, 0) + 1
        yield ("," if n > 1 else "") + "\n  " + json.dumps(r, default=cell)
    counts = {"students": n, "elements": dict(sorted(per.items()))}
    yield '\n], "counts": ' + json.dumps(counts) + "}\n"


#: First characters that make a spreadsheet read a cell as a formula (CSV injection; OWASP).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """One CSV cell as text (:func:`lineage.render.tables.cell`), with a leading ``'`` when it starts
    with ``= + - @``, a tab or a carriage return, so a spreadsheet shows it as text."""
    text = cell(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def safe_row(row: dict[str, Any], columns: list[str]) -> list[str]:
    """``row``'s ``columns`` as spreadsheet-safe cells."""
    return [safe_cell(row.get(c)) for c in columns]


# --- datasets, audit, inventory, sources ---------------------------------------------------------

def neighbourhood(store: Store, dataset_id: str, direction: str, depth: int | None = None
                  ) -> dict[str, Any]:
    """``lineage upstream|downstream --format json``: :func:`lineage.questions.student.neighbourhood`."""
    return datasets.neighbourhood(store, dataset_id, direction, depth)


def audit(store: Store, rules: list[str] | None = None, *, min_cell_size: int | None = None,
          fail_on: str = "medium") -> dict[str, Any]:
    """``lineage check --format json``: ``{"rules", "min_cell_size", "fail_on", "findings":
    [{rule, severity, subject, message}]}``, most severe first. Raises :class:`UsageError` for
    an unknown rule or a bad threshold."""
    chosen = policy.select_rules(rules or None)
    policy.Severity(fail_on)
    findings = policy.audit(store, list(rules or []), min_cell_size=min_cell_size)
    return {"rules": [r.id for r in chosen], "min_cell_size": min_cell_size, "fail_on": fail_on,
            "findings": [f.as_dict() for f in findings]}


def audit_rules() -> list[dict[str, str]]:
    """``lineage check --list-rules --format json``: ``[{id, severity, title, source}]``."""
    return policy.rules_table()


def id_kinds(store: Store, ids: Iterable[str]) -> dict[str, str]:
    """Which ids are actors and which datasets: ``{id: "actor" | "dataset"}``."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {r["id"]: r["kind"] for r in store.read("web/id_kinds", ids=wanted)}


def inventory(store: Store) -> dict[str, Any]:
    """``lineage inventory --format json``: :func:`lineage.questions.reports.data_inventory`."""
    return reports.data_inventory(store)


def inventory_csv(inv: dict[str, Any]) -> str:
    """The inventory as CSV, one row per recipient (``lineage inventory --format csv``), with
    spreadsheet-safe cells (:func:`safe_cell`)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for row in csv.reader(io.StringIO(documents.inventory_csv(inv))):
        w.writerow([safe_cell(c) for c in row])
    return buf.getvalue()


def sources(store: Store, limit: int = 50) -> dict[str, Any]:
    """What was loaded: ``{"counts": {students, actors, datasets, elements, agreements, flows,
    grants, sections, enrolments, rosters, guardians, memberships, accesses,
    openlineage_events}, "openlineage_last_received": ISO or None, "runs": [{run_id,
    job_namespace, job_name, events, first_time, last_time, last_type, received_by,
    unfinished}]}``; ``unfinished`` runs are OpenLineage runs with no COMPLETE, FAIL or ABORT.

    ``"loads"``: every source with its last load
    (:func:`lineage.questions.sources.list_sources`).
    """
    row = store.read("web/load_counts")[0]
    last = row.pop("openlineage_last_received")
    runs = store.read("web/openlineage_runs", limit=limit)
    return {"counts": row, "openlineage_last_received": lookups.utc_text(last), "runs": runs,
            "loads": list_sources(store)}


def incomplete_note(store: Store) -> str | None:
    """The note every answer page shows while a source's last load is unfinished
    (:func:`lineage.questions.sources.unfinished_sources`), or ``None``."""
    return incomplete_warning(unfinished_sources(store), prefix="Note: ")


def unfinished_source_names(store: Store) -> list[str]:
    """Names of the sources whose last load is unfinished (the API's
    ``X-Lineage-Incomplete`` header)."""
    return [u["name"] for u in unfinished_sources(store)]


# --- look-up records -----------------------------------------------------------------------------

def record_lookup(store: Store, who: str, what: str, student_key: str | None = None,
                  detail: str | None = None, *, channel: str, who_kind: str) -> None:
    """Record a look-up (append-only): :func:`lineage.questions.lookups.record_lookup`."""
    lookups.record_lookup(store, who, what, student_key, detail, channel=channel,
                          who_kind=who_kind)


def impact_detail(actor: str | None, dataset: str | None, since: date | None,
                  until: date | None, fmt: str) -> str:
    """The ``detail`` text of an impact look-up (:func:`lineage.questions.lookups.impact_detail`)."""
    return lookups.impact_detail(actor, dataset, since, until, fmt)


def list_lookups(store: Store, *, student_key: str | None = None, who: str | None = None,
                 since: date | None = None, limit: int = 1000) -> list[dict[str, Any]]:
    """Look-up records, newest first: :func:`lineage.questions.lookups.list_lookups`."""
    return lookups.list_lookups(store, student_key=student_key, who=who, since=since,
                                limit=limit)


# --- OpenLineage ---------------------------------------------------------------------------------

def _event_row(event: dict[str, Any]) -> dict[str, Any]:
    run = event.get("run") or {}
    job = event.get("job") or {}
    ds = event.get("dataset") or {}
    kind = "run" if "run" in event else "dataset" if "dataset" in event else "job"
    return {"kind": kind, "event_type": event.get("eventType"),
            "event_time": event.get("eventTime"), "run_id": run.get("runId"),
            "job_namespace": job.get("namespace"), "job_name": job.get("name"),
            "dataset_namespace": ds.get("namespace"), "dataset_name": ds.get("name"),
            "producer": event.get("producer"), "schema_url": event.get("schemaURL"),
            "raw": json.dumps(event, sort_keys=True, ensure_ascii=False)}


def _refuse_student_names(store: Store, pseudo: Pseudonymizer,
                          events: list[dict[str, Any]]) -> None:
    """Raise :class:`InputError` (nothing stored) when a job or dataset name of ``events`` holds
    the ID of a student in the graph (:func:`lineage.sources.inventory.id_tokens`): the events
    are stored as received, so the ID would reach the graph. The message never shows it."""
    from lineage.graph.writer import student_lookup
    from lineage.sources.inventory import id_tokens
    from lineage.sources.openlineage import event_texts

    words = {w for e in events for name in event_texts(e) for w in id_tokens(name)}
    if words and student_lookup(store, pseudo)(sorted(words)):
        raise InputError([Problem("OpenLineage event", None, "job or dataset name", (
            "holds a student's ID (the value is not shown): nothing was stored; a student ID "
            "is never stored in the graph: name the job and its datasets without it (one "
            "dataset for the files of every student)"))])


def apply_openlineage_events(store: Store, events: list[dict[str, Any]], *,
                             received_by: str | None = None, mapping: Any = None,
                             pseudo: Pseudonymizer | None = None) -> dict[str, Any]:
    """Store validated OpenLineage events (RunEvent, DatasetEvent, JobEvent of spec 2-0-x, as
    JSON objects) and, with a ``mapping`` (``lineage serve --openlineage-mapping``), apply them
    to the lineage graph exactly as ``lineage load --openlineage`` does.

    Events are stored append-only (``:OpenLineageEvent`` nodes with the event as JSON — the
    receiver passes only :func:`lineage.sources.openlineage.lineage_facts`;
    ``cypher/web/openlineage_create.cypher``). Applying replays **every** stored event through
    :func:`lineage.sources.openlineage.inventory_from_events` (so a flow stays dated from the
    first to the last completed run seen) and loads the result with ``update`` (a flow's dates
    grow as runs arrive). Returns ``{"stored": n, "applied": flows in the graph from the
    events, "problems": [text]}``: problems (an actor the mapping names that the graph lacks,
    a dataset no entry places) leave the events stored and the graph unchanged.
    """
    rows = [_event_row(e) for e in events]
    if not rows:
        return {"stored": 0, "applied": 0, "problems": []}
    if pseudo is not None:
        _refuse_student_names(store, pseudo, events)
    counters = store.write("web/openlineage_create", events=rows, received_by=received_by,
                           now=datetime.now(timezone.utc))
    out: dict[str, Any] = {"stored": counters.nodes_created, "applied": 0, "problems": []}
    if mapping is None or pseudo is None:
        return out
    from lineage.graph.writer import load
    from lineage.sources.inventory import InventorySource
    from lineage.sources.openlineage import inventory_from_events

    every = [json.loads(r["raw"]) for r in store.read("web/openlineage_events")]
    try:
        inv, warnings = inventory_from_events(every, mapping, origin="OpenLineage receiver")
        if inv.flows:
            load(store, [InventorySource(inv, "OpenLineage receiver", Path("."),
                                         warnings=list(warnings), kind="openlineage")],
                 pseudo, update=True)
    except InputError as exc:
        out["problems"] = [str(p) for p in exc.problems]
        return out
    out["applied"] = len(inv.flows)
    out["problems"] = [str(w) for w in warnings]
    return out


# --- accounts (users and API keys): plain queries of cypher/web ----------------------------------

def query(store: Store, name: str, /, **params: Any) -> list[dict[str, Any]]:
    """Run the read query ``cypher/web/<name>.cypher``; rows as dicts."""
    return store.read(f"web/{name}", **params)


def command(store: Store, name: str, /, **params: Any) -> dict[str, int]:
    """Run the write query ``cypher/web/<name>.cypher``; return its counters ``{nodes_created,
    nodes_deleted, properties_set}``."""
    c = store.write(f"web/{name}", **params)
    return {"nodes_created": c.nodes_created, "nodes_deleted": c.nodes_deleted,
            "properties_set": c.properties_set}


def iso(value: Any) -> str | None:
    """A driver or Python date-time as ISO text (UTC, seconds), ``None`` stays ``None``."""
    return lookups.utc_text(value)
