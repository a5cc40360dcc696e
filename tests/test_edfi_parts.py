"""A large Ed-Fi XML interchange converted in two parts at once (two child processes): the
native rows, inventory, notes and problems are exactly those of reading the file in one pass,
whatever the file holds; a cut that does not fall between two records, or a part that fails,
falls back to the one pass; the children never see a secret."""

from __future__ import annotations

import filecmp
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lineage.sources.edfi as edfi
from lineage.core.errors import InputError
from lineage.sources import parallel
from lineage.sources.native import write_native

NS = "http://ed-fi.org/0500"
HEAD = f'<?xml version="1.0" encoding="UTF-8"?>\n<InterchangeStudentEnrollment xmlns="{NS}">\n'
TAIL = "</InterchangeStudentEnrollment>\n"


def section_record(i: int, *, student: str | None = None, begin: str = "2024-08-19",
                   end: str = "2025-06-06") -> str:
    student = f"S{i:07d}" if student is None else student
    return ("<StudentSectionAssociation><StudentReference><StudentIdentity>"
            f"<StudentUniqueId>{student}</StudentUniqueId></StudentIdentity></StudentReference>"
            "<SectionReference><SectionIdentity>"
            f"<LocalCourseCode>C{i % 5}</LocalCourseCode><SchoolId>25500{i % 3}</SchoolId>"
            f"<SchoolYear>2025</SchoolYear><SectionIdentifier>S{i % 11}</SectionIdentifier>"
            "<SessionName>2024-2025 Year Round</SessionName></SectionIdentity>"
            f"</SectionReference><BeginDate>{begin}</BeginDate><EndDate>{end}</EndDate>"
            "</StudentSectionAssociation>\n")


def school_record(i: int, *, exit_date: str = "") -> str:
    exit_xml = f"<ExitWithdrawDate>{exit_date}</ExitWithdrawDate>" if exit_date else ""
    return ("<StudentSchoolAssociation><StudentReference><StudentUniqueId>"
            f"S{i:07d}</StudentUniqueId></StudentReference><SchoolReference><SchoolId>"
            f"25500{i % 3}</SchoolId></SchoolReference><EntryDate>2023-08-15</EntryDate>"
            f"{exit_xml}</StudentSchoolAssociation>\n")


def unread_record(i: int) -> str:
    return (f"<Student><StudentUniqueId>S{i:07d}</StudentUniqueId><Name><FirstName>Synthetic"
            "</FirstName></Name></Student>\n")


def in_parts(path: Path) -> list | None:
    """``_xml_in_parts`` of a new source, closed afterwards (its scratch folder removed)."""
    source = edfi.read_edfi(path)
    try:
        return source._xml_in_parts(path)
    finally:
        source.close()


def both_ways(path: Path, monkeypatch) -> tuple[dict, dict]:
    """Convert ``path`` in parts and in one pass: per way, the native files' folder and what
    the conversion reported (notes, warnings, or the problems of its InputError)."""
    out = {}
    for way, threshold in (("parts", 0), ("one pass", 1 << 60)):
        monkeypatch.setattr(edfi, "PARALLEL_MIN_BYTES", threshold)
        folder = Path(tempfile.mkdtemp(dir=path.parent))
        src = edfi.read_edfi(path, district="lea-1")
        try:
            write_native(src, folder, "edfi")
            out[way] = {"folder": folder, "notes": src.notes, "warnings": src.warnings,
                        "problems": None}
        except InputError as exc:
            out[way] = {"folder": folder, "notes": src.notes, "warnings": src.warnings,
                        "problems": [str(p).replace(str(folder), "OUT") for p in exc.problems]}
    return out["parts"], out["one pass"]


def same_files(a: Path, b: Path) -> list[str]:
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    for name in names:
        assert filecmp.cmp(a / name, b / name, shallow=False), name
    return names


def test_a_large_interchange_in_two_parts_gives_exactly_the_one_pass_files(tmp_path,
                                                                           monkeypatch):
    body = []
    for i in range(3000):
        body.append(section_record(i) if i % 3 else school_record(i, exit_date="2025-01-31"
                                                                  if i % 9 == 0 else ""))
        if i % 7 == 0:
            body.append(unread_record(i))
    path = tmp_path / "InterchangeStudentEnrollment.xml"
    path.write_text(HEAD + "".join(body) + TAIL, encoding="utf-8")
    spy = []
    real = edfi.EdFiSource._xml_in_parts
    monkeypatch.setattr(edfi.EdFiSource, "_xml_in_parts",
                        lambda self, p: spy.append(real(self, p)) or spy[-1])
    parts, one = both_ways(path, monkeypatch)
    assert spy[0] is not None and spy[1] is None       # the first way really went in parts
    assert [type(i).__name__ for i in spy[0]] == ["Fragment"] * 4
    assert same_files(parts["folder"], one["folder"]) == [
        "enrolments.csv", "inventory.json", "rosters.csv"]
    assert parts["notes"] == one["notes"] == [
        f"{path}: Ed-Fi DS 4/5, 1 file(s): 0 LEA(s), 0 school(s), 110 sections, 1000 school "
        "enrolments, 2000 roster rows, 0 teaching rows, 0 guardianships"]
    assert (tmp_path / one["folder"] / "rosters.csv").read_text().count("\n") == 2001


def test_problems_in_both_parts_are_numbered_as_in_the_whole_file(tmp_path, monkeypatch):
    body = [section_record(i) for i in range(2000)]
    body[10] = section_record(10, student="")
    body[1500] = section_record(1500, begin="2024-02-30")
    body[1900] = section_record(1900, begin="2025-01-01", end="2024-01-01")
    body.insert(1200, unread_record(1))
    path = tmp_path / "e.xml"
    path.write_text(HEAD + "".join(body) + TAIL, encoding="utf-8")
    parts, one = both_ways(path, monkeypatch)
    assert parts["problems"] == one["problems"] == [
        f"{path}, row 11, field 'studentReference.studentUniqueId': empty",
        f"{path}, row 1502, field 'beginDate': not a real date: month 02 has no day 30 in "
        "that year (YYYY-MM-DD)",
        f"{path}, row 1902, field 'endDate': dates out of order: endDate is before beginDate"]


def test_a_cut_inside_a_comment_falls_back_to_one_pass(tmp_path, monkeypatch):
    """The record start found after the middle is inside a comment: the first part then
    ends inside the comment and does not parse, so the file is read in one pass."""
    half = "".join(section_record(i) for i in range(400))
    comment = ("<!-- " + "p" * 2000 + " <StudentSectionAssociation> was here " + "p" * 50
               + " -->\n")
    path = tmp_path / "e.xml"
    path.write_text(HEAD + half + comment + half + TAIL, encoding="utf-8")
    size = path.stat().st_size
    cut = edfi._xml_cut(path, size)
    data = path.read_bytes()
    assert cut is not None and data.rfind(b"<!--", 0, cut[2]) > data.rfind(b"-->", 0, cut[2])
    monkeypatch.setattr(edfi, "PARALLEL_MIN_BYTES", 0)
    assert in_parts(path) is None
    parts, one = both_ways(path, monkeypatch)
    assert same_files(parts["folder"], one["folder"]) == ["inventory.json", "rosters.csv"]


def test_a_broken_file_is_reported_as_by_one_pass(tmp_path, monkeypatch):
    path = tmp_path / "e.xml"
    path.write_text(HEAD + "".join(section_record(i) for i in range(800))
                    + "<StudentSectionAssociation><Stud", encoding="utf-8")
    parts, one = both_ways(path, monkeypatch)
    assert parts["problems"] == one["problems"] == [
        f"{path}, row 803: not well-formed XML; export the interchange again"]


def test_no_cut_in_a_file_that_is_not_utf8_or_has_no_record_after_the_middle(tmp_path):
    latin = tmp_path / "latin.xml"
    latin.write_text(HEAD.replace("UTF-8", "ISO-8859-1") + section_record(1) * 50 + TAIL,
                     encoding="latin-1")
    assert edfi._xml_cut(latin, latin.stat().st_size) is None
    tail_only = tmp_path / "tail.xml"
    tail_only.write_text(HEAD + section_record(1) * 50 + "<!--" + "x" * 100_000 + "-->" + TAIL)
    assert edfi._xml_cut(tail_only, tail_only.stat().st_size) is None
    good = tmp_path / "good.xml"
    good.write_text(HEAD + section_record(1) * 50 + TAIL)
    head, close, offset = edfi._xml_cut(good, good.stat().st_size)
    data = good.read_bytes()
    assert data[:head].endswith(f'xmlns="{NS}">'.encode())
    assert close == "</InterchangeStudentEnrollment>"
    assert data[offset:].startswith(b"<StudentSectionAssociation>")
    assert len(data) // 2 <= offset < len(data) // 2 + len(section_record(1))


RECORDS = st.lists(st.sampled_from(["section", "school", "unread", "bad", "comment"]),
                   min_size=2, max_size=60)


@given(RECORDS)
@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_mix_of_records_gives_the_same_result_both_ways(tmp_path_factory, monkeypatch,
                                                            kinds):
    make = {"section": section_record, "school": school_record, "unread": unread_record,
            "bad": lambda i: section_record(i, student=""),
            "comment": lambda i: "<!-- <StudentSchoolAssociation> -->\n"}
    path = tmp_path_factory.mktemp("mix") / "e.xml"
    path.write_text(HEAD + "".join(make[k](i) for i, k in enumerate(kinds)) + TAIL)
    if "comment" not in kinds and edfi._xml_cut(path, path.stat().st_size) is not None:
        monkeypatch.setattr(edfi, "PARALLEL_MIN_BYTES", 0)      # a cut between records works
        assert in_parts(path) is not None
    parts, one = both_ways(path, monkeypatch)
    assert parts["problems"] == one["problems"]
    assert parts["notes"] == one["notes"]
    if one["problems"] is None:
        same_files(parts["folder"], one["folder"])


def test_a_child_gets_no_secret_in_its_environment():
    env = parallel.child_env({"PATH": "/usr/bin", "HOME": "/home/x", "LC_ALL": "C.UTF-8",
                              "LINEAGE_PSEUDONYM_KEY": "k" * 40, "NEO4J_PASSWORD": "pw",
                              "AWS_SECRET_ACCESS_KEY": "a", "LINEAGE_HOME": "/h"})
    assert env == {"PATH": "/usr/bin", "HOME": "/home/x", "LC_ALL": "C.UTF-8"}


def test_a_child_that_fails_gives_none(tmp_path):
    child = parallel.start("edfi-xml-part", path=str(tmp_path / "missing.xml"),
                           district=None, folder=str(tmp_path), part=1, head=0, start=0,
                           stop=10, close="")
    assert parallel.finish(child) is None
    with pytest.raises(KeyError):
        parallel.start("no-such-job")


def test_stop_kills_a_running_child(tmp_path):
    """An interrupted conversion leaves no child behind (parallel.stop in a finally)."""
    big = tmp_path / "e.xml"
    big.write_text(HEAD + "".join(section_record(i) for i in range(20_000)) + TAIL)
    child = parallel.start("edfi-xml-part", path=str(big), district=None, folder=str(tmp_path),
                           part=1, head=0, start=0, stop=None, close="")
    assert child is not None and child.poll() is None
    parallel.stop([child, None])
    assert child.returncode is not None and child.returncode < 0       # killed, reaped
    parallel.stop([child])                                             # a second stop is fine


# --- found by trying to break the two-part conversion (helper review, sixth session) --------

def test_a_root_name_that_is_not_utf8_is_reported_as_by_one_pass(tmp_path, monkeypatch):
    path = tmp_path / "e.xml"
    path.write_bytes(b"<a\xff><School/><School/><School/></a\xff>")
    assert edfi._xml_cut(path, path.stat().st_size) is None
    parts, one = both_ways(path, monkeypatch)
    assert parts["problems"] == one["problems"] == [
        f"{path}, row 1: not well-formed XML; export the interchange again"]


def test_a_latin1_declaration_behind_a_byte_order_mark_is_not_cut(tmp_path):
    path = tmp_path / "e.xml"
    path.write_bytes(b"\xef\xbb\xbf" + HEAD.replace("UTF-8", "ISO-8859-1").encode()
                     + section_record(1).encode() * 50 + TAIL.encode())
    assert edfi._xml_cut(path, path.stat().st_size) is None


def test_a_deeply_nested_record_is_read_without_exhausting_the_stack(tmp_path, monkeypatch):
    deep = "<X>" * 5000 + "</X>" * 5000
    record = section_record(1).replace("<BeginDate>", deep + "<BeginDate>")
    path = tmp_path / "e.xml"
    path.write_text(HEAD + section_record(0) * 30 + record + section_record(2) * 30 + TAIL)
    parts, one = both_ways(path, monkeypatch)
    assert parts["problems"] is one["problems"] is None
    assert same_files(parts["folder"], one["folder"]) == ["inventory.json", "rosters.csv"]
    assert (one["folder"] / "rosters.csv").read_text().count("\n") == 62


def test_a_child_does_not_import_from_the_working_folder(tmp_path, monkeypatch):
    """An export folder holding a ``json.py`` (say) is not on a child's import path (``-P``)."""
    (tmp_path / "json.py").write_text(
        "import pathlib\npathlib.Path(__file__).with_name('RAN').write_text('x')\n")
    path = tmp_path / "e.xml"
    path.write_text(HEAD + "".join(section_record(i) for i in range(400)) + TAIL)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(edfi, "PARALLEL_MIN_BYTES", 0)
    assert in_parts(Path("e.xml")) is not None
    assert not (tmp_path / "RAN").exists()


def test_a_child_runs_the_parents_own_package_without_secrets(monkeypatch):
    """Not another installed version's (``-P`` keeps the working folder off the path; the
    package's folder is put first unless it is on the path already), and with no secret in
    its environment even when the parent has them."""
    import lineage

    monkeypatch.setenv("LINEAGE_PSEUDONYM_KEY", "k" * 40)
    monkeypatch.setenv("NEO4J_PASSWORD", "not-a-real-password")
    got = parallel.finish(parallel.start("ping"))
    assert got is not None
    assert got["lineage"] == str(Path(lineage.__file__).resolve().parent)
    assert "LINEAGE_PSEUDONYM_KEY" not in got["env"] and "NEO4J_PASSWORD" not in got["env"]
    assert "PATH" in got["env"]


def test_a_part_writes_its_rows_so_far(tmp_path):
    """In-process: every ``every`` rows the part replaces its count file (the parent reads it
    to report progress)."""
    path = tmp_path / "e.xml"
    path.write_text(HEAD + "".join(section_record(i) for i in range(250)) + TAIL)
    result = edfi.convert_xml_part(str(path), None, str(tmp_path), 7, 0, 0, None, "", every=100)
    assert result["ok"] and result["fragments"]["rosters"][1] == 250
    assert (tmp_path / "part7.rows").read_text() == "200"
    assert edfi._read_count(tmp_path / "part7.rows") == 200
    assert edfi._read_count(tmp_path / "part9.rows") == 0


def test_progress_is_reported_while_the_parts_convert(tmp_path, monkeypatch):
    """write_native's progress gets the children's rows while they work (polled every 10 ms
    here; a child's start alone takes longer), then the whole file's count."""
    path = tmp_path / "e.xml"
    path.write_text(HEAD + "".join(section_record(i) for i in range(20_000)) + TAIL)
    monkeypatch.setattr(edfi, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(edfi, "PARTS_PROGRESS_EVERY", 500)
    monkeypatch.setattr(parallel, "WAIT_INTERVAL", 0.01)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))    # where the parts' files go
    seen = []
    out = tmp_path / "out"
    out.mkdir()
    write_native(edfi.read_edfi(path), out, "edfi", lambda label, n, total: seen.append(n))
    assert seen[-1] == 20_000
    assert seen == sorted(seen)                          # never backwards
    assert any(0 < n < 20_000 for n in seen), seen       # the parts' rows while they worked
    assert not list(scratch.iterdir())                   # the fragments are gone


def test_a_large_result_does_not_block_a_child(tmp_path):
    """The result is read while waiting: a child whose JSON result is far larger than a pipe's
    buffer (64 KiB) still ends (its sections: 11,000 distinct ones)."""
    path = tmp_path / "e.xml"
    rows = "".join(section_record(i).replace(f"<SectionIdentifier>S{i % 11}<",
                                             f"<SectionIdentifier>X{i}<") for i in range(11_000))
    path.write_text(HEAD + rows + TAIL)
    calls = []
    got = parallel.finish(parallel.start(
        "edfi-xml-part", path=str(path), district=None, folder=str(tmp_path), part=1, head=0,
        start=0, stop=None, close="", every=1000), lambda: calls.append(1))
    assert got is not None and got["ok"] and len(got["sections"]) == 11_000
    assert len(json.dumps(got)) > 1_000_000
