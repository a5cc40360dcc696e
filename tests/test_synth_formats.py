"""``lineage synth --format native|oneroster|edfi``: the native output is unchanged, the other
formats hold the same rows, and the three load into graphs that give the same answers."""

from __future__ import annotations

import csv
import hashlib
import random
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

import lineage.sources.edfi as edfi
from lineage.cli import main
from lineage.core.models import BulkKind
from lineage.graph.writer import load, read_sources
from lineage.questions import datasets
from lineage.questions import student as answers
from lineage.sources import open_format_sources
from lineage.sources.edfi import read_edfi
from lineage.sources.oneroster import read_oneroster
from tests.formats_equivalence import normalise, org_ids
from tests.helpers import PSEUDO

#: sha256 of every file of ``lineage synth --students 400 --seed 7`` as written before the
#: formats existed (commit 4d65418): the native output must stay byte-identical.
NATIVE_400_7 = {
    "access_log.csv": "d6cae0f5af2135575924b8d1668339453c225bc2176090486824e00001ecdbe4",
    "enrolments.csv": "830b69a042211880d7e29c29d020bb327607053ac32ab79702c13c206a40f775",
    "guardians.csv": "d9ca382b87172dbe307c1523aea912bf10cc1f59edf9ce714153511179b7b8ff",
    "inventory.yaml": "f7450d437e26034abfa5d0104053f3fff15e8f41456b889f813b28a353162552",
    "members.csv": "c1440d8d7c058301f869cae4847138130d4b66ca75f91953cced66d33170f16d",
    "rosters.csv": "cd67e7f70e62c432f22e587786e4680e3a390e416396dc95008ff0bf0e04d6de",
    "subjects.csv": "fef3740061e803c550ae2a07631cac4e980f2a0faec9c63849974c47275068e8",
    "teaching.csv": "47ba60dcfe3eae05f86037092e949b3e06f041cbc26726914f1cf688e5cfa1ba",
}

N, SEED = 300, 11


def test_native_output_is_byte_identical(tmp_path):
    r = CliRunner().invoke(main, ["synth", "--students", "400", "--seed", "7", "--format",
                                  "native", "--out", str(tmp_path / "n")])
    assert r.exit_code == 0, r.output
    got = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
           for p in sorted((tmp_path / "n").iterdir())}
    assert got == NATIVE_400_7


def _csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def states(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("formats")
    out = {}
    for fmt in ("native", "oneroster", "edfi"):
        r = CliRunner().invoke(main, ["synth", "--students", str(N), "--seed", str(SEED),
                                      "--format", fmt, "--out", str(root / fmt)])
        assert r.exit_code == 0, r.output
        out[fmt] = root / fmt
    return out


def test_format_outputs_hold_the_same_rows(states):
    native = states["native"]
    assert sorted(p.name for p in (states["oneroster"] / "oneroster").iterdir()) == [
        "academicSessions.csv", "classes.csv", "courses.csv", "enrollments.csv", "manifest.csv",
        "orgs.csv", "roles.csv", "users.csv"]
    assert sorted(p.name for p in (states["edfi"] / "edfi").iterdir()) == [
        "InterchangeEducationOrganization.xml", "InterchangeStaffAssociation.xml",
        "InterchangeStudentContact.xml", "InterchangeStudentEnrollment.xml"]
    for fmt, reader in (("oneroster", read_oneroster), ("edfi", read_edfi)):
        src = reader(states[fmt] / fmt)
        got: dict[BulkKind, list] = {}
        for item in src.rows():
            assert isinstance(item, tuple), item
            got.setdefault(item[0], []).append(item[1])
        want = {k: _csv(native / f"{k.value}.csv") for k in got}
        # rows, students and dates are the same; people carry the formats' prefixes
        assert Counter((r["student_id"], r["valid_from"], r["valid_to"])
                       for r in got[BulkKind.ROSTERS]) == Counter(
            (r["student_id"], r["valid_from"], r["valid_to"]) for r in want[BulkKind.ROSTERS])
        assert Counter((r["student_id"], r["valid_from"], r["valid_to"])
                       for r in got[BulkKind.ENROLMENTS]) == Counter(
            (r["student_id"], r["valid_from"], r["valid_to"]) for r in want[BulkKind.ENROLMENTS])
        assert sorted((r["guardian"], r["student_id"]) for r in got[BulkKind.GUARDIANS]) == \
            sorted(("parent:" + r["guardian"], r["student_id"]) for r in want[BulkKind.GUARDIANS])
        assert sorted((r["teacher"], r["valid_from"], r["valid_to"])
                      for r in got[BulkKind.TEACHING]) == sorted(
            ("staff:" + r["teacher"], r["valid_from"], r["valid_to"])
            for r in want[BulkKind.TEACHING])
    # OneRoster: users carry a sourcedId of their own and the native id as identifier
    users = _csv(states["oneroster"] / "oneroster" / "users.csv")
    assert all(u["sourcedId"] != u["identifier"] for u in users)
    assert {u["givenName"] for u in users} == {"Synthetic"}


def test_native_oneroster_and_edfi_give_identical_answers(store, states, monkeypatch):
    """The same state loaded three ways: identical exposure for 20 random students and
    identical impact counts for a district vendor. Ed-Fi's interchanges are converted in two
    parts each, as large files are (tests/test_edfi_parts.py: the same files as one pass)."""
    monkeypatch.setattr(edfi, "PARALLEL_MIN_BYTES", 0)
    in_parts = []
    real = edfi.EdFiSource._xml_in_parts
    monkeypatch.setattr(edfi.EdFiSource, "_xml_in_parts",
                        lambda self, p: in_parts.append(real(self, p)) or in_parts[-1])
    enrolled = sorted({r["student_id"] for r in _csv(states["native"] / "enrolments.csv")})
    sample = random.Random(5).sample(enrolled, 20)
    orgs = org_ids(states["native"], states["edfi"])
    results = {}
    for fmt in ("native", "oneroster", "edfi"):
        store.reset()
        sources = read_sources([states[fmt] / "inventory.yaml"])
        with open_format_sources(**({fmt: [states[fmt] / fmt]} if fmt != "native" else {})) \
                as (extra, _notes):
            load(store, sources + extra, PSEUDO)
        exposures = {s: answers.exposure(store, PSEUDO, s) for s in sample}
        # the district's first vendor (flow DISC-<district>--vendor-NNN)
        vendor = store.read_text("MATCH (f:Flow) WHERE f.id STARTS WITH 'DISC-' AND f.id "
                                 "CONTAINS '--vendor-' RETURN f.id AS id ORDER BY id LIMIT 1"
                                 )[0]["id"].split("--", 1)[1]
        rows = list(datasets.impact(store, actor=vendor))
        impact = (len(rows), Counter(e for r in rows for e in r["elements"]))
        results[fmt] = (exposures, vendor, impact)
    assert len(in_parts) == 4 and None not in in_parts     # every interchange went in parts
    native, vendor, impact = results["native"]
    assert impact[0] > 50                            # the vendor reaches many students
    assert sum(len(e["actors"]) for e in native.values()) > 20 * 15
    for fmt, mapping in (("oneroster", []), ("edfi", orgs)):
        exposures, vendor_f, impact_f = results[fmt]
        assert (vendor_f, impact_f) == (vendor, impact), fmt
        for s in sample:
            assert normalise(exposures[s], []) == normalise(native[s], mapping), (fmt, s)
