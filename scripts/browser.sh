#!/usr/bin/env bash
# Installs the browser the dashboard's tests drive: Debian's chromium package (playwright-core
# launches it by path; no browser build is downloaded). Idempotent: a no-op when it is installed.
# Prints the executable's path on stdout; progress goes to stderr.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/toolchain.sh"

mp_chromium_path() { command -v chromium 2>/dev/null || true; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else mp_log "ERROR: installing chromium needs root (or sudo): $*"; return 1; fi
}

log="${TMPDIR:-/tmp}/mp-chromium-apt.log"
apt_chromium() {
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >>"$log" 2>&1
}

if [ -z "$(mp_chromium_path)" ]; then
  : >"$log"
  mp_log "installing chromium from Debian's packages (apt-get install chromium; log: $log)"
  # The package lists are refreshed only when the first attempt cannot find the package.
  if ! mp_progress "installing chromium" apt_chromium; then
    mp_log "refreshing apt package lists"
    as_root apt-get update -q >>"$log" 2>&1 || { mp_log "ERROR: apt-get update failed; see $log"; exit 1; }
    mp_progress "installing chromium" apt_chromium || { mp_log "ERROR: apt-get install chromium failed; see $log"; exit 1; }
  fi
fi
path="$(mp_chromium_path)"
[ -n "$path" ] || { mp_log "ERROR: chromium is not on PATH after installing it"; exit 1; }
mp_log "chromium: $("$path" --version 2>/dev/null || echo "$path")"
echo "$path"
