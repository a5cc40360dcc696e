"""``lineage db``: run the local Neo4j server (start, stop, status, password) and empty the graph
(reset).

``start``/``stop`` manage the server of ``--home`` (``LINEAGE_HOME``, default ``./.lineage``), see
:mod:`lineage.graph.server`. ``status`` also checks the database the other commands use (``--uri`` /
``NEO4J_URI``), which may be a remote server, a cluster or Aura. ``reset`` empties that database.
``password`` prints the local server's password (for Neo4j Browser): the one command that shows a
secret on purpose. URIs are always shown without credentials.
Errors are library errors; the root group turns them into messages and exit codes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import click

from lineage.commands.common import examples
from lineage.core.errors import NotFoundError, UsageError

if TYPE_CHECKING:  # the server module (and the driver under it) load when a command runs
    from lineage.graph import server


def _home_option(f):
    return click.option("--home", type=click.Path(file_okay=False, path_type=Path), default=None,
                        help="Folder of the local server [env LINEAGE_HOME; default .lineage].")(f)


def _timeout_option(default: int, what: str):
    return click.option("--timeout", type=click.FloatRange(min=1), default=default, show_default=True,
                        help=f"Seconds to wait for the server to {what}.")


def _same_server(uri: str, info: server.ServerInfo) -> bool:
    """True when ``uri`` (any bolt/neo4j scheme) points at the local server ``info``."""
    try:
        parts = urlsplit(uri)
        port = parts.port or 7687
    except ValueError:
        return False
    return (parts.hostname in {"127.0.0.1", "localhost", "::1"} and port == info.bolt_port
            and parts.scheme in {"bolt", "neo4j"})


def _describe(info: server.ServerInfo) -> list[str]:
    from lineage.graph import server

    lines = [
        f"  version:  Neo4j {info.version or '?'} {info.edition or ''}".rstrip(),
        f"  bolt:     {info.bolt_uri}",
        f"  browser:  {info.browser_url}  (user {server.USER}, password: 'lineage db password')",
        f"  password: {info.password_file} (the commands read it; never shown)",
        f"  data:     {info.home / 'data'}",
        f"  logs:     {info.home / 'logs'}",
        f"  pid:      {info.pid}",
    ]
    if not info.auth_enabled:
        lines.append("warning: this server was started by an older version with authentication "
                     "OFF; run 'lineage db stop' and 'lineage db start' to turn it on")
    return lines


@click.group(epilog=examples("lineage db start", "lineage db status", "lineage db stop"))
def db() -> None:
    """Run the local Neo4j 5.26 server, check the database, empty the graph."""


@db.command(epilog=examples(
    "lineage db start --heap 2g --timeout 300",
    "LINEAGE_BOLT_PORT=17687 lineage db start"))
@_home_option
@click.option("--bolt-port", type=int, default=None, help="Bolt port [env LINEAGE_BOLT_PORT; 7687].")
@click.option("--http-port", type=int, default=None,
              help="HTTP/Browser port [env LINEAGE_HTTP_PORT; 7474].")
@click.option("--heap", default="1g", show_default=True, help="JVM max heap, e.g. 512m, 2g.")
@click.option("--pagecache", default="512m", show_default=True,
              help="Neo4j page cache (store files kept in memory), e.g. 512m, 4g; a state of a "
                   "million students wants ~4g.")
@_timeout_option(120, "answer on Bolt")
@click.pass_obj
def start(app, home, bolt_port, http_port, heap, pagecache, timeout) -> None:
    """Start the local Neo4j server (downloads it from Maven Central on first use).

    It listens on 127.0.0.1 only, with authentication on: user neo4j, a generated password kept
    in HOME/password (mode 0600), which the other commands read by themselves ('lineage db
    password' prints it for Neo4j Browser). Data stays in HOME/data across restarts. Starting a
    server that already runs is not an error.
    """
    from lineage.graph import server

    settings = app.lineage
    home = home or settings.home
    info = server.start(home, bolt_port=bolt_port or settings.bolt_port,
                        http_port=http_port or settings.http_port, heap=heap, pagecache=pagecache, timeout=timeout)
    head = "already running" if info.already_running else "started"
    click.echo(f"Local Neo4j server {head} in {info.home}")
    if info.already_running:
        click.echo("note: --heap and --pagecache apply when the server starts; "
                   "'lineage db stop' first to change them")
    for line in _describe(info):
        click.echo(line)
    if not _same_server(app.neo4j.uri, info):
        click.echo(f"note: the other commands use {app.neo4j.display_uri}; "
                   f"set NEO4J_URI={info.bolt_uri} to use this server")


@db.command(epilog=examples("lineage db stop"))
@_home_option
@_timeout_option(60, "shut down before it is killed")
@click.pass_obj
def stop(app, home, timeout) -> None:
    """Stop the local Neo4j server (the data stays)."""
    from lineage.graph import server

    home = Path(home or app.lineage.home)
    if server.stop(home, timeout=timeout):
        click.echo(f"Local Neo4j server in {home.resolve()} stopped")
    else:
        click.echo(f"No local Neo4j server runs in {home.resolve()}")


@db.command(epilog=examples("lineage db status"))
@_home_option
@click.pass_obj
def status(app, home) -> None:
    """Show the local server and the version of the database the commands use.

    Exits 3 ("database unreachable") when nothing answers at --uri / NEO4J_URI.
    """
    from lineage.graph import server
    from lineage.graph.store import probe

    home = Path(home or app.lineage.home)
    info = server.status(home)
    if info is None:
        click.echo(f"Local server: not running in {home.resolve()}")
    else:
        click.echo(f"Local server: running in {info.home}"
                   + ("" if info.version else " (starting: Bolt does not answer yet)"))
        for line in _describe(info):
            click.echo(line)
        if info.version and _same_server(app.neo4j.uri, info):
            click.echo(f"Database: {app.neo4j.display_uri} is this local server")
            return
    probe(app.neo4j)
    with app.store() as store:
        comp = store.verify()
    click.echo(f"Database: {app.neo4j.display_uri} (database '{app.neo4j.database}') answers: "
               f"Neo4j {comp.get('version', '?')} {comp.get('edition', '')}".rstrip())


@db.command(epilog=examples("lineage db password"))
@_home_option
@click.pass_obj
def password(app, home) -> None:
    """Print the local server's password (user neo4j), for Neo4j Browser's sign-in form.

    The only command that shows a secret: keep its output off screens, logs and URLs.
    Exits 1 when the server was never started in HOME (no HOME/password yet).
    """
    from lineage.graph import server

    home = Path(home or app.lineage.home)
    secret = server.password(home)
    if secret is None:
        raise NotFoundError(f"no password in {server.password_file(home)}: the local server was "
                            "never started there",
                            hint="run 'lineage db start' first (it generates the password)")
    click.echo(secret)


@db.command(epilog=examples("lineage db reset --yes"))
@click.option("--yes", is_flag=True, help="Really delete every node and relationship.")
@click.pass_obj
def reset(app, yes) -> None:
    """Delete every node and relationship of the database (NEO4J_URI); keeps the schema."""
    if not yes:
        raise UsageError(
            f"'db reset' deletes every node and relationship at {app.neo4j.display_uri} "
            f"(database '{app.neo4j.database}'); nothing was deleted",
            hint="run 'lineage db reset --yes' to confirm",
        )
    with app.store() as store:
        before = store.counts()
        store.reset()
    click.echo(f"Deleted {before['nodes']} nodes and {before['relationships']} relationships at "
               f"{app.neo4j.display_uri} (database '{app.neo4j.database}'); constraints and "
               "indexes kept")


COMMANDS = [db]
