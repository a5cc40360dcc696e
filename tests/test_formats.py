"""OneRoster, Ed-Fi and OpenLineage loaded through ``lineage load`` into the real graph: exact
answers for the Maple Grove fixtures, privacy of what is stored, bad input refused with nothing
written, deltas and reloads."""

from __future__ import annotations

import csv
import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from lineage.cli import main
from tests.helpers import PSEUDO, ROOT

FIX = ROOT / "tests" / "fixtures"
MAPLE = FIX / "maple-grove.yaml"

_SIS = ["Local ID number", "Parent/Guardian Name", "Student Name", "Student course grades",
        "Student grade level", "Student scheduled courses",
        "Student school (daily) attendance data"]
_TEACHER = ["Student Name", "Student course grades", "Student school (daily) attendance data"]
_VENDOR = ["Local ID number", "Student Name", "Student grade level"]


def _actor(actor_id, name, role, elements, first, last, bases=(), agreements=(),
           datasets=("maple-sis",)):
    return {"actor_id": actor_id, "actor_name": name, "role": role, "access": "identifiable",
            "elements": elements, "first_date": first, "last_date": last,
            "legal_bases": list(bases), "agreements": list(agreements),
            "datasets": list(datasets), "accessed": False, "could": True}


_DISTRICT = _actor("maple-sd", "Maple Grove School District", "district", _SIS, "2024-08-19",
                   None)
_READWELL = _actor("readwell", "ReadWell Learning", "vendor", _VENDOR, "2024-09-01", None,
                   ["school_official"], ["NDPA-MG-2024-03"], ["maple-sis", "readwell-roster"])

#: The answer for each Maple Grove student, whichever roster format carried the rosters.
EXPECTED = {
    "MG-1001": [
        _DISTRICT,
        _actor("parent:P-501", "parent:P-501", "parent", ["Student Name", "Student course grades"],
               "2024-08-19", "2025-06-06", ["parent"]),
        _actor("staff:E1002", "staff:E1002", "teacher", _TEACHER, "2024-08-19", "2024-12-20",
               ["school_official"]),
        _READWELL,
        _actor("staff:E1001", "staff:E1001", "teacher", _TEACHER, "2024-09-03", "2025-06-06",
               ["school_official"]),
    ],
    "MG-1002": [
        _DISTRICT,
        _actor("parent:P-502", "parent:P-502", "parent", ["Student Name", "Student course grades"],
               "2024-08-19", "2025-02-14", ["parent"]),
        _actor("staff:E1001", "staff:E1001", "teacher", _TEACHER, "2024-08-19", "2025-02-14",
               ["school_official"]),
        _READWELL,
    ],
    "MG-1004": [
        _DISTRICT,
        _actor("staff:E1003", "staff:E1003", "teacher", _TEACHER, "2024-08-19", "2025-06-06",
               ["school_official"]),
        _READWELL,
    ],
}


def _zip(tmp: Path) -> Path:
    z = tmp / "maple-oneroster-1.2.zip"
    with zipfile.ZipFile(z, "w") as f:
        for p in sorted((FIX / "oneroster-1.2" / "bulk").iterdir()):
            f.write(p, f"export-2025-07-01/{p.name}")
    return z


ROSTERS = {
    "oneroster-1.1": lambda tmp: ["--oneroster", str(FIX / "oneroster-1.1")],
    "oneroster-1.2": lambda tmp: ["--oneroster", str(FIX / "oneroster-1.2" / "bulk")],
    "oneroster-1.2-zip": lambda tmp: ["--oneroster", str(_zip(tmp))],
    "edfi-ds4-xml": lambda tmp: ["--edfi", str(FIX / "edfi-ds4" / "xml")],
    "edfi-ds4-json": lambda tmp: ["--edfi", str(FIX / "edfi-ds4" / "json")],
    "edfi-ds5-xml": lambda tmp: ["--edfi", str(FIX / "edfi-ds5" / "xml")],
    "edfi-ds5-json": lambda tmp: ["--edfi", str(FIX / "edfi-ds5" / "json")],
}

#: The default source name of each roster input (its folder or archive name, less its date).
SOURCE_NAMES = {"oneroster-1.1": "oneroster-1-1", "oneroster-1.2": "bulk",
                "oneroster-1.2-zip": "maple-oneroster-1-2", "edfi-ds4-xml": "xml",
                "edfi-ds4-json": "json", "edfi-ds5-xml": "xml", "edfi-ds5-json": "json"}


def run(env, *args: str):
    return CliRunner().invoke(main, list(args), env=env)


def exposure(env, student: str) -> dict:
    r = run(env, "exposure", student, "--format", "json")
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def counts(store) -> dict:
    got = store.read_text(
        "MATCH (n) WITH labels(n)[0] AS k, count(*) AS n RETURN k, n UNION ALL "
        "MATCH ()-[r]->() WITH type(r) AS k, count(*) AS n RETURN k, n")
    return {r["k"]: r["n"] for r in got}


def fingerprint(store) -> tuple:
    c = store.counts()
    props = store.read_text("MATCH (n) RETURN sum(size(keys(n))) AS keys")[0]["keys"]
    return c["nodes"], c["relationships"], props


def every_value(store) -> list[str]:
    """Every property value of every node and relationship, as text."""
    rows = store.read_text("MATCH (n) RETURN properties(n) AS p UNION ALL "
                           "MATCH ()-[r]->() RETURN properties(r) AS p")
    out = []
    for r in rows:
        for v in r["p"].values():
            out.extend(map(str, v) if isinstance(v, list) else [str(v)])
    return out


@pytest.mark.parametrize("fmt", sorted(ROSTERS))
def test_roster_formats_give_the_exact_answers(store, env, tmp_path, fmt):
    store.reset()
    r = run(env, "load", str(MAPLE), *ROSTERS[fmt](tmp_path), "--district", "maple-sd",
            "--no-progress")
    assert r.exit_code == 0, r.output
    assert "graph changes" in r.output
    for student, actors in EXPECTED.items():
        got = exposure(env, student)
        assert got["student"] == PSEUDO(student)
        assert got["actors"] == actors, (fmt, student)
    c = counts(store)
    assert (c["Student"], c["Section"], c["IN_SECTION"], c["TEACHES"], c["GUARDIAN_OF"],
            c["SECTION_OF"]) == (4, 3, 5, 3, 3, 3)
    # OneRoster 1.1 has no dated school membership: one enrolment per class enrollment
    assert c["ENROLLED_AT"] == (5 if fmt == "oneroster-1.1" else 4)
    people = store.read_text("MATCH (a:Actor) WHERE a.role IN ['teacher', 'parent'] "
                             "RETURN a.id AS id ORDER BY id")
    assert [p["id"] for p in people] == ["parent:P-501", "parent:P-502", "staff:E1001",
                                         "staff:E1002", "staff:E1003"]
    # each source is listed with its input format (not the last bulk kind it held)
    r = run(env, "sources", "--format", "json")
    assert r.exit_code == 0, r.output
    assert sorted((s["source"], s["kind"]) for s in json.loads(r.output)) == sorted(
        [("maple-grove", "inventory"), (SOURCE_NAMES[fmt], fmt.split("-")[0])])


def _forbidden() -> set[str]:
    """What the fixtures say about people that the graph must never hold: every value of
    users.csv other than ids, roles and status; demographics; class titles and teacher names;
    Ed-Fi names, e-mails, birth data; raw student IDs and the students' sourcedIds."""
    keep = {"sourcedId", "status", "dateLastModified", "enabledUser", "orgSourcedIds", "role",
            "identifier", "agentSourcedIds", "grades", "primaryOrgSourcedId"}
    out: set[str] = set()
    for folder in (FIX / "oneroster-1.1", FIX / "oneroster-1.2" / "bulk"):
        with open(folder / "users.csv", newline="") as f:
            for row in csv.DictReader(f):
                out.update(v for k, v in row.items() if k not in keep and v and len(v) > 3)
                if row["sourcedId"].startswith("a1f0c2d4-1111"):
                    out.add(row["sourcedId"])
        with open(folder / "demographics.csv", newline="") as f:
            for row in csv.DictReader(f):
                out.update((row["birthDate"], row["cityOfBirth"]))
        with open(folder / "classes.csv", newline="") as f:
            for row in csv.DictReader(f):
                out.add(next(v for k, v in row.items() if k.lower() == "title"))
    out.update(f"MG-100{i}" for i in range(1, 7))
    out.update(("Avery", "Quillfeather", "Nettlewood", "Brightwater", "Alderbrook", "Birchmoor",
                "Cedarhollow", "Morgan", "Jordan", "family.example.org", "staff.example.org",
                "2014-03-17", "2014-11-02", "2011-01-30", "Quillton"))
    return out


@pytest.mark.parametrize("fmt", ["oneroster-1.1", "oneroster-1.2", "edfi-ds4-xml",
                                 "edfi-ds5-json"])
def test_no_name_email_phone_or_raw_id_reaches_the_graph(store, env, tmp_path, fmt):
    store.reset()
    r = run(env, "load", str(MAPLE), *ROSTERS[fmt](tmp_path), "--district", "maple-sd",
            "--no-progress")
    assert r.exit_code == 0, r.output
    forbidden = _forbidden()
    assert len(forbidden) > 60
    values = every_value(store)
    assert len(values) > 200
    # a short value (a four-digit PIN) is a leak as a whole word; as part of a random hex load
    # id or pseudonym it is chance, and would make this test fail one run in a few dozen
    words = {w for v in values for w in re.split(r"[^0-9a-z]+", v.lower()) if w}
    leaks = sorted({f for f in forbidden if (f.lower() in words if len(f) <= 6 else
                                             any(f.lower() in v.lower() for v in values))})
    assert leaks == []
    for f in forbidden:                                    # nor in what the load printed
        assert f not in r.output


def test_loading_twice_changes_nothing(store, env):
    store.reset()
    args = ["load", str(MAPLE), "--oneroster", str(FIX / "oneroster-1.2" / "bulk"),
            "--district", "maple-sd", "--no-progress"]
    assert run(env, *args).exit_code == 0
    first = fingerprint(store)
    r = run(env, *args)
    assert r.exit_code == 0, r.output
    assert "graph changes: nothing created, no definition changed; " in r.output
    assert fingerprint(store) == first


def test_oneroster_delta_adds_a_student_and_deletes_nothing(store, env):
    store.reset()
    r = run(env, "load", str(MAPLE), "--oneroster", str(FIX / "oneroster-1.2" / "bulk"),
            "--district", "maple-sd", "--no-progress")
    assert r.exit_code == 0, r.output
    r = run(env, "load", "--oneroster", str(FIX / "oneroster-1.2" / "delta"), "--no-progress")
    assert r.exit_code == 0, r.output
    assert ("OneRoster 1.2 (delta): 0 district(s), 0 school(s), 0 classes, 1 school enrolments, "
            "1 roster rows, 0 teaching rows, 0 guardianships") in r.output
    assert ("skipped (nothing is deleted): 1 rows marked tobedeleted in enrollments.csv, "
            "1 rows marked tobedeleted in roles.csv") in r.output
    assert "1 agent reference(s) name no user of users.csv" in r.output
    assert exposure(env, "MG-1006")["actors"] == [
        _actor("maple-sd", "Maple Grove School District", "district", _SIS, "2025-01-06", None),
        {**_READWELL, "first_date": "2025-01-06"},
        _actor("staff:E1001", "staff:E1001", "teacher", _TEACHER, "2025-01-06", "2025-06-06",
               ["school_official"]),
    ]
    assert exposure(env, "MG-1002")["actors"] == EXPECTED["MG-1002"]   # tobedeleted: kept


def test_bad_oneroster_refused_naming_rows_graph_unchanged(store, env, tmp_path):
    store.reset()
    folder = tmp_path / "bad"
    shutil.copytree(FIX / "oneroster-1.2" / "bulk", folder)
    enr = (folder / "enrollments.csv").read_text().replace(
        "student,false,2024-09-03,", "student,false,2024-19-03,")
    (folder / "enrollments.csv").write_text(enr)
    (folder / "users.csv").write_text((folder / "users.csv").read_text().replace(
        ",E1002,", ",E 1002,"))
    r = run(env, "load", str(MAPLE), "--oneroster", str(folder), "--district", "maple-sd",
            "--no-progress")
    assert r.exit_code == 2, r.output
    assert "nothing was written" in r.output and "Traceback" not in r.output
    assert f"{folder}/enrollments.csv, row 5, field 'beginDate': not a real date: there is no month 19 (YYYY-MM-DD)" in r.output
    assert f"{folder}/users.csv, row 8, field 'identifier'" in r.output
    assert f"{folder}/enrollments.csv, row 3, field 'userSourcedId'" in r.output
    for value in ("2024-19-03", "E 1002", "a1f0c2d4", "MG-100"):
        assert value not in r.output
    assert store.counts()["nodes"] == 0


def test_bad_edfi_refused_graph_unchanged(store, env, tmp_path):
    store.reset()
    shutil.copytree(FIX / "edfi-ds5" / "xml", tmp_path / "x")
    path = tmp_path / "x" / "InterchangeStudentEnrollment.xml"
    path.write_text(path.read_text().replace("<EntryDate>2024-08-19</EntryDate>",
                                             "<EntryDate>19/08/2024</EntryDate>", 1))
    r = run(env, "load", str(MAPLE), "--edfi", str(tmp_path / "x"), "--district", "maple-sd",
            "--no-progress")
    assert r.exit_code == 2, r.output
    assert f"{path}, row 1, field 'entryDate': not an ISO date (YYYY-MM-DD)" in r.output
    assert "19/08/2024" not in r.output and "MG-1001" not in r.output
    assert store.counts()["nodes"] == 0


def test_format_without_district_names_what_to_give(store, env, tmp_path):
    store.reset()
    shutil.copytree(FIX / "edfi-ds4" / "json", tmp_path / "j")
    (tmp_path / "j" / "localEducationAgencies.json").unlink()
    schools = json.loads((tmp_path / "j" / "schools.json").read_text())
    for s in schools:
        del s["localEducationAgencyReference"]
    (tmp_path / "j" / "schools.json").write_text(json.dumps(schools))
    r = run(env, "load", "--edfi", str(tmp_path / "j"), "--no-progress")
    assert r.exit_code == 2, r.output
    assert "school '255901101' names no district of the export; give --district ID" in r.output


# --- OpenLineage ---------------------------------------------------------------------------

OL = FIX / "openlineage"


def test_openlineage_fixture_exact_answers(store, env):
    store.reset()
    r = run(env, "load", str(OL / "district.yaml"), "--openlineage", str(OL / "events.jsonl"),
            "--mapping", str(OL / "mapping.yaml"), "--no-progress")
    assert r.exit_code == 0, r.output
    assert f"{OL / 'events.jsonl'}: OpenLineage: 3 datasets defined, 3 flows" in r.output
    # in two events, listed once, with the entry to add
    assert r.output.count("'scratch.tmp_roster' is not placed by the mapping") == 1
    assert 'Add under datasets: - {namespace: "postgres://sis.maple.example:5432", name: ' \
           '"scratch.tmp_roster", actor: <holder actor id>, granularity: student}' in r.output
    sis = ["Date of Birth", "Local ID number", "Low income status", "Standardized test scores",
           "Student Name", "Student grade level"]
    research = "s3://univ-research-drop/maple/extract-2025.parquet"
    district = {"actor_id": "maple-sd", "actor_name": "Maple Grove School District",
                "role": "district", "access": "identifiable", "elements": sis,
                "first_date": "2024-08-19", "last_date": None, "legal_bases": [],
                "agreements": [], "datasets": ["maple-sis"], "accessed": False, "could": True}
    lab = {"actor_id": "univ-lab", "actor_name": "University Learning Lab", "role": "researcher",
           "access": "deidentified",
           "elements": ["Standardized test scores", "Student grade level"],
           "first_date": "2025-01-10", "last_date": None, "legal_bases": ["studies"],
           "agreements": ["RDA-MG-2025-01"], "datasets": ["maple-sis", research],
           "accessed": False, "could": True}
    assert exposure(env, "OL-2001")["actors"] == [
        district,
        {"actor_id": "readwell", "actor_name": "ReadWell Learning", "role": "vendor",
         "access": "identifiable", "elements": _VENDOR, "first_date": "2024-09-02",
         "last_date": None, "legal_bases": ["school_official"], "agreements": ["NDPA-MG-2024-03"],
         "datasets": ["maple-sis", "readwell-ol-roster"], "accessed": False, "could": True},
        lab,
        {"actor_id": "public", "actor_name": "The public", "role": "public",
         "access": "aggregate", "elements": [], "first_date": "2024-11-01", "last_date": None,
         "legal_bases": [], "agreements": [], "datasets": ["maple-sis",
                                                           "maple-proficiency-report"],
         "accessed": False, "could": True}]
    # enrolled after the vendor's last run and the report: only the research extract
    assert exposure(env, "OL-2002")["actors"] == [
        {**district, "first_date": "2025-01-20"}, {**lab, "first_date": "2025-01-20"}]


def test_openlineage_bad_events_refused(store, env, tmp_path):
    store.reset()
    lines = (OL / "events.jsonl").read_text().splitlines()
    lines[4] = lines[4].replace('"eventTime":', '"eventTim":')
    lines.insert(7, "{not json")
    (tmp_path / "events.jsonl").write_text("\n".join(lines) + "\n")
    r = run(env, "load", str(OL / "district.yaml"), "--openlineage", str(tmp_path / "events.jsonl"),
            "--mapping", str(OL / "mapping.yaml"), "--no-progress")
    assert r.exit_code == 2, r.output
    assert f"{tmp_path / 'events.jsonl'}, row 5, field 'eventTime': Field required" in r.output
    assert f"{tmp_path / 'events.jsonl'}, row 8: not valid JSON" in r.output
    assert store.counts()["nodes"] == 0
    r = run(env, "load", "--openlineage", str(OL / "events.jsonl"), "--no-progress")
    assert r.exit_code == 2
    assert "no 'datasets' entries: --openlineage needs a mapping file" in r.output


def _person_is_a_student(kind: str, tmp_path: Path) -> tuple[Path, list[str]]:
    """A copy of the OneRoster 1.2 or Ed-Fi fixture where teacher E1001's and the guardian
    P-501's own ids are student MG-1004's: the load args."""
    if kind == "oneroster":
        folder = tmp_path / "or"
        shutil.copytree(FIX / "oneroster-1.2" / "bulk", folder)
        users = folder / "users.csv"
        users.write_text(users.read_text().replace(",E1001,", ",MG-1004,")
                         .replace(",P-501,", ",MG-1004,"))
        return folder, ["--oneroster", str(folder)]
    folder = tmp_path / "edfi"
    shutil.copytree(FIX / "edfi-ds5" / "xml", folder)
    staff = folder / "InterchangeStaffAssociation.xml"
    staff.write_text(staff.read_text().replace(">E1001<", ">MG-1004<"))
    return folder, ["--edfi", str(folder)]


@pytest.mark.parametrize("kind", ["oneroster", "edfi"])
def test_a_person_whose_own_id_is_a_student_id_is_refused(store, env, tmp_path, kind):
    """A teacher's (or guardian's) identifier that is a student's ID, which the adapter turns
    into ``staff:MG-1004``: refused like a native teacher ID that is a student's (exit 2,
    rows and columns named, the value never shown, nothing written), whether the student is
    in the same export or already in the graph: a raw student ID must never reach the graph."""
    store.reset()
    folder, args = _person_is_a_student(kind, tmp_path)
    r = run(env, "load", str(MAPLE), *args, "--district", "maple-sd", "--no-progress")
    assert r.exit_code == 2, r.output
    assert "the student ID is also the ID of an actor, teacher or guardian" in r.output
    assert "MG-1004" not in r.output and "Traceback" not in r.output
    assert store.counts()["nodes"] == 0
    # the student is in the graph already: the people of a later load are checked against it
    clean = run(env, "load", str(MAPLE), *(["--oneroster", str(FIX / "oneroster-1.2" / "bulk")]
                                           if kind == "oneroster"
                                           else ["--edfi", str(FIX / "edfi-ds5" / "xml")]),
                "--district", "maple-sd", "--no-progress")
    assert clean.exit_code == 0, clean.output
    before = fingerprint(store)
    teaching = tmp_path / "teaching.csv"
    teaching.write_text("section,school,teacher,valid_from,valid_to\n"
                        "extra-sec,maple-es,staff:MG-1004,2024-08-19,\n")
    inv = tmp_path / "more.yaml"
    inv.write_text(f"bulk:\n  - kind: teaching\n    path: {teaching.name}\n")
    r = run(env, "load", str(inv), "--no-progress")
    assert r.exit_code == 2, r.output
    assert f"{teaching}, row 2, field 'teacher'" in r.output
    assert "is a student's ID in the graph" in r.output and "MG-1004" not in r.output
    assert fingerprint(store) == before
    assert not store.read_text("MATCH (a:Actor) WHERE a.id CONTAINS 'MG-' RETURN a.id")
