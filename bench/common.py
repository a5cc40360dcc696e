"""What the small benchmark scripts share: the synthetic state (generated and loaded when asked),
the 1-minute load average, percentiles and the client processes of ``bench/_worker.py``.

Every script measures its baseline in the same run and prints ratios to it, with the load
average before and after (the figures of a shared machine move with it)."""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORKER = HERE / "_worker.py"
#: the key the bench loads with (and its client processes and CLI runs answer with)
os.environ.setdefault("LINEAGE_PSEUDONYM_KEY", "demo-key-synthetic-data-only-never-for-real-students")


def log(msg: str) -> None:
    print(msg, flush=True)


def loadavg() -> float:
    """The 1-minute load average."""
    return os.getloadavg()[0]


def pct(xs: list[float], p: float) -> float:
    """Nearest-rank percentile (NaN for no values)."""
    xs = sorted(xs)
    if not xs:
        return float("nan")
    return xs[min(len(xs) - 1, max(0, round(p / 100 * (len(xs) - 1))))]


def arguments(description: str) -> argparse.ArgumentParser:
    """The options every script takes: --students N, --seed, --out, --skip-load and
    --baseline-repo (another checkout measured in the same run)."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--students", type=int, required=True, help="size of the synthetic state")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=HERE / "out",
                    help="where states are generated (reused; git-ignored)")
    ap.add_argument("--skip-load", action="store_true",
                    help="the graph already holds this state (no reset, no load)")
    ap.add_argument("--baseline-repo", type=Path, default=None,
                    help="another checkout (e.g. the commit before a change) measured in the "
                         "same run against the same graph")
    return ap


def state(args) -> Path:
    """Generate the state (reused when present) and, unless --skip-load, reset the graph and
    load it with this checkout's loader. WARNING: deletes every node of the target graph."""
    sys.path.insert(0, str(REPO))
    from lineage.sources.synth import generate

    out = args.out / str(args.students)
    if not (out / "inventory.yaml").is_file():
        generate(out, args.students, args.seed)
    if not args.skip_load:
        from lineage.core.pseudonym import DEMO_KEY, Pseudonymizer
        from lineage.core.settings import (
            LineageSettings,
            Neo4jSettings,
            with_local_password,
        )
        from lineage.graph.store import Store
        from lineage.graph.writer import load, read_sources

        pseudo = Pseudonymizer(os.environ.get("LINEAGE_PSEUDONYM_KEY") or DEMO_KEY)
        with Store(with_local_password(Neo4jSettings(), LineageSettings())) as store:
            store.reset()
            t = time.perf_counter()
            load(store, read_sources([out / "inventory.yaml"]), pseudo)
            log(f"[load] {args.students:,} students loaded in {time.perf_counter() - t:.1f} s")
    return out


def student_ids(out: Path) -> list[str]:
    """The synthetic student IDs of a state (from its enrolments file), sorted."""
    with (out / "enrolments.csv").open(newline="") as fh:
        return sorted({r["student_id"] for r in csv.DictReader(fh)})


def worker(repo: Path, *job: str, stdin: bool = False) -> subprocess.Popen:
    """Start one ``_worker.py`` client importing ``lineage`` from ``repo``."""
    return subprocess.Popen([sys.executable, str(WORKER), "--repo", str(repo), *job],
                            stdin=subprocess.PIPE if stdin else None, stdout=subprocess.PIPE,
                            text=True)


def result(proc: subprocess.Popen) -> dict:
    """The JSON line a worker printed last; raises when it failed."""
    out, _ = proc.communicate()
    if proc.returncode:
        raise SystemExit(f"worker failed with exit code {proc.returncode}")
    return json.loads(out.strip().splitlines()[-1])
