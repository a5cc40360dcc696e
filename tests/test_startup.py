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

import click
import pytest

REPO = Path(__file__).resolve().parents[1]

#: modules that no command needs just to be listed (each costs tens of milliseconds)
HEAVY = ("neo4j", "fastapi", "uvicorn", "starlette", "lineage.sources.synth",
         "lineage.sources.inventory", "lineage.core.models", "pydantic_settings", "numpy",
         "lineage.graph.store", "lineage.web", "jinja2", "yaml", "rich", "pydantic")


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


def _run(code: str) -> subprocess.CompletedProcess:
    """``code`` in a new interpreter started in the repository; standard output as text."""
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=120, check=True)


#: Runs ``lineage ARGS`` in the probe process (``ARGS`` and the terminal width are filled in);
#: prints the output, then the command modules loaded, as JSON on the last line.
_HELP_PROBE = """
import json, os, sys
os.environ["COLUMNS"] = "{width}"
from click.testing import CliRunner
from lineage.cli import main
first = CliRunner().invoke(main, {args!r}, prog_name="lineage")
loaded = sorted(m for m in sys.modules if m.startswith("lineage.commands."))
print(json.dumps([first.exit_code, first.output, loaded]))
"""


@pytest.mark.parametrize("width", [50, 80, 200])
def test_help_lists_every_command_as_click_would_without_importing_them(width):
    """``lineage --help`` from the table (no command module imported) is exactly click's own
    help once every command is imported (the short help shortened for the width alike)."""
    code, lazy, loaded = json.loads(_run(_HELP_PROBE.format(width=width, args=["--help"]))
                                    .stdout.splitlines()[-1])
    assert code == 0 and loaded == []
    from click.testing import CliRunner

    from lineage.cli import main
    from lineage.commands import COMMANDS

    group = click.Group(name=main.name, params=main.params, help=main.help, epilog=main.epilog,
                        context_settings=main.context_settings,
                        commands={n: main.get_command(click.Context(main), n) for n in COMMANDS})
    eager = CliRunner().invoke(group, ["--help"], prog_name="lineage", env={"COLUMNS": str(width)})
    assert eager.exit_code == 0
    assert lazy == eager.output
    assert len([line for line in lazy.splitlines() if line.startswith("  ")]) >= len(COMMANDS)


def test_command_table_matches_the_commands():
    """:data:`lineage.commands.COMMANDS` names every command of every module once, in its own
    module, with the short help click makes of it at every width."""
    from click.utils import make_default_short_help

    from lineage.commands import COMMANDS, module_commands

    real = {}
    for module in dict.fromkeys(m for m, _ in COMMANDS.values()):
        for cmd in module_commands(module):
            assert cmd.name not in real
            real[cmd.name] = (module, cmd)
    assert set(real) == set(COMMANDS)
    for name, (module, short) in COMMANDS.items():
        cmd = real[name][1]
        assert real[name][0] == module and not cmd.hidden
        assert short == cmd.get_short_help_str(10**6)
        for limit in range(10, 200):
            assert make_default_short_help(short, limit) == cmd.get_short_help_str(limit), limit


def test_a_command_imports_only_its_own_module():
    code, out, loaded = json.loads(_run(_HELP_PROBE.format(width=80, args=["exposure", "--help"]))
                                   .stdout.splitlines()[-1])
    assert code == 0 and "lineage exposure RSD-1001" in out
    assert loaded == ["lineage.commands.common", "lineage.commands.exposure"]


def test_an_unknown_command_suggests_among_every_command():
    """"Did you mean" considers commands whose module is not imported yet."""
    code, out, loaded = json.loads(_run(_HELP_PROBE.format(width=80, args=["exposur"]))
                                   .stdout.splitlines()[-1])
    assert code == 2 and loaded == []
    assert out.splitlines()[-1] == ("Error: No such command 'exposur'. "
                                    "(Did you mean one of: 'exposure', 'report'?)")
