#!/usr/bin/env bash
# Stops the broker that kafka/start.sh started (the pid its pid file names), nothing else.
set -euo pipefail
INFRA_NAME=kafka
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
stop_server "$MP_RUN_DIR/kafka" "${KAFKA_STOP_TIMEOUT:-30}"
