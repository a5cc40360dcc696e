"""``lineage demo``: start (or reuse) the local database, load Riverside, answer for one student."""

from __future__ import annotations

import os

import click
from rich.console import Console

from lineage.commands.common import examples
from lineage.core.pseudonym import DEMO_KEY

console = Console(highlight=False)

#: What the demo suggests next: (command, what it shows); ``{student}`` is the student asked about.
NEXT_COMMANDS = (
    ("lineage exposure {student}", "every actor: elements, dates, basis"),
    ("lineage path {student} univ-reading-lab", "how one actor got the data"),
    ("lineage report {student} --format md", "the answer to a parent"),
    ("lineage impact --actor routeco", "students in a vendor breach"),
    ("lineage demo --violations && lineage check", "the policy audit"),
)


def _answers(settings) -> bool:
    """True when a Neo4j already answers at the configured URI (the demo then reuses it)."""
    from lineage.core.errors import LineageError
    from lineage.graph.store import Store

    try:
        with Store(settings) as store:
            store.verify()
    except LineageError:
        return False
    return True


@click.command("demo", epilog=examples(
    "lineage demo",
    "lineage demo --student RSD-1002 --violations",
    "lineage --uri bolt://127.0.0.1:7687 demo --no-server"))
@click.option("--student", default="RSD-1001", show_default=True,
              help="The student to answer for (a Riverside ID).")
@click.option("--violations/--clean", default=False,
              help="Also load the violations V1-V4 on top of the clean scenario.")
@click.option("--no-server", is_flag=True,
              help="Do not start a local server; use NEO4J_URI as it is.")
@click.pass_context
def demo(ctx, student, violations, no_server):
    """Start (or reuse) the local Neo4j, load the synthetic Riverside district, and print who
    could have touched one student's information: the actors per class, then the three groups
    of the parent report (identifiable, de-identified only, aggregate only) and the commands to
    try next.

    Uses the fixed demo pseudonym key (synthetic data only) unless LINEAGE_PSEUDONYM_KEY is set.
    Writes only into an empty database or one an earlier demo made and nothing else was loaded
    into (never into other data: a graph holding actors the demo's inventories do not define is
    refused, exit 2).
    """
    from lineage.core.errors import UsageError
    from lineage.core.pseudonym import Pseudonymizer
    from lineage.core.resources import seeds_dir
    from lineage.graph.keys import key_state
    from lineage.graph.store import Store
    from lineage.graph.writer import load, read_sources
    from lineage.questions import student as answers
    from lineage.render import tables
    from lineage.render.answers import demo_answer, next_commands, shell_command

    app = ctx.find_root().obj
    key = app.lineage.pseudonym_key.get_secret_value() if app.lineage.pseudonym_key else None
    if not key:
        key = DEMO_KEY
        console.print("[dim]using the fixed demo pseudonym key (synthetic data only)[/]")
    pseudo = Pseudonymizer(key)
    uri_given = "NEO4J_URI" in os.environ or ctx.find_root().params.get("uri")
    if not no_server and not uri_given and not _answers(app.neo4j):
        from lineage.graph import server

        info = server.start(app.lineage.home, bolt_port=app.lineage.bolt_port,
                            http_port=app.lineage.http_port)
        console.print(f"[dim]Neo4j {getattr(info, 'version', '')} at {getattr(info, 'bolt_uri', app.neo4j.uri)}[/]")
    seeds = seeds_dir() / "riverside"
    paths = [seeds / "inventory.yaml"] + ([seeds / "violations.yaml"] if violations else [])
    with Store(app.neo4j) as store:
        state = key_state(store)
        if not state["empty"] and not state["demo"]:
            raise UsageError(
                "the database NEO4J_URI points at holds data that 'lineage demo' did not load: "
                "the demo writes only into an empty database or its own graph; nothing was "
                "written",
                hint="point NEO4J_URI (or --uri) at an empty database, or run the local "
                "server without NEO4J_URI; 'lineage db reset --yes' empties a database (it "
                "deletes everything in it)")
        if state["demo"]:
            # a graph the demo made can have had other data loaded into it since (another
            # district, a metadata dictionary): its actors are not the demo's
            own = {a.id for src in read_sources([seeds / "inventory.yaml",
                                                 seeds / "violations.yaml"])
                   for a in src.inventory.actors}
            other = sorted({r["id"] for r in store.read("queries/actor_ids")} - own)
            if other:
                raise UsageError(
                    f"the graph 'lineage demo' made now also holds data it did not load "
                    f"({len(other)} other actor(s), e.g. {', '.join(map(repr, other[:3]))}): "
                    "the demo writes only into an empty database or its own graph; nothing "
                    "was written",
                    hint="point NEO4J_URI (or --uri) at an empty database; 'lineage db reset "
                    "--yes' empties a database (it deletes everything in it)")
        # its own graph: the demo's definitions may replace an earlier demo's
        summary = load(store, read_sources(paths), pseudo, update=True, demo=True)
        console.print(f"[dim]loaded Riverside ({summary.items.get('enrolments', 0)} enrolments, "
                      f"{summary.items.get('flows', 0)} flows)[/]")
        if not violations and store.read("queries/actors_by_id", ids=["coauthor-lab"]):
            click.echo("note: the graph still holds the violations V1-V4 (seeds/riverside/"
                       "violations.yaml, loaded into it earlier), so the answer below includes "
                       "them; 'lineage db reset --yes' empties it for the clean answer")
        data = answers.exposure(store, pseudo, student)
        record = answers.record_of_disclosures(store, pseudo, student)
    width = tables.output_width()
    click.echo("")
    colors = tables.output_colors()
    click.echo(demo_answer(data, record, student, width=width, colors=colors), nl=False)
    click.echo("\nThe commands below need the demo key (synthetic data only):")
    click.echo(shell_command(f"export LINEAGE_PSEUDONYM_KEY={DEMO_KEY}", width), nl=False)
    click.echo("")
    click.echo(next_commands([(c.format(student=student), what) for c, what in NEXT_COMMANDS],
                             width=width), nl=False)

COMMANDS = [demo]
