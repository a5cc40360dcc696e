"""What a user mistake says: impossible dates, an empty student ID, a missing --out folder, and
values of an inventory that lists students (never echoed). CLI runs through CliRunner against
the real database; the date reader also by hypothesis."""

from __future__ import annotations

import json
import shutil
from datetime import date

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from lineage.cli import main
from lineage.core.errors import InputError
from lineage.core.windows import parse_day
from lineage.graph.writer import load, read_sources
from tests.helpers import PSEUDO, RIVERSIDE, load_riverside


def run(env, *args):
    return CliRunner().invoke(main, list(args), env=env)


# --- the one date reader -------------------------------------------------------------------

@pytest.mark.parametrize("text, message", [
    ("2024-02-30", "not a real date: month 02 has no day 30 in that year (YYYY-MM-DD)"),
    ("2023-02-29", "not a real date: month 02 has no day 29 in that year (YYYY-MM-DD)"),
    ("2024-13-01", "not a real date: there is no month 13 (YYYY-MM-DD)"),
    ("2024-00-10", "not a real date: there is no month 00 (YYYY-MM-DD)"),
    ("2024-04-31T10:00:00Z", "not a real date: month 04 has no day 31 in that year (YYYY-MM-DD)"),
    ("1/05/2023", "not an ISO date (YYYY-MM-DD)"),
    ("RSD-1001", "not an ISO date (YYYY-MM-DD)"),
    ("", "not an ISO date (YYYY-MM-DD)"),
])
def test_parse_day_says_what_is_wrong(text, message):
    with pytest.raises(ValueError) as exc:
        parse_day(text)
    assert str(exc.value) == message


def test_parse_day_keeps_the_date_of_a_date_time():
    assert parse_day(" 2024-02-29T23:59:59+05:00 ") == date(2024, 2, 29)


@given(st.dates())
def test_parse_day_reads_every_iso_date(d):
    assert parse_day(d.isoformat()) == d


@given(st.text(min_size=4, max_size=30))
def test_parse_day_never_repeats_the_text(text):
    try:
        parse_day(text)
    except ValueError as exc:
        assert text.strip() not in str(exc) or text.strip() in (
            "not an ISO date (YYYY-MM-DD)", "(YYYY-MM-DD)")


# --- the CLI ---------------------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["exposure", ""], "the student ID is empty: type the district's student ID"),
    (["exposure", "  "], "the student ID is empty"),
    (["report", " "], "the student ID is empty"),
    (["path", "", "teacher-lee"], "the student ID is empty"),
    (["exposure", "RSD-1001", "--as-of", "2024-02-30"],
     "'2024-02-30' is not a real date: month 02 has no day 30 in that year (YYYY-MM-DD)"),
    (["impact", "--actor", "routeco", "--since", "2025-02-29"],
     "'2025-02-29' is not a real date: month 02 has no day 29 in that year"),
])
def test_user_mistakes_are_exit_2(env, args, message):
    r = run(env, *args)
    assert r.exit_code == 2, r.output
    assert message in r.output
    assert "Traceback" not in r.output


@pytest.mark.parametrize("args", [
    ["report", "RSD-1001", "--out", "{missing}/rsd-1001.md"],
    ["inventory", "--out", "{missing}/inventory.md"],
    ["impact", "--actor", "routeco", "--format", "csv", "--out", "{missing}/impact.csv"],
    ["graph", "RSD-1001", "--out", "{missing}/rsd-1001.svg"],
])
def test_out_into_a_missing_folder_is_exit_2_before_any_work(env, tmp_path, args):
    missing = tmp_path / "no-such-folder"
    r = run(env, *[a.format(missing=missing) for a in args])
    assert r.exit_code == 2, r.output
    assert f"the folder '{missing}' does not exist: create it first" in r.output
    assert not missing.exists()


# --- an inventory that lists students never has its values echoed ---------------------------

def _inventory(tmp_path, part_of: str):
    text = (RIVERSIDE / "inventory.yaml").read_text()
    text = text.replace("{id: teacher-lee, name: Ms. Lee (grade 4), role: teacher, "
                        "part_of: lincoln-es}",
                        "{id: teacher-lee, name: Ms. Lee (grade 4), role: teacher, "
                        f"part_of: {part_of}}}", 1)
    assert f"part_of: {part_of}}}" in text
    for f in ("enrolments.csv", "rosters.csv", "members.csv", "guardians.csv", "access_log.csv"):
        shutil.copy(RIVERSIDE / f, tmp_path / f)
    path = tmp_path / "inventory.yaml"
    path.write_text(text)
    return path


HIDDEN_PART_OF = ("unknown actor (the value is not shown: the file holds student IDs): define it "
                  "in an inventory file loaded with this one, or load the file that defines it "
                  "first")


def test_a_student_id_the_inventory_lists_is_not_echoed_elsewhere(empty_graph, tmp_path):
    path = _inventory(tmp_path, "RSD-1001")  # listed in flows S5 and S6
    with pytest.raises(InputError) as exc:
        load(empty_graph, read_sources([path]), PSEUDO)
    [p] = exc.value.problems
    assert (p.file, p.row, p.field) == (str(path), None, "actors[2] (id teacher-lee).part_of")
    assert p.message == HIDDEN_PART_OF
    assert empty_graph.read_text("MATCH (n) RETURN count(n) AS n")[0]["n"] == 0


def test_a_student_id_the_graph_holds_is_not_echoed(store, tmp_path):
    load_riverside(store)
    before = store.counts()
    path = _inventory(tmp_path, "RSD-1002")  # enrolled in the graph, not listed in the file
    with pytest.raises(InputError) as exc:
        load(store, read_sources([path]), PSEUDO)
    [p] = exc.value.problems
    assert p.field == "actors[2] (id teacher-lee).part_of"
    assert p.message == HIDDEN_PART_OF
    assert store.counts() == before


def test_another_unknown_id_is_echoed_with_the_closest_names(empty_graph, tmp_path):
    path = _inventory(tmp_path, "lincon-es")
    with pytest.raises(InputError) as exc:
        load(empty_graph, read_sources([path]), PSEUDO)
    [p] = exc.value.problems
    assert p.field == "actors[2] (id teacher-lee).part_of"
    assert p.message == ("unknown actor 'lincon-es': define it in an inventory file loaded with "
                         "this one, or load the file that defines it first (closest: lincoln-es, "
                         "county-ems)")


def test_bulk_file_with_an_impossible_date_names_row_and_column(empty_graph, tmp_path):
    path = _inventory(tmp_path, "lincoln-es")
    rows = (tmp_path / "enrolments.csv").read_text().splitlines()
    head = rows[0].split(",")
    cells = rows[1].split(",")
    cells[head.index("valid_from")] = "2024-02-30"
    rows[1] = ",".join(cells)
    (tmp_path / "enrolments.csv").write_text("\n".join(rows) + "\n")
    with pytest.raises(InputError) as exc:
        load(empty_graph, read_sources([path]), PSEUDO)
    [p] = exc.value.problems
    assert (p.file, p.row, p.field) == (str(tmp_path / "enrolments.csv"), 2, "valid_from")
    assert p.message == ("not a real date: month 02 has no day 30 in that year (YYYY-MM-DD); "
                         "(the value is not shown: the file holds student IDs)")


# --- inventories: keys given twice, YAML errors that would quote a student ID --------------

@pytest.mark.parametrize("text, line, message", [
    ("flows: []\nactors: []\nflows: []\n", 3,
     "not valid YAML: the key 'flows' is given twice in one mapping (first on line 1): give each "
     "key once (merge the two blocks)"),
    ("actors:\n  - {id: a, name: A, role: vendor, role: parent}\n", 2,
     "not valid YAML: the key 'role' is given twice in one mapping (first on line 2): give each "
     "key once (merge the two blocks)"),
    ("flows:\n  - id: f\n    students: [RSD-1001]\n    students: [RSD-1002]\n", 4,
     "not valid YAML: the key 'students' is given twice in one mapping (first on line 3): give "
     "each key once (merge the two blocks)"),
    ("RSD-1001: 1\nRSD-1001: 2\n", 2,
     "not valid YAML: a key (not shown) is given twice in one mapping (first on line 1): give "
     "each key once (merge the two blocks)"),
    ("flows:\n  - {id: f, students: [*RSD-1001]}\n", 2,
     "not valid YAML: found undefined alias (not shown)"),
    ("flows:\n  - {id: f, students: [!RSD-1001 x]}\n", 2,
     "not valid YAML: could not determine a constructor for the tag (not shown)"),
])
def test_yaml_keys_given_twice_are_refused_and_no_value_is_quoted(tmp_path, text, line, message):
    """PyYAML keeps the last of two equal keys: a second ``flows:`` block would silently drop
    every flow of the first, and so every disclosure it records. Refused, naming the line; what
    PyYAML would quote from a student list (an alias, a tag) is never shown."""
    path = tmp_path / "inventory.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as exc:
        read_sources([path])
    [p] = exc.value.problems
    assert (p.file, p.row, p.message) == (str(path), line, message)
    assert "RSD-1001" not in str(p)


def test_json_keys_given_twice_are_refused(tmp_path):
    path = tmp_path / "inventory.json"
    path.write_text('{"flows": [], "actors": [], "flows": []}')
    with pytest.raises(InputError) as exc:
        read_sources([path])
    [p] = exc.value.problems
    assert p.message == ("not valid JSON: the key 'flows' is given twice in one object: give "
                         "each key once")


def test_yaml_merge_keys_may_be_overridden(tmp_path):
    """``<<: *base`` then the same key: YAML's override, not a key given twice."""
    path = tmp_path / "inventory.yaml"
    path.write_text("actors:\n  - &base {id: v0, name: Base, role: vendor}\n"
                    "  - {<<: *base, id: v1, name: Vendor One}\n")
    [src] = read_sources([path])
    assert [(a.id, a.name, a.role.value) for a in src.inventory.actors] == [
        ("v0", "Base", "vendor"), ("v1", "Vendor One", "vendor")]


def test_check_only_refuses_a_second_flows_block(env, tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("flows: []\nactors:\n  - {id: v1, name: V, role: vendor}\nflows: []\n")
    r = run(env, "load", "--check-only", str(path))
    assert r.exit_code == 2, r.output
    assert f"{path}, row 4" in r.output and "the key 'flows' is given twice" in r.output
    assert "Traceback" not in r.output


def test_as_of_the_last_day_a_date_can_be_is_ever(store, env):
    """``--as-of 9999-12-31`` (the calendar's last day) answered like no date: no overflow."""
    load_riverside(store)
    ever = run(env, "exposure", "RSD-1001", "--format", "json")
    last = run(env, "exposure", "RSD-1001", "--as-of", "9999-12-31", "--format", "json")
    assert ever.exit_code == 0 and last.exit_code == 0, last.output
    a, b = json.loads(ever.output), json.loads(last.output)
    assert b.pop("as_of") == "9999-12-31" and a.pop("as_of") is None
    assert a == b
    for args in (["exposure", "RSD-1001", "--view", "record"], ["path", "RSD-1001", "routeco"],
                 ["report", "RSD-1001"]):
        r = run(env, *args, "--as-of", "9999-12-31")
        assert r.exit_code == 0, (args, r.output)


@pytest.mark.parametrize("name", ["nosuchdb", "bad name!"])
def test_a_database_the_server_does_not_hold_is_a_setting_to_fix(env, name):
    """``NEO4J_DATABASE`` naming no database of the server: exit 2 naming the setting (it was
    exit 5, "the database refused a statement")."""
    r = run({**env, "NEO4J_DATABASE": name}, "exposure", "RSD-1001")
    assert r.exit_code == 2, r.output
    assert f"has no such database: Graph not found: {name}" in r.output
    assert "set NEO4J_DATABASE (or --database)" in r.output and "Traceback" not in r.output


_CELL_INVENTORY = """actors:
  - {{id: rsd, name: District, role: district}}
  - {{id: pub, name: Public, role: public}}
datasets:
  - id: report-card
    holder: rsd
    granularity: aggregate
    min_cell_size: 10
    suppressed: false
    small_cells:
      - {{label: grade 4 EL, size: {size}, students: [{students}]}}
flows:
  - {{id: f1, kind: disclosure, source: report-card, target: report-card, students: [{flow}]}}
"""


@pytest.mark.parametrize("size, students, flow, field, message", [
    (2, "RSD-1001, RSD-1002, RSD-1003", "RSD-1001", "datasets[0] (id report-card).small_cells[0]",
     "3 students are listed in a cell of size 2: a cell lists at most its size (the IDs are not "
     "shown): check the list and the size"),
    (4, "RSD-1001, ' RSD-1001'", "RSD-1001", "datasets[0] (id report-card).small_cells[0]",
     "a student is listed twice (the IDs are not shown): list each once"),
    (4, "RSD-1001", "RSD-1002, RSD-1002", "flows[0] (id f1)",
     "a student is listed twice (the IDs are not shown): list each once"),
])
def test_student_lists_name_each_student_once_and_a_cell_at_most_its_size(
        tmp_path, size, students, flow, field, message):
    path = tmp_path / "inventory.yaml"
    path.write_text(_CELL_INVENTORY.format(size=size, students=students, flow=flow))
    with pytest.raises(InputError) as exc:
        read_sources([path])
    assert [(p.field, p.message) for p in exc.value.problems] == [(field, message)]
    assert "RSD-100" not in str(exc.value.problems)


@pytest.mark.parametrize("csv_text, expected", [
    ("student_id,org,valid_from,valid_to\nRSD-1,sch,2024-01-01,\nRSD-2,sch,2024-01-01,,X,Y\n"
     "RSD-3,sch,2024-01-01,,,\n",
     [("row", 2), ("row", 4),
      ("problem", 3, None, "more values than the header has columns (a value holding an "
       "unquoted comma, or a column without a name?): quote such values or name the column; "
       "nothing of these rows was read")]),
    ("student_id,org,valid_from,valid_to\n"
     + "".join(f"RSD-{i},sch,2024-01-01,,x\n" for i in range(9)),
     [("problem", 2, None, "rows 2, 3, 4, 5, 6 and 4 more: more values than the header has "
       "columns (a value holding an unquoted comma, or a column without a name?): quote such "
       "values or name the column; nothing of these rows was read")]),
    ("student_id,student_id,org,valid_from\nRSD-1,RSD-2,sch,2024-01-01\n",
     [("problem", 1, "student_id", "the column is in the header twice: which one holds the "
       "values is unclear; keep one")]),
])
def test_bulk_rows_wider_than_the_header_and_columns_given_twice_are_refused(
        tmp_path, csv_text, expected):
    """csv.DictReader-style reading dropped the values beyond the header and kept the last of
    two equal columns, silently: both are problems now, never quoting a value."""
    from lineage.sources.inventory import BulkRow, iter_bulk_rows, read_inventory

    (tmp_path / "inventory.yaml").write_text(
        "actors:\n  - {id: sch, name: S, role: school}\nbulk:\n  - {kind: enrolments, path: e.csv}\n")
    (tmp_path / "e.csv").write_text(csv_text)
    src = read_inventory(tmp_path / "inventory.yaml")
    got = [("row", i.line) if isinstance(i, BulkRow) else ("problem", i.row, i.field, i.message)
           for i in iter_bulk_rows(src, src.inventory.bulk[0])]
    assert got == expected
    assert not any("RSD-" in str(g) for g in got)


def test_a_student_id_longer_than_any_lookup_accepts_is_refused_in_a_bulk_file(tmp_path):
    """A student ID is at most STUDENT_ID_MAX characters everywhere: a longer one in a bulk
    file could be loaded but never looked up on the web (which refused it)."""
    from lineage.core.models import STUDENT_ID_MAX
    from lineage.sources.inventory import BulkRow, iter_bulk_rows, read_inventory

    (tmp_path / "inventory.yaml").write_text(
        "actors:\n  - {id: sch, name: S, role: school}\nbulk:\n  - {kind: enrolments, path: e.csv}\n")
    long_id = "R" * (STUDENT_ID_MAX + 1)
    (tmp_path / "e.csv").write_text("student_id,org,valid_from\n"
                                    f"{'R' * STUDENT_ID_MAX},sch,2024-01-01\n{long_id},sch,2024-01-01\n")
    src = read_inventory(tmp_path / "inventory.yaml")
    got = list(iter_bulk_rows(src, src.inventory.bulk[0]))
    assert isinstance(got[0], BulkRow)
    assert (got[1].row, got[1].field, got[1].message) == (
        3, "student_id", f"longer than {STUDENT_ID_MAX} characters: a student ID is at most "
        f"{STUDENT_ID_MAX} (is this column the student ID?); (the value is not shown: the file "
        "holds student IDs)")


# --- student IDs inside names and free text ---------------------------------------------------

@pytest.mark.parametrize("text, words", [
    ("exports/RSD-1001_card.pdf", {"1001_card", "RSD-1001", "RSD-1001_card"}),
    ("OpenLineage job etl/card-RSD-2001", {"RSD-2001", "card-RSD-2001"}),
    ("s3://bucket/students/S0000123/report.json", {"S0000123"}),
    ("exports/20240117.pdf for 2024-25", {"20240117", "2024-25"}),
    ("Grades 3-8", {"3-8"}),
    ("send to RSD-1001@school.org", {"RSD-1001"}),
    ("card\u2013RSD\u20111001", {"RSD-1001", "card-RSD-1001"}),
    ("teacher-lee", set()),
])
def test_id_tokens(text, words):
    from lineage.sources.inventory import id_tokens

    assert id_tokens(text) == words


@given(st.from_regex(r"[A-Z]{1,4}-?[0-9]{2,8}|[0-9]{5,10}", fullmatch=True),
       st.sampled_from(["exports/{}_card.pdf", "s3://b/{}/x.json", "job report-{}", "{}",
                        "for {}, grade 4", "a.{}.b"]))
def test_an_id_inside_a_name_is_found(sid, shape):
    from lineage.sources.inventory import id_tokens

    assert sid in id_tokens(shape.format(sid))


def _named_after(tmp_path, text: str) -> Path:
    path = tmp_path / "more.yaml"
    path.write_text("actors:\n  - {id: exportco, name: Export Co, role: vendor}\n"
                    "datasets:\n  - {id: exports, holder: exportco, granularity: student, "
                    f"purpose: '{text}'}}\n")
    return path


def test_a_student_id_inside_a_free_text_is_refused(store, tmp_path):
    """A purpose naming a student of the graph (or an OpenLineage dataset named per student):
    refused, the field named, the value never shown, nothing written."""
    load_riverside(store)
    before = store.counts()
    with pytest.raises(InputError) as exc:
        load(store, read_sources([_named_after(tmp_path, "report cards, e.g. RSD-1001.pdf")]),
             PSEUDO)
    [p] = exc.value.problems
    assert p.field == "datasets[0].purpose"
    assert p.message.startswith("holds a student's ID (the value is not shown)")
    assert "RSD-1001" not in str(p)
    assert store.counts() == before
    # a text with numbers that are no student's loads
    load(store, read_sources([_named_after(tmp_path, "report cards 2024-25, grades 3-8")]), PSEUDO)
    assert store.read_text("MATCH (d:Dataset {id: 'exports'}) RETURN d.purpose AS p") == [
        {"p": "report cards 2024-25, grades 3-8"}]


def test_a_student_id_of_the_same_load_inside_a_name_is_refused(empty_graph, tmp_path):
    """The student is not in the graph yet: its ID in a bulk file of the same load counts."""
    (tmp_path / "e.csv").write_text("student_id,org,valid_from\nNEW-4242,sch,2024-01-01\n")
    path = tmp_path / "inventory.yaml"
    path.write_text("actors:\n  - {id: sch, name: School, role: school}\n"
                    "datasets:\n  - {id: card-NEW-4242, holder: sch, granularity: student}\n"
                    "bulk:\n  - {kind: enrolments, path: e.csv}\n")
    with pytest.raises(InputError) as exc:
        load(empty_graph, read_sources([path]), PSEUDO)
    assert [(p.field, p.message[:40]) for p in exc.value.problems] == [
        ("datasets[0].id", "holds a student's ID (the value is not s")]
    assert "NEW-4242" not in str(exc.value.problems)
    assert empty_graph.counts()["nodes"] == 0


def test_a_year_in_a_text_is_no_students_id(empty_graph, tmp_path):
    """Digits alone count as an ID from 5 on: a student numbered 2024 does not make every
    "2024" of the inputs' texts a student's ID (a 6-digit one still does)."""
    (tmp_path / "e.csv").write_text("student_id,org,valid_from\n2024,sch,2024-01-01\n"
                                    "202417,sch,2024-01-01\n")
    path = tmp_path / "inventory.yaml"

    def inventory(purpose: str) -> list:
        path.write_text("actors:\n  - {id: sch, name: School 2024, role: school}\n"
                        "datasets:\n  - {id: sis, holder: sch, granularity: student, "
                        f"purpose: '{purpose}'}}\nbulk:\n  - {{kind: enrolments, path: e.csv}}\n")
        return read_sources([path])

    with pytest.raises(InputError) as exc:
        load(empty_graph, inventory("exports/202417.pdf"), PSEUDO)
    assert [p.field for p in exc.value.problems] == ["datasets[0].purpose"]
    load(empty_graph, inventory("school year 2024, grades 3-8"), PSEUDO)
    assert empty_graph.counts()["nodes"] > 0


@pytest.mark.parametrize("inventory, field", [
    ("actors:\n  - {id: RSD-1001, name: Acme, role: vendor}\n", "actors[0].id"),
    ("actors:\n  - {id: 'staff:RSD-1001', name: T, role: teacher}\n", "actors[0].id"),
    ("actors:\n  - {id: sch9, name: S9, role: school}\n"
     "sections:\n  - {id: sec9, school: sch9, name: tutoring RSD-1001}\n", "sections[0].name"),
    ("elements:\n  - {name: Reading flag, category: Demographics, description: set for "
     "RSD-1001}\n", "elements[0].description"),
    ("actors:\n  - {id: acme, name: Acme, role: vendor, description: 'mail RSD-1001@x.org'}\n",
     "actors[0].description"),
])
def test_a_student_id_as_an_actor_id_or_in_other_texts_is_refused(store, tmp_path, inventory,
                                                                   field):
    """Found by a second break attempt: an actor whose id is a graph student's ID, section
    names, element descriptions and an ID next to '@' were stored."""
    load_riverside(store)
    before = store.counts()
    path = tmp_path / "more.yaml"
    path.write_text(inventory)
    with pytest.raises(InputError) as exc:
        load(store, read_sources([path]), PSEUDO)
    assert [p.field for p in exc.value.problems] == [field]
    assert "RSD-1001" not in str(exc.value.problems)
    assert store.counts() == before


def test_a_sources_warning_never_quotes_a_student_id(store, tmp_path):
    """An adapter's warning quoting a name (an OpenLineage schema field ``score_RSD-1001``):
    the student's ID in it is replaced before anything prints it."""
    from lineage.core.errors import Problem

    load_riverside(store)
    path = tmp_path / "more.yaml"
    path.write_text("actors:\n  - {id: acme, name: Acme, role: vendor}\n")
    [src] = read_sources([path])
    src.warnings.append(Problem(str(path), 3, None, "dataset x: field(s) score_RSD-1001, grade_4 "
                                "map to no data element"))
    summary = load(store, [src], PSEUDO)
    assert (f"{path}, row 3: dataset x: field(s) score_(a student ID, not shown), grade_4 map "
            "to no data element") in summary.warnings
    assert "RSD-1001" not in " ".join(summary.warnings)


def test_a_defined_prefixed_actor_whose_id_is_a_student_of_the_same_load_is_refused(
        empty_graph, tmp_path):
    """An inventory's own ``staff:NEW-4242`` teacher and a student NEW-4242 in the same load."""
    (tmp_path / "e.csv").write_text("student_id,org,valid_from\nNEW-4242,sch,2024-01-01\n")
    path = tmp_path / "inventory.yaml"
    path.write_text("actors:\n  - {id: sch, name: School, role: school}\n"
                    "  - {id: 'staff:NEW-4242', name: T, role: teacher, part_of: sch}\n"
                    "bulk:\n  - {kind: enrolments, path: e.csv}\n")
    with pytest.raises(InputError) as exc:
        load(empty_graph, read_sources([path]), PSEUDO)
    assert [(p.field, p.row) for p in exc.value.problems] == [("student_id", 2)]
    assert "the student ID is also the ID of an actor" in exc.value.problems[0].message
    assert "NEW-4242" not in str(exc.value.problems)
    assert empty_graph.counts()["nodes"] == 0
