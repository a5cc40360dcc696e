"""``lineage upstream``, ``lineage downstream`` and ``lineage impact``."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from itertools import chain

import click
from rich.console import Console

from lineage.commands.common import (
    ID,
    ISO_DATE,
    OUT_PATH,
    check_key_if_set,
    check_window,
    examples,
    warn_if_incomplete,
)
from lineage.core.errors import LineageError, RenderError, UsageError
from lineage.questions.lookups import impact_detail, os_user, record_lookup
from lineage.render.answers import IMPACT_COLUMNS
from lineage.render.tables import (
    atomic_file,
    cell,
    csv_cell,
    csv_row,
    csv_writer,
    format_option,
    incomplete_line,
    render_rows,
)

NEIGHBOUR_COLUMNS = ["depth", "id", "granularity", "holder", "holder_role", "via"]


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
        from lineage.questions import datasets as questions

        with ctx.find_root().obj.store() as store:
            warn_if_incomplete(store)
            data = questions.neighbourhood(store, dataset, direction, depth)
        click.echo(render_rows(_rows(data), NEIGHBOUR_COLUMNS, fmt, json_data=data,
                               title=f"{direction.capitalize()} of {dataset}"), nl=False)

    cmd.help = (f"Datasets {direction} of DATASET through flows, with their distance, holder "
                "and the flows between them.")
    sample = "rsd-sis" if direction == "downstream" else "econ-study-file"
    cmd.epilog = examples(f"lineage {direction} {sample}",
                          f"lineage {direction} {sample} --depth 2 --format json")
    return cmd


upstream = _neighbour_command("upstream")
downstream = _neighbour_command("downstream")


@click.command("impact", epilog=examples(
    "lineage impact --actor routeco --since 2024-01-01 --until 2024-12-31",
    "lineage impact --dataset reading-study-file --format csv --out notice.csv"))
@click.option("--actor", type=ID, help="The breached actor (e.g. a vendor).")
@click.option("--dataset", type=ID, help="The breached dataset.")
@click.option("--since", type=ISO_DATE, help="First day of the breach window (inclusive).")
@click.option("--until", type=ISO_DATE, help="Last day of the breach window (inclusive).")
@click.option("--out", type=OUT_PATH,
              help="Write to this file, renamed into place only when complete (an interrupted "
                   "export leaves FILE as it was). Default: standard output.")
@format_option()
@click.pass_context
def impact(ctx, actor, dataset, since, until, out, fmt):
    """Every student whose identifiable data the actor or dataset held in the window, with the
    elements: the breach-notification list (streamed), ending with counts.

    Students are listed by pseudonym; the district maps them back with its own key. If the
    export stops part-way (e.g. the database is lost), standard output ends with a line
    '# INCOMPLETE: stopped after N students; <reason>' and the command exits non-zero (3 for a
    lost database) with the error on standard error; with --out, FILE is not written.
    """
    from lineage.questions import datasets as questions

    if (actor is None) == (dataset is None):
        raise UsageError("give exactly one of --actor ID or --dataset ID")
    check_window(since, until)
    per_element: dict[str, int] = {}
    written = [0, False]  # students written so far, anything written (for the INCOMPLETE line)
    console = progress_console()
    try:
        with atomic_file(out) if out is not None else nullcontext(sys.stdout) as fh:
            try:
                with ctx.find_root().obj.store() as store, impact_progress(console) as tick:
                    check_key_if_set(ctx, store)
                    warn_if_incomplete(store)
                    rows = questions.impact(store, actor=actor, dataset=dataset, since=since,
                                            until=until)
                    _write_impact(fh, rows, fmt, (actor, dataset, since, until), per_element,
                                  written, tick)
                    record_lookup(store, os_user(), "impact", None,
                                  impact_detail(actor, dataset, since, until, fmt))
            except Exception as exc:
                if out is None and written[1]:  # what was streamed must not look complete
                    reason = exc.message if isinstance(exc, LineageError) else type(exc).__name__
                    fh.write(("\n" if fmt == "json" else "")  # JSON rows end without one
                             + incomplete_line(written[0], "students", reason))
                    fh.flush()
                raise
    except OSError as exc:
        if out is None:
            raise
        raise RenderError(f"cannot write {out}: {exc.strerror or exc}") from None
    if out is not None:
        click.echo(f"wrote {out} ({written[0]} students)", err=True)
    elif console is not None and (fmt != "table" or not sys.stdout.isatty()):
        # the rows went to a pipe or a file: the counts at the end, where the bar was
        console.print(impact_headline(written[0], actor, dataset, since, until), markup=False,
                      highlight=False)


def progress_console() -> Console | None:
    """Where ``impact`` shows its progress bar: standard error when it is a terminal; ``None``
    (no bar) for a pipe, a file or a test runner, so nothing extra reaches captured output."""
    if not sys.stderr.isatty():
        return None
    return Console(stderr=True)


@contextmanager
def impact_progress(console: Console | None) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on ``console`` (gone when done) counting the students found so far,
    with the time elapsed (the total is not known before the stream ends). Yields
    ``tick(students_so_far)``; a no-op without a console."""
    if console is None:
        yield lambda n: None
        return
    from rich.progress import (
        BarColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    bar = Progress(SpinnerColumn(), TextColumn("impact: {task.completed:,} students found"),
                   BarColumn(), TimeElapsedColumn(), console=console, transient=True)
    task = bar.add_task("impact", total=None)
    with bar:
        yield lambda n: bar.update(task, completed=n)


def impact_headline(n: int, actor: str | None, dataset: str | None, since, until) -> str:
    """``<n> students affected by a breach of actor X (<since or ever> .. <until or now>)``."""
    what = f"actor {actor}" if actor else f"dataset {dataset}"
    window = f"{since or 'ever'} .. {until or 'now'}"
    return f"{n} students affected by a breach of {what} ({window})"


def _write_impact(out, rows, fmt, target, per_element, written, tick=lambda n: None) -> None:
    """Stream the impact ``rows`` to ``out`` in ``fmt``, then the counts (table, JSON).

    ``written[0]`` counts the students written so far; ``written[1]`` turns True once anything
    is written (the head waits for the first row, so an error before it leaves no output).
    ``tick(n)`` is called after each student (the progress bar).
    """
    actor, dataset, since, until = target
    writer = csv_writer(out) if fmt == "csv" else None
    rows = iter(rows)
    first = next(rows, None)
    written[1] = True
    if fmt == "json":
        head = {"actor": actor, "dataset": dataset, "since": since, "until": until}
        out.write('{"target": ' + json.dumps(head, default=cell) + ', "students": [')
    elif writer is not None:
        writer.writerow([csv_cell(c) for c in IMPACT_COLUMNS])
    n = 0
    for r in ([] if first is None else chain([first], rows)):
        n += 1
        for e in r["elements"]:
            per_element[e] = per_element.get(e, 0) + 1
        if fmt == "json":
            out.write(("," if n > 1 else "") + "\n  " + json.dumps(r, default=cell))
        elif writer is not None:
            writer.writerow(csv_row(r, IMPACT_COLUMNS))
        else:
            out.write(f"{r['student']}  {r['first_date'] or '…'}..{r['last_date'] or '…'}  "
                      f"{'; '.join(r['elements'])}\n")
        written[0] = n
        tick(n)
    counts = {"students": n, "elements": dict(sorted(per_element.items()))}
    if fmt == "json":
        out.write("\n], \"counts\": " + json.dumps(counts) + "}\n")
    elif fmt == "table":
        out.write(f"\n{impact_headline(n, actor, dataset, since, until)}\n")
        for e, c in counts["elements"].items():
            out.write(f"  {c:>8}  {e}\n")


COMMANDS = [upstream, downstream, impact]
