"""``lineage report``: the answer to a parent's inquiry for RSD-1001 (shared/cases/riverside.md).

Every fact of the expected answer and of the record-of-disclosures view must be in the
Markdown and the JSON; the pseudonymous key never appears; the PDF renders a non-blank page.
"""

from __future__ import annotations

import io
import json
import re
import sys

from click.testing import CliRunner

from lineage.cli import main
from tests.helpers import PSEUDO, S1A, S1C, S1D, S1E, S2, S3A, S4A, S4C, S5, S6

KEY = PSEUDO("RSD-1001")

S1C_ALL = S1C | S1D

#: actor -> (class, elements, first date, basis label, citation, agreement) of the case file
EXPECTED = {
    "teacher-lee": ("identifiable", S1A, "2024-08-20", "school official", "FERPA §99.31(a)(1)", None),
    "learnco": ("identifiable", S1C_ALL, "2024-08-25", "school official", "FERPA §99.31(a)(1)",
                "NDPA-2024-017"),
    "guardian-r": ("identifiable", S1E, "2022-08-15", "parent / eligible student", "FERPA §99.10",
                   None),
    "routeco": ("identifiable", S2, "2023-08-01", "school official", "FERPA §99.31(a)(1)",
                "DPA-TR-09"),
    "state-doe": ("identifiable", S3A, "2022-10-01", "audit/evaluation",
                  "FERPA §99.31(a)(3), §99.35", None),
    "univ-reading-lab": ("identifiable", S4A, "2025-03-15", "studies", "FERPA §99.31(a)(6)",
                         "RDA-2025-03"),
    "hill-sd": ("identifiable", S5, "2025-07-20", "other school (transfer)",
                "FERPA §99.31(a)(2), §99.34", None),
    "county-ems": ("identifiable", S6, "2025-04-10", "health or safety emergency",
                   "FERPA §99.31(a)(10), §99.36", None),
    "univ-econ-lab": ("deidentified", S4C, "2024-09-15", "studies", "FERPA §99.31(a)(6)",
                      "RDA-2024-11"),
    "us-ed": ("aggregate", frozenset(), "2023-01-15", "federal reporting", "20 U.S.C. §9543; EDFacts", None),
    "public": ("aggregate", frozenset(), "2023-09-01", None, None, None),
}
RECORD = {"state-doe", "univ-reading-lab", "hill-sd", "county-ems"}
EXEMPT = {"teacher-lee", "learnco", "routeco", "guardian-r"}
NOT_PII = {"univ-econ-lab", "us-ed", "public"}
THREAT = "severe allergic reaction on field trip"


def report(env, *args):
    return CliRunner().invoke(main, ["report", *args], env=env)


def sections(md: str) -> dict[str, str]:
    """The Markdown split at '## ' headings: {heading: body}."""
    parts = re.split(r"^## ", md, flags=re.M)
    return {p.splitlines()[0]: p for p in parts[1:]}


class TestClean:
    def test_markdown_has_every_fact(self, clean, env):
        r = report(env, "RSD-1001", "--received", "2025-10-01")
        assert r.exit_code == 0, r.output
        md = r.stdout
        assert KEY not in md
        assert md.startswith("# Who has seen the records of student RSD-1001")
        # metadata: date made, as-of, the 45-day deadline
        assert re.search(r"\*\*Report made on:\*\* \d{4}-\d{2}-\d{2}", md)
        assert "everything on record" in md
        assert "FERPA §99.10(b)" in md and "45 days" in md and "by 2025-11-15" in md
        sec = sections(md)
        record = sec["1. Record of disclosures (FERPA §99.32)"]
        officials = next(v for k, v in sec.items() if k.startswith("2. "))
        not_pii = next(v for k, v in sec.items() if k.startswith("3. "))
        agreements = next(v for k, v in sec.items() if k.startswith("4. "))
        # the record view: exactly the four, in date order, with their facts
        heads = re.findall(r"^### (\S+): .* \(([\w-]+)\)$", record, flags=re.M)
        assert heads == [("2022-10-01", "state-doe"), ("2025-03-15", "univ-reading-lab"),
                         ("2025-04-10", "county-ems"), ("2025-07-20", "hill-sd")]
        entries = dict(zip([h[1] for h in heads], re.split(r"^### .*$", record, flags=re.M)[1:]))
        for aid in RECORD:
            cls, elements, first, label, citation, agreement = EXPECTED[aid]
            e = entries[aid]
            for el in elements:
                assert el in e, (aid, el)
            assert f"**Legal basis:** {label} ({citation})" in e
            assert f"**Agreement:** {agreement or 'none'}" in e
        assert "passed on by State Department of Education (state-doe)" in entries["univ-reading-lab"]
        assert f"the threat:** {THREAT}" in entries["county-ems"]
        assert "reading intervention study" in entries["univ-reading-lab"]
        assert "records sent on transfer" in entries["hill-sd"]
        for aid in EXEMPT | NOT_PII:
            assert f"({aid})" not in record
        # school officials, vendors and parents: exempt but listed, with their facts
        rows = {re.search(r"\(([\w-]+)\) \|", line).group(1): line
                for line in officials.splitlines() if line.startswith("| ") and "(" in line}
        assert EXEMPT <= set(rows)
        assert set(rows) == EXEMPT | {"riverside-sd", "lincoln-es"}
        for aid in EXEMPT:
            cls, elements, first, label, citation, agreement = EXPECTED[aid]
            line = rows[aid]
            for el in elements:
                assert el in line, (aid, el)
            assert f"| {first} |" in line
            assert label in line and citation in line
            if agreement:
                assert agreement in line
        assert "read rsd-sis on 2024-10-01" in rows["teacher-lee"]  # the access log ("did")
        # de-identified and aggregate only
        rows = {re.search(r"\(([\w-]+)\) \|", line).group(1): line
                for line in not_pii.splitlines() if line.startswith("| ") and "(" in line}
        assert set(rows) == NOT_PII
        for aid in NOT_PII:
            cls, elements, first, label, citation, agreement = EXPECTED[aid]
            line = rows[aid]
            assert ("de-identified only" if cls == "deidentified" else "aggregate only") in line
            assert f"| {first} |" in line
            for el in elements:
                assert el in line
            if label:
                assert f"{label} ({citation})" in line
            if agreement:
                assert agreement in line
        # the agreements behind them
        for ag, dates in (("NDPA-2024-017", "2024-08-01 to 2025-07-31"),
                          ("DPA-TR-09", "2023-07-01 to 2026-06-30"),
                          ("RDA-2025-03", "2025-03-15 to 2026-12-31"),
                          ("RDA-2024-11", "2024-09-01 to 2025-08-31")):
            line = next(x for x in agreements.splitlines() if x.startswith(f"| {ag} |"))
            assert dates in line
        assert "2026-12-31 |" in next(x for x in agreements.splitlines()
                                       if x.startswith("| RDA-2025-03 |"))
        # not in the answer for RSD-1001
        assert "teacher-park" not in md and "guardian-k" not in md

    def test_json(self, clean, env):
        r = report(env, "RSD-1001", "--format", "json", "--received", "2025-10-01")
        assert r.exit_code == 0, r.output
        assert KEY not in r.stdout
        data = json.loads(r.stdout)
        assert data["student"] == "RSD-1001"
        assert data["exposure"]["student"] == "RSD-1001"
        assert data["as_of"] is None
        assert data["inspection"] == {"received_on": "2025-10-01", "respond_by": "2025-11-15",
                                      "days": 45, "rule": "FERPA §99.10(b)"}
        actors = {a["actor_id"]: a for a in data["exposure"]["actors"]}
        for aid, (cls, elements, first, label, citation, agreement) in EXPECTED.items():
            a = actors[aid]
            assert (a["access"], sorted(a["elements"]), a["first_date"]) == (
                cls, sorted(elements), first), aid
            assert [b["label"] for b in a["bases"]] == ([label] if label else [])
            assert [b["citation"] for b in a["bases"]] == ([citation] if citation else [])
            assert a["agreements"] == ([agreement] if agreement else [])
        assert "teacher-park" not in actors and "guardian-k" not in actors
        rec = {d["actor_id"]: d for d in data["record"]["disclosures"]}
        assert set(rec) == RECORD
        assert rec["univ-reading-lab"]["redisclosure"] is True
        assert rec["univ-reading-lab"]["discloser_id"] == "state-doe"
        assert rec["univ-reading-lab"]["discloser_name"] == "State Department of Education"
        assert rec["univ-reading-lab"]["agreement"] == "RDA-2025-03"
        assert rec["county-ems"]["threat"] == THREAT
        assert rec["hill-sd"]["basis"]["citation"] == "FERPA §99.31(a)(2), §99.34"
        assert {a["actor_id"] for a in data["officials"]} == EXEMPT | {"riverside-sd", "lincoln-es"}
        assert {a["actor_id"] for a in data["not_pii"]} == NOT_PII
        assert {g["id"] for g in data["agreements"]} == {
            "NDPA-2024-017", "DPA-TR-09", "RDA-2025-03", "RDA-2024-11"}
        rda = next(g for g in data["agreements"] if g["id"] == "RDA-2025-03")
        assert rda["destroy_by"] == "2026-12-31" and rda["recipients"] == ["univ-reading-lab"]

    def test_as_of(self, clean, env):
        r = report(env, "RSD-1001", "--format", "json", "--as-of", "2024-06-01")
        data = json.loads(r.stdout)
        ids = {a["actor_id"] for a in data["exposure"]["actors"]}
        assert {"routeco", "state-doe", "guardian-r"} <= ids
        assert not ids & {"teacher-lee", "learnco", "univ-reading-lab", "univ-econ-lab",
                          "hill-sd", "county-ems"}
        assert {d["actor_id"] for d in data["record"]["disclosures"]} == {"state-doe"}
        md = report(env, "RSD-1001", "--as-of", "2024-06-01").stdout
        assert "as they stood on 2024-06-01" in md

    def test_html_no_key_and_picture(self, clean, env, tmp_path):
        out = tmp_path / "r.html"
        r = report(env, "RSD-1001", "--format", "html", "--out", str(out))
        assert r.exit_code == 0, r.output
        html = out.read_text(encoding="utf-8")
        assert KEY not in html
        assert html.lstrip().startswith("<!DOCTYPE html>")
        assert "<svg" in html  # Graphviz is installed: the picture, not the fallback table
        for aid in EXPECTED:
            assert f"({aid})" in html
        assert THREAT in html and "FERPA §99.10(b)" in html

    def test_html_falls_back_to_a_table_without_the_picture_module(self, clean, env,
                                                                  monkeypatch):
        monkeypatch.setitem(sys.modules, "lineage.render.dot", None)  # import fails
        r = report(env, "RSD-1001", "--format", "html")
        assert r.exit_code == 0, r.output
        assert "<svg" not in r.stdout
        assert "Who holds or has seen the records, in brief" in r.stdout
        assert "picture could not be drawn" in r.stdout
        assert KEY not in r.stdout

    def test_pdf_renders(self, clean, env, tmp_path):
        import pypdfium2  # a dev dependency: a missing one fails the test

        out = tmp_path / "r.pdf"
        r = report(env, "RSD-1001", "--format", "pdf", "--out", str(out))
        assert r.exit_code == 0, r.output
        data = out.read_bytes()
        assert data.startswith(b"%PDF")
        pdf = pypdfium2.PdfDocument(io.BytesIO(data))
        assert len(pdf) >= 2
        image = pdf[0].render(scale=1).to_pil().convert("L")
        dark = sum(image.histogram()[:200])  # pixels darker than near-white
        assert dark > 1000  # text on page 1, not a blank page
        text = pdf[0].get_textpage().get_text_range()
        assert "RSD-1001" in text and KEY not in text

    def test_pdf_without_weasyprint_is_a_render_error(self, clean, env, monkeypatch):
        monkeypatch.setitem(sys.modules, "weasyprint", None)
        r = report(env, "RSD-1001", "--format", "pdf")
        assert r.exit_code == 6
        assert "WeasyPrint" in r.output and "Traceback" not in r.output

    def test_unknown_student(self, clean, env):
        r = report(env, "RSD-SECRET-9999")
        assert r.exit_code == 1
        assert "RSD-SECRET-9999" not in r.output
        assert "student not found" in r.output

    def test_an_id_in_another_letter_case_is_not_the_student(self, clean, env):
        # IDs are compared exactly (a district's IDs may differ only in case); the hint says so
        r = report(env, "rsd-1001")
        assert r.exit_code == 1
        assert "student not found" in r.output
        assert "letter case counts" in " ".join(r.output.split())


class TestViolations:
    def test_access_log_and_redisclosure(self, violated, env):
        r = report(env, "RSD-1001", "--format", "json")
        data = json.loads(r.stdout)
        park = next(a for a in data["officials"] if a["actor_id"] == "teacher-park")
        assert park["could"] is False
        assert park["access_log"] == [{"date": "2025-01-15", "dataset": "rsd-sis", "action": "read"}]
        assert "no grant or flow allows it" in park["why"]
        assert park["purposes"] == []
        co = next(d for d in data["record"]["disclosures"] if d["actor_id"] == "coauthor-lab")
        assert co["redisclosure"] is True and co["discloser_id"] == "univ-reading-lab"
        assert co["basis"] is None and co["date"] == "2025-09-01"
        md = report(env, "RSD-1001").stdout
        assert "read rsd-sis on 2025-01-15" in md
        assert "passed on by University Reading Lab (univ-reading-lab)" in md
        assert KEY not in md


def test_markdown_shows_names_from_the_inventory_as_text(store, env):
    """A name or purpose holding HTML or Markdown link syntax (from an inventory) is shown as
    text by any Markdown renderer: never a tag, a script or a link."""
    from tests.helpers import load_riverside

    load_riverside(store)
    store.write_text("MATCH (a:Actor {id: 'county-ems'}) SET a.name = $name",
                     name="<img src=x onerror=alert(1)>EMS | [x](javascript:alert(3))")
    store.write_text("MATCH (f:Flow {id: 'S6'}) SET f.purpose = $purpose",
                     purpose="<script>alert(2)</script>")
    r = report(env, "RSD-1001", "--format", "md")
    assert r.exit_code == 0, r.output
    assert ("### 2025-04-10: &lt;img src=x onerror=alert(1)&gt;EMS \\| \\[x\\](javascript:alert(3)) "
            "(county-ems)") in r.output
    assert "- **Legitimate interest / purpose:** &lt;script&gt;alert(2)&lt;/script&gt;" in r.output
    assert "<img" not in r.output and "<script" not in r.output and "[x](" not in r.output
    load_riverside(store)
