"""``lineage inventory``: the public data inventory (Illinois SOPPA / Oklahoma / Utah style)."""

from __future__ import annotations

from pathlib import Path

import click

from lineage.commands.report import write_output

INVENTORY_FORMATS = ("md", "html", "csv", "json")


@click.command("inventory")
@click.option("--format", "fmt", type=click.Choice(list(INVENTORY_FORMATS)), default="md",
              show_default=True, help="md, html, csv (one row per recipient) or json.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (default: standard output).")
def inventory(fmt, out):
    """The public data inventory: every element collected (NDPA category, purpose) and every
    recipient with its elements, purposes, legal bases (with citations), agreements and their
    dates; aggregate recipients listed separately. No student-level content.

    CSV has one row per recipient; its 'section' column is recipient, aggregate or
    case_by_case (transfers and emergencies about individual students, shown without dates or
    reasons).
    """
    from lineage.questions import reports
    from lineage.render.tables import render_json

    ctx = click.get_current_context()
    with ctx.find_root().obj.store() as store:
        data = reports.data_inventory(store)
    if fmt == "json":
        write_output(render_json(data), out)
    elif fmt == "csv":
        write_output(reports.inventory_csv(data), out)
    elif fmt == "md":
        write_output(reports.inventory_markdown(data), out)
    else:
        write_output(reports.inventory_html(data), out)


COMMANDS = [inventory]
