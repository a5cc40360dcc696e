"""Start-up cost of the command line: ``import lineage.cli`` and ``lineage --help`` load only
what every command needs (click, the error hierarchy, the command modules' option
declarations); the driver, the web stack, the synthetic generator and the settings machinery
are imported by the commands that use them. Each check runs a fresh interpreter (a module
imported once stays in ``sys.modules``) and reads ``sys.modules`` there."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

#: modules that no command needs just to be listed (each costs tens of milliseconds)
HEAVY = ("neo4j", "fastapi", "uvicorn", "starlette", "lineage.sources.synth",
         "lineage.sources.inventory", "lineage.core.models", "pydantic_settings", "numpy",
         "lineage.graph.store", "lineage.web", "jinja2", "yaml")


def _loaded_after(code: str) -> list[str]:
    """The :data:`HEAVY` modules in ``sys.modules`` after running ``code`` in a new process
    started in the repository (so that this worktree's ``lineage`` is the one imported)."""
    probe = (f"{code}\nimport json, sys\n"
             f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True,
                         text=True, timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_cli_loads_no_heavy_module():
    assert _loaded_after("import lineage.cli") == []


@pytest.mark.parametrize("args", [["--help"], ["exposure", "--help"], ["db", "--help"],
                                  ["synth", "--help"], ["serve", "--help"]])
def test_help_loads_no_heavy_module(args):
    code = ("from lineage.cli import main\n"
            f"try:\n    main({args!r}, prog_name='lineage')\n"
            "except SystemExit as exc:\n    assert exc.code == 0, exc.code\n")
    assert _loaded_after(code) == []


def test_command_driver_without_array_libraries_which_stay_importable():
    """A command's process imports the driver without numpy/pandas/pyarrow (the CLI never sends
    or builds arrays); importing one of them afterwards still works."""
    code = ("from lineage.cli import _import_driver\n_import_driver()\nimport sys\n"
            "assert 'neo4j' in sys.modules\nloaded = 'numpy' in sys.modules\n"
            "try:\n    import numpy\nexcept ImportError:\n    pass\n"
            "print(loaded, sys.modules.get('numpy', 0) is not None)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                         timeout=120, check=True)
    assert out.stdout.split() == ["False", "True"]
