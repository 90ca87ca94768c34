#!/usr/bin/env bash
# Stops the Zipkin that zipkin/start.sh started (the pid its pid file names), nothing else.
set -euo pipefail
INFRA_NAME=zipkin
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
RUN="$MP_RUN_DIR/zipkin"
take_lock "$RUN"
if pid="$(live_pid "$RUN/server.pid")"; then
  log "stopping pid $pid"
  stop_pid "$pid" "${ZIPKIN_STOP_TIMEOUT:-20}"
  log "stopped"
else
  log "not running"
fi
rm -f "$RUN/server.pid"
