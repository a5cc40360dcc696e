"""Concurrent ``exposure`` clients: answers/s and latency percentiles for 1, 4 and 16 clients.

Usage::

    python bench/exposure_clients.py --students 10000 [--per-client 200] [--clients 1,4,16]
        [--skip-load] [--baseline-repo PATH]

Each client is its own process (``bench/_worker.py``: one Store, 20 warm-up calls, then
``--per-client`` library calls ``lineage.questions.student.exposure`` on students drawn from
the state); all clients of a level start together. Throughput = answers ÷ (last end − first
start). Ratios: to 1 client of the same checkout, and with ``--baseline-repo`` to that
checkout's figures at the same level, measured in the same run against the same graph.
Prints the 1-minute load average before and after. WARNING: without --skip-load it resets
the graph.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    REPO,
    arguments,
    loadavg,
    log,
    pct,
    result,
    state,
    student_ids,
    worker,
)


def level(repo: Path, ids_file: str, clients: int, per_client: int, seed: int) -> dict:
    procs = [worker(repo, "exposure", ids_file, str(per_client), str(seed + i), stdin=True)
             for i in range(clients)]
    for p in procs:
        if p.stdout.readline().strip() != "ready":
            raise SystemExit("a client failed to start")
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    rs = [result(p) for p in procs]
    lat = [x for r in rs for x in r["lat_ms"]]
    wall = max(r["end"] for r in rs) - min(r["start"] for r in rs)
    return {"answers_s": len(lat) / wall, "p50": pct(lat, 50), "p99": pct(lat, 99),
            "mean": statistics.mean(lat), "n": len(lat)}


def main() -> int:
    ap = arguments(__doc__.splitlines()[0])
    ap.add_argument("--per-client", type=int, default=200)
    ap.add_argument("--clients", default="1,4,16")
    args = ap.parse_args()
    out = state(args)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
        fh.write("\n".join(student_ids(out)))
        ids_file = fh.name
    repos = [("this", REPO)] + ([("baseline", args.baseline_repo)] if args.baseline_repo else [])
    before = loadavg()
    figures: dict[tuple[str, int], dict] = {}
    for n in (int(x) for x in args.clients.split(",")):
        for name, repo in repos:           # interleaved: both checkouts at one level, then the next
            figures[name, n] = f = level(repo, ids_file, n, args.per_client, args.seed)
            log(f"[exposure] {name} {n} client(s): {f['answers_s']:.1f} answers/s, p50 "
                f"{f['p50']:.1f} ms, p99 {f['p99']:.1f} ms (n={f['n']}; load {loadavg():.2f})")
    after = loadavg()
    print(f"\n### exposure clients, {args.students:,} students (load average {before:.2f} before,"
          f" {after:.2f} after)\n")
    print("| checkout | clients | answers/s | × 1 client | p50 ms | p99 ms |"
          + (" answers/s ÷ baseline |" if args.baseline_repo else ""))
    print("|---|---:|---:|---:|---:|---:|" + ("---:|" if args.baseline_repo else ""))
    for (name, n), f in figures.items():
        one = figures[name, min(k for nm, k in figures if nm == name)]["answers_s"]
        row = (f"| {name} | {n} | {f['answers_s']:.1f} | {f['answers_s'] / one:.2f} | "
               f"{f['p50']:.1f} | {f['p99']:.1f} |")
        if args.baseline_repo:
            b = figures.get(("baseline", n))
            row += f" {f['answers_s'] / b['answers_s']:.2f} |" if name == "this" and b else " — |"
        print(row)
    Path(ids_file).unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
