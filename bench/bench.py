"""Scale benchmark of `lineage` against a running Neo4j (NEO4J_URI etc. as for the CLI).

Usage::

    python bench/bench.py --students 10000 [--seed 1] [--out bench/out] [--exposure-samples 1000]
        [--batch-size 5000] [--neo4j-conf /path/to/neo4j.conf] [--skip-update]

One run on one machine: generate (or reuse) the synthetic state, reset the graph, load it,
re-load each bulk CSV alone (idempotent MERGE re-run = *update* throughput), a bare
``UNWIND ... CREATE`` baseline, exposure latency, impact throughput, the policy audit, peak RSS.
Prints figures as it goes, then a markdown block. WARNING: it deletes every node of the graph.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import random
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lineage import answers, policy  # noqa: E402
from lineage.ingest import _BULK_STATEMENT, _batched, bulk_param, load, read_sources  # noqa: E402
from lineage.inventory import BulkRow, iter_bulk_rows  # noqa: E402
from lineage.models import BulkKind  # noqa: E402
from lineage.pseudonym import DEMO_KEY, Pseudonymizer  # noqa: E402
from lineage.settings import Neo4jSettings  # noqa: E402
from lineage.store import Store  # noqa: E402
from lineage.synth import generate  # noqa: E402

BULK_KINDS = ("enrolments", "rosters", "guardians", "members", "access_log")


def log(msg: str) -> None:
    print(msg, flush=True)


def rss_mb() -> float:
    """Peak RSS of this process in MB (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    if not xs:
        return float("nan")
    i = min(len(xs) - 1, max(0, round(p / 100 * (len(xs) - 1))))
    return xs[i]


def machine_facts(conf: Path | None) -> dict[str, str]:
    facts = {"nproc": str(os.cpu_count()), "python": platform.python_version(),
             "platform": platform.platform()}
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                facts["mem_total_gib"] = f"{int(line.split()[1]) / 1024 / 1024:.1f}"
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                facts["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    if conf and conf.is_file():
        for line in conf.read_text().splitlines():
            if line.startswith("server.memory."):
                k, v = line.split("=", 1)
                facts[k.strip()] = v.strip()
    return facts


def bulk_rows(sources, kind: str, pseudo: Pseudonymizer):
    """Rows of one bulk kind, built exactly as ingest.load does."""
    for src in sources:
        for b in src.inventory.bulk:
            if b.kind.value != kind:
                continue
            for item in iter_bulk_rows(src, b):
                if isinstance(item, BulkRow):
                    yield bulk_param(item, pseudo)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out")
    ap.add_argument("--exposure-samples", type=int, default=1000)
    ap.add_argument("--batch-size", type=int, default=5000)
    ap.add_argument("--neo4j-conf", type=Path, default=Path("/tmp/h6/conf/neo4j.conf"))
    ap.add_argument("--skip-update", action="store_true",
                    help="skip the per-kind idempotent re-load (update throughput)")
    args = ap.parse_args()
    key = os.environ.get("LINEAGE_PSEUDONYM_KEY") or DEMO_KEY
    pseudo = Pseudonymizer(key)
    res: dict[str, object] = {}
    n = args.students
    facts = machine_facts(args.neo4j_conf)

    # 1. synthetic state ---------------------------------------------------------------
    out = args.out / str(n)
    if (out / "inventory.yaml").is_file():
        log(f"[gen] reusing {out}")
        res["gen_s"] = None
    else:
        t = time.perf_counter()
        s = generate(out, n, args.seed)
        res["gen_s"] = time.perf_counter() - t
        log(f"[gen] {out}: {res['gen_s']:.1f} s, rows {s.rows}, items {s.items}")
    inv_mb = (out / "inventory.yaml").stat().st_size / 1e6
    csv_rows = {}
    for k in BULK_KINDS:
        p = out / f"{k}.csv"
        with p.open("rb") as fh:
            csv_rows[k] = max(0, sum(1 for _ in fh) - 1)
    log(f"[gen] inventory.yaml {inv_mb:.1f} MB; csv rows {csv_rows}")

    with Store(Neo4jSettings()) as store:
        v = store.verify()
        facts["neo4j"] = f"{v.get('name')} {v.get('version')} {v.get('edition')}"
        log(f"[env] {facts}")

        # 2. reset + full load ---------------------------------------------------------
        t = time.perf_counter()
        store.reset()
        res["reset_s"] = time.perf_counter() - t
        t = time.perf_counter()
        sources = read_sources([out / "inventory.yaml"])
        res["parse_s"] = time.perf_counter() - t
        log(f"[load] reset {res['reset_s']:.1f} s, parse inventory.yaml {res['parse_s']:.1f} s, "
            f"RSS peak so far {rss_mb():.0f} MB")
        t = time.perf_counter()
        summary = load(store, sources, pseudo, batch_size=args.batch_size)
        res["load_s"] = time.perf_counter() - t
        res["items"] = dict(summary.items)
        bulk_total = sum(summary.items.get(k, 0) for k in BULK_KINDS)
        all_items = sum(summary.items.values())
        res["bulk_rows"] = bulk_total
        res["all_items"] = all_items
        res["load_rows_s"] = bulk_total / res["load_s"]
        res["load_items_s"] = all_items / res["load_s"]
        res["rss_after_load_mb"] = rss_mb()
        res["graph"] = store.counts()
        log(f"[load] load() {res['load_s']:.1f} s (validate+write, excl. YAML parse); items "
            f"{summary.items}; bulk rows {bulk_total} -> {res['load_rows_s']:,.0f} bulk rows/s; "
            f"all items {all_items} -> {res['load_items_s']:,.0f} items/s; graph {res['graph']}; "
            f"RSS peak {res['rss_after_load_mb']:.0f} MB")

        # 2b. per-kind idempotent re-load (update throughput) ------------------------
        per_kind: dict[str, tuple[int, float]] = {}
        if not args.skip_update:
            for k in BULK_KINDS:
                rows = list(bulk_rows(sources, k, pseudo))  # build outside the timer
                t = time.perf_counter()
                store.write_batches(_BULK_STATEMENT[BulkKind(k)], _batched(rows, args.batch_size))
                dt = time.perf_counter() - t
                per_kind[k] = (len(rows), dt)
                log(f"[update] {k}: {len(rows)} rows in {dt:.2f} s -> "
                    f"{len(rows) / dt if dt else 0:,.0f} rows/s (MERGE re-run, nothing new)")
                del rows
        res["per_kind"] = per_kind

        # 3. bare CREATE baseline ------------------------------------------------------
        bare_rows = list(bulk_rows(sources, "enrolments", pseudo)) + \
            list(bulk_rows(sources, "rosters", pseudo))
        cy = ("UNWIND $rows AS r CREATE (:BenchRow {a: r.student, b: coalesce(r.org, r.section), "
              "c: r.valid_from})")
        t = time.perf_counter()
        with store._driver.session(database=store.database) as session:
            for batch in _batched(bare_rows, args.batch_size):
                session.execute_write(lambda tx, b=batch: tx.run(cy, rows=b).consume())
        dt = time.perf_counter() - t
        res["bare_rows"] = len(bare_rows)
        res["bare_s"] = dt
        res["bare_rows_s"] = len(bare_rows) / dt
        with store._driver.session(database=store.database) as session:
            session.run("MATCH (n:BenchRow) CALL (n) { DELETE n } IN TRANSACTIONS OF 10000 ROWS"
                        ).consume()
        del bare_rows
        log(f"[bare] CREATE {res['bare_rows']} enrolment+roster rows in {dt:.2f} s -> "
            f"{res['bare_rows_s']:,.0f} rows/s")
        er = per_kind.get("enrolments"), per_kind.get("rosters")
        res["load_vs_bare"] = res["load_rows_s"] / res["bare_rows_s"]
        if all(er):
            rows_er = er[0][0] + er[1][0]
            res["update_er_rows_s"] = rows_er / (er[0][1] + er[1][1])
            res["update_vs_bare"] = res["update_er_rows_s"] / res["bare_rows_s"]
        log(f"[bare] ratio full-load bulk rows/s / bare = {res['load_vs_bare']:.2f}"
            + (f"; enrolment+roster MERGE re-run / bare = {res['update_vs_bare']:.2f}"
               if "update_vs_bare" in res else ""))

        # 4. exposure latency ----------------------------------------------------------
        with (out / "enrolments.csv").open(newline="") as fh:
            ids = sorted({r["student_id"] for r in csv.DictReader(fh)})
        rng = random.Random(args.seed)
        for sid in rng.sample(ids, min(20, len(ids))):
            answers.exposure(store, pseudo, sid)
        sample = [rng.choice(ids) for _ in range(args.exposure_samples)]
        lat, actors = [], []
        for sid in sample:
            t = time.perf_counter()
            r = answers.exposure(store, pseudo, sid)
            lat.append((time.perf_counter() - t) * 1000)
            actors.append(len(r["actors"]))
        res["exp"] = {"n": len(lat), "p50": pct(lat, 50), "p95": pct(lat, 95),
                      "p99": pct(lat, 99), "max": max(lat), "mean": statistics.mean(lat),
                      "actors_mean": statistics.mean(actors)}
        log(f"[exposure] {res['exp']}")

        # 5. impact ----------------------------------------------------------------------
        cand = store.read_text(
            "MATCH (a:Actor {role: 'vendor'})-[:HOLDS]->(d:Dataset) "
            "OPTIONAL MATCH (f:Flow)--(d) "
            "RETURN d.id AS id, a.id AS vendor, count(DISTINCT f) AS flows "
            "ORDER BY (d.id STARTS WITH 'sd001') DESC, flows DESC, id LIMIT 1")
        if cand:
            ds = cand[0]["id"]
            t = time.perf_counter()
            k = sum(1 for _ in answers.impact(store, dataset=ds))
            dt = time.perf_counter() - t
            res["impact"] = {"dataset": ds, "vendor": cand[0]["vendor"],
                             "flows": cand[0]["flows"], "students": k, "s": dt,
                             "students_s": k / dt if dt else 0}
        else:
            res["impact"] = None
        log(f"[impact] {res['impact']}")

        # 6. check ------------------------------------------------------------------------
        t = time.perf_counter()
        findings = policy.audit(store)
        res["check_s"] = time.perf_counter() - t
        res["findings"] = len(findings)
        log(f"[check] policy.audit (all rules): {res['check_s']:.2f} s, {len(findings)} findings")

    res["rss_peak_mb"] = rss_mb()
    log(f"[rss] peak {res['rss_peak_mb']:.0f} MB")

    # markdown ------------------------------------------------------------------------------
    L = [f"### {n:,} students (seed {args.seed}, batch {args.batch_size})", "",
         f"Machine: {facts.get('cpu', '?')}, nproc {facts['nproc']}, "
         f"{facts.get('mem_total_gib', '?')} GiB RAM; {facts['neo4j']}; heap "
         f"{facts.get('server.memory.heap.max_size', '?')}, pagecache "
         f"{facts.get('server.memory.pagecache.size', '?')}; Python {facts['python']}", "",
         f"Input: inventory.yaml {inv_mb:.1f} MB; CSV rows {csv_rows}; items {res['items']}", "",
         "| measure | value |", "|---|---|",
         f"| parse inventory.yaml (read_sources) | {res['parse_s']:.1f} s |",
         f"| load() wall (validate + all writes) | {res['load_s']:.1f} s |",
         f"| load: bulk rows / load wall | {res['load_rows_s']:,.0f} rows/s ({bulk_total:,} rows) |",
         f"| load: all items+rows / load wall | {res['load_items_s']:,.0f} /s ({all_items:,}) |",
         f"| graph after load | {res['graph']['nodes']:,} nodes, "
         f"{res['graph']['relationships']:,} rels |"]
    for k, (cnt, dt) in per_kind.items():
        L.append(f"| update (MERGE re-run) {k} | {cnt / dt if dt else 0:,.0f} rows/s "
                 f"({cnt:,} rows, {dt:.2f} s) |")
    L += [f"| bare UNWIND CREATE (enrolments+rosters) | {res['bare_rows_s']:,.0f} rows/s "
          f"({res['bare_rows']:,} rows) |",
          f"| ratio load bulk rows/s ÷ bare | {res['load_vs_bare']:.2f} |"]
    if "update_vs_bare" in res:
        L.append(f"| ratio enrolment+roster MERGE re-run ÷ bare | {res['update_vs_bare']:.2f} |")
    e = res["exp"]
    L += [f"| exposure p50 / p95 / p99 (n={e['n']}) | {e['p50']:.1f} / {e['p95']:.1f} / "
          f"{e['p99']:.1f} ms (max {e['max']:.1f}, mean {e['actors_mean']:.0f} actors) |"]
    if res["impact"]:
        i = res["impact"]
        L.append(f"| impact --dataset {i['dataset']} | {i['students_s']:,.0f} students/s "
                 f"({i['students']:,} students, {i['s']:.2f} s) |")
    L += [f"| check (policy.audit, all rules) | {res['check_s']:.2f} s ({res['findings']} "
          f"findings) |",
          f"| Python peak RSS (after load / end) | {res['rss_after_load_mb']:.0f} / "
          f"{res['rss_peak_mb']:.0f} MB |", ""]
    print("\n".join(L), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
