"""Part of a conversion run in a child Python process, so that a large export file is
converted on two cores (the server is idle while an export is converted; its rows cannot be
written before every row is valid).

The parent starts a job with :func:`start` and collects its result with :func:`finish`; the
child (the interpreter of the parent, running :data:`_CHILD`) reads the job (JSON) on stdin,
calls the job's function from :data:`JOBS` and writes its JSON result on stdout. A child that fails
for any reason gives ``None``: the caller then does the work itself, so a failed child costs
time, never a wrong answer.

The child runs with ``-P`` (the working folder, an export's say, is not on its import path)
and imports the parent's own ``lineage`` (:data:`PACKAGE_ROOT`).
Its environment is :func:`child_env`: locale, paths and Python's own variables only,
never ``LINEAGE_PSEUDONYM_KEY``, ``NEO4J_PASSWORD`` or any other secret (a parser needs none:
it reads files and writes native CSV rows, with raw student IDs, into the caller's private
temporary folder, as :func:`lineage.sources.native.write_native` does).
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, cast

from lineage.core.environment import allowed

#: The functions a child may run: job name -> ``module:function`` (keyword arguments and
#: result are JSON). ``ping`` says which package the child runs (a diagnostic).
JOBS: dict[str, str] = {"edfi-xml-part": "lineage.sources.edfi:convert_xml_part",
                        "ping": "lineage.sources.parallel:ping"}

#: The folder holding this ``lineage`` package: the child imports the very code of its parent
#: (a checkout run without installing, or beside another installed version).
PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])

#: The child's program: ``PACKAGE_ROOT`` (its first argument) first on the import path unless
#: it is there already (an installed package's site-packages keeps its place), then the job.
_CHILD = ("import os, sys; r = sys.argv[1]; "
          "any(os.path.realpath(p) == r for p in sys.path) or sys.path.insert(0, r); "
          "from lineage.sources.parallel import _main; sys.exit(_main())")

#: Environment variables a child keeps (names ending in ``_`` are prefixes).
CHILD_ENV = ("PATH", "HOME", "LANG", "LANGUAGE", "LC_", "TZ", "TMPDIR", "PYTHONPATH",
             "PYTHONHOME", "PYTHONDONTWRITEBYTECODE", "PYTHONHASHSEED", "VIRTUAL_ENV",
             "SYSTEMROOT")


def child_env(environ: dict[str, str] | os._Environ) -> dict[str, str]:
    """The environment of a conversion child: only the variables of :data:`CHILD_ENV` from
    ``environ``. Secrets (the pseudonym key, database passwords, cloud credentials) stay out
    of it (a process's environment is readable by its owner in ``/proc/PID/environ``)."""
    return allowed(environ, CHILD_ENV)


def start(job: str, **kwargs: Any) -> subprocess.Popen | None:
    """Start ``job`` (a key of :data:`JOBS`) with ``kwargs`` in a child process; ``None`` when
    no child can be started (the caller does the work itself). Raises ``KeyError`` for an
    unknown job."""
    if job not in JOBS:
        raise KeyError(f"no such job: {job!r}; one of {sorted(JOBS)}")
    try:
        proc = subprocess.Popen(
            [sys.executable, "-P", "-c", _CHILD, PACKAGE_ROOT], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=child_env(os.environ),
            cwd=os.getcwd())
    except OSError:
        return None
    stdin = cast(IO[bytes], proc.stdin)                # stdin=PIPE above
    try:
        stdin.write(json.dumps({"job": job, "kwargs": kwargs}).encode("utf-8"))
        stdin.close()
    except OSError:
        proc.kill()
        proc.wait()
        return None
    proc.stdin = None                                   # written and closed: communicate()
    return proc


#: Seconds between two calls of :func:`finish`'s ``waiting`` while a child works.
WAIT_INTERVAL = 0.5


def finish(proc: subprocess.Popen | None, waiting: Callable[[], None] | None = None
           ) -> dict | None:
    """Wait for a child of :func:`start` and return its result; ``None`` when it was not
    started, failed or wrote no valid result. ``waiting`` is called every
    :data:`WAIT_INTERVAL` seconds until the child ends (to report its progress); the child's
    output is read meanwhile, so a large result never blocks it."""
    if proc is None:
        return None
    while True:
        try:
            out, _ = proc.communicate(timeout=WAIT_INTERVAL if waiting else None)
            break
        except subprocess.TimeoutExpired:       # retrying loses no output (subprocess docs)
            if waiting is not None:
                waiting()
    if proc.returncode != 0:
        return None
    try:
        result = json.loads(out)
    except ValueError:
        return None
    return result if isinstance(result, dict) else None


def stop(children: list[subprocess.Popen | None]) -> None:
    """Kill and reap every child of :func:`start` still running (the caller was interrupted
    or is done with them)."""
    for proc in children:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()


def ping() -> dict:
    """Where the child's ``lineage`` package is (``lineage``: its folder) and the environment
    variables it got (``env``: their names)."""
    return {"lineage": str(Path(__file__).resolve().parents[1]), "env": sorted(os.environ)}


def _main() -> int:
    request = json.loads(sys.stdin.buffer.read())
    module, name = JOBS[request["job"]].split(":")
    result = getattr(importlib.import_module(module), name)(**request["kwargs"])
    sys.stdout.write(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(_main())
