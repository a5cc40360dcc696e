"""Sources and snapshots (issue 13 item 4): provenance on every node and relationship, the
``lineage sources`` listing, ``--snapshot`` closing what a source no longer asserts, and
``lineage forget``. Real Neo4j, through the CLI; every value synthetic."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from lineage.cli import main
from lineage.questions.sources import incomplete_warning
from lineage.sources.provenance import default_source_name


def cli(env, *args):
    return CliRunner().invoke(main, list(args), env=env)


def ok(env, *args):
    r = cli(env, *args)
    assert r.exit_code == 0, r.output
    return r


# --- the default name: one rule ------------------------------------------------------------------

@pytest.mark.parametrize(("origin", "kind", "name"), [
    ("/exports/oneroster-2026-12-01.zip", "oneroster", "oneroster"),
    ("/exports/oneroster_20261201.zip", "oneroster", "oneroster"),
    ("seeds/riverside/inventory.yaml", "inventory", "inventory"),
    ("Exports/SIS Extract 2026-12-01.csv", "dictionary", "sis-extract"),
    ("/data/edfi/", "edfi", "edfi"),
    ("2026-12-01.jsonl", "openlineage", "openlineage"),
    ("OpenLineage receiver", "openlineage", "openlineage-receiver"),
])
def test_default_source_name(origin, kind, name):
    assert default_source_name(origin, kind) == name


def test_incomplete_warning_text():
    assert incomplete_warning([]) is None
    assert incomplete_warning(["sis"]) == (
        "warning: the graph may be incomplete: the last load of source sis did not finish; "
        "load it again (lineage sources lists loads)")
    assert incomplete_warning([{"name": "a", "started": "2026-12-01T06:00:00Z"}, "b"],
                              prefix="Note: ") == (
        "Note: the graph may be incomplete: the last load of sources a (load started "
        "2026-12-01T06:00:00Z), b did not finish; load it again (lineage sources lists loads)")


# --- a small district: the district's inventory and nightly SIS snapshots -----------------------

DISTRICT = {
    "name": "Birch Hollow (synthetic)",
    "actors": [{"id": "birch-sd", "role": "district"},
               {"id": "birch-es", "role": "school", "part_of": "birch-sd"},
               {"id": "lexi", "name": "Lexi Reading", "role": "vendor"}],
    "datasets": [{"id": "birch-sis", "holder": "birch-sd", "granularity": "student",
                  "elements": ["Student Name", "Student course grades"],
                  "coverage": [{"org": "birch-sd"}]},
                 {"id": "lexi-copy", "holder": "lexi", "granularity": "student"}],
    "grants": [{"id": "TG-birch", "dataset": "birch-sis", "scope": "roster",
                "scope_org": "birch-sd", "elements": ["Student Name", "Student course grades"],
                "legal_basis": "school_official"}],
}

FLOW = {"id": "F-lexi", "kind": "disclosure", "source": "birch-sis", "target": "lexi-copy",
        "elements": ["Student Name"], "legal_basis": "school_official",
        "valid_from": "2025-08-25"}


def write_inventory(folder: Path, doc: dict, files: dict[str, str] | None = None,
                    name: str = "inventory.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for fname, text in (files or {}).items():
        (folder / fname).write_text(text, encoding="utf-8")
    path = folder / name
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


HEADERS = {"teaching": "section,school,teacher,valid_from",
           "enrolments": "student_id,org,valid_from", "rosters": "student_id,section,valid_from"}


def sis_export(folder: Path, teaching: list[str], rosters: list[str],
               enrolled: list[str] = ()) -> Path:
    """One night's SIS export: teaching, enrolment (``enrolled``: students at birch-es since
    2025-08-25) and roster rows (CSV lines without header); kinds without rows are left out."""
    lines = {"teaching": teaching, "enrolments": [f"{s},birch-es,2025-08-25" for s in enrolled],
             "rosters": rosters}
    lines = {k: v for k, v in lines.items() if v}
    return write_inventory(folder, {"bulk": [{"kind": k, "path": f"{k}.csv"} for k in lines]},
                           {f"{k}.csv": HEADERS[k] + "\n" + "".join(f"{x}\n" for x in v)
                            for k, v in lines.items()})


def exposure(env, student: str) -> dict[str, dict]:
    r = ok(env, "exposure", student, "--format", "json")
    return {a["actor_id"]: a for a in json.loads(r.stdout)["actors"]}


def window(env, student: str, actor: str) -> tuple[str | None, str | None]:
    a = exposure(env, student)[actor]
    return a["first_date"], a["last_date"]


def rel(store, student_key: str, section: str) -> dict:
    rows = store.read_text(
        "MATCH (:Student {key: $k})-[x:IN_SECTION]->(:Section {id: $s}) "
        "RETURN x.valid_from AS f, x.valid_to AS t, x.sources AS sources", k=student_key,
        s=section)
    assert len(rows) == 1
    r = rows[0]
    return {"from": str(r["f"]), "to": str(r["t"]) if r["t"] else None, "sources": r["sources"]}


TEACHING = ["SEC-1,birch-es,T-1,2025-08-25", "SEC-2,birch-es,T-2,2025-08-25"]


def test_snapshot_closes_what_the_source_no_longer_asserts(store, env, tmp_path):
    from tests.helpers import PSEUDO

    store.reset()
    ok(env, "load", str(write_inventory(tmp_path / "district", DISTRICT)), "--source",
       "district", "--no-progress")
    night1 = sis_export(tmp_path / "n1", TEACHING, [
        "BH-1,SEC-1,2025-08-25", "BH-2,SEC-1,2025-08-25", "BH-3,SEC-1,2025-08-25",
        "BH-1,SEC-2,2025-08-25"], ["BH-1", "BH-2", "BH-3"])
    r = ok(env, "load", str(night1), "--source", "sis", "--snapshot", "2025-09-01",
           "--no-progress")
    assert "snapshot 2025-09-01 of sis: 0 rows no longer in the export" in r.output
    # the LMS also says BH-3 is in SEC-1
    lms = sis_export(tmp_path / "lms", [], ["BH-3,SEC-1,2025-08-25"])
    ok(env, "load", str(lms), "--source", "lms", "--no-progress")
    assert window(env, "BH-2", "T-1") == ("2025-08-25", None)
    assert window(env, "BH-1", "T-2") == ("2025-08-25", None)

    # the next snapshot: BH-2 and BH-3 left SEC-1, SEC-2 is no longer taught (T-2 left)
    night2 = sis_export(tmp_path / "n2", TEACHING[:1], ["BH-1,SEC-1,2025-08-25"],
                        ["BH-1", "BH-2", "BH-3"])
    r = ok(env, "load", str(night2), "--source", "sis", "--snapshot", "2025-10-01",
           "--no-progress")
    # BH-2 in SEC-1, BH-1 in SEC-2, T-2 teaching SEC-2 closed; BH-3 still asserted by the LMS
    assert ("snapshot 2025-10-01 of sis: 3 rows no longer in the export ended on 2025-10-01; "
            "1 still asserted by another source") in r.output
    # nothing was created, but three rows ended: never "no changes"
    assert "graph changes: nothing created" not in r.output
    assert re.search(r"graph changes: 0 nodes created, 0 relationships created, \d+ properties "
                     r"set, 3 rows ended by the snapshot", r.output), r.output
    # the student who left disappears from the snapshot: the teacher's window ends that day,
    # and the earlier access stays in the answer (having touched is permanent)
    assert window(env, "BH-2", "T-1") == ("2025-08-25", "2025-10-01")
    assert window(env, "BH-1", "T-2") == ("2025-08-25", "2025-10-01")
    assert window(env, "BH-1", "T-1") == ("2025-08-25", None)
    assert rel(store, PSEUDO("BH-2"), "SEC-1") == {"from": "2025-08-25", "to": "2025-10-01",
                                                   "sources": ["sis"]}
    # another source still asserts BH-3 in SEC-1: it stays open, sis leaves its list
    assert rel(store, PSEUDO("BH-3"), "SEC-1") == {"from": "2025-08-25", "to": None,
                                                   "sources": ["lms"]}
    assert window(env, "BH-3", "T-1") == ("2025-08-25", None)
    teaches = store.read_text("MATCH (:Actor {id: 'T-2'})-[t:TEACHES]->() "
                              "RETURN toString(t.valid_to) AS t, t.sources AS s")
    assert teaches == [{"t": "2025-10-01", "s": ["sis"]}]
    # nothing was deleted; the district's own inventory is untouched (not a snapshot)
    grant = store.read_text("MATCH (g:Grant {id: 'TG-birch'}) RETURN g.valid_to AS t, "
                            "g.sources AS s")
    assert grant == [{"t": None, "s": ["district"]}]
    listed = json.loads(ok(env, "sources", "--format", "json").stdout)
    sis = next(s for s in listed if s["source"] == "sis")
    assert (sis["kind"], sis["snapshot"], sis["rows"], sis["finished"], sis["status"]) == (
        "inventory", "2025-10-01", {"enrolments": 3, "rosters": 1, "teaching": 1}, True,
        "finished")
    assert [s["source"] for s in listed] == ["district", "lms", "sis"]


def test_snapshot_closes_grants_and_flows(store, env, tmp_path):
    store.reset()
    doc = {**DISTRICT, "flows": [FLOW]}
    ok(env, "load", str(write_inventory(tmp_path / "a", doc)), "--source", "district",
       "--snapshot", "2025-09-01", "--no-progress")
    smaller = {**DISTRICT, "grants": [], "flows": []}
    r = ok(env, "load", str(write_inventory(tmp_path / "b", smaller)), "--source", "district",
           "--snapshot", "2025-12-31", "--no-progress")
    assert "2 rows no longer in the export ended on 2025-12-31" in r.output
    rows = store.read_text("MATCH (x) WHERE x:Grant OR x:Flow RETURN x.id AS id, "
                           "toString(x.valid_to) AS t ORDER BY id")
    assert rows == [{"id": "F-lexi", "t": "2025-12-31"}, {"id": "TG-birch", "t": "2025-12-31"}]


def test_forget_keeps_what_another_source_asserts(store, env, tmp_path):
    from tests.helpers import PSEUDO

    store.reset()
    ok(env, "load", str(write_inventory(tmp_path / "a", {**DISTRICT, "flows": [FLOW]})),
       "--source", "district", "--no-progress")
    # the vendor's own inventory asserts the same flow (and the datasets it joins)
    ok(env, "load", str(write_inventory(tmp_path / "b", {"flows": [FLOW]})),
       "--source", "lexi-dpa", "--no-progress")
    ok(env, "load", str(sis_export(tmp_path / "n1", TEACHING[:1], ["BH-1,SEC-1,2025-08-25"],
                                   ["BH-1"])), "--source", "sis", "--no-progress")
    # a roster file loaded by mistake: two students who are not in this district
    mistake = sis_export(tmp_path / "oops", [], ["ZZ-1,SEC-1,2025-08-25",
                                                 "ZZ-2,SEC-1,2025-08-25"], ["ZZ-1", "ZZ-2"])
    ok(env, "load", str(mistake), "--source", "wrong-file", "--no-progress")
    assert window(env, "ZZ-1", "T-1") == ("2025-08-25", None)
    flow = "MATCH (f:Flow {id: 'F-lexi'}) RETURN f.sources AS s"
    assert store.read_text(flow) == [{"s": ["district", "lexi-dpa"]}]

    r = cli(env, "forget", "nope")
    assert r.exit_code == 2
    assert "unknown source 'nope'; the graph knows: district, lexi-dpa, sis, wrong-file" in r.output
    before = store.counts()
    r = cli(env, "forget", "wrong-file")                  # without --yes: says, removes nothing
    assert r.exit_code == 2
    assert ("'forget wrong-file' would remove 4 relationships and 2 nodes only wrong-file "
            "asserts; 0 relationships and 0 nodes another source also asserts stay; nothing "
            "was removed") in r.output
    assert store.counts() == before
    r = ok(env, "forget", "wrong-file", "--yes")
    assert "removed 4 relationships and 2 nodes" in r.output
    # 2 students, its Source and Load; 2 roster rows, 2 enrolments and LAST_LOAD
    assert store.counts() == {"nodes": before["nodes"] - 4,
                              "relationships": before["relationships"] - 5}
    gone = store.read_text("MATCH (s:Student) WHERE s.key IN $k RETURN count(s) AS n",
                           k=[PSEUDO("ZZ-1"), PSEUDO("ZZ-2")])
    assert gone == [{"n": 0}]
    assert cli(env, "exposure", "ZZ-1").exit_code == 1          # unknown student now
    section = store.read_text("MATCH (s:Section {id: 'SEC-1'}) RETURN s.sources AS s")
    assert section == [{"s": ["sis"]}]            # referred to by wrong-file, not asserted
    assert window(env, "BH-1", "T-1") == ("2025-08-25", None)

    # one of the two sources of the flow is forgotten: the flow stays, with the values of the
    # last load that wrote it, which forget cannot undo: it says so and names the other source
    r = ok(env, "forget", "lexi-dpa", "--yes")
    assert ("1 definition (actors, datasets, flows...) that district also asserts keeps the "
            "values of the last load that wrote them, and lose the links only lexi-dpa gave "
            "them: if lexi-dpa changed them (load --update), load district again with --update "
            "to restore them") in " ".join(r.output.split())
    assert store.read_text(flow) == [{"s": ["district"]}]
    assert exposure(env, "BH-1")["lexi"]["access"] == "identifiable"
    listed = json.loads(ok(env, "sources", "--format", "json").stdout)
    assert [s["source"] for s in listed] == ["district", "sis"]


# --- a load killed part-way --------------------------------------------------------------------

#: Load properties that differ between two loads of the same input (a load's id and times).
LOAD_TIMES = {"id", "started", "finished_at"}


def canonical_hash(store) -> str:
    """SHA-256 of every node and relationship with its labels/type and properties (sorted; a
    relationship named by its ends' canonical text), leaving out only the Load record's id and
    timestamps."""
    import hashlib

    nodes = store.read_text("MATCH (n) RETURN elementId(n) AS id, labels(n) AS labels, "
                            "properties(n) AS p")
    text = {}
    for n in nodes:
        p = {k: v for k, v in n["p"].items() if not ("Load" in n["labels"] and k in LOAD_TIMES)}
        text[n["id"]] = json.dumps([sorted(n["labels"]), p], sort_keys=True, default=str)
    rels = store.read_text("MATCH (a)-[r]->(b) RETURN elementId(a) AS a, type(r) AS t, "
                           "elementId(b) AS b, properties(r) AS p")
    lines = sorted(text.values()) + sorted(
        json.dumps([text[r["a"]], r["t"], text[r["b"]], r["p"]], sort_keys=True, default=str)
        for r in rels)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def test_a_load_killed_halfway_is_unfinished_until_rerun(store, env, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.helpers import ROOT

    store.reset()
    state = tmp_path / "state"
    ok(env, "synth", "--students", "2000", "--out", str(state))
    inventory = str(state / "inventory.yaml")
    # small batches over one writer: slow enough to be killed while it writes student rows
    proc = subprocess.Popen(
        [sys.executable, "-m", "lineage.cli", "load", inventory, "--no-progress",
         "--batch-size", "100", "--writers", "1", "--source", "state"],
        cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            seen = store.read_text(
                "OPTIONAL MATCH (l:Load {source: 'state'}) "
                "RETURN l.finished AS finished, COUNT { MATCH (:Student) } AS students")[0]
            if seen["finished"] is False and seen["students"] > 0:
                break
            assert proc.poll() is None, "the load ended before it could be killed"
            time.sleep(0.05)
        else:
            pytest.fail("the load did not start writing student rows in time")
        assert proc.poll() is None
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    listed = json.loads(ok(env, "sources", "--format", "json").stdout)
    assert [(s["source"], s["status"], s["finished_at"]) for s in listed] == [
        ("state", "UNFINISHED", None)]
    table = ok(env, "sources")
    assert "UNFINISHED" in table.stdout
    warning = ("warning: the graph may be incomplete: the last load of source state (load "
               f"started {listed[0]['started']}) did not finish; load it again")
    with open(state / "enrolments.csv", encoding="utf-8") as fh:
        student = fh.readlines()[1].split(",")[0]
    r = cli(env, "exposure", student)
    assert r.exit_code == 0, r.output
    # the table says it in its first lines (issue 16: the summary line), once
    assert r.stdout.splitlines()[1].startswith(warning) and warning not in r.stderr
    r = cli(env, "exposure", student, "--format", "json")
    assert warning in r.stderr
    json.loads(r.stdout)                                 # stdout is exactly the JSON answer
    for args in (["upstream", "sd001-sis"], ["check", "--fail-on", "high"],
                 ["impact", "--dataset", "sd001-sis", "--format", "csv"]):
        r = cli(env, *args)
        assert warning in r.stderr, args
    r = ok(env, "report", student, "--format", "md")
    assert "> **Note: the graph may be incomplete: the last load of source state" in r.stdout

    # the rerun finishes the load: exactly the graph of an uninterrupted load
    ok(env, "load", inventory, "--no-progress", "--source", "state")
    r = ok(env, "exposure", student)
    assert "incomplete" not in r.stderr
    assert json.loads(ok(env, "sources", "--format", "json").stdout)[0]["status"] == "finished"
    # the look-up records the questions above made are not loaded content: they go first
    store.write_text("MATCH (l:Lookup) DELETE l")
    rerun = canonical_hash(store)
    store.reset()
    ok(env, "load", inventory, "--no-progress", "--source", "state")
    assert canonical_hash(store) == rerun


# --- the web workspace and API say it too ------------------------------------------------------

def test_web_banner_and_api_header_while_a_load_is_unfinished(store):
    from lineage.graph.provenance import begin_load, finish_load
    from tests.web_helpers import load_workspace, sign_in

    rs = load_workspace(store)                       # Riverside, loaded and finished
    c = rs.client()
    token = sign_in(c, "olivia")
    api = {"Authorization": f"Bearer {rs.keys['officer']}"}
    student = {"student_id": "RSD-1001"}
    clean = c.post("/api/v1/exposure", json=student, headers=api)
    assert clean.status_code == 200 and "x-lineage-incomplete" not in clean.headers
    page = c.post("/student", data={"student_id": "RSD-1001", "csrf": token}).text
    assert 'id="incomplete"' not in page

    load = begin_load(store, "nightly sis", "oneroster", None)   # what a load does first
    r = c.post("/api/v1/exposure", json=student, headers=api)
    assert r.status_code == 200
    assert r.headers["x-lineage-incomplete"] == "nightly%20sis"
    assert r.content == clean.content                # the answer's body is unchanged
    page = c.post("/student", data={"student_id": "RSD-1001", "csrf": token}).text
    assert ('<p class="banner incomplete" id="incomplete" role="alert">Note: the graph may be '
            'incomplete: the last load of source nightly sis (load started ') in page
    loads = c.get("/api/v1/sources", headers=api).json()["loads"]
    assert [(x["source"], x["kind"], x["status"]) for x in loads] == [
        ("inventory", "inventory", "finished"), ("nightly sis", "oneroster", "UNFINISHED")]
    report = c.post("/api/v1/report", json={**student, "format": "md"}, headers=api)
    assert "> **Note: the graph may be incomplete: the last load of source nightly sis" in (
        report.text)

    finish_load(store, "nightly sis", load, {"rosters": 3})
    r = c.post("/api/v1/exposure", json=student, headers=api)
    assert "x-lineage-incomplete" not in r.headers
    page = c.post("/student", data={"student_id": "RSD-1001", "csrf": token}).text
    assert 'id="incomplete"' not in page


def test_a_delta_export_is_never_a_snapshot(store, env):
    from tests.helpers import ROOT

    before = store.counts()
    delta = ROOT / "tests" / "fixtures" / "oneroster-1.2" / "delta"
    r = cli(env, "load", "--oneroster", str(delta), "--source", "sis", "--snapshot",
            "2025-10-01", "--no-progress")
    assert r.exit_code == 2
    assert (f"{delta}, field '--snapshot': a delta export is not a full snapshot of its "
            "source: load it without --snapshot") in r.output
    assert store.counts() == before
