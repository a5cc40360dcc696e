"""The ``lineage`` command: a thin click app over the library.

Commands live in :mod:`lineage.commands` (one module per group of commands); this module only
builds the group, holds the shared connection options and maps the library's errors to exit
codes and messages, once (see :mod:`lineage.core.errors`). A user mistake never shows a traceback.

Start-up: a command's module is imported only when that command runs or its own ``--help`` is
asked for (:class:`LineageGroup`); ``lineage --help`` lists the commands from the table in
:data:`lineage.commands.COMMANDS`. ``import lineage.cli`` loads click and this module only
(``tests/test_startup.py``).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from lineage.commands import COMMANDS, module_commands

if TYPE_CHECKING:  # imported when a command runs, not for --help (tests/test_startup.py)
    from rich.console import Console

    from lineage.core.errors import LineageError
    from lineage.core.settings import LineageSettings, Neo4jSettings


class AppContext:
    """What every command gets: the settings after CLI overrides.

    Built from the environment when a command first reads them (``neo4j`` / ``lineage``), so
    that ``--help`` and commands that need no settings never load the settings machinery; a
    bad value is then a :class:`ConfigurationError` (exit 2) at that first read.
    """

    def __init__(self, overrides: dict[str, str] | None = None) -> None:
        self._overrides = dict(overrides or {})
        self._lineage: LineageSettings | None = None
        self._neo4j: Neo4jSettings | None = None

    @property
    def lineage(self) -> LineageSettings:
        """The product's settings (``LINEAGE_*``)."""
        if self._lineage is None:
            from lineage.core.settings import LineageSettings

            self._lineage = _settings(LineageSettings, "LINEAGE_")
        return self._lineage

    @property
    def neo4j(self) -> Neo4jSettings:
        """The database settings (``NEO4J_*`` and the CLI's options); without a URI, the local
        server on its configured port, with its password from ``LINEAGE_HOME/password``."""
        if self._neo4j is None:
            from lineage.core.settings import Neo4jSettings, with_local_password

            product = self.lineage
            overrides = dict(self._overrides)
            if "uri" not in overrides:  # the local server, on the port it is configured to use
                overrides["uri"] = f"bolt://127.0.0.1:{product.bolt_port}"
            # the local server's password comes from LINEAGE_HOME/password unless one is given
            self._neo4j = with_local_password(_settings(Neo4jSettings, "NEO4J_", **overrides),
                                              product)
        return self._neo4j

    def store(self):
        """Open the :class:`lineage.graph.store.Store` (use as a context manager)."""
        from lineage.graph.store import Store

        return Store(self.neo4j)


#: Commands that never reach a database or the local server (the driver is not imported).
NO_DRIVER = frozenset({"synth", "schema"})

#: Array libraries the ``neo4j`` driver imports when installed, only to accept their values as
#: query parameters and to build data frames from results; the CLI does neither.
_DRIVER_OPTIONAL = ("numpy", "pandas", "pyarrow")


def _import_driver() -> None:
    """Import the driver for a command of this process without its optional array libraries
    (numpy alone costs ~60 ms of a one-shot command's start). Only when none of them is
    loaded yet and the driver is not: an ``import`` of a ``sys.modules`` entry set to ``None``
    raises ImportError, which the driver takes as "not installed"; the entries are removed
    again at once, so that later imports of those libraries work as usual."""
    import sys

    if "neo4j" in sys.modules or any(m in sys.modules for m in _DRIVER_OPTIONAL):
        return
    for m in _DRIVER_OPTIONAL:
        sys.modules[m] = None  # type: ignore[assignment]
    try:
        import neo4j  # noqa: F401
    finally:
        for m in _DRIVER_OPTIONAL:
            if sys.modules.get(m, 0) is None:
                del sys.modules[m]


class LineageGroup(click.Group):
    """A click group that turns :class:`LineageError` into a message and an exit code, and
    imports a command's module on first use.

    The commands are those of :data:`lineage.commands.COMMANDS` (plus any added with
    ``add_command``): :meth:`get_command` imports the module of the one asked for and adds the
    commands it exports; the group's ``--help`` shows the table's short help for commands not
    imported yet, shortened exactly as click shortens a command's own (``make_default_short_help``).
    """

    def list_commands(self, ctx: click.Context) -> list[str]:  # noqa: D102
        return sorted(set(self.commands) | set(COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:  # noqa: D102
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            for cmd in module_commands(COMMANDS[cmd_name][0]):
                self.commands.setdefault(cmd.name, cmd)
        return self.commands.get(cmd_name)

    def resolve_command(self, ctx: click.Context, args: list[str]):  # noqa: D102
        try:
            return super().resolve_command(ctx, args)
        except click.exceptions.NoSuchCommand as exc:
            # "Did you mean ...?" among every command, not only the ones imported so far
            raise click.exceptions.NoSuchCommand(exc.command_name,
                                                 possibilities=self.list_commands(ctx),
                                                 ctx=ctx) from None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The ``Commands:`` section as click writes it, without importing the command
        modules: a command not imported yet is shown with its short help from the table."""
        from gettext import gettext  # as click translates its headings

        from click.utils import make_default_short_help

        names = [n for n in self.list_commands(ctx)
                 if n not in self.commands or not self.commands[n].hidden]
        if not names:
            return
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = [(n, self.commands[n].get_short_help_str(limit) if n in self.commands
                 else make_default_short_help(COMMANDS[n][1], limit)) for n in names]
        with formatter.section(gettext("Commands")):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context):  # noqa: D102
        from lineage.core.errors import LineageError

        # the subcommand's own arguments, before the group consumes them: only asking for help?
        ctx.meta["lineage.help"] = bool({"--help", "-h"} & set(ctx.args))
        try:
            return super().invoke(ctx)
        except LineageError as exc:
            report_error(exc)
            ctx.exit(exc.exit_code)


_err_console: list[Console] = []


def err_console() -> Console:
    """The rich console on standard error that errors are printed on (made on first use)."""
    if not _err_console:
        from rich.console import Console

        _err_console.append(Console(stderr=True, highlight=False, soft_wrap=True))
    return _err_console[0]


def report_error(exc: LineageError) -> None:
    """Print a library error for a person: the message, every problem, and what to do."""
    from lineage.core.errors import InputError, redact_uri

    err = err_console()
    if isinstance(exc, InputError):
        err.print(f"[bold red]error:[/] {exc.message}")
        for p in exc.problems:
            err.print(f"  - {p}", markup=False)
    else:
        err.print(f"[bold red]error:[/] {redact_uri(exc.message)}", markup=True)
    if exc.hint:
        err.print(f"[dim]hint:[/] {exc.hint}")


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
    # the driver, before any command module imports it (not for a subcommand's --help; a miss
    # only costs the array libraries' import time)
    if ctx.invoked_subcommand not in NO_DRIVER and not ctx.meta.get("lineage.help"):
        _import_driver()
    if password is not None and (ctx.get_parameter_source("password")
                                 is click.core.ParameterSource.COMMANDLINE):
        click.echo(PASSWORD_WARNING, err=True)
    ctx.obj = AppContext({k: v for k, v in
                          {"uri": uri, "user": user, "password": password,
                           "database": database}.items() if v is not None})


def _settings(cls, prefix: str, **overrides):
    """Build a settings class; a bad environment value is a ConfigurationError (exit 2)."""
    from pydantic import ValidationError

    from lineage.core.errors import ConfigurationError, pydantic_errors

    try:
        return cls(**overrides)
    except ValidationError as exc:
        bad = "; ".join(f"{prefix}{where.replace('.', '_').upper()}: {msg}"
                        for where, msg in pydantic_errors(exc))
        raise ConfigurationError(f"bad setting: {bad}",
                                 hint="fix the environment variable (or the matching option)"
                                 ) from None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
