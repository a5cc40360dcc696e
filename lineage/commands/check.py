"""``lineage check``: audit the whole graph against the policy rules (:mod:`lineage.questions.audit`)."""

from __future__ import annotations

import click

from lineage.commands.common import examples
from lineage.render.tables import format_option, render_csv, render_json, render_table

FINDING_COLUMNS = ["severity", "rule", "subject", "message"]


@click.command("check", epilog=examples(
    "lineage check",
    "lineage check --rule small-cell --min-cell-size 11 --format json",
    "lineage check --list-rules"))
@click.option("--rule", "rules", multiple=True, metavar="ID",
              help="Run only this rule (repeatable). Default: every rule; see --list-rules.")
@click.option("--min-cell-size", type=click.IntRange(min=1), default=None, metavar="N",
              help="Minimum cell size for published aggregates, overriding each aggregate's "
                   "own (default: the aggregate's own minimum, else 10).")
@click.option("--fail-on", type=click.Choice(["low", "medium", "high"]), default="medium",
              show_default=True,
              help="Exit 1 when any finding is at or above this severity.")
@click.option("--list-rules", is_flag=True, help="List the rules (id, severity, source) and exit.")
@format_option()
@click.pass_context
def check(ctx, rules, min_cell_size, fail_on, list_rules, fmt):
    """Audit the whole graph against the privacy rules; one line per finding.

    Each finding has a rule ID, a severity (low: the graph cannot show the rule is met;
    medium: an agreement's dates or destruction terms are not kept; high: data went where the
    rules do not allow), the ids involved (actors, datasets, then the flow or grant) and a
    message. No student ID or key is ever printed. Exit 0 when nothing is at or above
    --fail-on (default medium), 1 otherwise.
    """
    from lineage.questions import audit as policy

    if list_rules:
        rows = policy.rules_table()
        cols = ["id", "severity", "title", "source"]
        click.echo(render_json(rows) if fmt == "json" else
                   render_csv(rows, cols) if fmt == "csv" else
                   render_table(rows, cols, title="Policy rules"), nl=False)
        return
    policy.select_rules(rules)  # unknown rule IDs fail before the database is opened
    from lineage.commands.common import warn_if_incomplete

    with ctx.find_root().obj.store() as store:
        warn_if_incomplete(store)
        findings = policy.audit(store, list(rules), min_cell_size=min_cell_size)
    rows = [f.as_dict() for f in findings]
    if fmt == "json":
        click.echo(render_json({"rules": [r.id for r in policy.select_rules(rules)],
                                "min_cell_size": min_cell_size, "fail_on": fail_on,
                                "findings": rows}), nl=False)
    elif fmt == "csv":
        click.echo(render_csv(rows, FINDING_COLUMNS), nl=False)
    elif rows:
        click.echo(render_table(rows, FINDING_COLUMNS, title=f"Policy findings ({len(rows)})"),
                   nl=False)
    if not rows:
        click.echo("no findings", err=fmt != "table")
    if policy.fails(findings, fail_on):
        ctx.exit(1)


COMMANDS = [check]
