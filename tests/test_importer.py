"""``lineage load --initial``: the offline importer gives exactly the graph of ``lineage load``.

These tests stop and start the test server (the local server of ``LINEAGE_HOME``, as
:func:`tests.conftest.neo4j_settings` finds it) and leave it running, emptied. Each compares a
canonical digest of the whole graph -- every node (labels and properties) and every relationship
(type, the identity of both ends, properties) -- after ``lineage load`` with the digest after
``lineage load --initial``, each into an emptied database. Only what differs between any two
loads is left out: a ``Load`` record's random id and its two times.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from lineage.cli import main
from lineage.core.settings import LineageSettings
from lineage.graph import server
from tests.helpers import RIVERSIDE, ROOT

#: Properties that differ between two loads of the same files (random or clock values).
VOLATILE = {"Load": {"id", "started", "finished_at"}}


def _home() -> Path:
    lineage = LineageSettings()
    return lineage.home if lineage.home.is_absolute() else ROOT / lineage.home


@pytest.fixture()
def local(store, env):
    """The CLI environment for the local test server; the server runs again afterwards (also
    when a test fails half-way, the server stopped), its graph emptied."""
    lineage = LineageSettings()
    home = _home()
    if not (store.settings.is_local(lineage.bolt_port) and server.is_running(home)):
        pytest.fail(f"these tests need the local server of {home} (lineage db start) as the test "
                    "database", pytrace=False)
    ports = server.running_settings(home)
    yield {**env, "LINEAGE_HOME": str(home), "LINEAGE_BOLT_PORT": str(lineage.bolt_port)}
    if not server.is_running(home):
        server.start(home, bolt_port=ports["bolt_port"], http_port=ports["http_port"],
                     heap=ports["heap"], pagecache=ports["pagecache"], timeout=300)
    store.reopen()
    store.reset()


def _plain(v):
    """A property value in a form that tells types apart (a date from its ISO text)."""
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if hasattr(v, "iso_format"):
        return [type(v).__name__, v.iso_format()]
    return [type(v).__name__, v]


def _identity(labels: list[str], props: dict) -> str:
    key = ("key" if "Student" in labels else "name" if {"Element", "Source"} & set(labels)
           else "source" if "Load" in labels else "id")
    return f"{':'.join(sorted(labels))}/{props.get(key)}"


def graph_digest(store) -> tuple[str, Counter]:
    """``(sha256, counts)`` of the whole graph: the sorted canonical lines of every node and
    relationship; ``counts``: nodes per label set and relationships per type."""
    lines, counts = [], Counter()
    for r in store.read_text("MATCH (n) RETURN labels(n) AS labels, properties(n) AS props"):
        labels = sorted(r["labels"])
        skip = set().union(*(VOLATILE.get(lb, set()) for lb in labels))
        props = {k: _plain(v) for k, v in r["props"].items() if k not in skip}
        lines.append(json.dumps(["node", labels, props], sort_keys=True))
        counts[":".join(labels)] += 1
    for r in store.read_text(
            "MATCH (a)-[x]->(b) RETURN type(x) AS type, labels(a) AS al, properties(a) AS ap, "
            "labels(b) AS bl, properties(b) AS bp, properties(x) AS props"):
        lines.append(json.dumps(["rel", r["type"], _identity(r["al"], r["ap"]),
                                 _identity(r["bl"], r["bp"]),
                                 {k: _plain(v) for k, v in r["props"].items()}], sort_keys=True))
        counts[r["type"]] += 1
    lines.sort()
    return hashlib.sha256("\n".join(lines).encode()).hexdigest(), counts


def _load(env: dict, *args: str) -> str:
    r = CliRunner().invoke(main, ["load", "--no-progress", *args], env=env)
    assert r.exit_code == 0, r.output + repr(r.exception)
    return r.output


def _compare(store, env: dict, args: list[str]) -> tuple[Counter, str]:
    store.reset()
    _load(env, *args)
    bolt, bolt_counts = graph_digest(store)
    store.reset()
    out = _load(env, "--initial", *args)
    store.reopen()                        # the database was replaced: forget the old bookmarks
    offline, offline_counts = graph_digest(store)
    assert offline_counts == bolt_counts
    assert offline == bolt
    return bolt_counts, out


def test_riverside_same_graph_as_bolt_load(store, local):
    counts, out = _compare(store, local, [str(RIVERSIDE / "inventory.yaml")])
    # the Riverside seed: 304 enrolments, 153 roster rows, 153 members (seeds/riverside)
    assert counts["ENROLLED_AT"] == 304 and counts["IN_SECTION"] == 153
    assert counts["MEMBER_OF"] == 153 and counts["Source"] == 1 and counts["Load"] == 1
    for phase in ("read", "convert", "import", "start", "schema"):
        assert f"\n  {phase} " in out
    assert "rows/s" in out and "neo4j-admin database upload neo4j" in out
    # the constraints and indexes of cypher/schema.cypher exist again after the import
    names = {r["name"] for r in store.read_text("SHOW CONSTRAINTS YIELD name RETURN name")}
    assert {"student_key", "actor_id", "source_name", "load_source"} <= names


def test_synthetic_state_with_repeats_same_graph(store, local, tmp_path):
    """A small synthetic state, with repeated bulk rows (same MERGE key, other values: the last
    wins) and a second source naming the same students: exactly the Bolt load's graph."""
    from lineage.sources.synth import generate

    generate(tmp_path / "s", students=60, seed=3)
    enrol = (tmp_path / "s" / "enrolments.csv").read_text().splitlines()
    # row 1 again with another valid_to: MERGE on (student, org, valid_from) keeps one edge
    head, first = enrol[0], enrol[1].split(",")
    first[3] = "2031-06-30"
    (tmp_path / "s" / "enrolments.csv").write_text("\n".join([*enrol, ",".join(first)]) + "\n")
    (tmp_path / "extra").mkdir()
    (tmp_path / "extra" / "enrolments.csv").write_text("\n".join([head, *enrol[1:4]]) + "\n")
    (tmp_path / "extra" / "more.yaml").write_text(
        "bulk:\n  - kind: enrolments\n    path: enrolments.csv\n")
    counts, _ = _compare(store, local, [str(tmp_path / "s" / "inventory.yaml"),
                                        str(tmp_path / "extra" / "more.yaml")])
    assert counts["Source"] == 2 and counts["Student"] >= 60
    shared = store.read_text("MATCH ()-[e:ENROLLED_AT]->() WHERE size(e.sources) = 2 "
                             "RETURN count(e) AS n")[0]["n"]
    assert shared == 3


def test_refuses_a_graph_that_is_not_empty(store, local):
    store.reset()
    _load(local, str(RIVERSIDE / "inventory.yaml"))
    before = graph_digest(store)
    r = CliRunner().invoke(main, ["load", "--initial", "--no-progress",
                                  str(RIVERSIDE / "inventory.yaml")], env=local)
    assert r.exit_code == 2
    assert "--initial is for the first load of an empty database" in r.output
    assert graph_digest(store) == before
    assert server.is_running(_home())


def test_refuses_a_server_that_is_not_local(store, local):
    store.reset()
    r = CliRunner().invoke(main, ["load", "--initial", "--no-progress",
                                  str(RIVERSIDE / "inventory.yaml")],
                           env={**local, "LINEAGE_BOLT_PORT": "1"})
    assert r.exit_code == 2
    assert "does not point at a local server running in" in r.output
    assert store.counts() == {"nodes": 0, "relationships": 0}


def test_bad_input_writes_nothing_and_keeps_the_server(store, local, tmp_path):
    store.reset()
    (tmp_path / "enrolments.csv").write_text("student_id,org\nS-1,no-such-school\n")
    (tmp_path / "inv.yaml").write_text("bulk:\n  - kind: enrolments\n    path: enrolments.csv\n")
    r = CliRunner().invoke(main, ["load", "--initial", "--no-progress", str(tmp_path / "inv.yaml")],
                           env=local)
    assert r.exit_code == 2, r.output
    assert "no-such-school" not in r.output and "S-1" not in r.output  # student file: no values
    assert "enrolments.csv" in r.output
    assert store.counts() == {"nodes": 0, "relationships": 0}
    assert server.is_running(_home())


def test_bad_input_leaves_no_import_file(store, local, tmp_path):
    """Rows are converted while they are validated: a refused input takes back every file
    written before the problem was found (here the last row of the enrolments file)."""
    store.reset()
    lines = (RIVERSIDE / "enrolments.csv").read_text().splitlines()
    (tmp_path / "enrolments.csv").write_text("\n".join([*lines, "S-9,no-such-school,,"]) + "\n")
    inv = (RIVERSIDE / "inventory.yaml").read_text()
    (tmp_path / "inventory.yaml").write_text(inv)
    for f in RIVERSIDE.glob("*.csv"):
        if f.name != "enrolments.csv":
            (tmp_path / f.name).write_bytes(f.read_bytes())
    out = tmp_path / "import"
    r = CliRunner().invoke(main, ["load", "--initial", "--no-progress", "--write-import-files",
                                  str(out), str(tmp_path / "inventory.yaml")], env=local)
    assert r.exit_code == 2, r.output
    assert "enrolments.csv" in r.output and "no-such-school" not in r.output
    assert sorted(p.name for p in out.iterdir()) == []
    assert store.counts() == {"nodes": 0, "relationships": 0}


def test_docker_files_and_command(store, local, tmp_path):
    store.reset()
    out = tmp_path / "import"
    r = CliRunner().invoke(main, ["load", "--initial", "--no-progress", "--write-import-files",
                                  str(out), str(RIVERSIDE / "inventory.yaml")], env=local)
    assert r.exit_code == 0, r.output
    assert (out.stat().st_mode & 0o777) == 0o700
    assert "docker compose stop neo4j" in r.output
    assert (f"docker compose run --rm --no-deps -v '{out.resolve()}:/import-files:ro' neo4j "
            "neo4j-admin database import full neo4j --overwrite-destination") in r.output
    assert f"lineage load --after-import '{out.resolve()}'" in r.output
    header = (out / "nodes-Student.csv").read_text().splitlines()[0]
    assert header == "key:ID(Student),sources:string[]"
    text = "".join(p.read_text() for p in out.glob("*.csv"))
    for raw in ("RSD-1001", "RSD-1002"):         # pseudonyms only, never a raw student ID
        assert raw not in text
    assert store.counts() == {"nodes": 0, "relationships": 0}


def test_digest_tells_a_wrong_value_apart(store, env):
    """The comparison above catches a wrong conversion: one relationship property written
    wrong (a valid_to written as its valid_from) changes the digest, and only that. (Checked
    on the Bolt-loaded graph: an import would cost a server restart and prove nothing more.)"""
    store.reset()
    _load(env, str(RIVERSIDE / "inventory.yaml"))
    right, counts = graph_digest(store)
    changed = store.write_text(
        "MATCH ()-[e:ENROLLED_AT]->() WHERE e.valid_to IS NOT NULL "
        "WITH e ORDER BY e.k LIMIT 1 SET e.valid_to = e.valid_from RETURN e.k AS k")
    assert changed.properties_set == 1
    wrong, wrong_counts = graph_digest(store)
    assert wrong != right and wrong_counts == counts
    store.reset()


def test_synth_load_uses_the_importer_when_empty(store, local, tmp_path):
    store.reset()
    r = CliRunner().invoke(main, ["synth", "--students", "30", "--out", str(tmp_path / "a"),
                                  "--load"], env=local)
    assert r.exit_code == 0, r.output
    assert "through the offline importer (empty local database)" in r.output
    assert "loaded (offline importer):" in r.output
    store.reopen()
    offline = graph_digest(store)
    # not empty any more: the same state again goes over Bolt (and changes nothing)
    r = CliRunner().invoke(main, ["synth", "--students", "30", "--out", str(tmp_path / "b"),
                                  "--load"], env=local)
    assert r.exit_code == 0, r.output
    assert "over Bolt" in r.output and "graph changes: nothing created, no definition changed" in r.output
    assert graph_digest(store) == offline
