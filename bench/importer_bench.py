"""First load through the offline importer, beside the Bolt loader and the bare CREATE (one run).

Usage::

    python bench/importer_bench.py --students 10000 [--seed 1] [--out bench/out] [--writers 2]
        [--batch-size 20000] [--skip-bare]

Needs the LOCAL server (``lineage db start``; ``LINEAGE_HOME``, ``LINEAGE_BOLT_PORT`` and
``NEO4J_URI`` pointing at it): the importer stops and starts it. In one process, on the same
synthetic state (generated or reused under ``<out>/<N>``):

1. ``lineage load`` over Bolt (:func:`lineage.graph.writer.load`, validation included) into the
   emptied graph: rows/s;
2. the bare ``UNWIND ... CREATE`` of the same bulk rows (``bench.bench.bare``), per kind;
3. the graph emptied, then ``lineage load --initial`` (:func:`lineage.graph.importer.initial_load`):
   rows/s per phase (read: validation and conversion in one pass, convert: the last nodes,
   import, start, schema) and end to end.

Rows are bulk rows (teaching, guardians, enrolments, rosters, members, subjects, access log)
throughout, so every rate is over the same count. Printed ratios: the first load end to end ÷
the importer's own rows/s (its ``import`` phase: CSV conversion, validation, JVM start and
schema excluded), and ÷ ``lineage load`` over Bolt. Also the Python process's peak RSS.

WARNING: it deletes every node of the target graph; point it at a scratch server.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import BULK_KINDS, bare, kind_rows, log, rss_mb
from lineage.core.pseudonym import DEMO_KEY, Pseudonymizer
from lineage.core.settings import LineageSettings, Neo4jSettings, with_local_password
from lineage.graph import importer, server
from lineage.graph.store import Store
from lineage.graph.writer import load, read_sources
from lineage.sources.synth import generate


def bolt_and_bare(args: argparse.Namespace, settings: Neo4jSettings, out: Path,
                  pseudo: Pseudonymizer) -> tuple[float, dict, float, float]:
    """Steps 1 and 2 (the graph emptied before and after): ``(Bolt seconds, graph counts,
    bare rows, bare seconds)``."""
    # 1. Bolt ------------------------------------------------------------------------------
    with Store(settings) as store:
        store.reset()
        sources = read_sources([out / "inventory.yaml"])
        t = time.perf_counter()
        summary = load(store, sources, pseudo, batch_size=args.batch_size, writers=args.writers)
        bolt_s = time.perf_counter() - t
        rows = sum(summary.items.get(k, 0) for k in BULK_KINDS)
        graph = store.counts()
        log(f"[bolt] lineage load: {rows:,} bulk rows in {bolt_s:.1f} s -> "
            f"{rows / bolt_s:,.0f} rows/s (validation included); graph {graph}")

        # 2. bare CREATE -----------------------------------------------------------------
        bare_rows = bare_s = 0.0
        if not args.skip_bare:
            section_school = {r["section"]: r["school"]
                              for r in kind_rows(sources, "teaching", pseudo)}
            for k in BULK_KINDS:
                if summary.items.get(k, 0) >= 1000:
                    cnt, dt = bare(store, sources, k, pseudo, args.batch_size, args.writers,
                                   section_school)
                    bare_rows += cnt
                    bare_s += dt
            log(f"[bare] UNWIND ... CREATE: {bare_rows:,.0f} rows in {bare_s:.1f} s -> "
                f"{bare_rows / bare_s:,.0f} rows/s")
        store.reset()
    return bolt_s, graph, bare_rows, bare_s


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out")
    ap.add_argument("--batch-size", type=int, default=20_000)
    ap.add_argument("--writers", type=int, default=2)
    ap.add_argument("--skip-bare", action="store_true", help="skip the bare CREATE baseline")
    ap.add_argument("--importer-only", action="store_true",
                    help="only the first load through the importer (no Bolt load, no bare "
                    "CREATE): to compare two checkouts run one after the other")
    args = ap.parse_args()
    pseudo = Pseudonymizer(os.environ.get("LINEAGE_PSEUDONYM_KEY") or DEMO_KEY)
    lineage = LineageSettings()
    settings = with_local_password(Neo4jSettings(), lineage)
    home = lineage.home.expanduser().resolve()
    if not (settings.is_local(lineage.bolt_port) and server.is_running(home)):
        log(f"needs the local server of {home} as NEO4J_URI (lineage db start)")
        return 2

    n = args.students
    out = args.out / str(n)
    if not (out / "inventory.yaml").is_file():
        t = time.perf_counter()
        generate(out, n, args.seed)
        log(f"[gen] {out}: {time.perf_counter() - t:.1f} s")
    load_avg = os.getloadavg()

    bolt_s = bare_s = bare_rows = 0.0
    graph = None
    if args.importer_only:
        with Store(settings) as store:
            store.reset()
    else:
        bolt_s, graph, bare_rows, bare_s = bolt_and_bare(args, settings, out, pseudo)

    # 3. the offline importer -------------------------------------------------------------
    sources = read_sources([out / "inventory.yaml"])

    def open_store() -> Store:
        return Store(settings)

    t = time.perf_counter()
    s = importer.initial_load(open_store, home, settings.database, sources, pseudo, local=True)
    first_s = time.perf_counter() - t
    rows = sum(s.items.get(k, 0) for k in BULK_KINDS)
    with Store(settings) as store:
        counts = store.counts()
    assert graph is None or counts == graph, "the importer's graph differs in size from Bolt's"
    log(f"[importer] graph {counts}; {s.duplicates} repeated rows merged")
    phases = {p.name: p.seconds for p in s.phases}
    own = rows / phases["import"]
    end_to_end = rows / first_s
    log("[importer] phase      seconds      rows/s")
    for p in s.phases:
        log(f"[importer] {p.name:<9} {p.seconds:8.2f} {rows / p.seconds:>12,.0f}")
    log(f"[importer] end to end {first_s:7.2f} {end_to_end:>12,.0f}")
    log(f"[ratio] first load end to end / importer's own rows/s = {end_to_end / own:.2f}")
    if bolt_s:
        log(f"[ratio] first load end to end / lineage load over Bolt = "
            f"{end_to_end / (rows / bolt_s):.2f}")
    if bare_s:
        log(f"[ratio] importer's own rows/s / bare CREATE = {own / (bare_rows / bare_s):.2f}")
    log(f"[env] load average before the run {load_avg[0]:.2f} {load_avg[1]:.2f} "
        f"{load_avg[2]:.2f}; after {os.getloadavg()[0]:.2f}; nproc {os.cpu_count()}")
    log(f"[rss] peak {rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
