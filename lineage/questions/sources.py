"""Questions about the sources the graph was loaded from (docs/formats.md "Sources and snapshots").

:func:`unfinished_sources` is the one check every answer makes (CLI, documents, web): while a
source's last load is unfinished (interrupted part-way, or still running), the graph may be
incomplete, and :func:`incomplete_warning` says so, naming the sources.
"""

from __future__ import annotations

from typing import Any

from lineage.graph.store import Store
from lineage.questions.lookups import utc_text

#: Columns of ``lineage sources`` (the table and CSV; JSON has the same keys).
SOURCE_COLUMNS = ["source", "kind", "started", "finished_at", "snapshot", "rows", "status"]


def _day(value: Any) -> str | None:
    if value is None:
        return None
    if hasattr(value, "to_native"):
        value = value.to_native()
    return value.isoformat()


def list_sources(store: Store) -> list[dict[str, Any]]:
    """Every source with its last load, by name: ``{source, kind, started, finished_at
    (ISO UTC text or None), snapshot (ISO date or None), rows: {kind: items} (sorted by kind),
    finished: bool, status: "finished" | "UNFINISHED"}``."""
    out = []
    for r in store.read("sources/sources_list"):
        rows = {k[len("rows_"):]: v for k, v in sorted(r["counts"].items())
                if k.startswith("rows_")}
        out.append({"source": r["name"], "kind": r["kind"], "started": utc_text(r["started"]),
                    "finished_at": utc_text(r["finished_at"]), "snapshot": _day(r["snapshot"]),
                    "rows": rows, "finished": bool(r["finished"]),
                    "status": "finished" if r["finished"] else "UNFINISHED"})
    return out


def unfinished_sources(store: Store) -> list[dict[str, Any]]:
    """The sources whose last load has not finished (killed, server lost, stopped by an error,
    or running now): ``[{name, started (ISO UTC text), snapshot (ISO date or None)}]`` by name;
    empty when every load finished. Every answer calls this and, when it is not empty, shows
    :func:`incomplete_warning`."""
    return [{"name": r["name"], "started": utc_text(r["started"]),
             "snapshot": _day(r["snapshot"])} for r in store.read("sources/unfinished")]


def incomplete_warning(unfinished: list[dict[str, Any]] | list[str], *,
                       prefix: str = "warning: ") -> str | None:
    """The warning shown with every answer while loads are unfinished (pure): one line naming
    each source (and when its load started), or ``None`` when ``unfinished`` is empty.
    ``unfinished``: rows of :func:`unfinished_sources` or plain source names; ``prefix``:
    ``"warning: "`` on a terminal, ``"Note: "`` in documents and pages."""
    if not unfinished:
        return None
    parts = []
    for u in unfinished:
        if isinstance(u, str):
            parts.append(u)
        else:
            parts.append(f"{u['name']} (load started {u['started']})" if u.get("started")
                         else u["name"])
    noun = "source" if len(parts) == 1 else "sources"
    return (f"{prefix}the graph may be incomplete: the last load of {noun} "
            f"{', '.join(parts)} did not finish; load it again (lineage sources lists loads)")


def known_source_names(store: Store) -> list[str]:
    """The names of every source the graph knows, sorted."""
    return [r["name"] for r in store.read("sources/sources_list")]
