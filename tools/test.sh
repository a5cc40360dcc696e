#!/usr/bin/env bash
# THE test command (README "Two commands"; .ci/run runs exactly this). From a fresh machine with
# Python >= 3.11 (with pip), Java 17+ and Maven 3.8+ only, it:
#   1. installs the package and its dev extra (pip install -e ".[dev]") when a requirement is missing;
#   2. installs the Debian packages the tests need when missing (tools/setup-system.sh: Graphviz,
#      Chromium, Pango, fonts; needs root or sudo, only when something is missing);
#   3. starts a real Neo4j 5.26 (`lineage db start`, from Maven Central, auth on) in its own folder
#      and ports, unless NEO4J_URI names a server to use instead;
#   4. runs `python -m pytest -q` (arguments are passed on to pytest);
#   5. stops the server it started, whatever happened.
# Exit status: pytest's (0 = every test passed). A server that cannot start, a missing tool, or a
# run that collects no tests (pytest exit 5) FAILS: nothing is ever skipped.
#
# Env (all optional):
#   PYTHON              the interpreter (default python3)
#   NEO4J_URI           test against this server instead (its data is DELETED by the tests),
#                       with NEO4J_USER / NEO4J_PASSWORD; nothing is started then
#   LINEAGE_HOME        the test server's folder (default: .lineage-test in the repository, kept
#                       so the next run reuses its Maven classpath; the demo's is .lineage)
#   LINEAGE_BOLT_PORT   its Bolt port (default 17687), LINEAGE_HTTP_PORT its HTTP port (17474):
#                       not the demo's 7687/7474, so the tests never touch the demo's graph
set -euo pipefail

cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
t0=$SECONDS
step() { printf '== [%4ss] %s\n' "$((SECONDS - t0))" "$*"; }
die() { echo "error: $*" >&2; exit 2; }

first_line() { command -v "$1" >/dev/null 2>&1 && { "$@" 2>&1 | sed -n "1{s/\x1b\[[0-9;]*m//g;p}"; } || echo missing; }
step "python: $(first_line "$PY" --version); java: $(first_line java -version); mvn: $(first_line mvn -B -v)"
command -v "$PY" >/dev/null 2>&1 || die "$PY not found: Python 3.11+ is needed"

# 1. Python packages: install only when a requirement of the package or its dev extra is missing
missing_python() {
  "$PY" - <<'EOF'
import sys, tomllib
from importlib import metadata
try:
    from packaging.requirements import Requirement
except ImportError:
    from pip._vendor.packaging.requirements import Requirement
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
wanted = [project["name"]] + project["dependencies"] + project["optional-dependencies"]["dev"]
missing = []
for spec in wanted:
    req = Requirement(spec)
    try:
        version = metadata.version(req.name)
    except metadata.PackageNotFoundError:
        missing.append(spec)
        continue
    if req.specifier and not req.specifier.contains(version, prereleases=True):
        missing.append(f"{spec} (have {version})")
print("\n".join(missing))
EOF
}
need_py="$(missing_python)" || die "could not check the Python packages with $PY"
if [[ -n "$need_py" ]]; then
  step "install: $PY -m pip install -e .[dev]   (missing: $(echo "$need_py" | paste -sd, -))"
  "$PY" -m pip install -q -e ".[dev]"
  need_py="$(missing_python)"
  [[ -z "$need_py" ]] || die "still missing after pip install: $need_py"
fi
step "python packages: all present"

# 2. system packages (Graphviz, Chromium, Pango, fonts)
bash tools/setup-system.sh

lineage=("$PY" -m lineage.cli)
started=0
cleanup() {
  local rc=$?
  if [[ $started -eq 1 ]]; then
    step "stop: lineage db stop"
    "${lineage[@]}" db stop || true
    if [[ $rc -ne 0 && -f "$LINEAGE_HOME/logs/neo4j.log" ]]; then
      echo "---- last lines of $LINEAGE_HOME/logs/neo4j.log"
      tail -n 40 "$LINEAGE_HOME/logs/neo4j.log" || true
    fi
  fi
  step "done (exit $rc)"
  exit "$rc"
}
trap cleanup EXIT

# 3. the database
if [[ -n "${NEO4J_URI:-}" ]]; then
  step "database: NEO4J_URI=$NEO4J_URI (given; nothing started; the tests EMPTY it)"
  "${lineage[@]}" db status --home "${LINEAGE_HOME:-.lineage}"
else
  export LINEAGE_HOME="${LINEAGE_HOME:-$PWD/.lineage-test}"
  export LINEAGE_BOLT_PORT="${LINEAGE_BOLT_PORT:-17687}"
  export LINEAGE_HTTP_PORT="${LINEAGE_HTTP_PORT:-17474}"
  export NEO4J_URI="bolt://127.0.0.1:${LINEAGE_BOLT_PORT}"
  unset NEO4J_PASSWORD  # the local server's password is read from LINEAGE_HOME/password
  step "start: lineage db start (home $LINEAGE_HOME, bolt $LINEAGE_BOLT_PORT, http $LINEAGE_HTTP_PORT)"
  started=1
  "${lineage[@]}" db start --heap 1g --timeout 300
  step "server up"
fi

# 4. the tests
step "tests: $PY -m pytest -q $*"
set +e
"$PY" -m pytest -q "$@"
rc=$?
set -e
if [[ $rc -eq 5 ]]; then
  echo "error: pytest collected no tests: that is a failure, not a pass" >&2
fi
step "tests finished (pytest exit $rc)"
exit "$rc"
