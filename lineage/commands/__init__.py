"""CLI commands, one module per group of commands; :data:`COMMANDS` is the one table of them.

:mod:`lineage.cli` imports a command's module only when that command runs (or its own
``--help`` is asked for): ``lineage --help`` lists every command from this table, with the
short help its module gives it, without importing any command module. ``tests/test_startup.py``
checks the table against the real commands (names, modules, short help, ``--help`` output).
"""

from __future__ import annotations

import importlib

import click

#: Every top-level command: name -> (its module in this package, its short help: the first
#: sentence of its docstring, as ``click.Command.get_short_help_str`` gives it unshortened).
COMMANDS: dict[str, tuple[str, str]] = {
    "db": ("db", "Run the local Neo4j 5.26 server, check the database, empty the graph."),
    "load": ("load", "Validate and load inventory files (YAML/JSON with bulk CSVs), metadata "
             "dictionaries, OneRoster and Ed-Fi rosters and OpenLineage events."),
    "schema": ("load", "Print the JSON Schema of the inventory file format (for editors)."),
    "demo": ("demo", "Start (or reuse) the local Neo4j, load the synthetic Riverside district, "
             "and print who could have touched one student's information: the actors per "
             "class, then the three groups of the parent report (identifiable, de-identified "
             "only, aggregate only) and the commands to try next."),
    "exposure": ("exposure", "Who could ever have touched STUDENT_ID's information (the "
                 "district's ID; it is hashed)."),
    "path": ("exposure", "The chains of datasets, flows and grants that explain how ACTOR_ID "
             "got the data."),
    "upstream": ("datasets", "Datasets upstream of DATASET through flows, with their distance, "
                 "holder and the flows between them."),
    "downstream": ("datasets", "Datasets downstream of DATASET through flows, with their "
                   "distance, holder and the flows between them."),
    "impact": ("datasets", "Every student whose identifiable data the actor or dataset held in "
               "the window, with the elements: the breach-notification list (streamed), ending "
               "with counts."),
    "report": ("report", "The answer to a parent's inquiry about STUDENT_ID (the district's ID; "
               "it is hashed)."),
    "check": ("check", "Audit the whole graph against the privacy rules; one line per finding."),
    "inventory": ("inventory", "The public data inventory: every element collected (NDPA "
                  "category, purpose) and every recipient with its elements, purposes, legal "
                  "bases (with citations), agreements and their dates; aggregate recipients "
                  "listed separately."),
    "graph": ("visual", "Draw STUDENT_ID's lineage: student -> datasets -> flows -> actors, "
              "offline (Graphviz)."),
    "browse": ("visual", "A Neo4j Browser link showing STUDENT_ID's lineage subgraph (the ID is "
               "hashed)."),
    "synth": ("synth", "Generate a synthetic state in the project's own input formats."),
    "serve": ("serve", "Serve the web workspace and the JSON API (default "
              "http://127.0.0.1:8080)."),
    "users": ("web_admin", "Workspace users: officer (everything), analyst (lineage, impact, "
              "audit, inventory, sources; no parent reports) and viewer (inventory and "
              "sources)."),
    "keys": ("web_admin", "API keys for programs (Authorization: Bearer KEY): roles officer, "
             "analyst, viewer, or ingest (only POST /api/v1/lineage, for pipelines sending "
             "OpenLineage events)."),
    "lookups": ("web_admin", "Who looked up which student's answers, when, from where (web, "
                "API, CLI), newest first."),
    "completion": ("completion", "Print the completion script for SHELL (commands, options, "
                   "choices)."),
    "sources": ("sources", "Every source loaded into the graph: its kind, its last load "
                "(started, finished, the snapshot date), the rows it wrote per kind, and "
                "whether it finished (UNFINISHED: the load was interrupted or is running; every "
                "answer warns until the source is loaded again)."),
    "forget": ("sources", "Remove what only SOURCE asserted (a file loaded by mistake): "
               "relationships only it asserted, then nodes left with no source and no "
               "relationship."),
}


def module_commands(module: str) -> list[click.Command]:
    """The command objects a module of this package exports (its ``COMMANDS`` list); importing
    it is what a command's first use costs."""
    return list(importlib.import_module(f"lineage.commands.{module}").COMMANDS)

