"""``lineage load`` and ``lineage schema``: getting data into the graph."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from lineage.commands.common import ISO_DATE, examples, pseudonymizer
from lineage.core.errors import InputError, Problem, UsageError


@click.command("load", epilog=examples(
    "lineage load seeds/riverside/inventory.yaml",
    "lineage load --check-only my-district.yaml",
    "lineage load district.yaml --oneroster export.zip --district maple-sd"))
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--dictionary", "dictionaries", multiple=True, type=click.Path(path_type=Path),
              help="A district metadata dictionary (CSV export of the spreadsheet).")
@click.option("--oneroster", "onerosters", multiple=True, type=click.Path(path_type=Path),
              help="A OneRoster 1.1/1.2 CSV export (folder or .zip).")
@click.option("--edfi", "edfis", multiple=True, type=click.Path(path_type=Path),
              help="Ed-Fi DS 4/5 XML interchange or ODS/API JSON files (a file or a folder).")
@click.option("--openlineage", "openlineages", multiple=True, type=click.Path(path_type=Path),
              help="OpenLineage events (.json or .jsonl); needs --mapping.")
@click.option("--district", help="District actor id for --dictionary (e.g. cedar-valley-sd); "
              "for --oneroster/--edfi the id the export's one district gets (optional when the "
              "export names its district).")
@click.option("--district-name", help="District display name for --dictionary.")
@click.option("--mapping", "mappings", multiple=True, type=click.Path(path_type=Path),
              help="Column-to-element mapping file(s) extending the default (YAML or CSV).")
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=None,
              help="Rows per UNWIND batch (default LINEAGE_BATCH_SIZE or 20000).")
@click.option("--writers", type=click.IntRange(1, 16), default=None,
              help="Concurrent writer sessions for bulk rows (default LINEAGE_WRITERS or 2; "
                   "1 = one session in file order).")
@click.option("--source", "source_name", metavar="NAME",
              help="The source this load speaks for (e.g. sis); default: the file or folder "
                   "name without extension and trailing date. 'lineage sources' lists them.")
@click.option("--snapshot", type=ISO_DATE, metavar="YYYY-MM-DD",
              help="The export's date: the load is a full snapshot of its source; what the "
                   "source asserted before and no longer does ends at this date (nothing is "
                   "deleted).")
@click.option("--check-only", is_flag=True, help="Validate everything; write nothing.")
@click.option("--update", is_flag=True,
              help="Apply changes to what an earlier load defined (they are listed; without "
                   "--update such a load is refused and writes nothing).")
@click.option("--initial", is_flag=True,
              help="First load of an empty database on the local server: validated as usual, "
                   "then written by Neo4j's offline importer (the server is stopped and started "
                   "again; see docs/server.md).")
@click.option("--write-import-files", "import_dir", type=click.Path(path_type=Path),
              metavar="DIR", help="With --initial: write the importer's files into DIR (a new "
              "folder) and print the 'docker compose run' command that imports them.")
@click.option("--after-import", "after_dir", type=click.Path(path_type=Path), metavar="DIR",
              help="After importing the files of --write-import-files DIR: create the "
                   "constraints and indexes and record the key and the sources.")
@click.option("--progress/--no-progress", default=True, help="Progress bar for bulk files.")
@click.pass_context
def load(ctx, paths, dictionaries, onerosters, edfis, openlineages, district, district_name,
         mappings, batch_size, writers, source_name, snapshot, check_only, update, initial,
         import_dir, after_dir, progress):
    """Validate and load inventory files (YAML/JSON with bulk CSVs), metadata dictionaries,
    OneRoster and Ed-Fi rosters and OpenLineage events.

    Everything is validated before anything is written; every problem is listed with its file,
    row and field (exit 2, graph unchanged). Loading the same files twice changes nothing; a
    load that would change what an earlier load defined lists the changes and needs --update.
    The pseudonym key must be the one the graph was first loaded with. Every load names its
    source (--source); a load interrupted part-way is listed UNFINISHED by 'lineage sources'
    and every answer warns until the source is loaded again.
    """
    from lineage.graph.writer import load as do_load
    from lineage.graph.writer import prepare, read_sources
    from lineage.sources.dictionary import COVERAGE_NOTE, import_dictionary
    from lineage.sources.inventory import InventorySource

    app = ctx.find_root().obj
    if after_dir is not None:
        from lineage.graph.importer import after_import

        with app.store() as store:
            for w in after_import(store, pseudonymizer(ctx), after_dir):
                click.echo(f"warning: {w}")
        click.echo("after import: constraints and indexes created, key and sources recorded")
        return
    if import_dir is not None and not initial:
        raise UsageError("--write-import-files goes with --initial")
    if initial and (snapshot or update):
        raise UsageError("--initial is a first load: --snapshot and --update have nothing to "
                         "compare with; leave them out")
    if not paths and not dictionaries and not onerosters and not edfis and not openlineages:
        raise InputError([Problem("(command line)", None, None, "nothing to load: give inventory "
                                  "files, --dictionary, --oneroster, --edfi or --openlineage")])
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
            src = InventorySource(imp.inventory, str(d), d.parent, warnings=list(imp.warnings),
                                  kind="dictionary")
            sources.append(src)
            notes.append(f"{d}: {len(imp.recipients)} recipients, "
                         f"{len(imp.inventory.flows)} flows, {len(imp.columns)} element columns "
                         "mapped")
            notes.append(COVERAGE_NOTE)
        if problems:
            raise InputError(problems)
    if onerosters or edfis or openlineages:
        from lineage.sources import open_format_sources

        with progress_bar(progress) as report:    # converting an export takes minutes
            found, format_notes = ctx.with_resource(open_format_sources(
                onerosters, edfis, openlineages, district=district, mappings=mappings,
                progress=report))
        sources.extend(found)
        notes.extend(format_notes)
    if source_name is not None:
        from lineage.sources.provenance import check_source_name

        source_name = check_source_name(source_name)
        for src in sources:
            src.source = source_name
    if snapshot is not None:
        partial = [Problem(src.origin, None, "--snapshot", "a delta export is not a full "
                           "snapshot of its source: load it without --snapshot")
                   for src in sources if src.partial]
        if partial:
            raise InputError(partial)
    for src in sources:
        for w in src.warnings:
            click.echo(f"warning: {w}")
    if initial and not check_only:
        _initial(app, sources, pseudo, import_dir, progress, notes)
        return
    with app.store() as store:
        if check_only:
            catalog, changes = prepare(store, sources, pseudo, update=update)
            for w in catalog.warnings:
                click.echo(f"warning: {w}")
            for c in changes:
                click.echo(f"would update: {c}")
            click.echo("valid: nothing written (--check-only)")
            return
        with progress_bar(progress) as report:
            summary = do_load(store, sources, pseudo,
                              batch_size=batch_size or app.lineage.batch_size, progress=report,
                              writers=writers or app.lineage.writers, update=update,
                              snapshot=snapshot)
    shown = {str(w) for src in sources for w in src.warnings}
    for w in summary.warnings:
        if w not in shown:
            click.echo(f"warning: {w}")
    for c in summary.changes:
        click.echo(f"updated: {c}")
    for n in notes:
        click.echo(n)
    for name, closed in summary.closed.items():
        click.echo(f"snapshot {snapshot} of {name}: {closed['closed']} rows no longer in the "
                   f"export ended on {snapshot}; {closed['released']} still asserted by "
                   "another source")
    items = ", ".join(f"{v} {k}" for k, v in summary.items.items() if v)
    click.echo(f"loaded: {items}")
    closed = sum(c["closed"] for c in summary.closed.values())
    if not (summary.nodes_created or summary.relationships_created or summary.changes
            or closed or summary.relationships_deleted):
        # the same input again: MERGE ... SET rewrites properties with the values they had --
        # or a row already loaded (same start) comes with another end date, which is a change
        # this count cannot tell apart: never claim "no changes"
        click.echo(f"graph changes: nothing created, no definition changed; "
                   f"{summary.properties_set} properties written (the same values again, or "
                   "new end dates of rows already in the graph)")
    else:
        click.echo(f"graph changes: {summary.nodes_created} nodes created, "
                   f"{summary.relationships_created} relationships created, "
                   f"{summary.properties_set} properties set"
                   + (f", {summary.relationships_deleted} relationships removed"
                      if summary.relationships_deleted else "")
                   + (f", {closed} rows ended by the snapshot" if closed else ""))


def _initial(app, sources, pseudo, import_dir: Path | None, progress: bool,
             notes: list[str]) -> None:
    """``lineage load --initial``: through the offline importer (lineage.graph.importer)."""
    from lineage.graph import importer

    if import_dir is not None:
        with app.store() as store, progress_bar(progress) as report:
            conv, commands = importer.write_for_docker(store, sources, pseudo, import_dir,
                                                       progress=report)
        for w in conv.warnings:
            click.echo(f"warning: {w}")
        click.echo(f"wrote the importer's files into {import_dir} ({conv.files.node_rows} "
                   f"nodes, {conv.files.rel_rows} relationships; pseudonyms only, no student "
                   "ID). Import them into the Docker service (docker-compose.yml), in this "
                   "folder, with the environment you use for 'docker compose up':")
        for c in commands:
            click.echo(f"  {c}")
        return
    home = app.lineage.home
    with progress_bar(progress) as report:
        summary = importer.initial_load(app.store, home, app.neo4j.database, sources, pseudo,
                                        local=app.neo4j.is_local(app.lineage.bolt_port),
                                        progress=report)
    shown = {str(w) for src in sources for w in src.warnings}
    for w in summary.warnings:
        if w not in shown:
            click.echo(f"warning: {w}")
    for n in notes:
        click.echo(n)
    items = ", ".join(f"{v} {k}" for k, v in summary.items.items() if v)
    click.echo(f"loaded (offline importer): {items}")
    click.echo(f"graph: {summary.nodes} nodes, {summary.relationships} relationships imported"
               + (f" ({summary.duplicates} repeated rows merged)" if summary.duplicates else ""))
    for line in importer.rows_of(summary.phases):
        click.echo(f"  {line}")
    total = sum(p.seconds for p in summary.phases)
    click.echo(f"  {'total':<9} {total:8.2f} s  {summary.rows / total:,.0f} rows/s")
    for line in importer.aura_hint(Path(home), app.neo4j.database):
        click.echo(line)


@click.command("schema", epilog=examples("lineage schema > inventory.schema.json"))
def schema():
    """Print the JSON Schema of the inventory file format (for editors)."""
    from lineage.core.models import Inventory

    click.echo(json.dumps(Inventory.model_json_schema(), indent=2))


COMMANDS = [load, schema]


@contextmanager
def progress_bar(shown: bool) -> Iterator[Callable[[str, int, int | None], None] | None]:
    """A rich progress bar (on the terminal, gone when done) fed by the writer's or a
    format converter's progress callback ``(label, rows_done, rows_expected)``, an open-ended
    bar when ``rows_expected`` is ``None``; ``None`` when not ``shown`` or not on a terminal
    (a bare newline would otherwise reach the captured output)."""
    if not shown:
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), transient=True)
    if not bar.console.is_terminal:          # a pipe, a file, a test runner: nothing drawn
        yield None
        return
    tasks: dict[str, Any] = {}

    def report(label: str, done: int, total: int | None) -> None:
        if label not in tasks:
            tasks[label] = bar.add_task(label, total=total)
        bar.update(tasks[label], completed=done)

    with bar:
        yield report
