"""The library's layers (docs/architecture.md): each folder of ``lineage/`` imports only from
its own folder and the folders below it. Parses every module's imports (``ast``), including
imports inside functions and under ``TYPE_CHECKING``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "lineage"

#: bottom to top; a module may import its own layer and any layer before it in this list
LAYERS = ["core", "rules", "sources", "graph", "questions", "render", "web", "commands", "cli"]
#: a folder with only data (no imports of lineage)
DATA = {"resources"}


def layer_of(module: str) -> str | None:
    """``lineage.graph.store`` -> ``graph``; ``lineage.cli`` -> ``cli``; ``lineage`` -> None."""
    parts = module.split(".")
    if parts[0] != "lineage" or len(parts) == 1:
        return None
    return parts[1]


def imported_modules(path: Path, module: str) -> list[tuple[int, str]]:
    """Every ``lineage`` module ``path`` imports, with its line; relative imports resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((node.lineno, a.name) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            if base == "lineage":  # from lineage import core -> lineage.core
                out.extend((node.lineno, f"lineage.{a.name}") for a in node.names)
            else:
                out.append((node.lineno, base))
    return [(n, m) for n, m in out if m == "lineage" or m.startswith("lineage.")]


def violations(root: Path = PACKAGE) -> list[str]:
    """``file:line imports module (layer a may not import layer b)`` for each upward import."""
    bad = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent).with_suffix("")
        module = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        own = layer_of(module)
        if own is None:  # lineage/__init__.py: the package docstring and version only
            allowed: set[str] = set()
        elif own in DATA:
            allowed = set()
        else:
            assert own in LAYERS, f"{module}: folder {own!r} is in no layer; add it to LAYERS"
            allowed = set(LAYERS[: LAYERS.index(own) + 1])
        for line, target in imported_modules(path, module):
            other = layer_of(target)
            if other is None or other not in allowed:
                bad.append(f"{rel}.py:{line} imports {target} "
                           f"(layer {own} may not import layer {other})")
    return bad


def test_every_import_points_down_the_layers():
    assert violations() == []


def test_an_upward_import_is_caught(tmp_path):
    """The check itself can fail: a rules module importing the graph is reported."""
    pkg = tmp_path / "lineage"
    (pkg / "rules").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "rules" / "__init__.py").write_text("")
    (pkg / "rules" / "bad.py").write_text(
        "from lineage.core.windows import to_date\n"
        "def f():\n    from lineage.graph.store import Store\n")
    assert violations(pkg) == [
        "lineage/rules/bad.py:3 imports lineage.graph.store (layer rules may not import layer graph)"]


@pytest.mark.parametrize("layer", LAYERS[:-1])
def test_each_layer_is_a_folder(layer):
    assert (PACKAGE / layer / "__init__.py").is_file()
