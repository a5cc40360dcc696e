"""``lineage sources`` and ``lineage forget``: which systems the graph was loaded from."""

from __future__ import annotations

import click

from lineage.commands.common import examples
from lineage.core.errors import UsageError
from lineage.render.tables import format_option, render_rows


@click.command("sources", epilog=examples(
    "lineage sources",
    "lineage sources --format json"))
@format_option()
@click.pass_context
def sources(ctx, fmt):
    """Every source loaded into the graph: its kind, its last load (started, finished, the
    snapshot date), the rows it wrote per kind, and whether it finished (UNFINISHED: the load
    was interrupted or is running; every answer warns until the source is loaded again)."""
    from lineage.questions.sources import SOURCE_COLUMNS, list_sources

    with ctx.find_root().obj.store() as store:
        data = list_sources(store)
    rows = [{**r, "rows": ", ".join(f"{v} {k}" for k, v in r["rows"].items())} for r in data]
    click.echo(render_rows(rows, SOURCE_COLUMNS, fmt, json_data=data,
                           title="Sources and their last loads"), nl=False)


@click.command("forget", epilog=examples(
    "lineage forget roster-fix-2026-11",
    "lineage forget roster-fix-2026-11 --yes"))
@click.argument("source")
@click.option("--yes", is_flag=True, help="Really remove what only SOURCE asserted.")
@click.pass_context
def forget(ctx, source, yes):
    """Remove what only SOURCE asserted (a file loaded by mistake): relationships only it
    asserted, then nodes left with no source and no relationship. Anything another source
    also asserts stays (SOURCE leaves its list). Without --yes, says what would be removed
    and removes nothing (exit 2)."""
    from lineage.graph.provenance import forget as do_forget
    from lineage.graph.provenance import forget_counts
    from lineage.questions.sources import known_source_names

    with ctx.find_root().obj.store() as store:
        known = known_source_names(store)
        if source not in known:
            raise UsageError(f"unknown source {source!r}; the graph knows: "
                             f"{', '.join(known) if known else '(no sources)'}",
                             hint="'lineage sources' lists them")
        plan = forget_counts(store, source)
        what = (f"{plan['relationships']} relationships and {plan['nodes']} nodes only "
                f"{source} asserts; {plan['shared_relationships']} relationships and "
                f"{plan['shared_nodes']} nodes another source also asserts stay")
        others = plan.get("also_defined_by") or []
        n = plan.get("shared_definitions") or 0
        kept = (f"{n} definition{'' if n == 1 else 's'} (actors, datasets, flows...) that "
                f"{', '.join(others)} also {'asserts' if len(others) == 1 else 'assert'} "
                f"{'keeps' if n == 1 else 'keep'} "
                f"the values of the last load that wrote them, and lose the links only "
                f"{source} gave them: if {source} changed them (load --update), load "
                f"{', '.join(others)} again with --update to restore them" if n else "")
        if not yes:
            raise UsageError(f"'forget {source}' would remove {what}"
                             + (f"; {kept}" if kept else "") + "; nothing was removed",
                             hint=f"run 'lineage forget {source} --yes' to confirm")
        done = do_forget(store, source)
    click.echo(f"forgot {source}: removed {done['relationships']} relationships and "
               f"{done['nodes']} nodes; {plan['shared_relationships']} relationships and "
               f"{plan['shared_nodes']} nodes another source also asserts stay")
    if kept:
        click.echo(kept)


COMMANDS = [sources, forget]
