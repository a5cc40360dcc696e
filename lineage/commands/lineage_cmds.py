"""``lineage upstream``, ``lineage downstream`` and ``lineage impact``."""

from __future__ import annotations

import csv
import json
import sys

import click

from lineage.commands.common import ID, ISO_DATE, check_key_if_set, check_window
from lineage.errors import UsageError
from lineage.lookups import impact_detail, os_user, record_lookup
from lineage.output import cell, format_option, render_rows

NEIGHBOUR_COLUMNS = ["depth", "id", "granularity", "holder", "holder_role", "via"]
IMPACT_COLUMNS = ["student", "elements", "first_date", "last_date", "datasets"]


def _rows(data: dict) -> list[dict]:
    out = []
    for d in data["datasets"]:
        via = [f"{f['flow']} ({f['source'] or 'collection'}"
               + (f", {f['legal_basis']}" if f.get("legal_basis") else "") + ")"
               for f in d["inflows"]]
        out.append({**d, "via": via})
    return out


def _neighbour_command(direction: str):
    @click.command(direction)
    @click.argument("dataset", type=ID)
    @click.option("--depth", type=click.IntRange(0, 20), default=None,
                  help="Follow at most this many flows.")
    @format_option()
    @click.pass_context
    def cmd(ctx, dataset, depth, fmt):
        from lineage import answers

        with ctx.find_root().obj.store() as store:
            data = answers.neighbourhood(store, dataset, direction, depth)
        click.echo(render_rows(_rows(data), NEIGHBOUR_COLUMNS, fmt, json_data=data,
                               title=f"{direction.capitalize()} of {dataset}"), nl=False)

    cmd.help = (f"Datasets {direction} of DATASET through flows, with their distance, holder "
                "and the flows between them.")
    return cmd


upstream = _neighbour_command("upstream")
downstream = _neighbour_command("downstream")


@click.command("impact")
@click.option("--actor", type=ID, help="The breached actor (e.g. a vendor).")
@click.option("--dataset", type=ID, help="The breached dataset.")
@click.option("--since", type=ISO_DATE, help="First day of the breach window (inclusive).")
@click.option("--until", type=ISO_DATE, help="Last day of the breach window (inclusive).")
@format_option()
@click.pass_context
def impact(ctx, actor, dataset, since, until, fmt):
    """Every student whose identifiable data the actor or dataset held in the window, with the
    elements: the breach-notification list (streamed), ending with counts.

    Students are listed by pseudonym; the district maps them back with its own key.
    """
    from lineage import answers

    if (actor is None) == (dataset is None):
        raise UsageError("give exactly one of --actor ID or --dataset ID")
    check_window(since, until)
    out = sys.stdout
    n = 0
    per_element: dict[str, int] = {}
    with ctx.find_root().obj.store() as store:
        check_key_if_set(ctx, store)
        rows = answers.impact(store, actor=actor, dataset=dataset, since=since, until=until)
        if fmt == "json":
            target = {"actor": actor, "dataset": dataset, "since": since, "until": until}
            out.write('{"target": ' + json.dumps(target, default=cell) + ', "students": [')
        elif fmt == "csv":
            out.write(",".join(IMPACT_COLUMNS) + "\n")
        for r in rows:
            n += 1
            for e in r["elements"]:
                per_element[e] = per_element.get(e, 0) + 1
            if fmt == "json":
                out.write(("," if n > 1 else "") + "\n  " + json.dumps(r, default=cell))
            elif fmt == "csv":
                csv.writer(out, lineterminator="\n").writerow([cell(r.get(c)) for c in IMPACT_COLUMNS])
            else:
                out.write(f"{r['student']}  {r['first_date'] or '…'}..{r['last_date'] or '…'}  "
                          f"{'; '.join(r['elements'])}\n")
        record_lookup(store, os_user(), "impact", None,
                      impact_detail(actor, dataset, since, until, fmt))
    counts = {"students": n, "elements": dict(sorted(per_element.items()))}
    if fmt == "json":
        out.write("\n], \"counts\": " + json.dumps(counts) + "}\n")
    elif fmt == "table":
        target = f"actor {actor}" if actor else f"dataset {dataset}"
        window = f"{since or 'ever'} .. {until or 'now'}"
        out.write(f"\n{n} students affected by a breach of {target} ({window})\n")
        for e, c in counts["elements"].items():
            out.write(f"  {c:>8}  {e}\n")


COMMANDS = [upstream, downstream, impact]
