"""The ``lineage`` command: a thin click app over the library.

Commands live in :mod:`lineage.commands` (one module per group of commands); this module only
builds the group, holds the shared connection options and maps the library's errors to exit
codes and messages, once (see :mod:`lineage.core.errors`). A user mistake never shows a traceback.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

import click
from pydantic import ValidationError
from rich.console import Console

from lineage.core.errors import (
    ConfigurationError,
    InputError,
    LineageError,
    pydantic_errors,
    redact_uri,
)
from lineage.core.settings import LineageSettings, Neo4jSettings, with_local_password

err_console = Console(stderr=True, highlight=False, soft_wrap=True)


@dataclass
class AppContext:
    """What every command gets: the settings after CLI overrides."""

    neo4j: Neo4jSettings
    lineage: LineageSettings = field(default_factory=LineageSettings)

    def store(self):
        """Open the :class:`lineage.graph.store.Store` (use as a context manager)."""
        from lineage.graph.store import Store

        return Store(self.neo4j)


class LineageGroup(click.Group):
    """A click group that turns :class:`LineageError` into a message and an exit code."""

    def invoke(self, ctx: click.Context):  # noqa: D102
        try:
            return super().invoke(ctx)
        except LineageError as exc:
            report_error(exc)
            ctx.exit(exc.exit_code)


def report_error(exc: LineageError) -> None:
    """Print a library error for a person: the message, every problem, and what to do."""
    if isinstance(exc, InputError):
        err_console.print(f"[bold red]error:[/] {exc.message}")
        for p in exc.problems:
            err_console.print(f"  - {p}", markup=False)
    else:
        err_console.print(f"[bold red]error:[/] {redact_uri(exc.message)}", markup=True)
    if exc.hint:
        err_console.print(f"[dim]hint:[/] {exc.hint}")


#: Printed to stderr when --password is given on the command line (never the password).
PASSWORD_WARNING = ("warning: --password on the command line is visible to other users of this "
                    "machine (ps, shell history); set NEO4J_PASSWORD or use the local server's "
                    "password file (LINEAGE_HOME/password) instead")


@click.group(cls=LineageGroup, context_settings={"help_option_names": ["-h", "--help"]},
             epilog="\b\nExamples:\n  lineage demo\n  lineage exposure RSD-1001\n"
                    "  lineage COMMAND --help")
@click.option("--uri", envvar="NEO4J_URI", default=None, help="Neo4j URI (bolt://, neo4j://, neo4j+s://).")
@click.option("--user", envvar="NEO4J_USER", default=None, help="Neo4j user.")
@click.option("--password", envvar="NEO4J_PASSWORD", default=None,
              help="Neo4j password. On the command line it is visible to other users (ps, "
                   "shell history): prefer NEO4J_PASSWORD or the local server's password file "
                   "(LINEAGE_HOME/password).")
@click.option("--database", envvar="NEO4J_DATABASE", default=None, help="Neo4j database name.")
@click.version_option(package_name="student-data-lineage")
@click.pass_context
def main(ctx: click.Context, uri, user, password, database) -> None:
    """Student data lineage: who could ever have touched this student's information."""
    import logging

    # the driver logs retries of transient errors; the CLI reports errors itself
    logging.getLogger("neo4j").setLevel(logging.ERROR)
    if password is not None and (ctx.get_parameter_source("password")
                                 is click.core.ParameterSource.COMMANDLINE):
        click.echo(PASSWORD_WARNING, err=True)
    overrides = {k: v for k, v in
                 {"uri": uri, "user": user, "password": password, "database": database}.items()
                 if v is not None}
    product = _settings(LineageSettings, "LINEAGE_")
    if "uri" not in overrides:  # the local server, on the port it is configured to use
        overrides["uri"] = f"bolt://127.0.0.1:{product.bolt_port}"
    # the local server's password comes from LINEAGE_HOME/password unless one is given
    neo4j = with_local_password(_settings(Neo4jSettings, "NEO4J_", **overrides), product)
    ctx.obj = AppContext(neo4j=neo4j, lineage=product)


def _settings(cls, prefix: str, **overrides):
    """Build a settings class; a bad environment value is a ConfigurationError (exit 2)."""
    try:
        return cls(**overrides)
    except ValidationError as exc:
        bad = "; ".join(f"{prefix}{where.replace('.', '_').upper()}: {msg}"
                        for where, msg in pydantic_errors(exc))
        raise ConfigurationError(f"bad setting: {bad}",
                                 hint="fix the environment variable (or the matching option)"
                                 ) from None


def _register() -> None:
    from lineage.commands import ALL_COMMANDS

    for cmd in ALL_COMMANDS():
        main.add_command(cmd)


_register()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
