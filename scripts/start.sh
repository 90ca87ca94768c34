#!/usr/bin/env bash
# Installs and runs the whole suite in one process on its embedded defaults:
# in-process bus, PGlite under .data/, the simulated feed. Ctrl-C stops it.
set -euo pipefail
source "$(dirname "$0")/toolchain.sh"
mp_install
cd "$MP_ROOT"
exec pnpm run -s start
