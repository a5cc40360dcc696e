#!/usr/bin/env bash
# Debian packages some features and tests need: Graphviz (lineage graph), Chromium and its
# WebDriver (browser tests of the picture, of Neo4j Browser and of the web workspace), Pango
# (PDF reports through WeasyPrint).
# Installs only what is missing; needs root (or sudo). Java 17 and Maven must already be there.
set -euo pipefail
need=()
command -v dot >/dev/null 2>&1 || need+=(graphviz)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
ldconfig -p 2>/dev/null | grep -q libpango-1.0 || need+=(libpango-1.0-0 libpangoft2-1.0-0)
ldconfig -p 2>/dev/null | grep -q libpangoft2 || need+=(libpangoft2-1.0-0)
if [[ ${#need[@]} -eq 0 ]]; then echo "system packages: all present"; exit 0; fi
SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
echo "installing: ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" fonts-dejavu-core >/dev/null
echo "installed: ${need[*]}"
