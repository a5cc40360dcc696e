"""Shared test helpers: loading the seeds into the real graph (no mocks)."""

from __future__ import annotations

from pathlib import Path

from lineage.core.pseudonym import Pseudonymizer
from lineage.graph.writer import load, read_sources

ROOT = Path(__file__).resolve().parent.parent
RIVERSIDE = ROOT / "seeds" / "riverside"
TEST_KEY = "test-key-not-secret-synthetic-data-only"
PSEUDO = Pseudonymizer(TEST_KEY)


CEDAR_VALLEY = ROOT / "seeds" / "cedar-valley" / "metadata-dictionary.csv"

#: Elements per recipient after importing the Cedar Valley sheet (shared/cases/cedar-valley.md).
CEDAR_COUNTS = {
    "State Board of Education": 15, "BrightPath Learning": 8, "MathQuest": 5,
    "ReadWell Assessment": 9, "SafeRide Transportation": 7, "LunchLine POS": 5,
    "CloudSIS Hosting": 26, "NotifyNow": 7, "PhotoDay Portraits": 6, "Yearbook Pro": 4,
    "State University Early Literacy Center": 8, "Cedar Valley Education Foundation": 9,
    "County Juvenile Court": 8, "Counseling Connect": 9, "TestPrep Online": 5,
}

# The elements of each row of the Riverside case (shared/cases/riverside.md).
S1A = frozenset({"Student Name", "Local ID number", "Student grade level",
                 "Student scheduled courses", "Student course grades",
                 "Student school (daily) attendance data"})
S1C = frozenset({"Student Name", "Local ID number", "Student grade level",
                 "Student scheduled courses", "Teacher names"})
S1D = frozenset({"Student generated content"})
S1E = frozenset({"Student Name", "Student course grades",
                 "Student school (daily) attendance data", "Student scheduled courses"})
S2 = frozenset({"Student Name", "Student Contact Address", "Student grade level",
                "Student school enrollment", "Student bus assignment",
                "Student pick up and/or drop off location"})
S3A = frozenset({"State ID number", "Date of Birth", "Gender", "Ethnicity or race",
                 "Student school enrollment", "Student grade level",
                 "English language learner information", "Standardized test scores",
                 "Student school (daily) attendance data", "Student disability information"})
S4A = frozenset({"State ID number", "Standardized test scores",
                 "English language learner information",
                 "Student school (daily) attendance data"})
S4C = frozenset({"Standardized test scores", "Student grade level", "Ethnicity or race"})
S5 = frozenset({"Student Name", "State ID number", "Date of Birth", "Student course grades",
                "Student disability information"})
S6 = frozenset({"Student Name", "Medical alerts/health data", "Parent/Guardian Phone"})


def load_riverside(store, *, violations: bool = False) -> None:
    """Empty the graph and load the Riverside seed (and V1-V4 when ``violations``)."""
    store.reset()
    paths = [RIVERSIDE / "inventory.yaml"]
    if violations:
        paths.append(RIVERSIDE / "violations.yaml")
    load(store, read_sources(paths), PSEUDO)


def report_text(env: dict, student: str, fmt: str, folder) -> str:
    """``lineage report STUDENT --format FMT --out FILE`` through click's CliRunner (exit 0
    asserted); the file's text, HTML entities decoded for ``html``."""
    import html

    from click.testing import CliRunner

    from lineage.cli import main

    out = folder / f"report.{fmt}"
    r = CliRunner().invoke(main, ["report", student, "--format", fmt, "--out", str(out)], env=env)
    assert r.exit_code == 0, r.output
    text = out.read_text()
    return html.unescape(text) if fmt == "html" else text

