"""Locate the files shipped with the package: ``cypher/`` and ``seeds/``.

In a source checkout (and an editable install) they are the repository's top-level folders;
in a wheel they are installed as the packages ``lineage.resources.cypher`` and
``lineage.resources.seeds``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

_REPO = Path(__file__).resolve().parent.parent.parent


def _locate(name: str) -> Path:
    local = _REPO / name
    if local.is_dir() and (local / "__init__.py").exists():
        return local
    try:
        return Path(str(resources.files(f"lineage.resources.{name}")))
    except ModuleNotFoundError:  # pragma: no cover - broken install
        return local


def cypher_dir() -> Path:
    """The folder of ``*.cypher`` files (schema, ingest, queries, browser)."""
    return _locate("cypher")


def seeds_dir() -> Path:
    """The folder of sample districts (``seeds/riverside`` ...)."""
    return _locate("seeds")
