#!/usr/bin/env bash
# Stops the broker that kafka/start.sh started (the pid its pid file names), nothing else.
set -euo pipefail
INFRA_NAME=kafka
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
RUN="$MP_RUN_DIR/kafka"
take_lock "$RUN"
if pid="$(live_pid "$RUN/server.pid")"; then
  log "stopping pid $pid"
  stop_pid "$pid" "${KAFKA_STOP_TIMEOUT:-30}"
  log "stopped"
else
  log "not running"
fi
rm -f "$RUN/server.pid"
