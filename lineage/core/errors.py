"""The library's one, flat error hierarchy (mapped to exit codes once, in :mod:`lineage.cli`).

Every error raised to a caller of the library is a :class:`LineageError`. Driver, YAML, CSV and
OS errors are translated where they happen (the store, the parsers, the server launcher) so that
no low-level exception reaches the user. Messages never contain a raw student ID.

Exit codes used by the CLI:

====================  ====  =====================================================
error                 exit  meaning
====================  ====  =====================================================
NotFoundError         1     an unknown student, actor or dataset
InputError            2     bad input file, row or field; nothing was written
IncompleteLoadError   2     a bulk file changed while it was written; the load is incomplete
ConfigurationError    2     a missing or invalid setting (e.g. the pseudonym key)
DatabaseUnavailable   3     the database could not be reached (the URI is named)
ServerError           4     the local Neo4j server could not be started/stopped
DatabaseError         5     the database refused or failed a statement
RenderError           6     an output (PDF, picture) could not be produced
====================  ====  =====================================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

#: ``scheme://userinfo@``: the credentials part of any URI in a text.
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/'\"<>]*@")


def redact_uri(text: str) -> str:
    """``text`` with the ``user:password@`` of every URI in it replaced by ``***@``
    (``bolt://neo4j:s3cret@host:7687`` -> ``bolt://***@host:7687``). Used wherever a URI or a
    driver message naming one is shown: credentials are never printed.
    """
    return _USERINFO.sub(r"\1***@", text)


class LineageError(Exception):
    """Base of every error the library raises. ``exit_code`` is the CLI's exit status."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class Problem:
    """One problem found in an input: where (file, row/line, field) and what to do.

    ``row`` is the 1-based line number in the file (CSV: the physical line, header = 1)
    or ``None`` when the problem is about the whole file.
    """

    file: str
    row: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.field:
            where += f", field '{self.field}'"
        return f"{where}: {self.message}"


class InputError(LineageError):
    """The input is invalid. ``problems`` lists every problem found (all at once, not the first).

    Raised before anything is written: the graph is unchanged.
    """

    exit_code = 2

    def __init__(self, problems: list[Problem], *, hint: str | None = None,
                 truncated: bool = False) -> None:
        self.problems = list(problems)
        n = len(self.problems)
        head = (f"{n} problem{'s' if n != 1 else ''} in the input; nothing was written"
                if not truncated else
                f"the first {n} problems in the input (checking stopped there; fix these and "
                "run again); nothing was written")
        super().__init__(head, hint=hint)

    def __str__(self) -> str:
        return self.message + "\n" + "\n".join(f"  - {p}" for p in self.problems)


class IncompleteLoadError(LineageError):
    """A load stopped after writing part of its input (a bulk file changed while it was being
    written). Exit 2: the input is at fault; loading the unchanged files again completes it."""

    exit_code = 2


class UsageError(LineageError):
    """A command-line value is invalid (a date, an option). Exit 2."""

    exit_code = 2


class ConfigurationError(LineageError):
    """A required setting is missing or invalid (e.g. ``LINEAGE_PSEUDONYM_KEY``). Exit 2."""

    exit_code = 2


class NotFoundError(LineageError):
    """An unknown student, actor or dataset. Exit 1. Never echoes a raw student ID."""

    exit_code = 1


class DatabaseUnavailable(LineageError):
    """The Neo4j database could not be reached, or did not answer in time, at ``uri``. Exit 3.

    ``uri`` and ``detail`` are shown with any ``user:password@`` redacted (:func:`redact_uri`).
    """

    exit_code = 3

    def __init__(self, uri: str, detail: str = "") -> None:
        self.uri = redact_uri(uri)
        msg = f"database unreachable at {self.uri}"
        if detail:
            msg += f" ({redact_uri(detail)})"
        super().__init__(
            msg,
            hint="start it with 'lineage db start' (or 'docker compose up -d'), "
            "or point NEO4J_URI / --uri at a running server; a server that does not answer "
            "is given up after NEO4J_TIMEOUT seconds (default 45)",
        )


class DatabaseError(LineageError):
    """The database refused or failed a statement (auth, syntax, constraint). Exit 5."""

    exit_code = 5


class ServerError(LineageError):
    """The local Neo4j server could not be started, stopped or found. Exit 4."""

    exit_code = 4


class RenderError(LineageError):
    """An output (PDF, picture) could not be produced, e.g. a missing system library. Exit 6."""

    exit_code = 6


def pydantic_errors(exc: Any) -> list[tuple[str, str]]:
    """The errors of a pydantic ``ValidationError`` as ``(where, message)``: ``where`` the path
    parts joined by '.' ("" for the whole value), ``message`` pydantic's text without its
    ``"Value error, "`` prefix (a validator's own message reads as written). The one place the
    package formats pydantic errors; callers add the file, row or setting name."""
    return [(".".join(str(p) for p in e["loc"]), e["msg"].removeprefix("Value error, "))
            for e in exc.errors()]
