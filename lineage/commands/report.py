"""``lineage report``: the answer to a parent's inquiry, ready to send (:mod:`lineage.questions.reports`, :mod:`lineage.render.documents`)."""

from __future__ import annotations

import click

from lineage.commands.common import (
    ISO_DATE,
    STUDENT_ID,
    examples,
    out_option,
    pseudonymizer,
    warn_if_incomplete,
    write_output,
)
from lineage.questions.lookups import for_report, os_user, record_lookup
from lineage.render.tables import REPORT_FORMATS, format_option


@click.command("report", epilog=examples(
    "lineage report RSD-1001 --format md",
    "lineage report RSD-1001 --format pdf --out rsd-1001.pdf --received 2026-11-20"))
@click.argument("student_id", type=STUDENT_ID)
@format_option(REPORT_FORMATS, default="md", help="md, html, pdf (needs WeasyPrint) or json.")
@out_option()
@click.option("--as-of", type=ISO_DATE, help="Answer as the graph stood on this date.")
@click.option("--received", type=ISO_DATE,
              help="Date the inquiry was received (default today): the 45-day deadline of "
                   "FERPA §99.10(b) counts from it.")
@click.option("--include-lookups", is_flag=True,
              help="Add who in the district looked at the records, and when (the look-up "
                   "records of the web workspace, the API and the CLI).")
@click.pass_context
def report(ctx, student_id, fmt, out, as_of, received, include_lookups):
    """The answer to a parent's inquiry about STUDENT_ID (the district's ID; it is hashed).

    Plain language, ready to send: the record of disclosures (FERPA §99.32) with dates,
    elements, legal bases and citations, purposes, emergencies with their threat and
    redisclosures; the school officials, service providers and parents who hold or can read
    the records; who received only de-identified or aggregate data; the agreements behind each;
    the report date, the as-of date and the 45-day inspection deadline (FERPA §99.10(b)).
    HTML and PDF include a picture of the student's lineage. The student is shown only as the
    ID typed here.
    """
    from lineage.questions import reports
    from lineage.render import documents
    from lineage.render.tables import render_json

    pseudo = pseudonymizer(ctx)
    picture = note = None
    with ctx.find_root().obj.store() as store:
        unfinished = warn_if_incomplete(store)
        data = reports.student_report(store, pseudo, student_id, as_of=as_of,
                                      received_on=received)
        if include_lookups:
            data["lookups"] = for_report(store, pseudo(student_id))
        record_lookup(store, os_user(), "report", pseudo(student_id), f"format={fmt}")
        if fmt in ("html", "pdf"):
            picture, note = documents.student_picture(store, pseudo, data)
    if fmt == "json":
        write_output(render_json(data), out)
        return
    from lineage.questions.sources import incomplete_warning

    data["incomplete"] = incomplete_warning(unfinished, prefix="Note: ")
    if fmt == "md":
        write_output(documents.report_markdown(data), out)
    elif fmt == "html":
        write_output(documents.report_html(data, picture, note), out)
    else:
        write_output(documents.report_pdf(data, picture, note), out)


COMMANDS = [report]
