"""Shared test helpers: loading the seeds into the real graph (no mocks)."""

from __future__ import annotations

from pathlib import Path

from lineage.ingest import load, read_sources
from lineage.pseudonym import Pseudonymizer

ROOT = Path(__file__).resolve().parent.parent
RIVERSIDE = ROOT / "seeds" / "riverside"
TEST_KEY = "test-key-not-secret"
PSEUDO = Pseudonymizer(TEST_KEY)


def load_riverside(store, *, violations: bool = False) -> None:
    """Empty the graph and load the Riverside seed (and V1-V4 when ``violations``)."""
    store.reset()
    paths = [RIVERSIDE / "inventory.yaml"]
    if violations:
        paths.append(RIVERSIDE / "violations.yaml")
    load(store, read_sources(paths), PSEUDO)
