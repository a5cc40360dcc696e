"""Scale benchmark of `lineage` against a running Neo4j (NEO4J_URI etc. as for the CLI).

Usage::

    python bench/bench.py --students 10000 [--seed 1] [--out bench/out] [--exposure-samples 1000]
        [--batch-size 20000] [--neo4j-conf PATH] [--skip-update] [--skip-baselines]

One run on one machine: generate (or reuse) the synthetic state, reset the graph, load it (per
kind: rows/s), write the same bulk rows again with a bare ``UNWIND ... CREATE`` (the ceiling
over Bolt) and report each kind's ratio to it, optionally re-load each kind (MERGE re-run =
update throughput), then ``exposure`` latency over random students, ``impact`` throughput
(by classes, and one student at a time as the same-run baseline), the policy audit and the
Python process's peak RSS. Prints progress lines, then a markdown block for RESULTS.md.

WARNING: it deletes every node of the target graph; point it at a scratch server.
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

from lineage.core.models import BulkKind  # noqa: E402
from lineage.core.pseudonym import DEMO_KEY, Pseudonymizer  # noqa: E402
from lineage.core.settings import LineageSettings, Neo4jSettings, with_local_password  # noqa: E402
from lineage.core.vocabulary import Role  # noqa: E402
from lineage.graph.store import Store  # noqa: E402
from lineage.graph.writer import (  # noqa: E402
    _batched,
    bulk_param,
    load,
    partitioned,
    prefetch,
    read_sources,
)
from lineage.questions import audit as policy  # noqa: E402
from lineage.questions import datasets  # noqa: E402
from lineage.questions import student as answers  # noqa: E402
from lineage.sources.bulk import BULK  # noqa: E402
from lineage.sources.inventory import BulkRow, bulk_in_order, iter_bulk_rows  # noqa: E402
from lineage.sources.synth import generate  # noqa: E402

BULK_KINDS = ("teaching", "guardians", "enrolments", "rosters", "members", "subjects",
              "access_log")
#: the rows the issue's load target names: enrolments, rosters and dataset coverage (members)
TARGET_KINDS = ("enrolments", "rosters", "members")


def log(msg: str) -> None:
    print(msg, flush=True)


def rss_mb() -> float:
    """Peak RSS of this process in MB (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(xs: list[float], p: float) -> float:
    """Nearest-rank percentile."""
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
        facts["loadavg"] = Path("/proc/loadavg").read_text().split(" ")[0]
    except OSError:
        pass
    if conf and conf.is_file():
        for line in conf.read_text().splitlines():
            if line.startswith("server.memory."):
                k, v = line.split("=", 1)
                facts[k.strip()] = v.strip()
    return facts


def kind_rows(sources, kind: str, pseudo: Pseudonymizer):
    """Rows of one bulk kind, built exactly as graph.writer.load builds them (streamed)."""
    for src, b in bulk_in_order(sources):
        if b.kind.value != kind:
            continue
        for item in iter_bulk_rows(src, b):
            if isinstance(item, BulkRow):
                yield bulk_param(item, pseudo)


def bare(store: Store, sources, kind: str, pseudo: Pseudonymizer, batch: int, writers: int,
         section_school: dict[str, str]) -> tuple[int, float]:
    """Write one kind's rows with bench/bare_create exactly as load streams them (same rows,
    batches, prefetching, partitioning and number of concurrent writers); then delete them."""
    n = 0

    def counted():
        nonlocal n
        for r in kind_rows(sources, kind, pseudo):
            n += 1
            yield r

    key = BULK[BulkKind(kind)].partition_key(section_school, batch)
    t = time.perf_counter()
    store.write_partitioned("bench/bare_create",
                            prefetch(partitioned(counted(), key, batch, writers)), writers=writers)
    dt = time.perf_counter() - t
    while store.write("bench/bare_delete", limit=100_000).nodes_deleted:
        pass
    return n, dt


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out")
    ap.add_argument("--exposure-samples", type=int, default=1000)
    ap.add_argument("--batch-size", type=int, default=20_000)
    ap.add_argument("--writers", type=int, default=2,
                    help="concurrent writer sessions, for the load and the bare baseline alike")
    ap.add_argument("--neo4j-conf", type=Path, default=None,
                    help="the server's neo4j.conf, to report server.memory.* with the figures")
    ap.add_argument("--server-heap", default="?",
                    help="the server's JVM heap (e.g. the --heap given to 'lineage db start'), "
                         "reported with the figures")
    ap.add_argument("--skip-update", action="store_true",
                    help="skip the per-kind idempotent re-load (update throughput)")
    args = ap.parse_args()
    key = os.environ.get("LINEAGE_PSEUDONYM_KEY") or DEMO_KEY
    pseudo = Pseudonymizer(key)
    res: dict[str, object] = {}
    n = args.students
    facts = machine_facts(args.neo4j_conf)
    facts.setdefault("server.memory.heap.max_size", args.server_heap)

    # 1. synthetic state ---------------------------------------------------------------
    out = args.out / str(n)
    if (out / "inventory.yaml").is_file():
        log(f"[gen] reusing {out}")
    else:
        t = time.perf_counter()
        s = generate(out, n, args.seed)
        log(f"[gen] {out}: {time.perf_counter() - t:.1f} s, rows {s.rows}")
    inv_mb = (out / "inventory.yaml").stat().st_size / 1e6

    with Store(with_local_password(Neo4jSettings(), LineageSettings())) as store:
        v = store.verify()
        facts["neo4j"] = f"{v.get('name')} {v.get('version')} {v.get('edition')}"
        log(f"[env] {facts}")

        # 2. reset + full load ---------------------------------------------------------
        store.reset()
        t = time.perf_counter()
        sources = read_sources([out / "inventory.yaml"])
        res["parse_s"] = time.perf_counter() - t
        t = time.perf_counter()
        summary = load(store, sources, pseudo, batch_size=args.batch_size, writers=args.writers)
        res["load_s"] = time.perf_counter() - t
        written = sum(summary.seconds.values())
        res["validate_s"] = res["load_s"] - written
        res["items"] = dict(summary.items)
        res["seconds"] = dict(summary.seconds)
        bulk_total = sum(summary.items.get(k, 0) for k in BULK_KINDS)
        res["bulk_rows"] = bulk_total
        res["load_rows_s"] = bulk_total / res["load_s"]
        res["rss_after_load_mb"] = rss_mb()
        res["graph"] = store.counts()
        log(f"[load] parse {res['parse_s']:.1f} s; load() {res['load_s']:.1f} s (validate "
            f"{res['validate_s']:.1f} s); {bulk_total:,} bulk rows -> {res['load_rows_s']:,.0f} "
            f"rows/s overall; graph {res['graph']}; RSS {res['rss_after_load_mb']:.0f} MB")
        for k in BULK_KINDS:
            if summary.items.get(k):
                log(f"[load] {k}: {summary.items[k]:,} rows in {summary.seconds[k]:.1f} s -> "
                    f"{summary.items[k] / summary.seconds[k]:,.0f} rows/s")

        # 3. bare CREATE of the same rows, per kind --------------------------------------
        res["bare"] = {}
        section_school = {r["section"]: r["school"]
                          for r in kind_rows(sources, "teaching", pseudo)}
        for k in BULK_KINDS:
            if summary.items.get(k, 0) >= 1000:
                cnt, dt = bare(store, sources, k, pseudo, args.batch_size, args.writers,
                               section_school)
                res["bare"][k] = (cnt, dt)
                log(f"[bare] {k}: {cnt:,} rows in {dt:.1f} s -> {cnt / dt:,.0f} rows/s; "
                    f"load/bare = {(summary.items[k] / summary.seconds[k]) / (cnt / dt):.2f}")

        # 3b. MERGE re-run (update throughput) ----------------------------------------
        res["update"] = {}
        items = summary.items
        if not args.skip_update:
            for k in ("enrolments", "rosters"):
                t = time.perf_counter()
                store.write_batches(BULK[BulkKind(k)].statement,
                                    prefetch(_batched(kind_rows(sources, k, pseudo),
                                                      args.batch_size)),
                                    **BULK[BulkKind(k)].extra_params)
                dt = time.perf_counter() - t
                cnt = items[k]
                res["update"][k] = (cnt, dt)
                log(f"[update] {k}: {cnt:,} rows in {dt:.1f} s -> {cnt / dt:,.0f} rows/s")

        # 4. exposure latency ----------------------------------------------------------
        with (out / "enrolments.csv").open(newline="") as fh:
            ids = sorted({r["student_id"] for r in csv.DictReader(fh)})
        rng = random.Random(args.seed)
        for sid in rng.sample(ids, min(20, len(ids))):
            answers.exposure(store, pseudo, sid)
        sample = [rng.choice(ids) for _ in range(args.exposure_samples)]
        del ids
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
        tg = store.read("bench/impact_targets", vendor_role=Role.VENDOR.value,
                        district_prefix="sd001--")[0]
        res["impact"] = []
        for label, kw, methods in (
                ("district vendor dataset", {"dataset": tg["district_dataset"]},
                 ("classes", "per_student")),
                (f"vendor serving most districts ({tg['widest_datasets']} districts)",
                 {"actor": tg["widest_vendor"]}, ("classes",))):
            for m in methods:
                t = time.perf_counter()
                k = sum(1 for _ in datasets.impact(store, method=m, **kw))
                cold = time.perf_counter() - t   # first run: query plans not cached yet
                t = time.perf_counter()
                k = sum(1 for _ in datasets.impact(store, method=m, **kw))
                dt = time.perf_counter() - t
                res["impact"].append((label, kw, m, k, dt, cold))
                log(f"[impact] {label} {kw} {m}: {k:,} students in {dt:.2f} s -> "
                    f"{k / dt:,.0f} students/s")

        # 6. check ------------------------------------------------------------------------
        t = time.perf_counter()
        findings = policy.audit(store)
        res["check_s"] = time.perf_counter() - t
        res["findings"] = len(findings)
        log(f"[check] policy.audit (all rules): {res['check_s']:.2f} s, {len(findings)} findings")

    res["rss_peak_mb"] = rss_mb()
    log(f"[rss] peak {res['rss_peak_mb']:.0f} MB")
    print("\n".join(markdown(n, args, facts, inv_mb, res)), flush=True)
    return 0


def markdown(n, args, facts, inv_mb, res) -> list[str]:
    items, secs = res["items"], res["seconds"]
    L = [f"### {n:,} students (seed {args.seed}, batch {args.batch_size})", "",
         f"Machine: {facts.get('cpu', '?')}, nproc {facts['nproc']}, "
         f"{facts.get('mem_total_gib', '?')} GiB RAM, load average at start "
         f"{facts.get('loadavg', '?')}; {facts['neo4j']}; heap "
         f"{facts.get('server.memory.heap.max_size', '?')}, page cache "
         f"{facts.get('server.memory.pagecache.size', '?')}; Python {facts['python']}; "
         f"{args.writers} concurrent writer session(s) for load and bare CREATE alike", "",
         f"Input: inventory.yaml {inv_mb:.2f} MB; graph after load "
         f"{res['graph']['nodes']:,} nodes, {res['graph']['relationships']:,} relationships", "",
         "| load, per input kind | rows | rows/s | bare CREATE rows/s | ratio to bare |",
         "|---|---:|---:|---:|---:|"]
    tgt_rows = tgt_s = tgt_bare_rows = tgt_bare_s = 0
    for k in BULK_KINDS:
        if not items.get(k):
            continue
        rate = items[k] / secs[k]
        b = res["bare"].get(k)
        brate = b[0] / b[1] if b else None
        L.append(f"| {k} | {items[k]:,} | {rate:,.0f} | "
                 f"{f'{brate:,.0f}' if brate else '—'} | {f'{rate / brate:.2f}' if brate else '—'} |")
        if k in TARGET_KINDS and b:
            tgt_rows += items[k]
            tgt_s += secs[k]
            tgt_bare_rows += b[0]
            tgt_bare_s += b[1]
    if tgt_s:
        rate, brate = tgt_rows / tgt_s, tgt_bare_rows / tgt_bare_s
        L.append(f"| **enrolments + rosters + members** | {tgt_rows:,} | **{rate:,.0f}** | "
                 f"{brate:,.0f} | **{rate / brate:.2f}** |")
    L += ["", "| measure | value |", "|---|---|",
          f"| parse inventory.yaml | {res['parse_s']:.2f} s |",
          f"| load() wall: validate every row, then write | {res['load_s']:.1f} s "
          f"(validation {res['validate_s']:.1f} s) |",
          f"| load: all bulk rows ÷ load() wall | {res['load_rows_s']:,.0f} rows/s "
          f"({res['bulk_rows']:,} rows) |"]
    for k, (cnt, dt) in res["update"].items():
        L.append(f"| update (MERGE re-run, nothing new) {k} | {cnt / dt:,.0f} rows/s |")
    e = res["exp"]
    L.append(f"| exposure p50 / p95 / p99 (n={e['n']}) | {e['p50']:.1f} / {e['p95']:.1f} / "
             f"{e['p99']:.1f} ms (max {e['max']:.0f}; mean {e['actors_mean']:.0f} actors) |")
    for label, kw, m, k, dt, cold in res["impact"]:
        target = ", ".join(f"{a}={b}" for a, b in kw.items())
        L.append(f"| impact {label} ({target}), {m} | {k / dt:,.0f} students/s "
                 f"({k:,} students, {dt:.2f} s; first run {cold:.2f} s) |")
    L += [f"| check (policy.audit, all rules) | {res['check_s']:.1f} s "
          f"({res['findings']} findings) |",
          f"| Python peak RSS (after load / end) | {res['rss_after_load_mb']:.0f} / "
          f"{res['rss_peak_mb']:.0f} MB |", ""]
    return L


if __name__ == "__main__":
    sys.exit(main())
