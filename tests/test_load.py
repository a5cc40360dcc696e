"""Loading: idempotency, malformed inputs (message + unchanged graph), pseudonym key, parsers."""

from __future__ import annotations

import json
import shutil
import string
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lineage.cli import main
from lineage.core.errors import InputError
from lineage.core.models import BulkFile, BulkKind
from lineage.graph.writer import load, read_sources
from lineage.sources.dictionary import slug
from lineage.sources.inventory import iter_bulk_rows, read_inventory
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
    from lineage.questions import student as answers

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
    # issue 11 item 12: a file of student IDs: row and column, never the cell's value
    assert ("enrolments.csv, row 4, field 'valid_from': not a real date: there is no month 13 "
            "(YYYY-MM-DD); (the value is not shown" in out)
    assert "enrolments.csv, row 6, field 'org': unknown actor (the value is not shown" in out
    assert "enrolments.csv, row 8, field 'valid_to': dates out of order" in out
    assert "3 problems" in out
    for value in ("RSD-2004", "nowhere-es", "2024-13-01", "2023-06-01"):
        assert value not in out  # raw student IDs (and other cells) never in messages
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


# --- issue 11: every bad input a clear refusal -----------------------------------------------

def cli(env, *args, **extra):
    return CliRunner().invoke(main, list(args), env={**env, **extra})


def _tiny(tmp_path: Path, doc: dict, files: dict[str, str] | None = None,
          name: str = "inv.yaml") -> Path:
    """An inventory file ``name`` (and its bulk CSVs) in ``tmp_path``."""
    for fname, text in (files or {}).items():
        (tmp_path / fname).write_text(text, encoding="utf-8")
    p = tmp_path / name
    p.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return p


OTHER_KEY = "another-key-of-the-same-district-!"   # >= 32 bytes, not TEST_KEY


def test_ids_match_in_any_unicode_form_and_spacing(store, env, tmp_path):
    """Item 3: IDs are NFC-normalised and stripped before hashing / matching."""
    import unicodedata

    from lineage.core.pseudonym import Pseudonymizer

    nfc, nfd = "RSD-Ü17", unicodedata.normalize("NFD", "RSD-Ü17")
    assert nfc != nfd
    assert PSEUDO(nfd) == PSEUDO(f"  {nfc}\t") == PSEUDO(nfc)
    load_riverside(store)
    teacher_nfd = unicodedata.normalize("NFD", "lehrer-jürgen")
    inv = _tiny(tmp_path, {"bulk": [{"kind": "enrolments", "path": "e.csv"},
                                    {"kind": "guardians", "path": "g.csv"}]},
                {"e.csv": f"student_id,org,valid_from,valid_to\n{nfd},lincoln-es,2024-08-20,\n",
                 "g.csv": f"guardian,student_id\n{teacher_nfd},{nfc}\n"})
    r = cli(env, "load", str(inv), "--no-progress")
    assert r.exit_code == 0, r.output
    r = cli(env, "exposure", f" {nfc} ", "--format", "json")
    assert r.exit_code == 0, r.output
    # the guardian id was stored in NFC form; typed in NFD (or NFC) it is found
    assert store.read_text("MATCH (a:Actor {id: $i}) RETURN a.id AS id",
                           i=unicodedata.normalize("NFC", teacher_nfd))
    for typed in (teacher_nfd, unicodedata.normalize("NFC", teacher_nfd)):
        r = cli(env, "impact", "--actor", typed, "--format", "json")
        assert r.exit_code == 0, r.output
        assert json.loads(r.output)["counts"]["students"] == 0
    assert Pseudonymizer.normalise(" A\u0308 ") == "Ä"


def test_short_pseudonym_key_refused_without_printing_it(store, env):
    """Item 8: keys shorter than 32 bytes are refused (exit 2), naming the variable only."""
    from lineage.core.pseudonym import DEMO_KEY, MIN_KEY_BYTES
    from tests.helpers import TEST_KEY

    assert MIN_KEY_BYTES == 32
    assert len(DEMO_KEY.encode()) >= 32 and len(TEST_KEY.encode()) >= 32
    store.reset()
    short = "s3cr3t-but-short-0123456789"           # 27 bytes
    for args in (["load", str(RIVERSIDE / "inventory.yaml")], ["exposure", "RSD-1001"]):
        r = cli(env, *args, LINEAGE_PSEUDONYM_KEY=short)
        assert r.exit_code == 2, r.output
        assert "LINEAGE_PSEUDONYM_KEY" in r.output and "32 bytes" in r.output
        assert short not in r.output and "Traceback" not in r.output
    assert store.counts()["nodes"] == 0


def test_other_key_refused_for_loads_and_student_questions(store, env):
    """Item 9: the graph keeps a key check value (never the key); another key is refused."""
    from tests.helpers import TEST_KEY

    load_riverside(store)
    check = store.read_text("MATCH (k:PseudonymKey) RETURN k.check AS check, properties(k) AS p")
    assert len(check) == 1 and check[0]["check"]
    assert TEST_KEY not in str(check[0]["p"]) and OTHER_KEY not in str(check[0]["p"])
    before = graph_fingerprint(store)
    for args in (["load", str(RIVERSIDE / "inventory.yaml"), "--no-progress"],
                 ["exposure", "RSD-1001"], ["exposure", "RSD-1001", "--view", "record"],
                 ["path", "RSD-1001", "learnco"], ["report", "RSD-1001", "--format", "json"],
                 ["impact", "--actor", "routeco"], ["impact", "--dataset", "rsd-sis"]):
        r = cli(env, *args, LINEAGE_PSEUDONYM_KEY=OTHER_KEY)
        assert r.exit_code == 2, (args, r.output)
        assert "LINEAGE_PSEUDONYM_KEY" in r.output and "not the key" in r.output, r.output
        assert OTHER_KEY not in r.output and TEST_KEY not in r.output
    assert graph_fingerprint(store) == before
    r = cli(env, "exposure", "RSD-1001")            # the right key still works
    assert r.exit_code == 0, r.output


def _riverside_cli(env, folder: Path, *more):
    return cli(env, "load", str(folder / "inventory.yaml"), "--no-progress", *more)


def test_changed_definitions_need_update(store, env, tmp_path):
    """Item 10: a load that changes what an earlier load defined lists the changes; --update."""
    load_riverside(store)
    before = graph_fingerprint(store)
    folder = _copy_riverside(tmp_path)

    def change(doc):
        _ds(doc, "learnco-platform")["elements"] = ["Student Name"]
        next(a for a in doc["agreements"] if a["id"] == "DPA-TR-09")["recipients"] = ["learnco"]
        next(a for a in doc["actors"] if a["id"] == "routeco")["name"] = "RouteCo Inc."
        next(f for f in doc["flows"] if f["id"] == "S1c")["valid_to"] = "2025-01-31"
    _edit(folder / "inventory.yaml", change)
    r = _riverside_cli(env, folder)
    assert r.exit_code == 2, r.output
    out = r.output
    assert "--update" in out and "nothing was written" in out
    assert ("field 'datasets[1] (id learnco-platform).elements': changes (unset) → "
            "['Student Name']") in out
    assert ("field 'agreements[1] (id DPA-TR-09).recipients': changes ['routeco'] → "
            "['learnco']") in out
    assert "field 'actors[9] (id routeco).name': changes 'RouteCo' → 'RouteCo Inc.'" in out
    assert "field 'flows[1] (id S1c).valid_to': changes (unset) → '2025-01-31'" in out
    assert "4 problems" in out
    assert "RSD-" not in out
    assert graph_fingerprint(store) == before
    r = _riverside_cli(env, folder, "--update")
    assert r.exit_code == 0, r.output
    names = store.read_text("MATCH (:Agreement {id: 'DPA-TR-09'})-[:NAMES]->(a) RETURN a.id AS id")
    assert [n["id"] for n in names] == ["learnco"]
    keeps = store.read_text("MATCH (:Dataset {id: 'learnco-platform'})-[:KEEPS]->(e) "
                            "RETURN e.name AS n")
    assert [k["n"] for k in keeps] == ["Student Name"]
    r = _riverside_cli(env, folder)                  # now nothing changes: no --update needed
    assert r.exit_code == 0, r.output


def _record_actors(env, student: str) -> list[str]:
    r = cli(env, "exposure", student, "--view", "record", "--format", "json")
    assert r.exit_code == 0, r.output
    return sorted(d["actor_id"] for d in json.loads(r.output)["disclosures"])


def test_a_student_no_longer_listed_by_a_flow_needs_update_and_then_leaves_it(store, env,
                                                                             tmp_path):
    """A student listed in an emergency disclosure by mistake (S6, RSD-1001) and corrected in
    the same source's inventory (RSD-1002): the load lists the change without naming anyone and
    writes nothing; with --update RSD-1001's record of disclosures no longer holds county-ems
    (it did: the correction was silently ignored, a wrong answer to the parent)."""
    load_riverside(store)
    assert "county-ems" in _record_actors(env, "RSD-1001")
    assert "county-ems" not in _record_actors(env, "RSD-1002")
    folder = _copy_riverside(tmp_path)
    before = graph_fingerprint(store)

    def correct(doc):
        next(f for f in doc["flows"] if f["id"] == "S6")["students"] = ["RSD-1002"]
    _edit(folder / "inventory.yaml", correct)
    r = _riverside_cli(env, folder)
    assert r.exit_code == 2, r.output
    out = " ".join(r.output.split())
    assert ("field 'flows[12] (id S6).students': 1 student this source listed before is no "
            "longer listed (not shown: student IDs); with --update they leave the flow (and any "
            "record of disclosures it made for them), unless another source lists them") in out
    assert "RSD-" not in out
    assert graph_fingerprint(store) == before
    r = _riverside_cli(env, folder, "--update")
    assert r.exit_code == 0, r.output
    assert "1 relationships removed" in r.output
    assert "county-ems" not in _record_actors(env, "RSD-1001")
    assert "county-ems" in _record_actors(env, "RSD-1002")
    assert _riverside_cli(env, folder).exit_code == 0      # the same again: nothing to update


def test_emptying_a_flows_list_of_students_is_refused(store, env, tmp_path):
    """A flow that lists no students moves every student of its source (rule 2): emptying the
    list of an emergency disclosure would put it in every student's record, so it is refused,
    with or without --update."""
    load_riverside(store)
    folder = _copy_riverside(tmp_path)
    before = graph_fingerprint(store)
    _edit(folder / "inventory.yaml",
          lambda doc: next(f for f in doc["flows"] if f["id"] == "S6").update(students=[]))
    for more in ((), ("--update",)):
        r = _riverside_cli(env, folder, *more)
        assert r.exit_code == 2, r.output
        out = " ".join(r.output.split())
        assert ("field 'flows[12] (id S6).students': 1 student this source listed before is no "
                "longer listed (not shown: student IDs) and the list is now empty: a flow that "
                "lists no students moves every student of its source") in out
        assert graph_fingerprint(store) == before
    assert "county-ems" not in _record_actors(env, "RSD-1002")


def test_subjects_files_only_add_and_never_switch_the_check_off(store, env, tmp_path):
    """Students a subjects file lists are never 'no longer listed' (such files come in parts),
    and a subjects file in the load does not switch the check off for other flows."""
    load_riverside(store)
    folder = _copy_riverside(tmp_path)
    (folder / "subjects.csv").write_text("flow,student_id\nS5,RSD-1002\n")
    _edit(folder / "inventory.yaml",
          lambda doc: doc["bulk"].append({"kind": "subjects", "path": "subjects.csv"}))
    r = _riverside_cli(env, folder)                   # RSD-1002 transfers too: added
    assert r.exit_code == 0, r.output
    assert "hill-sd" in _record_actors(env, "RSD-1002")
    # the next load has no subjects file: RSD-1002 (from the file) is not "no longer listed"
    (folder / "subjects.csv").unlink()
    _edit(folder / "inventory.yaml", lambda doc: doc.update(
        bulk=[b for b in doc["bulk"] if b["kind"] != "subjects"]))
    r = _riverside_cli(env, folder)
    assert r.exit_code == 0, r.output
    assert "hill-sd" in _record_actors(env, "RSD-1002")
    # a subjects file for S5 in the load, and S6's inline list corrected: still a change
    (folder / "subjects.csv").write_text("flow,student_id\nS5,RSD-1003\n")
    _edit(folder / "inventory.yaml", lambda doc: (
        doc["bulk"].append({"kind": "subjects", "path": "subjects.csv"}),
        next(f for f in doc["flows"] if f["id"] == "S6").update(students=["RSD-1002"])))
    r = _riverside_cli(env, folder)
    assert r.exit_code == 2, r.output
    assert "(id S6).students': 1 student this source listed before is no longer" in (
        " ".join(r.output.split()))


def test_a_student_a_subjects_file_lists_stays_when_the_inline_list_drops_them(store, env,
                                                                              tmp_path):
    """RSD-1001 is listed for S6 inline and, by the same source, in a subjects file loaded
    earlier: dropping them from the inline list is no change and keeps them (subjects files
    only ever add)."""
    load_riverside(store)
    folder = _copy_riverside(tmp_path)
    (folder / "subjects.csv").write_text("flow,student_id\nS6,RSD-1001\n")
    _edit(folder / "inventory.yaml",
          lambda doc: doc["bulk"].append({"kind": "subjects", "path": "subjects.csv"}))
    assert _riverside_cli(env, folder).exit_code == 0
    (folder / "subjects.csv").unlink()
    _edit(folder / "inventory.yaml", lambda doc: (
        doc.update(bulk=[b for b in doc["bulk"] if b["kind"] != "subjects"]),
        next(f for f in doc["flows"] if f["id"] == "S6").update(
            students=["RSD-1001", "RSD-1002"])))
    assert _riverside_cli(env, folder).exit_code == 0          # RSD-1002 added
    _edit(folder / "inventory.yaml", lambda doc: next(
        f for f in doc["flows"] if f["id"] == "S6").update(students=["RSD-1002"]))
    r = _riverside_cli(env, folder)
    assert r.exit_code == 0, r.output                        # no change: the file lists them
    assert "county-ems" in _record_actors(env, "RSD-1001")
    rows = store.read_text("MATCH (s:Student {key: $k})-[x:SUBJECT_OF]->(:Flow {id: 'S6'}) "
                           "RETURN x.sources AS s, x.inline_sources AS i, x.file_sources AS f",
                           k=PSEUDO("RSD-1001"))
    assert rows == [{"s": ["inventory"], "i": [], "f": ["inventory"]}]  # listed by the file only


def test_a_student_another_source_lists_stays_in_the_flow(store, env, tmp_path):
    """Two sources list RSD-1001 for S6; the first stops listing them: with --update the
    student stays (the second still asserts it), only the first source leaves the list."""
    load_riverside(store)
    extra = tmp_path / "ems-log.yaml"
    extra.write_text(yaml.safe_dump({"flows": [next(
        f for f in yaml.safe_load((RIVERSIDE / "inventory.yaml").read_text())["flows"]
        if f["id"] == "S6")]}, sort_keys=False))
    assert cli(env, "load", str(extra), "--no-progress").exit_code == 0
    folder = _copy_riverside(tmp_path)
    _edit(folder / "inventory.yaml",
          lambda doc: next(f for f in doc["flows"] if f["id"] == "S6").update(
              students=["RSD-1002"]))
    r = _riverside_cli(env, folder, "--update")
    assert r.exit_code == 0, r.output
    assert "county-ems" in _record_actors(env, "RSD-1001")
    rows = store.read_text("MATCH (s:Student)-[x:SUBJECT_OF]->(:Flow {id: 'S6'}) "
                           "RETURN s.key AS k, x.sources AS s, x.inline_sources AS i")
    assert sorted((r["k"], r["s"], r["i"]) for r in rows) == sorted([
        (PSEUDO("RSD-1001"), ["ems-log"], ["ems-log"]),
        (PSEUDO("RSD-1002"), ["inventory"], ["inventory"])])


def test_a_small_cell_student_no_longer_listed_needs_update(store, env, tmp_path):
    """The same for a small cell's students (V1's published table)."""
    load_riverside(store)
    folder = _copy_riverside(tmp_path)
    assert cli(env, "load", str(folder / "violations.yaml"), "--no-progress").exit_code == 0
    _edit(folder / "violations.yaml", lambda doc: doc["datasets"][0]["small_cells"][0].update(
        size=3, students=["RSD-2065", "RSD-2067", "RSD-2128"]))
    r = cli(env, "load", str(folder / "violations.yaml"), "--no-progress")
    assert r.exit_code == 2, r.output
    out = " ".join(r.output.split())
    assert "small_cells[0].students': 1 student this source listed before is no longer listed" in out
    assert "RSD-" not in out
    r = cli(env, "load", str(folder / "violations.yaml"), "--no-progress", "--update")
    assert r.exit_code == 0, r.output
    rows = store.read_text("MATCH (s:Student)-[:IN_CELL]->(:SmallCell) RETURN s.key AS k")
    assert sorted(r["k"] for r in rows) == sorted(PSEUDO(s) for s in
                                                  ("RSD-2065", "RSD-2067", "RSD-2128"))


def test_demo_refuses_a_graph_it_did_not_load(store, env):
    """Item 10: `lineage demo` never writes into a non-empty graph that is not its own."""
    load_riverside(store)
    before = graph_fingerprint(store)
    r = cli(env, "demo", "--no-server")
    assert r.exit_code == 2, r.output
    assert "not its own" in r.output or "did not load" in r.output
    assert graph_fingerprint(store) == before
    store.reset()
    for _ in range(2):                              # its own graph, again: fine
        r = cli(env, "demo", "--no-server")
        assert r.exit_code == 0, r.output


def test_graph_actor_cannot_take_a_second_role(store, env, tmp_path):
    """Item 11: a vendor known only from the graph is refused as a guardian (and a teacher)."""
    load_riverside(store)
    before = graph_fingerprint(store)
    inv = _tiny(tmp_path, {"bulk": [{"kind": "guardians", "path": "g.csv"},
                                    {"kind": "teaching", "path": "t.csv"}]},
                {"g.csv": "guardian,student_id\nrouteco,RSD-1001\n",
                 "t.csv": "section,school,teacher\nSEC-9,lincoln-es,learnco\n"})
    r = cli(env, "load", str(inv), "--no-progress")
    assert r.exit_code == 2, r.output
    assert "g.csv, row 2, field 'guardian'" in r.output and "role vendor" in r.output
    assert "t.csv, row 2, field 'teacher'" in r.output
    assert graph_fingerprint(store) == before


def test_values_of_student_files_never_echoed(store, env, tmp_path):
    """Item 12: a bad value in a file holding student IDs is named by row and column only."""
    store.reset()
    folder = _copy_riverside(tmp_path)
    lines = (folder / "enrolments.csv").read_text().splitlines()
    lines[5] = "lincoln-es,RSD-2004,2022-08-15,"            # shifted: org <-> student_id
    lines[6] = "RSD-2005,lincoln-es,RSD-9999,"              # a student ID in a date column
    (folder / "enrolments.csv").write_text("\n".join(lines) + "\n")
    r = _riverside_cli(env, folder)
    assert r.exit_code == 2, r.output
    assert "enrolments.csv, row 6, field 'org': unknown actor" in r.output
    assert "enrolments.csv, row 7, field 'valid_from': not an ISO date" in r.output
    for raw in ("RSD-2004", "RSD-9999", "RSD-2005"):
        assert raw not in r.output
    assert store.counts()["nodes"] == 0


def test_swapped_guardian_columns_refused(store, env, tmp_path):
    """Item 12: guardian IDs equal to student IDs of the same load (swapped columns)."""
    store.reset()
    folder = _copy_riverside(tmp_path)
    rows = (folder / "guardians.csv").read_text().splitlines()
    swapped = ["guardian,student_id"] + [",".join([r.split(",")[1], r.split(",")[0]])
                                         for r in rows[1:]]
    (folder / "guardians.csv").write_text("\n".join(swapped) + "\n")
    r = _riverside_cli(env, folder)
    assert r.exit_code == 2, r.output
    assert "guardians.csv, row 2, field 'student_id'" in r.output
    assert "swapped" in r.output
    assert "RSD-1" not in r.output and "RSD-2" not in r.output
    assert store.counts()["nodes"] == 0
    assert not store.read_text("MATCH (a:Actor) WHERE a.id STARTS WITH 'RSD-' RETURN a")


def _big_enrolments(folder: Path, n: int = 3000) -> Path:
    p = folder / "enrolments.csv"
    lines = p.read_text().splitlines()
    extra = [f"RSD-X{i:05d},lincoln-es,2023-08-21," for i in range(n)]
    p.write_text("\n".join(lines + extra) + "\n")
    return p


def test_file_changed_after_validation_nothing_written(store, env, tmp_path, monkeypatch):
    """Item 13: a bulk file changed between validation and writing: refused, nothing written."""
    import lineage.graph.writer as ingest

    store.reset()
    folder = _copy_riverside(tmp_path)
    real = ingest.validate

    def validate_then_edit(*a, **k):
        cat = real(*a, **k)
        p = folder / "members.csv"
        p.write_text(p.read_text().replace("reading-study-file,RSD-1001", "reading-study-file,RSD-1002", 1))
        return cat
    monkeypatch.setattr(ingest, "validate", validate_then_edit)
    r = _riverside_cli(env, folder)
    assert r.exit_code == 2, r.output
    assert "members.csv" in r.output and "changed" in r.output
    assert "nothing was written" in r.output
    assert store.counts()["nodes"] == 0


def test_file_changed_while_writing_fails_loudly(store, env, tmp_path, monkeypatch):
    """Item 13: a change that happens while a file is written: exit 2, 'incomplete'."""
    import lineage.graph.writer as ingest

    store.reset()
    folder = _copy_riverside(tmp_path)
    enrol = _big_enrolments(folder)
    real = ingest.bulk_param
    done = []

    def param_then_edit(row, pseudo):
        if row.kind is BulkKind.ENROLMENTS and not done:
            done.append(1)
            with enrol.open("r+b") as fh:   # same size, different last rows
                fh.seek(-200, 2)
                tail = fh.read()
                fh.seek(-200, 2)
                fh.write(tail.replace(b"2023-08-21", b"2023-08-22"))
        return real(row, pseudo)
    monkeypatch.setattr(ingest, "bulk_param", param_then_edit)
    r = _riverside_cli(env, folder, "--writers", "1")
    assert r.exit_code == 2, r.output
    assert "enrolments.csv" in r.output and "incomplete" in r.output
    assert "Traceback" not in r.output


BAD_SYNTAX = {
    "date that does not exist (YAML)": ("inv.yaml", "agreements:\n  - id: A1\n    kind: dpa\n"
                                        "    valid_from: 2024-02-30\n", "row 4"),
    "deep YAML": ("inv.yaml", "actors: " + "[" * 20000 + "]" * 20000 + "\n", "nested"),
    "deep JSON": ("inv.json", '{"actors": ' + "[" * 20000 + "]" * 20000 + "}", "nested"),
}


@pytest.mark.parametrize("case", sorted(BAD_SYNTAX))
def test_yaml_json_oddities_exit_2(env, tmp_path, case):
    """Item 15: impossible dates and deep nesting are input errors, never tracebacks."""
    name, text, where = BAD_SYNTAX[case]
    p = tmp_path / name
    p.write_text(text)
    r = cli(env, "load", str(p), "--check-only")
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output and where in r.output
    with pytest.raises(InputError):
        read_inventory(p)


def test_non_numeric_port_exit_2(env):
    """Item 15: a URI with a port that is not a number is a bad setting (exit 2)."""
    r = cli(env, "--uri", "bolt://localhost:abc", "exposure", "RSD-1001")
    assert r.exit_code == 2, r.output
    r = cli(env, "exposure", "RSD-1001", NEO4J_URI="bolt://localhost:abc")
    assert r.exit_code == 2, r.output
    assert "NEO4J_URI" in r.output


def test_fifo_and_devices_refused(env, tmp_path):
    """Item 16: a bulk or inventory path that is a FIFO or a device is refused (no hang)."""
    import os
    import subprocess
    import sys

    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    inv = _tiny(tmp_path, {"actors": [{"id": "d1", "role": "district"}],
                           "bulk": [{"kind": "enrolments", "path": "pipe.csv"},
                                    {"kind": "rosters", "path": "/dev/zero"}]})
    os.mkfifo(tmp_path / "inv2.yaml")
    run_env = {**os.environ, **env}
    for args, names in (([str(inv)], ["pipe.csv", "/dev/zero"]),
                        ([str(tmp_path / "inv2.yaml")], ["inv2.yaml"])):
        p = subprocess.run([sys.executable, "-m", "lineage.cli", "load", "--check-only", *args],
                           cwd=ROOT, env=run_env, capture_output=True, text=True,
                           timeout=30)
        assert p.returncode == 2, p.stdout + p.stderr
        assert p.stderr.count("not a regular file") == len(names), p.stderr
        assert all(n in p.stderr for n in names)


def test_header_only_csv_warns_and_empty_inventory_refused(store, env, tmp_path):
    """Item 17: a header-only CSV loads with a warning; an inventory defining nothing: exit 2."""
    store.reset()
    inv = _tiny(tmp_path, {"actors": [{"id": "d1", "role": "district"}],
                           "bulk": [{"kind": "enrolments", "path": "e.csv"}]},
                {"e.csv": "student_id,org,valid_from,valid_to\n\n"})
    r = cli(env, "load", str(inv), "--no-progress")
    assert r.exit_code == 0, r.output
    assert "warning:" in r.output and "e.csv" in r.output and "no data rows" in r.output
    for text in ("", "{}\n", "name: nothing here\n", "actors: []\nbulk: []\n"):
        (tmp_path / "empty.yaml").write_text(text)
        r = cli(env, "load", str(tmp_path / "empty.yaml"), "--no-progress")
        assert r.exit_code == 2, (text, r.output)
        assert "defines nothing" in r.output


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30), st.text(" \t\n\u00a0\u3000", max_size=3),
       st.sampled_from(["NFC", "NFD", "NFKC"]))
def test_normalise_id_property(text, pad, form):
    """Item 3: one form per ID: NFC, stripped; idempotent; NFC and NFD forms hash alike."""
    import unicodedata

    from lineage.core.pseudonym import normalise_id

    n = normalise_id(text)
    assert normalise_id(n) == n
    assert n == n.strip() and unicodedata.is_normalized("NFC", n)
    assert normalise_id(pad + unicodedata.normalize("NFD", text) + pad) == n
    assert PSEUDO(pad + unicodedata.normalize("NFD", text)) == PSEUDO(text)
    if form != "NFKC":
        assert normalise_id(unicodedata.normalize(form, text)) == n


def test_access_log_action_is_a_closed_list_never_free_text(store, env, tmp_path):
    """A free-text ``action`` beside student IDs could carry a student ID (or name) into the
    graph: only the listed actions load; the cell is named by row and column, never shown."""
    store.reset()
    folder = _copy_riverside(tmp_path)
    log = folder / "access_log.csv"
    lines = log.read_text().splitlines()
    first = lines[1].rsplit(",", 1)[0]
    lines.append(f"{first},RSD-1003 looked up")             # row of the appended line
    lines.append(f"{first},EXPORT")                         # a listed action, any case
    log.write_text("\n".join(lines) + "\n")
    r = CliRunner().invoke(main, ["load", str(folder / "inventory.yaml"), "--no-progress"],
                           env=env)
    assert r.exit_code == 2, r.output
    row = len(lines) - 1
    assert (f"access_log.csv, row {row}, field 'action': not an access action: use one of read, "
            "view, export, download, print, update, share") in r.output
    assert "1 problem in the input" in r.output
    assert "RSD-1003" not in r.output and "looked up" not in r.output
    assert store.counts()["nodes"] == 0


def test_shifted_columns_give_one_line_per_cause_not_one_per_row(store, env, tmp_path):
    """Swapped student_id / org columns in a file of student IDs: one problem for the student
    IDs that are actor IDs and ONE for the unknown orgs (first rows and the count), values
    never shown."""
    store.reset()
    folder = _copy_riverside(tmp_path)
    enrol = folder / "enrolments.csv"
    lines = enrol.read_text().splitlines()
    swapped = [lines[0]] + [",".join([r.split(",")[1], r.split(",")[0], *r.split(",")[2:]])
                            for r in lines[1:]]
    enrol.write_text("\n".join(swapped) + "\n")
    r = CliRunner().invoke(main, ["load", str(folder / "inventory.yaml"), "--no-progress"],
                           env=env)
    assert r.exit_code == 2, r.output
    unknown = [line for line in r.output.splitlines() if "unknown actor" in line]
    # one row per distinct value (RSD-1001's second enrolment, row 3, repeats row 2's)
    assert unknown == [f"  - {enrol}, row 2, field 'org': rows 2, 4, 5, 6, 7 and 298 more: "
                       "unknown actor (the value is not shown: the file holds student IDs): "
                       "define it in an inventory file loaded with this one, or load the file "
                       "that defines it first"]
    assert "RSD-" not in r.output
    assert store.counts()["nodes"] == 0


@pytest.mark.parametrize("writers", [1, 2])
def test_written_batches_do_not_pile_up(empty_graph, writers):
    """The driver keeps each statement's parameters in a ResultSummary freed only by the cyclic
    garbage collector; with it idle, 60 written batches of 500 rows must still be gone (each
    list emptied after its commit), not held until a collection that a bulk load rarely
    triggers. Without the release this retains ~30,000 row dicts (over 100,000 blocks)."""
    import gc
    import sys

    from lineage.graph.writer import partitioned

    def rows():
        for i in range(30_000):
            yield {"n": i, "label": f"row-{i:06d}", "at": f"2025-{1 + i % 12:02d}-01"}

    batches: list[list[dict]] = []

    def kept(parts):
        for p, b in parts:
            batches.append(b)
            yield p, b

    empty_graph.write("bench/bare_delete", limit=1)  # a warm connection before measuring
    gc.collect()
    gc.disable()
    try:
        before = sys.getallocatedblocks()
        counters = empty_graph.write_partitioned(
            "bench/bare_create", kept(partitioned(rows(), lambda r: r["n"] // 500, 500, 2)),
            writers=writers)
        grown = sys.getallocatedblocks() - before
    finally:
        gc.enable()
    assert counters["nodes_created"] == 30_000
    assert len(batches) == 60 and all(b == [] for b in batches)
    assert grown < 40_000, grown
    assert empty_graph.read_text("MATCH (n:BenchRow) RETURN count(n) AS n, "
                                 "max(n.n) AS top")[0] == {"n": 30_000, "top": 29_999}
    while empty_graph.write("bench/bare_delete", limit=10_000).nodes_deleted:
        pass
