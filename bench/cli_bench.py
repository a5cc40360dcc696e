"""Whole-process time of the command line: ``lineage --help``, ``lineage exposure ID`` and
``import lineage.cli``, the median of ``--runs`` runs each.

Usage::

    python bench/cli_bench.py --students 10000 [--runs 10] [--skip-load] [--baseline-repo PATH]

Every command is run as a new process from the checkout's root (``python -m lineage.cli``, so
that the checkout's ``lineage`` is imported). Baselines of the same run: the bare interpreter
(``python -c pass``) and, with ``--baseline-repo``, the same commands from that checkout,
interleaved run by run. Also prints where the import time goes (``-X importtime``, the
largest top-level packages). Prints the 1-minute load average before and after. WARNING:
without --skip-load it resets the graph.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REPO, arguments, loadavg, log, state, student_ids


def timed(cmd: list[str], cwd: Path) -> float:
    t = time.perf_counter()
    r = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False,
                       env={**os.environ, "COLUMNS": "200"})
    dt = (time.perf_counter() - t) * 1000
    if r.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr.decode()[-400:]}")
    return dt


def import_profile(cwd: Path, top: int = 8) -> list[tuple[str, int]]:
    """The largest modules imported directly by ``import lineage.cli`` and below (cumulative µs)."""
    r = subprocess.run([sys.executable, "-X", "importtime", "-c", "import lineage.cli"], cwd=cwd,
                       capture_output=True, text=True, check=True)
    out = []
    for line in r.stderr.splitlines()[1:]:
        parts = line.split("|")
        if len(parts) == 3 and parts[2].startswith("   ") and not parts[2].startswith("     "):
            out.append((parts[2].strip(), int(parts[1])))
    return sorted(out, key=lambda x: -x[1])[:top]


def main() -> int:
    ap = arguments(__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    out = state(args)
    sid = student_ids(out)[0]
    py = sys.executable
    commands = {"python -c pass": [py, "-c", "pass"],
                "import lineage.cli": [py, "-c", "import lineage.cli"],
                "lineage --help": [py, "-m", "lineage.cli", "--help"],
                "lineage exposure ID": [py, "-m", "lineage.cli", "exposure", sid]}
    repos = [("this", REPO)] + ([("baseline", args.baseline_repo)] if args.baseline_repo else [])
    before = loadavg()
    times: dict[tuple[str, str], list[float]] = {}
    for _ in range(args.runs):
        for label, cmd in commands.items():
            for name, repo in repos:
                if label == "python -c pass" and name != "this":
                    continue
                times.setdefault((label, name), []).append(timed(cmd, repo))
    after = loadavg()
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"\n### command line, whole process, median of {args.runs} runs, {args.students:,} "
          f"students (load average {before:.2f} before, {after:.2f} after)\n")
    print("| command | checkout | median ms | min ms | ÷ python -c pass |"
          + (" ÷ baseline |" if args.baseline_repo else ""))
    print("|---|---|---:|---:|---:|" + ("---:|" if args.baseline_repo else ""))
    bare = med["python -c pass", "this"]
    for (label, name), m in med.items():
        row = f"| {label} | {name} | {m:.0f} | {min(times[label, name]):.0f} | {m / bare:.1f} |"
        if args.baseline_repo:
            b = med.get((label, "baseline"))
            row += f" {m / b:.2f} |" if b and name == "this" else " — |"
        print(row)
    for name, repo in repos:
        prof = ", ".join(f"{m} {us / 1000:.0f} ms" for m, us in import_profile(repo))
        log(f"\nimport lineage.cli, largest imports ({name}, -X importtime, cumulative): {prof}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
