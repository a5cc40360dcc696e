"""``lineage completion bash|zsh|fish``: print the shell-completion script (click's own)."""

from __future__ import annotations

import click

from lineage.commands.common import examples

#: The shells click completes.
SHELLS = ("bash", "zsh", "fish")


@click.command("completion", epilog=examples(
    "lineage completion fish > ~/.config/fish/completions/lineage.fish",
    'eval "$(lineage completion bash)"          # in ~/.bashrc',
    'eval "$(lineage completion zsh)"           # in ~/.zshrc'))
@click.argument("shell", type=click.Choice(SHELLS))
@click.pass_context
def completion(ctx, shell):
    """Print the completion script for SHELL (commands, options, choices).

    The same script as click's documented way, ``_LINEAGE_COMPLETE=bash_source lineage``
    (``zsh_source``, ``fish_source``), byte for byte; install it as the examples show.
    """
    from click.shell_completion import shell_complete

    # click's own code path: the script exactly as `_LINEAGE_COMPLETE=<shell>_source` prints it
    shell_complete(ctx.find_root().command, {}, "lineage", "_LINEAGE_COMPLETE", f"{shell}_source")


COMMANDS = [completion]
