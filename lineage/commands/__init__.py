"""CLI commands, one module per group. ``ALL_COMMANDS()`` lists what :mod:`lineage.cli` registers.

A module that is not written yet (or fails to import because of a missing optional dependency)
is skipped, so the CLI keeps working.
"""

from __future__ import annotations

import importlib

import click

_MODULES = [
    "db", "load", "demo", "exposure", "datasets", "report", "check",
    "inventory", "visual", "synth", "serve", "web_admin", "completion", "sources",
]


def ALL_COMMANDS() -> list[click.Command]:  # noqa: N802
    """Every command object exported (as ``COMMANDS``) by the modules of this package."""
    out: list[click.Command] = []
    for name in _MODULES:
        try:
            mod = importlib.import_module(f"lineage.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"lineage.commands.{name}":
                continue
            raise
        out.extend(getattr(mod, "COMMANDS", []))
    return out
