"""Every Cypher file is well-formed: a header comment (purpose, parameters, returns) and every
statement passes EXPLAIN on the real server (schema statements are run, idempotently)."""

from __future__ import annotations

import pytest

from lineage.core.resources import cypher_dir
from lineage.graph.cypher import all_files, statements

FILES = [p for p in all_files()]
NAMES = [str(p.relative_to(cypher_dir()).with_suffix("")) for p in FILES]


def test_there_are_query_files():
    assert "schema" in NAMES
    assert "queries/exposure_context" in NAMES
    assert len(NAMES) >= 20


@pytest.mark.parametrize("name", NAMES)
def test_header(name):
    text = (cypher_dir() / f"{name}.cypher").read_text()
    head = [l for l in text.splitlines() if l.startswith("//")]
    joined = " ".join(head).lower()
    assert text.startswith("// Purpose:"), name
    assert "parameters:" in joined and "returns:" in joined, name


@pytest.mark.parametrize("name", [n for n in NAMES if n != "schema"])
def test_explain(store, name):
    for st in statements(name):
        store.explain(st)


def test_schema_runs_twice(store):
    store.run_schema("schema")
    store.run_schema("schema")
    names = {r["name"] for r in store.read_text("SHOW CONSTRAINTS YIELD name RETURN name")}
    assert {"student_key", "actor_id", "dataset_id", "flow_id"} <= names
