"""``lineage synth``: write a synthetic state (inventory YAML + bulk CSVs) for tests, benchmarks."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from lineage.commands.common import examples
from lineage.sources.synth import INVENTORY_FILE, SynthSummary, generate


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
def synth(students: int, seed: int, out: Path, force: bool, fmt: str) -> None:
    """Generate a synthetic state in the project's own input formats.

    Writes OUT/inventory.yaml (districts, schools, teachers, guardians, vendors, the state SLDS,
    aggregates, research studies) and the bulk CSVs it lists: enrolments, rosters, guardians,
    members, subjects and access_log. Every identifier is synthetic; the same --students and
    --seed give byte-identical files. With --format oneroster or edfi the same state's rosters
    are written in that format (OUT/oneroster/, OUT/edfi/; Ed-Fi organisations get numeric ids):
    load them with 'lineage load OUT/inventory.yaml --oneroster OUT/oneroster' (or --edfi).
    """
    console = Console(highlight=False)
    with console.status(f"generating {students:,} students..."):
        summary = generate(out, students=students, seed=seed, force=force, fmt=fmt)
    _print_summary(console, summary)
    if fmt == "native":
        click.echo(f"load with: lineage load {out / INVENTORY_FILE}")
    else:
        click.echo(f"load with: lineage load {out / INVENTORY_FILE} --{fmt} {out / fmt}")


def _print_summary(console: Console, s: SynthSummary) -> None:
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
