"""Loading: idempotency, malformed inputs (message + unchanged graph), pseudonym key, parsers."""

from __future__ import annotations

import shutil
import string
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lineage.cli import main
from lineage.errors import InputError
from lineage.ingest import load, read_sources
from lineage.inventory import iter_bulk_rows, read_inventory
from lineage.models import BulkFile, BulkKind
from lineage.dictionary import slug
from tests.helpers import CEDAR_COUNTS, PSEUDO, RIVERSIDE, ROOT, load_riverside

def graph_fingerprint(store) -> tuple:
    c = store.counts()
    props = store.read_text(
        "MATCH (n) WITH n ORDER BY elementId(n) RETURN count(n) AS n, "
        "sum(size(keys(n))) AS keys")[0]
    return (c["nodes"], c["relationships"], props["keys"])


def test_riverside_twice_same_graph(store):
    load_riverside(store, violations=True)
    first = graph_fingerprint(store)
    load(store, read_sources([RIVERSIDE / "inventory.yaml", RIVERSIDE / "violations.yaml"]), PSEUDO)
    assert graph_fingerprint(store) == first
    assert first[0] > 300


def test_cedar_valley_twice_same_graph(store, env):
    store.reset()
    args = ["load", "--dictionary", str(ROOT / "seeds/cedar-valley/metadata-dictionary.csv"),
            "--district", "cedar-valley-sd", "--no-progress"]
    r = CliRunner().invoke(main, args, env=env)
    assert r.exit_code == 0, r.output
    assert "15 recipients, 16 flows, 26 element columns" in r.output
    assert "Study" in r.output  # the alias warning names the row
    first = graph_fingerprint(store)
    r = CliRunner().invoke(main, args, env=env)
    assert r.exit_code == 0
    assert graph_fingerprint(store) == first


def test_cedar_valley_every_student_identifiable_to_all_recipients(store, env, tmp_path):
    store.reset()
    (tmp_path / "students.yaml").write_text(yaml.safe_dump({
        "actors": [{"id": "cedar-valley-sd", "role": "district"}],
        "bulk": [{"kind": "enrolments", "path": "enrol.csv"}]}))
    (tmp_path / "enrol.csv").write_text(
        "student_id,org,valid_from,valid_to\nCV-1,cedar-valley-sd,2024-08-20,\n"
        "CV-2,cedar-valley-sd,2023-08-21,2024-06-01\n")
    # the dictionary defines the district actor too: load the dictionary first, then students
    r = CliRunner().invoke(main, ["load", "--dictionary",
                                  str(ROOT / "seeds/cedar-valley/metadata-dictionary.csv"),
                                  "--district", "cedar-valley-sd", "--no-progress"], env=env)
    assert r.exit_code == 0, r.output
    doc = yaml.safe_load((tmp_path / "students.yaml").read_text())
    doc["actors"] = []
    (tmp_path / "students.yaml").write_text(yaml.safe_dump(doc))
    r = CliRunner().invoke(main, ["load", str(tmp_path / "students.yaml"), "--no-progress"], env=env)
    assert r.exit_code == 0, r.output
    from lineage import answers

    expected = {slug(name): n for name, n in CEDAR_COUNTS.items()}
    for sid in ("CV-1", "CV-2"):
        rows = answers.exposure(store, PSEUDO, sid)["actors"]
        got = {a["actor_id"]: len(a["elements"]) for a in rows
               if a["access"] == "identifiable" and a["actor_id"] != "cedar-valley-sd"}
        assert got == expected


def _copy_riverside(tmp_path: Path) -> Path:
    dst = tmp_path / "riverside"
    shutil.copytree(RIVERSIDE, dst)
    return dst


def _edit(path: Path, fn) -> None:
    doc = yaml.safe_load(path.read_text())
    fn(doc)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def _ds(doc, i):
    return next(d for d in doc["datasets"] if d["id"] == i)


MALFORMED = {
    "unknown element": (lambda d: _ds(d, "rsd-sis")["elements"].append("Shoe size"),
                        "datasets[0] (id rsd-sis).elements", "unknown data element 'Shoe size'"),
    "unknown actor": (lambda d: _ds(d, "learnco-platform").update(holder="learnko"),
                      "datasets[1] (id learnco-platform).holder", "unknown actor 'learnko'"),
    "dates out of order": (lambda d: d["agreements"][0].update(valid_from="2025-08-01"),
                           "agreements[0] (id NDPA-2024-017)", "dates out of order"),
    "flow from missing dataset": (lambda d: d["flows"][1].update(source="rsd-sis-old"),
                                  "flows[1] (id S1c).source", "unknown dataset 'rsd-sis-old'"),
    "duplicate id": (lambda d: d["actors"].append({"id": "routeco", "role": "vendor"}),
                     "actors[17]", "duplicate actor id 'routeco'"),
    "unknown legal basis": (lambda d: d["flows"][1].update(legal_basis="Scool Official"),
                            "flows[1] (id S1c).legal_basis", "unknown legal basis 'Scool Official'"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_inventory_refused_graph_unchanged(store, env, tmp_path, case):
    load_riverside(store)
    before = graph_fingerprint(store)
    folder = _copy_riverside(tmp_path)
    fn, field, message = MALFORMED[case]
    _edit(folder / "inventory.yaml", fn)
    r = CliRunner().invoke(main, ["load", str(folder / "inventory.yaml"), "--no-progress"], env=env)
    assert r.exit_code == 2, r.output
    assert "nothing was written" in r.output
    assert f"inventory.yaml, field '{field}'" in r.output
    assert message in r.output
    assert "Traceback" not in r.output
    assert graph_fingerprint(store) == before


def test_bad_csv_rows_all_reported_graph_unchanged(store, env, tmp_path):
    store.reset()
    folder = _copy_riverside(tmp_path)
    lines = (folder / "enrolments.csv").read_text().splitlines()
    lines[3] = "RSD-2002,lincoln-es,2024-13-01,"           # bad date, row 4
    lines[5] = "RSD-2004,nowhere-es,2022-08-15,"           # unknown org, row 6
    lines[7] = "RSD-2006,lincoln-es,2024-08-19,2023-06-01"  # out of order, row 8
    (folder / "enrolments.csv").write_text("\n".join(lines) + "\n")
    r = CliRunner().invoke(main, ["load", str(folder / "inventory.yaml"), "--no-progress"], env=env)
    assert r.exit_code == 2
    out = r.output
    assert "enrolments.csv, row 4, field 'valid_from': '2024-13-01' is not an ISO date" in out
    assert "enrolments.csv, row 6, field 'org': unknown actor 'nowhere-es'" in out
    assert "enrolments.csv, row 8, field 'valid_to': dates out of order" in out
    assert "3 problems" in out
    assert "RSD-2004" not in out  # raw student IDs never in messages
    assert store.counts()["nodes"] == 0


def test_missing_pseudonym_key_refused(store, env):
    r = CliRunner().invoke(main, ["load", str(RIVERSIDE / "inventory.yaml")],
                           env={**env, "LINEAGE_PSEUDONYM_KEY": ""})
    assert r.exit_code == 2
    assert "no pseudonym key" in r.output
    assert "LINEAGE_PSEUDONYM_KEY" in r.output


def test_violations_alone_on_empty_graph_names_missing_references(store, env):
    store.reset()
    r = CliRunner().invoke(main, ["load", str(RIVERSIDE / "violations.yaml")], env=env)
    assert r.exit_code == 2
    assert "unknown dataset 'rsd-sis'" in r.output
    assert store.counts()["nodes"] == 0


def test_schema_prints_json_schema():
    r = CliRunner().invoke(main, ["schema"])
    assert r.exit_code == 0
    import json

    s = json.loads(r.output)
    assert s["title"] == "Inventory" and "flows" in s["properties"]


# --- parsers never raise anything but InputError -------------------------------------------

@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.binary(max_size=400), st.text(max_size=400),
                 st.builds(lambda k, v: f"{k}:\n  - {v}\n",
                           st.sampled_from(["actors", "datasets", "flows", "grants", "bulk", "x"]),
                           st.text(string.printable, max_size=80))))
def test_inventory_parser_garbage(tmp_path, data):
    p = tmp_path / "inv.yaml"
    p.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass"))
    try:
        read_inventory(p)
    except InputError:
        pass


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(list(BulkKind)), st.one_of(st.binary(max_size=300), st.text(max_size=300)))
def test_bulk_parser_garbage(tmp_path, kind, data):
    p = tmp_path / "bulk.csv"
    p.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass"))
    src = read_inventory(RIVERSIDE / "violations.yaml")
    src.base_dir = tmp_path
    for item in iter_bulk_rows(src, BulkFile(kind=kind, path="bulk.csv")):
        assert item is not None
