"""Web workspace benchmark: student look-ups over HTTP beside the library call, same run.

Usage::

    python bench/web_bench.py --students 10000 [--seed 1] [--requests 400] [--clients 1,4,16]
        [--port 8735] [--skip-load]

Against a running Neo4j (``NEO4J_URI`` etc., as for the CLI): generate (or reuse) the synthetic
state of ``lineage synth``, reset the graph and load it (unless ``--skip-load``), create an API
key, start ``lineage serve`` as its own process on 127.0.0.1 (loopback only), then measure

* the library call ``answers.exposure`` in this process (one student at a time): p50/p99;
* ``POST /api/v1/exposure`` over HTTP with 1, 4 and 16 concurrent clients (httpx, one
  keep-alive connection per client, a fixed number of requests per level): look-ups per second,
  p50/p99 latency. Each HTTP look-up also authenticates the key and writes its look-up record.

Every request loop is bounded in count; the server is stopped at the end. Prints progress and a
markdown block for bench/RESULTS.md. WARNING: it deletes every node of the target graph (unless
--skip-load); point it at a scratch server. Never run it at 100k+ on a shared 2-core machine.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from lineage.core.pseudonym import DEMO_KEY, Pseudonymizer  # noqa: E402
from lineage.core.settings import Neo4jSettings  # noqa: E402
from lineage.graph.store import Store  # noqa: E402
from lineage.graph.writer import load, read_sources  # noqa: E402
from lineage.questions import student as answers  # noqa: E402
from lineage.sources.synth import generate  # noqa: E402
from lineage.web import accounts, service  # noqa: E402


def log(msg: str) -> None:
    print(msg, flush=True)


def pct(xs: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(p / 100 * (len(xs) - 1))))] if xs else float("nan")


def start_server(port: int, env: dict[str, str], log_path: Path) -> subprocess.Popen:
    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", port)) == 0:
            raise SystemExit(f"port {port} is taken")
    out = log_path.open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "lineage.cli", "serve", "--port", str(port),
                             "--log-level", "warning"], cwd=ROOT, env=env, stdout=out,
                            stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/signin", timeout=2).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"lineage serve did not start; see {log_path}")


def http_level(url: str, key: str, ids: list[str], clients: int, total: int) -> dict:
    """``total`` look-ups spread over ``clients`` threads; latency per request and throughput."""
    lat: list[float] = []
    errors = [0]
    lock = threading.Lock()
    per = [total // clients + (1 if i < total % clients else 0) for i in range(clients)]

    def worker(i: int) -> None:
        rng = random.Random(1000 + i)
        mine = []
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"},
                          timeout=60) as c:
            for _ in range(per[i]):
                t = time.perf_counter()
                r = c.post("/api/v1/exposure", json={"student_id": rng.choice(ids)})
                mine.append((time.perf_counter() - t) * 1000)
                if r.status_code != 200:
                    with lock:
                        errors[0] += 1
        with lock:
            lat.extend(mine)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return {"clients": clients, "n": len(lat), "errors": errors[0], "per_s": len(lat) / wall,
            "p50": pct(lat, 50), "p99": pct(lat, 99)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    ap.add_argument("--requests", type=int, default=400, help="HTTP look-ups per level")
    ap.add_argument("--library-samples", type=int, default=400)
    ap.add_argument("--clients", default="1,4,16")
    ap.add_argument("--port", type=int, default=8735)
    ap.add_argument("--skip-load", action="store_true", help="use the graph as it is")
    args = ap.parse_args()
    if args.students >= 100_000:
        log("note: 100k+ students on a shared 2-core machine takes long; see bench/README.md")
    key_text = os.environ.get("LINEAGE_PSEUDONYM_KEY") or DEMO_KEY
    pseudo = Pseudonymizer(key_text)
    out = args.out / str(args.students)
    if not (out / "inventory.yaml").is_file():
        t = time.perf_counter()
        generate(out, args.students, args.seed)
        log(f"[gen] {out}: {time.perf_counter() - t:.1f} s")
    with (out / "enrolments.csv").open(newline="") as fh:
        ids = sorted({r["student_id"] for r in csv.DictReader(fh)})

    local = f"bolt://127.0.0.1:{os.environ.get('LINEAGE_BOLT_PORT', 7687)}"
    settings = Neo4jSettings(**({} if os.environ.get("NEO4J_URI") else {"uri": local}))
    with Store(settings) as store:
        if not args.skip_load:
            store.reset()
            t = time.perf_counter()
            load(store, read_sources([out / "inventory.yaml"]), pseudo)
            log(f"[load] {args.students:,} students in {time.perf_counter() - t:.1f} s")
        service.prepare(store)
        name = f"bench-{int(time.time())}"
        api_key = accounts.create_key(store, name, "analyst")

        rng = random.Random(args.seed)
        for sid in rng.sample(ids, min(20, len(ids))):  # warm caches on both sides
            answers.exposure(store, pseudo, sid)
        lib = []
        for sid in (rng.choice(ids) for _ in range(args.library_samples)):
            t = time.perf_counter()
            answers.exposure(store, pseudo, sid)
            lib.append((time.perf_counter() - t) * 1000)
        log(f"[library] exposure p50 {pct(lib, 50):.1f} ms, p99 {pct(lib, 99):.1f} ms")

        env = {**os.environ, "LINEAGE_PSEUDONYM_KEY": key_text, "NEO4J_URI": settings.uri}
        server_log = args.out / "web-bench-serve.log"
        proc = start_server(args.port, env, server_log)
        url = f"http://127.0.0.1:{args.port}"
        results = []
        try:
            http_level(url, api_key, ids, 1, 20)  # warm-up
            for c in (int(x) for x in args.clients.split(",")):
                r = http_level(url, api_key, ids, c, args.requests)
                results.append(r)
                log(f"[http] {c:>2} clients: {r['per_s']:.1f} look-ups/s, p50 {r['p50']:.1f} ms,"
                    f" p99 {r['p99']:.1f} ms, errors {r['errors']}")
        finally:
            proc.terminate()
            proc.wait(20)
        accounts.revoke_key(store, name)

    print()
    print(f"### Web workspace, {args.students:,} students (`python bench/web_bench.py "
          f"--students {args.students}`)")
    print()
    print("| | look-ups/s | p50 (ms) | p99 (ms) |")
    print("|---|---:|---:|---:|")
    print(f"| library `answers.exposure`, in process, 1 at a time | "
          f"{1000 / (sum(lib) / len(lib)):.1f} | {pct(lib, 50):.1f} | {pct(lib, 99):.1f} |")
    for r in results:
        print(f"| `POST /api/v1/exposure`, {r['clients']} client{'s' if r['clients'] > 1 else ''}"
              f" ({r['n']} requests) | {r['per_s']:.1f} | {r['p50']:.1f} | {r['p99']:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
