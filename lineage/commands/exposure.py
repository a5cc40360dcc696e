"""``lineage exposure`` and ``lineage path``: one student's lineage."""

from __future__ import annotations

import click

from lineage.commands.common import (
    ID,
    ISO_DATE,
    STUDENT_ID,
    examples,
    pseudonymizer,
    warn_if_incomplete,
)
from lineage.render import tables
from lineage.render.answers import RECORD_COLUMNS
from lineage.render.tables import format_option, render_json, render_rows, render_table

EXPOSURE_COLUMNS = ["actor_id", "role", "access", "elements", "first_date", "last_date",
                    "legal_bases", "agreements", "datasets", "accessed", "could"]
#: Added (after the others) only when some actor is reached through a population the district
#: describes in words (a metadata dictionary): Riverside-like answers keep their exact columns.
POPULATION_COLUMNS = ["population", "coverage_note"]


def wide_option():
    """The ``--wide`` option: every element in a terminal table (default: a count and the
    first few; files and pipes always get them all)."""
    return click.option("--wide", is_flag=True,
                        help="List every data element (in a terminal the table shows a count "
                             "and the first few; files and pipes get them all).")


def _wide(wide: bool) -> bool:
    """Show every element: asked for, or the output is a file or a pipe (full text)."""
    return wide or tables.output_width() is None


@click.command("exposure", epilog=examples(
    "lineage exposure RSD-1001",
    "lineage exposure RSD-1001 --as-of 2024-06-01 --wide",
    "lineage exposure RSD-1001 --element \"Date of Birth\" --format csv",
    "lineage exposure RSD-1001 --view record"))
@click.argument("student_id", type=STUDENT_ID)
@click.option("--as-of", type=ISO_DATE, help="Answer as the graph stood on this date.")
@click.option("--element", help="Only actors that touched this data element.")
@click.option("--view", type=click.Choice(["actors", "record"]), default="actors",
              show_default=True,
              help="actors: everyone who could have touched the data; record: the FERPA "
                   "§99.32 record of disclosures.")
@wide_option()
@format_option()
@click.pass_context
def exposure(ctx, student_id, as_of, element, view, wide, fmt):
    """Who could ever have touched STUDENT_ID's information (the district's ID; it is hashed).

    Each actor is classed identifiable, deidentified or aggregate, with the elements, the first
    and last dates, legal bases, agreements, the datasets it came through, and whether an access
    log shows it happened. The table starts with the count of actors per class (naming
    STUDENT_ID on a terminal, "This student" in a file or a pipe).
    """
    from lineage.questions import student as answers
    from lineage.questions.lookups import os_user, record_lookup
    from lineage.questions.sources import incomplete_warning, unfinished_sources
    from lineage.render.answers import exposure_summary, readable_rows

    pseudo = pseudonymizer(ctx)
    with ctx.find_root().obj.store() as store:
        summary_table = view == "actors" and fmt == "table"
        # the table's first lines say the graph may be incomplete; other outputs: stderr
        unfinished = unfinished_sources(store) if summary_table else warn_if_incomplete(store)
        if view == "record":
            data = answers.record_of_disclosures(store, pseudo, student_id, as_of=as_of)
            record_lookup(store, os_user(), "record", data["student"])
            rows = data["disclosures"]
            title = "Record of disclosures (FERPA §99.32)" + (f" as of {as_of}" if as_of else "")
            click.echo(render_rows(rows, RECORD_COLUMNS, fmt, json_data=data, title=title,
                                   caption="Exempt (§99.32(d)): parents, school officials, "
                                   "consent, directory information",
                                   table_rows=readable_rows(rows, _wide(wide))), nl=False)
            return
        data = answers.exposure(store, pseudo, student_id, as_of=as_of, element=element)
        record_lookup(store, os_user(), "exposure", data["student"])
    title = "Who could have touched this student's information" + (
        f" (as of {as_of})" if as_of else " (ever)")
    if fmt == "table":
        # the ID typed is shown on the screen it was typed on; what is saved (a file, a pipe)
        # never holds a raw student ID. warnings: the graph may be incomplete (a source's
        # last load did not finish)
        who = student_id if tables.output_width() is not None else "This student"
        warning = incomplete_warning(unfinished, prefix="")
        click.echo(exposure_summary(data, who, warnings=[warning] if warning else (),
                                    colors=tables.output_colors()))
    described = any("coverage_note" in a for a in data["actors"])
    columns = EXPOSURE_COLUMNS + (POPULATION_COLUMNS if described and fmt == "csv" else
                                  ["population"] if described else [])
    if any("small_cell_note" in a for a in data["actors"]):
        # an aggregate-only recipient of unnamed cells below the minimum: it may identify
        columns = columns + ["small_cell_note"]
    caption = ("could have: a population given only in words (no roster): every student of "
               "the district is counted for it (see --format json/csv: coverage_note)"
               if described and fmt == "table" else None)
    click.echo(render_rows(data["actors"], columns, fmt, json_data=data, title=title,
                           caption=caption,
                           table_rows=readable_rows(data["actors"], _wide(wide))), nl=False)


@click.command("path", epilog=examples(
    "lineage path RSD-1001 univ-reading-lab",
    "lineage path RSD-1001 routeco --wide --format csv"))
@click.argument("student_id", type=STUDENT_ID)
@click.argument("actor_id", type=ID)
@click.option("--as-of", type=ISO_DATE, help="Answer as the graph stood on this date.")
@wide_option()
@format_option()
@click.pass_context
def path(ctx, student_id, actor_id, as_of, wide, fmt):
    """The chains of datasets, flows and grants that explain how ACTOR_ID got the data."""
    from lineage.questions import student as answers
    from lineage.questions.lookups import os_user, record_lookup
    from lineage.render.answers import readable_rows

    pseudo = pseudonymizer(ctx)
    with ctx.find_root().obj.store() as store:
        warn_if_incomplete(store)
        data = answers.explain_path(store, pseudo, student_id, actor_id, as_of=as_of)
        record_lookup(store, os_user(), "path", data["student"], f"actor={actor_id}")
    if fmt == "json":
        click.echo(render_json(data), nl=False)
        return
    rows = []
    for i, chain in enumerate(data["chains"], 1):
        for j, step in enumerate(chain, 1):
            rows.append({"chain": i, "step": j, **step})
    cols = ["chain", "step", "kind", "via", "from", "to", "elements", "legal_basis", "agreement",
            "first_date", "last_date", "access"]
    if fmt == "csv":
        click.echo(render_rows(rows, cols, "csv"), nl=False)
        return
    click.echo(render_table(readable_rows(rows, _wide(wide)), cols,
                            title=f"How {actor_id} got this student's data ({data['access']})"),
               nl=False)


COMMANDS = [exposure, path]
