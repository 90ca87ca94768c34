#!/usr/bin/env bash
# Stops the server that postgres/start.sh started (the pid its pid file names), nothing else.
set -euo pipefail
INFRA_NAME=postgres
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# SIGINT is PostgreSQL's "fast" shutdown: active sessions are disconnected, no wait for them.
stop_server "$MP_RUN_DIR/postgres" "${PG_STOP_TIMEOUT:-30}" INT
