"""Loading a parsed format today: the one adapter from a :class:`ParsedSource` to the native
loader.

:func:`write_native` writes the parsed inventory (JSON, the native inventory format) and its
rows as native bulk CSVs into a private temporary folder (``mkdtemp``: mode 0700, removed on
exit, whatever happens), and hands that to :func:`lineage.sources.inventory.read_inventory`, so that
:func:`lineage.sources.inventory.validate` and :func:`lineage.graph.writer.load` see exactly what they see
for native files. The CSVs hold raw student IDs for the few seconds the load runs, like the
native files a district writes; nothing else touches the disk.

This adapter is meant to be replaced by in-memory row iterators when the loader takes any
iterable of rows; it is the only place that knows about the temporary files.
"""

from __future__ import annotations

import csv
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

from lineage.core.errors import InputError, Problem
from lineage.core.models import BulkFile, BulkKind
from lineage.sources.common import NATIVE_COLUMNS, Fragment, ParsedSource
from lineage.sources.inventory import MAX_PROBLEMS, InventorySource, read_inventory


#: Converted rows between two calls of the progress callback of :func:`write_native`.
PROGRESS_EVERY = 20_000

#: ``progress(label, rows_done, rows_expected)``; ``rows_expected`` is ``None`` when unknown.
Progress = Callable[[str, int, "int | None"], None]


def _cells(columns: tuple[str, ...]) -> Callable[[dict[str, str]], tuple[str, ...]]:
    """A row's cells in ``columns`` order, as one C-level look-up (``itemgetter``)."""
    get = itemgetter(*columns)
    return get if len(columns) > 1 else lambda row: (get(row),)


def write_native(parsed: ParsedSource, folder: Path, kind: str = "inventory",
                 progress: Progress | None = None) -> InventorySource:
    """Stream ``parsed``'s rows into native files in ``folder`` (an existing, private, empty
    folder) and return them as an :class:`~lineage.sources.inventory.InventorySource` (origin: the
    user's input; warnings: the parser's; ``kind``: the input format, one of
    :data:`lineage.sources.provenance.SOURCE_KINDS`). ``progress``: called as
    ``progress("converting NAME", rows_done, None)`` every :data:`PROGRESS_EVERY` rows and once
    at the end (a large export takes minutes before its rows are validated; how many rows it
    holds is not known until then), and while child processes convert part of a file (a
    parser with an ``on_rows`` attribute, :class:`lineage.sources.edfi.EdFiSource`). Closes ``parsed`` whatever happens; the
    result holds nothing of it, so the parser's look-up tables (every user of an export, say) are
    freed before the load starts and Python memory stays flat in the size of the export.

    Raises :class:`InputError` with every problem the parser yields (at most
    :data:`~lineage.sources.inventory.MAX_PROBLEMS`), before anything is loaded.
    """
    try:
        files: dict[BulkKind, IO[str]] = {}
        writers: dict[BulkKind, Any] = {}
        cells = {k: _cells(cols) for k, cols in NATIVE_COLUMNS.items()}
        problems: list[Problem] = []
        truncated = False
        label = f"converting {Path(parsed.origin).name}"
        done = 0
        shown = -1

        def report(rows: int) -> None:
            """``progress``, never backwards (the parts' rows while they work are counted
            ahead of their fragments, appended one after the other)."""
            nonlocal shown
            if progress is not None and rows > shown:
                shown = rows
                progress(label, rows, None)

        if progress is not None and hasattr(parsed, "on_rows"):   # rows converted elsewhere
            parsed.on_rows = lambda n: report(done + n)
        try:
            for item in parsed.rows():
                if isinstance(item, Problem):
                    problems.append(item)
                    if len(problems) >= MAX_PROBLEMS:
                        truncated = True
                        break
                    continue
                if problems:
                    continue                    # keep looking for problems; write no more
                if isinstance(item, Fragment):
                    bulk_kind, row = item.kind, None
                else:
                    bulk_kind, row = item
                w = writers.get(bulk_kind)
                if w is None:
                    fh = files[bulk_kind] = open(  # noqa: SIM115 -- closed in the finally below
                        folder / f"{bulk_kind.value}.csv", "w", encoding="utf-8", newline="")
                    w = writers[bulk_kind] = csv.writer(fh, lineterminator="\n")
                    w.writerow(NATIVE_COLUMNS[bulk_kind])
                if row is None:                 # a Fragment: its lines appended as they are
                    before = done
                    files[bulk_kind].flush()
                    with open(item.path, encoding="utf-8", newline="") as part:
                        shutil.copyfileobj(part, files[bulk_kind], 1 << 20)
                    done += item.rows
                    if done // PROGRESS_EVERY > before // PROGRESS_EVERY:
                        report(done)
                    continue
                w.writerow(cells[bulk_kind](row))
                done += 1
                if progress is not None and done % PROGRESS_EVERY == 0:
                    report(done)
            if progress is not None and not problems:
                progress(label, done, None)
        finally:
            for fh in files.values():
                fh.close()
        if problems:
            raise InputError(problems, truncated=truncated)
        inv = parsed.inventory().model_copy(update={
            "bulk": [BulkFile(kind=k, path=f"{k.value}.csv") for k in files]})
        path = folder / "inventory.json"
        path.write_text(inv.model_dump_json(exclude_none=True), encoding="utf-8")
        modes = getattr(parsed, "modes", None) or {}     # OneRoster: bulk / delta per file
        origin, warnings = parsed.origin, list(parsed.warnings)
    finally:
        parsed.close()
    return InventorySource(read_inventory(path).inventory, origin, folder, warnings=warnings,
                           kind=kind, partial=any(m == "delta" for m in modes.values()))


def _converted(open_one: Callable[[], ParsedSource], kind: str, stack: ExitStack,
               progress: Progress | None = None) -> tuple[InventorySource, list[str]]:
    """Open one input, write it as native files into a temporary folder removed when ``stack``
    closes, and return ``(source, notes)``. The parser is closed and unreferenced on return."""
    tmp = Path(tempfile.mkdtemp(prefix="lineage-import-"))
    stack.callback(shutil.rmtree, tmp, ignore_errors=True)
    parsed = open_one()
    source = write_native(parsed, tmp, kind, progress)
    return source, list(parsed.notes)


@contextmanager
def open_format_sources(oneroster: Iterable[Path] = (), edfi: Iterable[Path] = (),
                        openlineage: Iterable[Path] = (), *, district: str | None = None,
                        mappings: Iterable[Path] = (), progress: Progress | None = None
                        ) -> Iterator[tuple[list[InventorySource], list[str]]]:
    """Parse every ``--oneroster``, ``--edfi`` and ``--openlineage`` input and yield
    ``(sources, notes)`` ready for :func:`lineage.graph.writer.load` (their temporary folders live
    until the context ends; each parser is closed and freed as soon as its rows are written, so
    nothing of it stays in memory during the load). ``district``: ``--district`` (OneRoster,
    Ed-Fi); ``mappings``: ``--mapping`` files (OpenLineage); ``progress``: rows converted so
    far, per input (:func:`write_native`).

    Raises :class:`InputError` with the problems of every input at once.
    """
    from lineage.sources.edfi import read_edfi
    from lineage.sources.oneroster import read_oneroster
    from lineage.sources.openlineage import read_openlineage

    openers = ([("oneroster", lambda p=p: read_oneroster(p, district=district)) for p in oneroster]
               + [("edfi", lambda p=p: read_edfi(p, district=district)) for p in edfi]
               + [("openlineage", lambda p=p: read_openlineage(p, list(mappings)))
                  for p in openlineage])
    sources: list[InventorySource] = []
    notes: list[str] = []
    problems: list[Problem] = []
    with ExitStack() as stack:
        for kind, open_one in openers:
            try:
                source, source_notes = _converted(open_one, kind, stack, progress)
            except InputError as exc:
                problems.extend(exc.problems)
                continue
            sources.append(source)
            notes.extend(source_notes)
        if problems:
            raise InputError(problems[:MAX_PROBLEMS], truncated=len(problems) > MAX_PROBLEMS)
        yield sources, notes
