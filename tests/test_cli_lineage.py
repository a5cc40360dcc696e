"""CLI runs (click's CliRunner, real Neo4j) of demo, path, upstream, downstream and impact."""

from __future__ import annotations

import csv
import json
from datetime import date

import pytest
from click.testing import CliRunner

from lineage.cli import main
from lineage.questions import datasets as answers
from tests.helpers import PSEUDO, S2, S4A

DOWNSTREAM_RSD_SIS_DEPTH_1 = [
    ("0", "rsd-sis", "riverside-sd"), ("1", "county-ems-incident", "county-ems"),
    ("1", "hill-sis", "hill-sd"), ("1", "learnco-platform", "learnco"),
    ("1", "routeco-routes", "routeco"), ("1", "state-slds", "state-doe")]


def run(env, *args):
    return CliRunner().invoke(main, list(args), env=env)


class TestClean:
    def test_demo_without_server_start(self, clean, env):
        # the demo writes only into an empty graph or its own (issue 11): it reloads the same
        # clean Riverside that the other tests of this class read
        clean.reset()
        r = run(env, "demo", "--no-server")
        assert r.exit_code == 0, r.output
        for actor in ("teacher-lee", "learnco", "guardian-r", "routeco", "state-doe",
                      "univ-reading-lab", "hill-sd", "county-ems", "univ-econ-lab", "us-ed",
                      "public", "riverside-sd", "lincoln-es"):
            assert actor in r.output
        assert ("Record of disclosures (FERPA §99.32): state-doe (audit_evaluation, 2022-10-01), "
                "univ-reading-lab (studies, 2025-03-15), county-ems (health_safety_emergency, "
                "2025-04-10), hill-sd (other_school, 2025-07-20)") in r.output
        assert "teacher-park" not in r.output

    @pytest.mark.parametrize("fmt", ["table", "json", "csv"])
    def test_path(self, clean, env, fmt):
        r = run(env, "path", "RSD-1001", "univ-reading-lab", "--format", fmt)
        assert r.exit_code == 0, r.output
        if fmt == "json":
            data = json.loads(r.output)
            assert [s["via"] for s in data["chains"][0]] == [
                "coverage:lincoln-es", "S3a", "S4a", "holder"]
            assert set(data["chains"][0][-1]["elements"]) == S4A
        elif fmt == "csv":
            rows = list(csv.DictReader(r.output.splitlines()))
            assert [(x["chain"], x["step"], x["via"]) for x in rows] == [
                ("1", "1", "coverage:lincoln-es"), ("1", "2", "S3a"), ("1", "3", "S4a"),
                ("1", "4", "holder")]
        else:
            assert "How univ-reading-lab got this student's data (identifiable)" in r.output
            assert "RDA-2025-03" in r.output
        assert "RSD-1001" not in r.output

    @pytest.mark.parametrize("fmt", ["table", "json", "csv"])
    def test_downstream(self, clean, env, fmt):
        r = run(env, "downstream", "rsd-sis", "--depth", "1", "--format", fmt)
        assert r.exit_code == 0, r.output
        if fmt == "json":
            got = [(str(d["depth"]), d["id"], d["holder"]) for d in json.loads(r.output)["datasets"]]
        elif fmt == "csv":
            got = [(x["depth"], x["id"], x["holder"]) for x in csv.DictReader(r.output.splitlines())]
        else:
            got = [tuple(line.split()[:3]) for line in r.output.splitlines()
                   if line.strip()[:1].isdigit()]
            got = [(d, i, next(h for (dd, ii, h) in DOWNSTREAM_RSD_SIS_DEPTH_1 if ii == i))
                   for d, i, _ in got]
        assert got == DOWNSTREAM_RSD_SIS_DEPTH_1

    def test_upstream(self, clean, env):
        r = run(env, "upstream", "econ-study-file", "--format", "csv")
        assert r.exit_code == 0, r.output
        rows = list(csv.DictReader(r.output.splitlines()))
        assert [(x["depth"], x["id"]) for x in rows] == [
            ("0", "econ-study-file"), ("1", "slds-research-deid"), ("2", "state-slds"),
            ("3", "rsd-sis")]

    @pytest.mark.parametrize("fmt", ["table", "json", "csv"])
    def test_impact_routeco_2024(self, clean, env, fmt):
        expected = {r["student"] for r in answers.impact(
            clean, actor="routeco", since=date(2024, 1, 1), until=date(2024, 12, 31))}
        r = run(env, "impact", "--actor", "routeco", "--since", "2024-01-01",
                "--until", "2024-12-31", "--format", fmt)
        assert r.exit_code == 0, r.output
        if fmt == "json":
            data = json.loads(r.output)
            assert {s["student"] for s in data["students"]} == expected
            assert data["counts"] == {"students": len(expected),
                                      "elements": {e: len(expected) for e in sorted(S2)}}
        elif fmt == "csv":
            rows = list(csv.DictReader(r.output.splitlines()))
            assert {x["student"] for x in rows} == expected
            assert all(set(x["elements"].split("; ")) == S2 for x in rows)
        else:
            assert (f"{len(expected)} students affected by a breach of actor routeco "
                    "(2024-01-01 .. 2024-12-31)") in r.output
        assert PSEUDO("RSD-1001") in r.output and "RSD-1001" not in r.output

    @pytest.mark.parametrize("args, code, message", [
        (["impact"], 2, "give exactly one of --actor ID or --dataset ID"),
        (["impact", "--actor", "routeco", "--dataset", "routeco-routes"], 2, "exactly one"),
        (["impact", "--actor", "routeco", "--since", "2025-01-01", "--until", "2024-01-01"], 2,
         "--until 2024-01-01 is before --since 2025-01-01"),
        (["impact", "--actor", "nobody"], 1, "actor not found: 'nobody'"),
        (["downstream", "no-such-dataset"], 1, "dataset not found: 'no-such-dataset'"),
        (["path", "RSD-1001", "nobody"], 1, "actor not found: 'nobody'"),
        (["path", "RSD-1001", "teacher-park"], 1, "'teacher-park' never touched"),
        (["downstream", "rsd-sis", "--depth", "-1"], 2, "-1"),
    ])
    def test_errors(self, clean, env, args, code, message):
        r = run(env, *args)
        assert r.exit_code == code, r.output
        assert message in r.output
        assert "Traceback" not in r.output and "RSD-1001" not in r.output


@pytest.mark.parametrize("var, value, message", [
    ("LINEAGE_BATCH_SIZE", "0", "LINEAGE_BATCH_SIZE: Input should be greater than or equal to 1"),
    ("LINEAGE_WRITERS", "abc", "LINEAGE_WRITERS: Input should be a valid integer"),
    ("NEO4J_URI", "http://127.0.0.1:7474", "NEO4J_URI: 'http://127.0.0.1:7474' is not a Bolt URI"),
])
def test_bad_setting_is_exit_2_without_traceback(env, var, value, message):
    r = run({**env, var: value}, "exposure", "RSD-1001")
    assert r.exit_code == 2, r.output
    assert f"error: bad setting: {message}" in r.output
    assert "Traceback" not in r.output
    assert isinstance(r.exception, SystemExit) and r.exception.code == 2  # mapped, not a crash
