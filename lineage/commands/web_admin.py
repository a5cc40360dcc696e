"""``lineage users``, ``lineage keys`` and ``lineage lookups``: who may use the web workspace and
API, and who looked up which student."""

from __future__ import annotations

import sys

import click

from lineage.commands.common import ISO_DATETIME, examples, pseudonymizer
from lineage.commands.serve import load_web
from lineage.render.tables import format_option, render_rows

USER_ROLES = ("officer", "analyst", "viewer")
KEY_ROLES = USER_ROLES + ("ingest",)


def _accounts():
    load_web()
    from lineage.web import accounts, service

    return accounts, service


def _store(ctx: click.Context, prepare: bool = False):
    _, service = _accounts()
    store = service.open_store(ctx.find_root().obj.neo4j)
    if prepare:
        try:
            service.prepare(store)
        except BaseException:
            store.close()
            raise
    return store


@click.group("users", epilog=examples("lineage users add ana --role officer", "lineage users list"))
def users() -> None:
    """Workspace users: officer (everything), analyst (lineage, impact, audit, inventory,
    sources; no parent reports) and viewer (inventory and sources)."""


@users.command("add", epilog=examples(
    "lineage users add ana --role officer",
    'printf %s "$PW" | lineage users add ana --role analyst --password-stdin'))
@click.argument("name")
@click.option("--role", type=click.Choice(USER_ROLES), required=True)
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input (no prompt).")
@click.pass_context
def users_add(ctx, name, role, password_stdin):
    """Add a user NAME with a role; the password (12+ characters) is asked twice, hidden, and
    stored only as an Argon2id hash."""
    accounts, _ = _accounts()
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    with _store(ctx, prepare=True) as store:
        name = accounts.add_user(store, name, role, password)
    click.echo(f"added {role} {name}", err=True)


@users.command("list", epilog=examples("lineage users list --format json"))
@format_option()
@click.pass_context
def users_list(ctx, fmt):
    """List the users (name, role, when added); never a password or hash."""
    accounts, _ = _accounts()
    with _store(ctx) as store:
        rows = accounts.list_users(store)
    click.echo(render_rows(rows, ["name", "role", "created_at"], fmt, title="Workspace users"),
               nl=False)


@users.command("remove", epilog=examples("lineage users remove ana"))
@click.argument("name")
@click.pass_context
def users_remove(ctx, name):
    """Remove user NAME: signed out at their next request; their look-up records stay."""
    accounts, _ = _accounts()
    with _store(ctx) as store:
        accounts.remove_user(store, name)
    click.echo(f"removed {name}", err=True)


@click.group("keys", epilog=examples(
    "lineage keys create nightly-export --role analyst",
    "lineage keys list"))
def keys() -> None:
    """API keys for programs (Authorization: Bearer KEY): roles officer, analyst, viewer, or
    ingest (only POST /api/v1/lineage, for pipelines sending OpenLineage events)."""


@keys.command("create", epilog=examples("lineage keys create nightly-export --role analyst"))
@click.argument("name")
@click.option("--role", type=click.Choice(KEY_ROLES), required=True)
@click.pass_context
def keys_create(ctx, name, role):
    """Create an API key NAME and print it once (only its SHA-256 is kept)."""
    accounts, _ = _accounts()
    with _store(ctx, prepare=True) as store:
        key = accounts.create_key(store, name, role)
    click.echo(key)
    click.echo(f"created {role} key {name}: copy it now, it is not shown again", err=True)


@keys.command("list", epilog=examples("lineage keys list"))
@format_option()
@click.pass_context
def keys_list(ctx, fmt):
    """List the API keys (name, role, first characters, created, revoked)."""
    accounts, _ = _accounts()
    with _store(ctx) as store:
        rows = accounts.list_keys(store)
    click.echo(render_rows(rows, ["name", "role", "prefix", "created_at", "revoked_at"], fmt,
                           title="API keys"), nl=False)


@keys.command("revoke", epilog=examples("lineage keys revoke nightly-export"))
@click.argument("name")
@click.pass_context
def keys_revoke(ctx, name):
    """Revoke API key NAME: refused from now on (kept, marked revoked)."""
    accounts, _ = _accounts()
    with _store(ctx) as store:
        now = accounts.revoke_key(store, name)
    click.echo(f"revoked {name}" if now else f"{name} was already revoked", err=True)


LOOKUP_COLUMNS = ["at", "who", "who_kind", "channel", "what", "student", "detail"]


@click.command("lookups", epilog=examples(
    "lineage lookups --student RSD-1001",
    "lineage lookups --user ana --since 2026-11-01 --format csv",
    "lineage lookups --since 2026-12-01T06:51"))
@click.option("--student", "student_id", help="Only look-ups of this student (the district's "
              "ID; it is hashed).")
@click.option("--user", "who", help="Only look-ups by this user, API key or OS user.")
@click.option("--since", type=ISO_DATETIME,
              help="From this day (YYYY-MM-DD, from 00:00 UTC) or this moment "
                   "(YYYY-MM-DDTHH:MM, UTC unless an offset is given); inclusive.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=1000, show_default=True)
@format_option()
@click.pass_context
def lookups_cmd(ctx, student_id, who, since, limit, fmt):
    """Who looked up which student's answers, when, from where (web, API, CLI), newest first.

    Students are listed by pseudonym. Records are append-only: only 'lineage db reset'
    removes them.
    """
    from lineage.questions import lookups

    key = pseudonymizer(ctx)(student_id) if student_id else None
    with ctx.find_root().obj.store() as store:
        rows = lookups.list_lookups(store, student_key=key, who=who,
                                    since=since, limit=limit)
    click.echo(render_rows(rows, LOOKUP_COLUMNS, fmt, json_data={"lookups": rows},
                           title="Look-ups"), nl=False)


COMMANDS = [users, keys, lookups_cmd]
