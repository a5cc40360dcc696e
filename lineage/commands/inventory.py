"""``lineage inventory``: the public data inventory (Illinois SOPPA / Oklahoma / Utah style)."""

from __future__ import annotations

import click

from lineage.commands.common import examples, out_option, warn_if_incomplete, write_output
from lineage.render.tables import INVENTORY_FORMATS, format_option


@click.command("inventory", epilog=examples(
    "lineage inventory --format html --out inventory.html",
    "lineage inventory --format csv"))
@format_option(INVENTORY_FORMATS, default="md", help="md, html, csv (one row per recipient) or json.")
@out_option()
def inventory(fmt, out):
    """The public data inventory: every element collected (NDPA category, purpose) and every
    recipient with its elements, purposes, legal bases (with citations), agreements and their
    dates; aggregate recipients listed separately. No student-level content.

    CSV has one row per recipient; its 'section' column is recipient, aggregate or
    case_by_case (transfers and emergencies about individual students, shown without dates or
    reasons).
    """
    from lineage.questions import reports
    from lineage.render import documents
    from lineage.render.tables import render_json

    ctx = click.get_current_context()
    with ctx.find_root().obj.store() as store:
        unfinished = warn_if_incomplete(store)
        data = reports.data_inventory(store)
    if fmt in ("md", "html"):
        from lineage.questions.sources import incomplete_warning

        data["incomplete"] = incomplete_warning(unfinished, prefix="Note: ")
    if fmt == "json":
        write_output(render_json(data), out)
    elif fmt == "csv":
        write_output(documents.inventory_csv(data), out)
    elif fmt == "md":
        write_output(documents.inventory_markdown(data), out)
    else:
        write_output(documents.inventory_html(data), out)


COMMANDS = [inventory]
