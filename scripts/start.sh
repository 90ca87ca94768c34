#!/usr/bin/env bash
# Installs and runs the whole suite in one process on its embedded defaults:
# in-process bus, PGlite under .data/, the simulated feed. Ctrl-C stops it.
set -euo pipefail
source "$(dirname "$0")/toolchain.sh"
mp_install
cd "$MP_ROOT"
# Every setting of every part is checked before anything starts (`pnpm start -- --check-config` checks only).
mp_log "starting the suite: five services and the gateway in one process (a JSON line per step; the URLs follow)"
exec pnpm run -s start "$@"
