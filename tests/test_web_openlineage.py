"""The OpenLineage receiver (``POST /api/v1/lineage``) fed by the official ``openlineage-python``
client's HTTP transport, over loopback, against the real Neo4j: RunEvent, DatasetEvent and
JobEvent of spec 2-0-x are validated and stored append-only as ``:OpenLineageEvent`` nodes."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
import requests
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import (
    DatasetEvent,
    InputDataset,
    Job,
    JobEvent,
    OutputDataset,
    Run,
    RunEvent,
    RunState,
    StaticDataset,
)
from openlineage.client.serde import Serde
from openlineage.client.transport.http import (
    ApiKeyTokenProvider,
    HttpConfig,
    HttpTransport,
)

from lineage.sources.openlineage import inventory_from_events, lineage_facts
from lineage.web.app import MAX_BODY_BYTES, PathOnlyAccessLog
from tests.web_helpers import load_workspace, serving

PORT = 8733
PRODUCER = "https://example.org/district-etl/v1"


@pytest.fixture(scope="module")
def server(store):
    rs = load_workspace(store)
    with serving(rs.app(), PORT) as url:
        yield rs, url


def client(url: str, key: str) -> OpenLineageClient:
    transport = HttpTransport(HttpConfig(url=url, auth=ApiKeyTokenProvider({"apiKey": key}),
                                         retry={"total": 0}))
    return OpenLineageClient(transport=transport)


def events():
    run_id = str(uuid.uuid4())
    unfinished = str(uuid.uuid4())
    job = Job(namespace="riverside-etl", name="nightly-sis-extract")
    sis = InputDataset(namespace="postgres://sis.riverside.example:5432", name="sis.enrolments")
    extract = OutputDataset(namespace="s3://riverside-exports", name="state/enrolments.csv")
    return run_id, unfinished, [
        RunEvent(eventType=RunState.START, eventTime="2026-01-05T02:00:00.000Z",
                 run=Run(runId=run_id), job=job, producer=PRODUCER, inputs=[sis]),
        RunEvent(eventType=RunState.COMPLETE, eventTime="2026-01-05T02:07:31.000Z",
                 run=Run(runId=run_id), job=job, producer=PRODUCER, inputs=[sis],
                 outputs=[extract]),
        RunEvent(eventType=RunState.START, eventTime="2026-01-06T02:00:00.000Z",
                 run=Run(runId=unfinished), job=job, producer=PRODUCER, inputs=[sis]),
        DatasetEvent(eventTime="2026-01-06T03:00:00.000Z", producer=PRODUCER,
                     dataset=StaticDataset(namespace="s3://riverside-exports",
                                           name="state/enrolments.csv")),
        JobEvent(eventTime="2026-01-06T03:05:00.000Z", producer=PRODUCER, job=job,
                 inputs=[sis], outputs=[extract]),
    ]


def stored(store):
    return store.read_text("MATCH (e:OpenLineageEvent) RETURN properties(e) AS p "
                           "ORDER BY e.event_time")


def test_the_official_client_posts_events_that_are_stored(server):
    rs, url = server
    before = len(stored(rs.store))
    run_id, unfinished, evs = events()
    ol = client(url, rs.keys["ingest"])
    for e in evs:
        ol.emit(e)
    rows = [r["p"] for r in stored(rs.store)][before:]
    assert [(p["kind"], p.get("event_type"), p.get("run_id")) for p in rows] == [
        ("run", "START", run_id), ("run", "COMPLETE", run_id), ("run", "START", unfinished),
        ("dataset", None, None), ("job", None, None)]
    for p, e in zip(rows, evs):
        assert p["received_by"] == "ingest-key"
        # the event as sent, less what the lineage rules do not read
        assert json.loads(p["raw"]) == lineage_facts(json.loads(Serde.to_json(e)))
        assert p["producer"] == PRODUCER and "/spec/2-0-" in p["schema_url"]
    assert rows[0]["job_namespace"] == "riverside-etl"
    assert rows[0]["job_name"] == "nightly-sis-extract"
    assert rows[3]["dataset_name"] == "state/enrolments.csv"
    # the Sources answer lists the runs, the one without COMPLETE/FAIL/ABORT flagged
    src = requests.get(f"{url}/api/v1/sources", headers=rs.headers("viewer"), timeout=10).json()
    runs = {r["run_id"]: r for r in src["runs"]}
    assert runs[run_id]["unfinished"] is False and runs[run_id]["events"] == 2
    assert runs[run_id]["last_type"] == "COMPLETE"
    assert runs[unfinished]["unfinished"] is True and runs[unfinished]["last_type"] == "START"
    assert src["counts"]["openlineage_events"] == before + 5


def test_keys_without_ingest_are_refused(server):
    rs, url = server
    before = len(stored(rs.store))
    _, _, evs = events()
    for key, status in ((rs.keys["viewer"], 403), (rs.keys["analyst"], 403),
                        ("lk_" + "x" * 43, 401)):
        with pytest.raises(requests.HTTPError) as exc:
            client(url, key).emit(evs[0])
        assert exc.value.response.status_code == status
    assert len(stored(rs.store)) == before


@pytest.mark.parametrize("change,field", [
    ({"schemaURL": "https://openlineage.io/spec/1-0-5/OpenLineage.json#/definitions/RunEvent"},
     "schemaURL"),
    ({"eventTime": "yesterday"}, "eventTime"),
    ({"run": {"runId": "not-a-uuid"}}, "runId"),
    ({"eventType": "FINISHED"}, "eventType"),
    ({"job": {"namespace": "x"}}, "name"),
    ({"producer": None}, "producer"),
])
def test_events_that_are_not_openlineage_2_are_refused(server, change, field):
    rs, url = server
    before = len(stored(rs.store))
    event = json.loads(Serde.to_json(events()[2][0]))
    event.update(change)
    r = requests.post(f"{url}/api/v1/lineage", json=event, headers=rs.headers("ingest"),
                      timeout=10)
    assert r.status_code == 422, r.text
    assert any(field in ".".join(e["loc"]) or field in e["msg"] for e in r.json()["detail"])
    assert len(stored(rs.store)) == before


def test_officer_keys_may_post_too(server):
    rs, url = server
    before = len(stored(rs.store))
    client(url, rs.keys["officer"]).emit(events()[2][3])
    assert len(stored(rs.store)) == before + 1


MAPPING = Path(__file__).parent / "fixtures" / "openlineage-receiver" / "mapping.yaml"
MAPPED_PORT = 8734


FIXTURE_EVENTS = Path(__file__).parent / "fixtures" / "openlineage" / "events.jsonl"


def _with_free_text(event: dict) -> dict:
    """``event`` with the free text producers add: SQL, an error message naming a student, a
    description and a custom facet (synthetic values)."""
    e = json.loads(json.dumps(event))
    e.get("run", {})["facets"] = {
        "sql": {"query": "SELECT * FROM students WHERE student_number = 'RSD-1001'"},
        "errorMessage": {"message": "row failed for student RSD-1001 Jane Quillfeather",
                         "programmingLanguage": "python"}}
    if "job" in e:
        e["job"]["facets"] = {"documentation": {"description": "Quillfeather test"}}
    for ds in e.get("inputs", []) + e.get("outputs", []):
        ds.setdefault("facets", {})["ownership"] = {"owners": [{"name": "Jane Quillfeather"}]}
        for f in ds["facets"].get("schema", {}).get("fields", []):
            f["description"] = "example: RSD-1001"
    return e


def test_lineage_facts_give_the_same_inventory_as_the_whole_events():
    from lineage.sources.openlineage import read_mapping

    mapping = read_mapping([FIXTURE_EVENTS.parent / "mapping.yaml"])
    events = [json.loads(line) for line in FIXTURE_EVENTS.read_text().splitlines() if line]
    noisy = [_with_free_text(e) for e in events]
    whole, w1 = inventory_from_events(noisy, mapping)
    facts, w2 = inventory_from_events([lineage_facts(e) for e in noisy], mapping)
    assert whole.flows and facts == whole and [str(w) for w in w1] == [str(w) for w in w2]
    kept = json.dumps([lineage_facts(e) for e in noisy])
    assert "RSD-1001" not in kept and "Quillfeather" not in kept and "SELECT" not in kept


def test_free_text_in_a_received_event_is_never_stored(server):
    rs, url = server
    _, _, evs = events()
    event = _with_free_text(json.loads(Serde.to_json(evs[1])))
    r = requests.post(f"{url}/api/v1/lineage", json=event, headers=rs.headers("ingest"),
                      timeout=30)
    assert r.status_code == 201, r.text
    every = json.dumps(rs.store.read_text(
        "MATCH (n) RETURN properties(n) AS p UNION ALL MATCH ()-[x]->() RETURN properties(x) "
        "AS p"), default=str)
    assert "RSD-1001" not in every and "Quillfeather" not in every and "SELECT" not in every


def test_a_body_over_the_limit_is_413_and_nothing_is_stored(server):
    rs, url = server
    before = len(stored(rs.store))
    _, _, evs = events()
    event = json.loads(Serde.to_json(evs[0]))
    event["run"]["facets"] = {"big": {"text": "x" * (MAX_BODY_BYTES + 10)}}
    r = requests.post(f"{url}/api/v1/lineage", data=json.dumps(event),
                      headers={**rs.headers("ingest"), "Content-Type": "application/json"},
                      timeout=30)
    assert r.status_code == 413 and r.json() == {
        "detail": f"the request is larger than {MAX_BODY_BYTES} bytes"}

    def chunks():  # no Content-Length: counted as it arrives
        body = json.dumps(event).encode()
        for i in range(0, len(body), 1 << 20):
            yield body[i:i + (1 << 20)]
    r = requests.post(f"{url}/api/v1/lineage", data=chunks(),
                      headers={**rs.headers("ingest"), "Content-Type": "application/json"},
                      timeout=30)
    assert r.status_code == 413
    assert len(stored(rs.store)) == before


def test_the_access_log_never_holds_a_query_string(server):
    import logging

    del server  # served: its start-up installed the filter
    access = logging.getLogger("uvicorn.access")
    assert any(isinstance(f, PathOnlyAccessLog) for f in access.filters)
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1,
                               '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", "/student?student_id=RSD-1001", "1.1",
                                200), None)
    for f in access.filters:
        f.filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /student HTTP/1.1" 200'


def test_events_posted_by_the_official_client_change_the_exposure_answer(store):
    """With ``--openlineage-mapping`` the receiver applies what it receives: a completed run
    SIS -> a vendor's export becomes a disclosure flow dated by its run, and the student's
    answer gains the export dataset with exactly the elements carried."""
    from lineage.sources.openlineage import read_mapping

    rs = load_workspace(store)
    app = rs.app(openlineage_mapping=read_mapping([MAPPING]))
    before = {a["actor_id"]: a for a in rs.client().post(
        "/api/v1/exposure", json={"student_id": "RSD-1002"}, headers=rs.headers("officer")
    ).json()["actors"]}
    assert before["routeco"]["datasets"] == ["rsd-sis", "routeco-routes"]

    job = Job(namespace="riverside-etl", name="nightly-route-export")
    sis = InputDataset(namespace="postgres://sis.riverside.example:5432", name="sis.students")
    export = OutputDataset(namespace="s3://riverside-exports", name="routes/2026-01.csv")
    with serving(app, MAPPED_PORT) as url:
        ol = client(url, rs.keys["ingest"])
        for day in ("2026-01-05", "2026-01-06"):
            run = Run(runId=str(uuid.uuid4()))
            ol.emit(RunEvent(eventType=RunState.START, eventTime=f"{day}T02:00:00.000Z",
                             run=run, job=job, producer=PRODUCER, inputs=[sis]))
            ol.emit(RunEvent(eventType=RunState.COMPLETE, eventTime=f"{day}T02:05:00.000Z",
                             run=run, job=job, producer=PRODUCER, inputs=[sis],
                             outputs=[export]))
        after = {a["actor_id"]: a for a in requests.post(
            f"{url}/api/v1/exposure", json={"student_id": "RSD-1002"},
            headers=rs.headers("officer"), timeout=30).json()["actors"]}
    flows = store.read_text(
        "MATCH (f:Flow) WHERE f.id STARTS WITH 'ol:' RETURN f.id AS id, f.kind AS kind, "
        "toString(f.valid_from) AS first, toString(f.valid_to) AS last")
    assert [(f["kind"], f["first"], f["last"]) for f in flows] == [
        ("disclosure", "2026-01-05", "2026-01-06")]
    assert after["routeco"]["datasets"] == ["rsd-sis", "routeco-ol-export", "routeco-routes"]
    assert after["routeco"]["elements"] == before["routeco"]["elements"]  # already held both
    assert set(after) == set(before)



def test_an_event_naming_a_student_is_refused_and_nothing_is_stored(store):
    """A pipeline writing one file per student: the event's dataset name holds a student's ID
    (RSD-1001 is in the Riverside graph). Refused (400, the value never shown); nothing is
    stored, since events are stored as received."""
    from fastapi.testclient import TestClient

    store.reset()
    rs = load_workspace(store)
    c = TestClient(rs.app())
    _, _, evs = events()
    event = json.loads(Serde.to_json(evs[1]))
    event["outputs"][0]["name"] = "report-cards/RSD-1001_card.pdf"
    r = c.post("/api/v1/lineage", json=event, headers=rs.headers("ingest"))
    assert r.status_code == 400, r.text
    assert "holds a student's ID (the value is not shown): nothing was stored" in r.text
    assert "RSD-1001" not in r.text
    assert stored(rs.store) == []
    # nor in the producer or a schema field (every text the receiver keeps is searched)
    for where in ("producer", "field"):
        other = json.loads(Serde.to_json(evs[1]))
        if where == "producer":
            other["producer"] = "https://etl.example/RSD-1001"
        else:
            other["outputs"][0].setdefault("facets", {})["schema"] = {
                "_producer": PRODUCER, "_schemaURL": "https://openlineage.io/spec/facets/1-1-1/"
                "SchemaDatasetFacet.json", "fields": [{"name": "score_RSD-1001", "type": "int"}]}
        r = c.post("/api/v1/lineage", json=other, headers=rs.headers("ingest"))
        assert r.status_code == 400, (where, r.text)
    assert stored(rs.store) == []
    # the same event for a file named without the ID is stored
    event["outputs"][0]["name"] = "report-cards/grade-4_card.pdf"
    r = c.post("/api/v1/lineage", json=event, headers=rs.headers("ingest"))
    assert r.status_code == 201, r.text
    assert len(stored(rs.store)) == 1
