"""The one specification per bulk kind (lineage.sources.bulk) and the row checker that takes any
iterable of dict rows (lineage.sources.inventory.rows_from). No database."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from lineage.core.models import BulkFile, BulkKind, Inventory
from lineage.core.resources import cypher_dir
from lineage.sources.bulk import BULK, BULK_ORDER
from lineage.sources.common import NATIVE_COLUMNS
from lineage.sources.inventory import InventorySource, iter_bulk_rows, rows_from
from lineage.sources.synth import CSV_FILES


def test_every_kind_has_one_spec_and_its_statement_exists():
    assert set(BULK) == set(BulkKind)
    assert BULK_ORDER == (BulkKind.TEACHING, BulkKind.GUARDIANS, BulkKind.ENROLMENTS,
                          BulkKind.ROSTERS, BulkKind.MEMBERS, BulkKind.SUBJECTS,
                          BulkKind.ACCESS_LOG)
    for kind, spec in BULK.items():
        assert (cypher_dir() / f"{spec.statement}.cypher").is_file(), spec.statement
        assert set(spec.synth_columns) <= set(spec.columns)
        assert NATIVE_COLUMNS[kind] == spec.columns
        assert CSV_FILES[kind] == (spec.synth_file, spec.synth_columns)
        assert {r.column for r in spec.refs} <= set(spec.required)


def test_partition_keys():
    rosters = BULK[BulkKind.ROSTERS].partition_key({"sec-1": "sch-a"}, 2)
    assert [rosters({"section": "sec-1"}), rosters({"section": "sec-9"})] == ["sch-a", "sec-9"]
    blocks = BULK[BulkKind.GUARDIANS].partition_key({}, 2)
    assert [blocks({}) for _ in range(5)] == [0, 0, 1, 1, 2]
    assert BULK[BulkKind.ACCESS_LOG].partition_key({}, 2)({"actor": "a1"}) == "a1"


def test_rows_from_reports_a_missing_column_and_bad_rows():
    rows = [{"student_id": "S1", "org": "sch", "valid_from": "2024-08-01", "valid_to": ""},
            {"student_id": "", "org": "sch", "valid_from": "2024-08-01", "valid_to": ""},
            {"student_id": "S3", "org": "sch", "valid_from": "2024-08-01",
             "valid_to": "2024-01-01"}]
    out = list(rows_from(BulkKind.ENROLMENTS, rows, "memory"))
    assert [(type(x).__name__, x.line if hasattr(x, "values") else x.row) for x in out] == [
        ("BulkRow", 2), ("Problem", 3), ("Problem", 4)]
    assert out[2].message == "dates out of order: valid_to is before valid_from"  # not echoed
    missing = list(rows_from(BulkKind.ENROLMENTS, [{"student_id": "S1"}], "memory"))
    assert [(p.row, p.message) for p in missing] == [
        (1, "missing column(s) org; a enrolments file needs student_id, org, valid_from, valid_to")]


_ID = st.text(alphabet="abcXYZ019-_ ", min_size=0, max_size=6)
_DATE = st.sampled_from(["", "2024-08-01", "2025-06-10", "2024-13-01", "8/1/2024"])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(_ID, _ID, _DATE, _DATE), max_size=6))
def test_rows_from_agrees_with_the_file_reader(tmp_path_factory, rows):
    """The same rows, in memory or in a CSV file, give the same rows and problems."""
    folder = Path(tmp_path_factory.mktemp("bulk"))
    header = ["student_id", "org", "valid_from", "valid_to"]
    with (folder / "e.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    source = InventorySource(Inventory(name="t"), "inv.yaml", folder)
    from_file = list(iter_bulk_rows(source, BulkFile(kind=BulkKind.ENROLMENTS, path="e.csv")))
    in_memory = list(rows_from(BulkKind.ENROLMENTS, [dict(zip(header, r)) for r in rows],
                               str(folder / "e.csv")))
    if not rows:  # an empty file still has its header; no rows at all reads as nothing
        assert from_file == in_memory == []
    else:
        assert in_memory == from_file


def test_file_reader_rows_and_line_numbers(tmp_path):
    """The file reader (csv rows, not csv.DictReader) gives the values and the physical line
    numbers of the rows: blank lines and rows of blank cells are skipped, a short row reads its
    missing cells as empty, empty extra cells are ignored (a row with a value beyond the header
    is a problem: a shifted row), a day is read once and kept for the next."""
    (tmp_path / "e.csv").write_text(
        "student_id,org,valid_from,valid_to\nS1,o1,2024-01-01,\n\n\nS2,o1,2024-13-01,\n"
        "  ,  ,,\nS3,o1,2024-01-02,2023-01-01\n S4 ,o1\nS5,o1,2024-01-01,,,\n"
        "S6,o1,2024-01-01,,extra\n",
        encoding="utf-8")
    source = InventorySource(Inventory(name="t"), "inv.yaml", tmp_path)
    got = list(iter_bulk_rows(source, BulkFile(kind=BulkKind.ENROLMENTS, path="e.csv")))
    assert [(type(x).__name__, x.line if hasattr(x, "values") else x.row) for x in got] == [
        ("BulkRow", 2), ("Problem", 5), ("Problem", 7), ("BulkRow", 8), ("BulkRow", 9),
        ("Problem", 10)]
    assert got[5].message.startswith("more values than the header has columns")
    assert got[1].message == ("not a real date: there is no month 13 (YYYY-MM-DD); (the value "
                              "is not shown: the file holds student IDs)")
    assert got[3].values == {"student_id": "S4", "org": "o1", "valid_from": None,
                             "valid_to": None}
    assert got[4].values == {"student_id": "S5", "org": "o1", "valid_from": date(2024, 1, 1),
                             "valid_to": None}
    assert got[4].values["valid_from"] is got[0].values["valid_from"]
