#!/usr/bin/env bash
# Stops the server that postgres/start.sh started (the pid its pid file names), nothing else.
set -euo pipefail
INFRA_NAME=postgres
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
RUN="$MP_RUN_DIR/postgres"
take_lock "$RUN"
if pid="$(live_pid "$RUN/server.pid")"; then
  log "stopping pid $pid"
  # SIGINT is PostgreSQL's "fast" shutdown: active sessions are disconnected, no wait for them.
  stop_pid "$pid" "${PG_STOP_TIMEOUT:-30}" INT
  log "stopped"
else
  log "not running"
fi
rm -f "$RUN/server.pid"
