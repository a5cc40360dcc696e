"""Breach impact throughput: students/s for a district's vendor dataset and the widest vendor.

Usage::

    python bench/impact_bench.py --students 10000 [--skip-load] [--baseline-repo PATH]
        [--per-student]

Each measure runs in its own process (``bench/_worker.py``): ``impact`` fully consumed twice,
the second timed. Baselines of the same run: the ``per_student`` method (with
``--per-student``) and, with ``--baseline-repo``, the same measure by another checkout against
the same graph (interleaved). Prints the 1-minute load average before and after. WARNING:
without --skip-load it resets the graph.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REPO, arguments, loadavg, log, result, state, worker


def main() -> int:
    ap = arguments(__doc__.splitlines()[0])
    ap.add_argument("--per-student", action="store_true",
                    help="also measure the per_student method (slow: ~1 k students/s)")
    args = ap.parse_args()
    state(args)
    sys.path.insert(0, str(REPO))
    from lineage.core.settings import (
        LineageSettings,
        Neo4jSettings,
        with_local_password,
    )
    from lineage.core.vocabulary import Role
    from lineage.graph.store import Store

    with Store(with_local_password(Neo4jSettings(), LineageSettings())) as store:
        tg = store.read("bench/impact_targets", vendor_role=Role.VENDOR.value,
                        district_prefix="sd001--")[0]
    targets = [("district vendor dataset", "dataset", tg["district_dataset"]),
               (f"vendor of {tg['widest_datasets']} district(s)", "actor", tg["widest_vendor"])]
    repos = [("this", REPO)] + ([("baseline", args.baseline_repo)] if args.baseline_repo else [])
    methods = ["classes"] + (["per_student"] if args.per_student else [])
    before = loadavg()
    rows = []
    for label, kind, ident in targets:
        for m in methods:
            for name, repo in repos:
                r = result(worker(repo, "impact", kind, ident, m))
                rate = r["students"] / r["seconds"]
                rows.append((label, f"{kind}={ident}", m, name, r["students"], rate, r["seconds"]))
                log(f"[impact] {label} {m} {name}: {r['students']:,} students, {rate:,.0f} "
                    f"students/s (load {loadavg():.2f})")
    after = loadavg()
    print(f"\n### impact, {args.students:,} students (load average {before:.2f} before, "
          f"{after:.2f} after; machine nproc {os.cpu_count()})\n")
    print("| target | method | checkout | students | students/s | ratio |")
    print("|---|---|---|---:|---:|---:|")
    base = {(r[0], r[3]): r[5] for r in rows if r[2] == ("per_student" if args.per_student
                                                         else "classes")}
    for label, tgt, m, name, k, rate, _ in rows:
        ref = base.get((label, "baseline" if args.baseline_repo else name))
        if args.per_student:
            ref = base.get((label, name))
        ratio = f"{rate / ref:.2f}" if ref else "—"
        print(f"| {label} ({tgt}) | {m} | {name} | {k:,} | {rate:,.0f} | {ratio} |")
    print("\nratio: to the per_student method of the same checkout (--per-student), else to the "
          "baseline checkout's classes figure (--baseline-repo), else 1.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
