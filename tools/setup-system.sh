#!/usr/bin/env bash
# Debian/Ubuntu packages some features and the tests need, installed only when missing:
#   graphviz            `lineage graph` and the lineage picture of reports (dot)
#   chromium            the browser tests (the picture, Neo4j Browser) over the DevTools protocol
#   chromium-driver     the web workspace's browser test (Selenium)
#   libpango-1.0-0, libpangoft2-1.0-0   PDF reports through WeasyPrint
#   fonts-dejavu-core   a font for Graphviz, WeasyPrint and Chromium on a bare system
# Needs root or sudo only when something is missing. Java 17 and Maven must already be there.
# Called by tools/test.sh (THE test command) and so by .ci/run.
set -euo pipefail
need=()
command -v dot >/dev/null 2>&1 || need+=(graphviz)
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
libs="$(ldconfig -p 2>/dev/null || true)"
grep -q 'libpango-1\.0\.so' <<<"$libs" || need+=(libpango-1.0-0)
grep -q 'libpangoft2-1\.0\.so' <<<"$libs" || need+=(libpangoft2-1.0-0)
ls /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf >/dev/null 2>&1 || need+=(fonts-dejavu-core)
if [[ ${#need[@]} -eq 0 ]]; then echo "system packages: all present"; exit 0; fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || {
    echo "error: missing Debian packages (${need[*]}) and no root or sudo to install them:" >&2
    echo "       apt-get install -y --no-install-recommends ${need[*]}" >&2
    exit 2
  }
  SUDO=(sudo)
fi
command -v apt-get >/dev/null 2>&1 || {
  echo "error: missing system packages (${need[*]}) and no apt-get; install their equivalents" >&2
  exit 2
}
echo "installing: ${need[*]}"
"${SUDO[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends \
  "${need[@]}" >/dev/null
echo "installed: ${need[*]}"
