"""``lineage inventory``: the public data inventory on a real Neo4j.

Cedar Valley (shared/cases/cedar-valley.md) must round-trip: the imported metadata dictionary
comes back as its 15 recipients with their element counts. Riverside lists learnco with its
agreement and the aggregate recipients separately, without student-level content.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from lineage.cli import main
from lineage.render.documents import INVENTORY_CSV_COLUMNS
from tests.helpers import CEDAR_COUNTS, CEDAR_VALLEY, PSEUDO, load_riverside

CEDAR = CEDAR_VALLEY


def inventory(env, *args):
    return CliRunner().invoke(main, ["inventory", *args], env=env)


def csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_cedar_valley_round_trip(empty_graph, env):
    r = CliRunner().invoke(main, ["load", "--no-progress", "--dictionary", str(CEDAR),
                                  "--district", "cedar-valley-sd"], env=env)
    assert r.exit_code == 0, r.output
    r = inventory(env, "--format", "csv")
    assert r.exit_code == 0, r.output
    rows = csv_rows(r.stdout)
    assert list(rows[0]) == INVENTORY_CSV_COLUMNS
    assert {x["section"] for x in rows} == {"recipient"}
    counts = {x["recipient"]: int(x["element_count"]) for x in rows}
    assert counts == CEDAR_COUNTS
    for x in rows:  # the count is the number of elements listed
        assert len(x["elements"].split("; ")) == int(x["element_count"])
        assert x["access"] == "identifiable"
        assert x["legal_bases"] and x["citations"]
    by = {x["recipient"]: x for x in rows}
    assert by["State University Early Literacy Center"]["legal_bases"] == "studies"
    assert by["State University Early Literacy Center"]["citations"] == "FERPA §99.31(a)(6)"
    assert by["County Juvenile Court"]["legal_bases"] == "juvenile justice system"
    # 26 element columns mapped: every one is collected (the SIS keeps them all)
    data = json.loads(inventory(env, "--format", "json").stdout)
    assert len(data["elements"]) == 26
    assert len(data["recipients"]) == 15 and data["aggregates"] == []
    photo = next(e for e in data["elements"] if e["name"] == "Other")
    assert "PhotoDay Portraits" in photo["recipients"]
    # the same in Markdown and HTML
    md = inventory(env).stdout
    html = inventory(env, "--format", "html").stdout
    for name, n in CEDAR_COUNTS.items():
        assert f"| {name} |" in md and f"{n} element" in md
        assert name in html


@pytest.fixture(scope="class")
def riverside(store):
    load_riverside(store)
    return store


class TestRiverside:
    def test_csv(self, riverside, env):
        r = inventory(env, "--format", "csv")
        assert r.exit_code == 0, r.output
        rows = csv_rows(r.stdout)
        recipients = {x["recipient_id"]: x for x in rows if x["section"] == "recipient"}
        learnco = recipients["learnco"]
        assert learnco["agreements"] == "NDPA-2024-017"
        assert "2024-08-01..2025-07-31" in learnco["agreement_dates"]
        assert learnco["legal_bases"] == "school official"
        assert learnco["citations"] == "FERPA §99.31(a)(1)"
        assert int(learnco["element_count"]) == 6
        assert "Student generated content" in learnco["elements"]
        assert recipients["routeco"]["agreements"] == "DPA-TR-09"
        assert recipients["univ-econ-lab"]["access"] == "deidentified"
        assert set(recipients) == {"learnco", "routeco", "state-doe", "univ-reading-lab",
                                   "univ-econ-lab"}
        aggregates = [x for x in rows if x["section"] == "aggregate"]
        assert {x["recipient_id"] for x in aggregates} == {"public", "us-ed"}
        assert {x["datasets"] for x in aggregates} == {
            "edfacts-fs052", "state-report-card", "reading-study-tables"}
        us_ed = next(x for x in aggregates if x["recipient_id"] == "us-ed")
        assert us_ed["legal_bases"] == "federal reporting" and us_ed["min_cell_size"] == "10"
        case = {x["recipient_id"]: x for x in rows if x["section"] == "case_by_case"}
        assert set(case) == {"hill-sd", "county-ems"}
        assert case["county-ems"]["purposes"] == ""  # no reason, no date: could identify

    def test_markdown_and_html(self, riverside, env, tmp_path):
        md = inventory(env).stdout
        body = md.split("## Aggregate recipients")[0]
        assert "| LearnCo | service provider | identifiable | 6 |" in md
        assert "NDPA-2024-017 (ndpa), valid 2024-08-01 to 2025-07-31" in md
        aggregates = md.split("## Aggregate recipients")[1].split("## Disclosures")[0]
        assert "| U.S. Department of Education | federal agency |" in aggregates
        assert "| The public | the public |" in aggregates
        assert "The public" not in body and "U.S. Department of Education" not in body
        assert "| English language learner information | Special Indicator | yes |" in md
        out = tmp_path / "inv.html"
        r = inventory(env, "--format", "html", "--out", str(out))
        assert r.exit_code == 0 and "wrote" in r.output
        html = out.read_text(encoding="utf-8")
        assert html.lstrip().startswith("<!DOCTYPE html>")
        assert "NDPA-2024-017" in html and "U.S. Department of Education" in html

    @pytest.mark.parametrize("fmt", ["md", "html", "csv", "json"])
    def test_no_student_level_content(self, riverside, env, fmt):
        text = inventory(env, "--format", fmt).stdout
        for sid in ("RSD-1001", "RSD-1002", "RSD-1003"):
            assert sid not in text and PSEUDO(sid) not in text
        assert "severe allergic reaction" not in text
        assert "2025-04-10" not in text and "2025-07-20" not in text
