"""``lineage load`` and ``lineage schema``: getting data into the graph."""

from __future__ import annotations

import json
from pathlib import Path

import click

from lineage.commands.common import pseudonymizer
from lineage.errors import InputError, Problem



@click.command("load")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--dictionary", "dictionaries", multiple=True, type=click.Path(path_type=Path),
              help="A district metadata dictionary (CSV export of the spreadsheet).")
@click.option("--district", help="District actor id for --dictionary (e.g. cedar-valley-sd).")
@click.option("--district-name", help="District display name for --dictionary.")
@click.option("--mapping", "mappings", multiple=True, type=click.Path(path_type=Path),
              help="Column-to-element mapping file(s) extending the default (YAML or CSV).")
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=None,
              help="Rows per UNWIND batch (default LINEAGE_BATCH_SIZE or 20000).")
@click.option("--writers", type=click.IntRange(1, 16), default=None,
              help="Concurrent writer sessions for bulk rows (default LINEAGE_WRITERS or 2; "
                   "1 = one session in file order).")
@click.option("--check-only", is_flag=True, help="Validate everything; write nothing.")
@click.option("--progress/--no-progress", default=True, help="Progress bar for bulk files.")
@click.pass_context
def load(ctx, paths, dictionaries, district, district_name, mappings, batch_size, writers,
         check_only, progress):
    """Validate and load inventory files (YAML/JSON with bulk CSVs) and metadata dictionaries.

    Everything is validated before anything is written; every problem is listed with its file,
    row and field (exit 2, graph unchanged). Loading the same files twice changes nothing.
    """
    from lineage.dictionary import COVERAGE_NOTE, import_dictionary
    from lineage.ingest import load as do_load
    from lineage.ingest import read_sources
    from lineage.inventory import InventorySource, validate

    app = ctx.find_root().obj
    if not paths and not dictionaries:
        raise InputError([Problem("(command line)", None, None,
                                  "nothing to load: give inventory files or --dictionary FILE")])
    pseudo = pseudonymizer(ctx)
    sources = read_sources(list(paths))
    notes = []
    if dictionaries:
        if not district:
            raise InputError([Problem("(command line)", None, "--district",
                                      "--dictionary needs --district ID (the district actor id)")])
        problems = []
        for d in dictionaries:
            try:
                imp = import_dictionary(d, district, district_name=district_name,
                                        mapping_files=list(mappings))
            except InputError as exc:
                problems.extend(exc.problems)
                continue
            src = InventorySource(imp.inventory, str(d), d.parent, warnings=list(imp.warnings))
            sources.append(src)
            notes.append(f"{d}: {len(imp.recipients)} recipients, "
                         f"{len(imp.inventory.flows)} flows, {len(imp.columns)} element columns "
                         "mapped")
            notes.append(COVERAGE_NOTE)
        if problems:
            raise InputError(problems)
    for src in sources:
        for w in src.warnings:
            click.echo(f"warning: {w}")
    with app.store() as store:
        if check_only:
            from lineage.ingest import existing_lookup

            validate(sources, existing_lookup(store))
            click.echo("valid: nothing written (--check-only)")
            return
        summary = do_load(store, sources, pseudo,
                          batch_size=batch_size or app.lineage.batch_size, progress=progress,
                          writers=writers or app.lineage.writers)
    printed = {str(w) for src in sources for w in src.warnings}
    for w in summary.warnings:  # found once loaded (e.g. small cells naming unheld elements)
        if w not in printed:
            click.echo(f"warning: {w}")
    for n in notes:
        click.echo(n)
    items = ", ".join(f"{v} {k}" for k, v in summary.items.items() if v)
    click.echo(f"loaded: {items}")
    click.echo(f"graph changes: {summary.nodes_created} nodes created, "
               f"{summary.relationships_created} relationships created, "
               f"{summary.properties_set} properties set")


@click.command("schema")
def schema():
    """Print the JSON Schema of the inventory file format (for editors)."""
    from lineage.models import Inventory

    click.echo(json.dumps(Inventory.model_json_schema(), indent=2))


COMMANDS = [load, schema]
