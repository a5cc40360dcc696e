"""Load Cypher statements from ``cypher/*.cypher`` by name.

Each file starts with a header comment (``//`` lines: purpose, parameters, returns) and holds
one statement, or several separated by ``;`` on their own line end (schema files). Values are
always parameters; no Cypher is built by string templates.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from lineage.core.errors import LineageError
from lineage.core.resources import cypher_dir


@lru_cache(maxsize=None)
def statements(name: str) -> tuple[str, ...]:
    """The statements of ``cypher/<name>.cypher`` (``name`` may contain ``/``), comments kept.

    Raises :class:`LineageError` if the file does not exist.
    """
    path = cypher_dir() / f"{name}.cypher"
    if not path.is_file():
        raise LineageError(f"internal: no Cypher file {name}.cypher")
    text = path.read_text(encoding="utf-8")
    parts = [p.strip() for p in text.split(";\n")]
    out = []
    for p in parts:
        body = "\n".join(line for line in p.splitlines() if not line.strip().startswith("//")).strip()
        if body:
            out.append(p.rstrip(";").strip())
    return tuple(out)


def query(name: str) -> str:
    """The single statement of ``cypher/<name>.cypher``. Raises if the file holds several."""
    st = statements(name)
    if len(st) != 1:
        raise LineageError(f"internal: {name}.cypher holds {len(st)} statements, expected 1")
    return st[0]


def all_files() -> list[Path]:
    """Every ``.cypher`` file shipped (used by the EXPLAIN test)."""
    return sorted(cypher_dir().rglob("*.cypher"))
