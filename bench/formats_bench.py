"""One synthetic state loaded three ways — natively, as OneRoster 1.2 and as Ed-Fi — in one run
(issue #13's "Done when"): each load's rows/s and its ratio to the native loader's, the Python
peak memory of each load, and whether the answers are identical (``exposure`` JSON for random
students, ``impact`` counts for a district vendor).

Usage::

    python bench/formats_bench.py --students 100000 [--seed 1] [--samples 200] [--out bench/out]

Each load runs as ``lineage load`` in a child process (its own peak RSS, as a user would run
it), against the server of NEO4J_URI (or the local one, as for the CLI). The synthetic states
are written once under ``--out`` and reused. Prints progress lines, then a markdown block for
bench/RESULTS.md. The 1-minute load average is printed before and after each load. Each load
starts on an emptied graph with the (local) server idle again (deleting the previous state
keeps it busy for minutes), after an untimed native load that warms the server up.

WARNING: it deletes every node of the target graph; point it at a scratch server.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lineage.core.pseudonym import Pseudonymizer  # noqa: E402
from lineage.core.settings import LineageSettings, Neo4jSettings, with_local_password  # noqa: E402
from lineage.graph.store import Store  # noqa: E402
from lineage.questions import datasets  # noqa: E402
from lineage.questions import student as answers  # noqa: E402
from tests.formats_equivalence import normalise, org_ids  # noqa: E402

FORMATS = ("native", "oneroster", "edfi")
#: The bulk kinds that every format carries (what the rows/s figure counts).
COUNTED = ("enrolments", "rosters", "teaching", "guardians", "members", "subjects", "access_log",
           "sections")
KEY = "bench-key-synthetic-data-only-not-secret"


def log(msg: str) -> None:
    print(msg, flush=True)


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().split(" ")[0]


def synth(fmt: str, n: int, seed: int, out: Path) -> Path:
    folder = out / f"formats-{n}-{seed}" / fmt
    if not (folder / "inventory.yaml").is_file():
        subprocess.run([sys.executable, "-m", "lineage.cli", "synth", "--students", str(n),
                        "--seed", str(seed), "--format", fmt, "--out", str(folder)],
                       check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return folder


def load_args(fmt: str, folder: Path) -> list[str]:
    args = ["load", str(folder / "inventory.yaml"), "--no-progress", "--source", fmt]
    if fmt != "native":
        args += [f"--{fmt}", str(folder / fmt)]
    return args


CHILD = """
import json, resource, sys, time
from click.testing import CliRunner
from lineage.cli import main
t0 = time.perf_counter()
r = CliRunner().invoke(main, sys.argv[1:])
dt = time.perf_counter() - t0
print(json.dumps({"exit": r.exit_code, "seconds": dt, "output": r.output[-4000:],
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "children_peak_mb":
                      resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def timed_load(fmt: str, folder: Path) -> dict:
    """``lineage load`` of one format in a child process: exit, seconds, peak MB, output."""
    env = {**os.environ, "LINEAGE_PSEUDONYM_KEY": KEY}
    proc = subprocess.run([sys.executable, "-c", CHILD, *load_args(fmt, folder)], cwd=ROOT,
                          env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{fmt}: the load process failed:\n{proc.stderr[-4000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    if out["exit"] != 0:
        raise SystemExit(f"{fmt}: lineage load exited {out['exit']}:\n{out['output']}")
    return out


def server_pid(lineage: LineageSettings) -> int | None:
    """The pid of the local server of ``lineage.home`` (None when NEO4J_URI names another)."""
    if os.environ.get("NEO4J_URI") and not os.environ["NEO4J_URI"].endswith(
            f":{lineage.bolt_port}"):
        return None
    from lineage.graph import server

    info = server.status(lineage.home)
    return info.pid if info is not None else None


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def settle(pid: int | None, limit: float = 600.0) -> float:
    """Wait until the server uses less than a tenth of a core over 3 s (after deleting a graph
    it keeps a core busy for minutes, which a load measured then would share); returns the
    seconds waited."""
    if pid is None:
        return 0.0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < limit:
        c0 = cpu_seconds(pid)
        time.sleep(3)
        if cpu_seconds(pid) - c0 < 0.3:
            break
    return time.perf_counter() - t0


def graph_rows(store: Store) -> int:
    """Relationships of the counted kinds now in the graph (what the load wrote)."""
    rows = store.read_text("MATCH ()-[r]->() RETURN type(r) AS t, count(r) AS n")
    return sum(r["n"] for r in rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--students", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    ap.add_argument("--no-warmup", action="store_true",
                    help="skip the untimed native load that warms the server up first")
    args = ap.parse_args()

    lineage = LineageSettings()
    settings = (with_local_password(Neo4jSettings(), lineage, lineage.home)
                if os.environ.get("NEO4J_URI") else
                with_local_password(Neo4jSettings(uri=f"bolt://127.0.0.1:{lineage.bolt_port}"),
                                    lineage, lineage.home))
    pseudo = Pseudonymizer(KEY)
    t0 = time.perf_counter()
    folders = {fmt: synth(fmt, args.students, args.seed, args.out) for fmt in FORMATS}
    log(f"synthetic states ready in {time.perf_counter() - t0:.0f} s: {folders['native'].parent}")
    with open(folders["native"] / "enrolments.csv", newline="", encoding="utf-8") as fh:
        enrolled = sorted({r["student_id"] for r in csv.DictReader(fh)})
    sample = random.Random(args.seed).sample(enrolled, min(args.samples, len(enrolled)))
    orgs = org_ids(folders["native"], folders["edfi"])

    results: dict[str, dict] = {}
    pid = server_pid(lineage)
    with Store(settings) as store:
        if not args.no_warmup:               # the first load after a start pays the JIT
            store.reset()
            settle(pid)
            warm = timed_load("native", folders["native"])
            log(f"warm-up   load {warm['seconds']:7.1f} s (native, not counted)")
        for fmt in FORMATS:
            store.reset()
            waited = settle(pid)
            log(f"{fmt:9s} server idle after the reset: waited {waited:.0f} s")
            before = loadavg()
            run = timed_load(fmt, folders[fmt])
            rows = graph_rows(store)
            exposures = {s: answers.exposure(store, pseudo, s) for s in sample}
            vendor = store.read_text(
                "MATCH (f:Flow) WHERE f.id STARTS WITH 'DISC-' AND f.id CONTAINS '--vendor-' "
                "RETURN f.id AS id ORDER BY id LIMIT 1")[0]["id"].split("--", 1)[1]
            found = list(datasets.impact(store, actor=vendor))
            impact = (len(found), Counter(e for r in found for e in r["elements"]))
            results[fmt] = {"run": run, "rows": rows, "rows_s": rows / run["seconds"],
                            "exposures": exposures, "vendor": vendor, "impact": impact,
                            "load_before": before, "load_after": loadavg()}
            log(f"{fmt:9s} load {run['seconds']:7.1f} s  {rows:>10,} relationships  "
                f"{rows / run['seconds']:>9,.0f} rows/s  peak {run['peak_mb']:6.0f} MB "
                f"(children {run['children_peak_mb']:.0f} MB)  "
                f"load average {before} -> {results[fmt]['load_after']}")

    native = results["native"]
    lines = [f"### Formats at {args.students:,} students (seed {args.seed}; "
             f"{len(sample)} students compared)", "",
             "| format | load s | relationships | rows/s | ratio to native | Python peak MB | "
             "conversion children peak MB | exposure identical | impact identical | "
             "load avg before → after |",
             "|---|---:|---:|---:|---:|---:|---:|---|---|---|"]
    ok = True
    for fmt in FORMATS:
        r = results[fmt]
        mapping = [] if fmt == "oneroster" else orgs if fmt == "edfi" else None
        if mapping is None:
            same_exp = same_imp = "—"
        else:
            diff = [s for s in sample
                    if normalise(native["exposures"][s], mapping)
                    != normalise(r["exposures"][s], [])]
            same_imp_b = (r["vendor"], r["impact"]) == (native["vendor"], native["impact"])
            same_exp = "yes" if not diff else f"NO ({len(diff)} differ)"
            same_imp = (f"yes ({r['impact'][0]:,} students)" if same_imp_b else "NO")
            ok = ok and not diff and same_imp_b
        lines.append(f"| {fmt} | {r['run']['seconds']:.1f} | {r['rows']:,} | "
                     f"{r['rows_s']:,.0f} | {r['rows_s'] / native['rows_s']:.2f} | "
                     f"{r['run']['peak_mb']:.0f} | "
                     f"{r['run']['children_peak_mb'] or 0:.0f} | {same_exp} | {same_imp} | "
                     f"{r['load_before']} → {r['load_after']} |")
    log("")
    log("\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
