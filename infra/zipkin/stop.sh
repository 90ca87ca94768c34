#!/usr/bin/env bash
# Stops the Zipkin that zipkin/start.sh started (the pid its pid file names), nothing else.
set -euo pipefail
INFRA_NAME=zipkin
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
stop_server "$MP_RUN_DIR/zipkin" "${ZIPKIN_STOP_TIMEOUT:-20}"
