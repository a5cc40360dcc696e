"""``lineage synth``: write a synthetic state (inventory YAML + bulk CSVs) for tests, benchmarks."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from lineage.commands.common import examples

if TYPE_CHECKING:  # loaded when the command runs, not for --help (tests/test_startup.py)
    from rich.console import Console

    from lineage.sources.synth import SynthSummary


@click.command("synth", epilog=examples(
    "lineage synth --students 1000 --out /tmp/state",
    "lineage synth --students 1000 --format oneroster --out /tmp/or"))
@click.option("--students", type=int, default=10_000, show_default=True,
              help="Number of synthetic students (at least 1).")
@click.option("--seed", type=int, default=1, show_default=True,
              help="Random seed; the same students and seed give byte-identical files.")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path),
              help="Output directory (created if missing; must be empty unless --force).")
@click.option("--force", is_flag=True, help="Overwrite the generated files in a non-empty --out.")
@click.option("--format", "fmt", type=click.Choice(["native", "oneroster", "edfi"]),
              default="native", show_default=True,
              help="Rosters (districts, schools, sections, teaching, enrolments, guardians) as "
                   "the native CSVs, OneRoster 1.2 CSV or Ed-Fi DS 5 XML; the rest stays in "
                   "inventory.yaml.")
@click.option("--load", "then_load", is_flag=True,
              help="Then load the state: through the offline importer when the database is "
                   "empty and is the local server ('lineage load --initial'), else over Bolt "
                   "('lineage load').")
@click.pass_context
def synth(ctx: click.Context, students: int, seed: int, out: Path, force: bool, fmt: str,
          then_load: bool) -> None:
    """Generate a synthetic state in the project's own input formats.

    Writes OUT/inventory.yaml (districts, schools, teachers, guardians, vendors, the state SLDS,
    aggregates, research studies) and the bulk CSVs it lists: enrolments, rosters, guardians,
    members, subjects and access_log. Every identifier is synthetic; the same --students and
    --seed give byte-identical files. With --format oneroster or edfi the same state's rosters
    are written in that format (OUT/oneroster/, OUT/edfi/; Ed-Fi organisations get numeric ids):
    load them with 'lineage load OUT/inventory.yaml --oneroster OUT/oneroster' (or --edfi).
    """
    from rich.console import Console

    from lineage.sources.synth import INVENTORY_FILE, generate

    console = Console(highlight=False)
    with console.status(f"generating {students:,} students..."):
        summary = generate(out, students=students, seed=seed, force=force, fmt=fmt)
    _print_summary(console, summary)
    if then_load:
        _load(ctx, out, fmt)
    elif fmt == "native":
        click.echo(f"load with: lineage load {out / INVENTORY_FILE}")
    else:
        click.echo(f"load with: lineage load {out / INVENTORY_FILE} --{fmt} {out / fmt}")


def _load(ctx: click.Context, out: Path, fmt: str) -> None:
    """``synth --load``: ``lineage load --initial`` when the graph is empty and the settings
    point at the running local server, else ``lineage load`` (same validation, same graph)."""
    from lineage.commands.load import load
    from lineage.graph import server
    from lineage.sources.synth import INVENTORY_FILE

    app = ctx.find_root().obj
    local = (app.neo4j.is_local(app.lineage.bolt_port)
             and server.is_running(Path(app.lineage.home)))
    with app.store() as store:
        initial = local and store.counts()["nodes"] == 0
    click.echo(f"loading {out / INVENTORY_FILE} "
               + ("through the offline importer (empty local database)" if initial
                  else "over Bolt"))
    extra = {"onerosters": (out / fmt,)} if fmt == "oneroster" else (
        {"edfis": (out / fmt,)} if fmt == "edfi" else {})
    ctx.invoke(load, paths=(out / INVENTORY_FILE,), initial=initial, progress=False, **extra)


def _print_summary(console: Console, s: SynthSummary) -> None:
    from rich.table import Table

    from lineage.sources.synth import INVENTORY_FILE

    table = Table(title=f"synthetic state written to {s.out / INVENTORY_FILE}", show_header=True)
    table.add_column("what")
    table.add_column("count", justify="right")
    for label, value in (
        ("students", s.students), ("districts", s.districts), ("schools", s.schools),
        ("teachers", s.teachers), ("guardians", s.guardians), ("vendors", s.vendors),
        ("sections", s.sections), ("inter-district transfers", s.transfers),
    ):
        table.add_row(label, f"{value:,}")
    table.add_section()
    for key, n in s.items.items():
        table.add_row(f"inventory {key}", f"{n:,}")
    table.add_section()
    for name, n in s.rows.items():
        table.add_row(f"{name} rows", f"{n:,}")
    console.print(table)
    console.print(f"seed {s.seed}; {s.seconds:.1f} s")


COMMANDS = [synth]
