"""One benchmark client process (run by bench/exposure_clients.py and bench/impact_bench.py).

Usage: ``python bench/_worker.py --repo PATH JOB ...``: imports ``lineage`` from ``PATH`` (so
that one run can compare this checkout with a baseline checkout), opens one Store from the
environment (``NEO4J_URI`` etc.), and runs JOB:

* ``exposure IDS_FILE N SEED``: 20 warm-up ``exposure`` calls, prints ``ready``, waits for a line
  on standard input, then answers N students drawn (seeded) from IDS_FILE (one ID a line) and
  prints one JSON line ``{"start", "end", "lat_ms": [...]}`` (wall clock seconds).
* ``impact KIND ID METHOD``: ``impact(KIND=ID, method=METHOD)`` fully consumed twice (the first
  warms plans and caches); prints ``{"students", "seconds", "first_seconds"}``.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time


def main() -> int:
    args = sys.argv[1:]
    if args[:1] != ["--repo"]:
        raise SystemExit(__doc__)
    repo, job, rest = args[1], args[2], args[3:]
    sys.path.insert(0, os.path.abspath(repo))
    from lineage.core.pseudonym import DEMO_KEY, Pseudonymizer
    from lineage.core.settings import (
        LineageSettings,
        Neo4jSettings,
        with_local_password,
    )
    from lineage.graph.store import Store

    pseudo = Pseudonymizer(os.environ.get("LINEAGE_PSEUDONYM_KEY") or DEMO_KEY)
    with Store(with_local_password(Neo4jSettings(), LineageSettings())) as store:
        if job == "exposure":
            from lineage.questions import student as answers

            ids_file, n, seed = rest[0], int(rest[1]), int(rest[2])
            with open(ids_file) as fh:
                ids = fh.read().split()
            rng = random.Random(seed)
            for sid in rng.sample(ids, min(20, len(ids))):
                answers.exposure(store, pseudo, sid)
            sample = [rng.choice(ids) for _ in range(n)]
            print("ready", flush=True)
            sys.stdin.readline()
            lat = []
            start = time.time()
            for sid in sample:
                t = time.perf_counter()
                answers.exposure(store, pseudo, sid)
                lat.append((time.perf_counter() - t) * 1000)
            print(json.dumps({"start": start, "end": time.time(), "lat_ms": lat}), flush=True)
        elif job == "impact":
            from lineage.questions import datasets

            kind, ident, method = rest
            t = time.perf_counter()
            sum(1 for _ in datasets.impact(store, method=method, **{kind: ident}))
            first = time.perf_counter() - t
            t = time.perf_counter()
            k = sum(1 for _ in datasets.impact(store, method=method, **{kind: ident}))
            print(json.dumps({"students": k, "seconds": time.perf_counter() - t,
                              "first_seconds": first}), flush=True)
        else:
            raise SystemExit(f"unknown job {job!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
