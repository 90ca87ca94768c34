#!/usr/bin/env bash
# Runs one service (or the gateway) as its own process, with OpenTelemetry loaded first.
#   bash scripts/service.sh market-data|prediction|alerting|webhook-delivery|provider-monitor|gateway
# Configuration comes from the environment (see README): for the multi-process setup set
# BUS=kafka and DATABASE_URL; without them the service uses the in-process bus and PGlite.
set -euo pipefail
source "$(dirname "$0")/toolchain.sh"
name="${1:-}"
case "$name" in
  gateway) entry="gateway/dist/main.js" ;;
  market-data|prediction|alerting|webhook-delivery|provider-monitor) entry="services/$name/dist/main.js" ;;
  *) mp_log "usage: bash scripts/service.sh market-data|prediction|alerting|webhook-delivery|provider-monitor|gateway"; exit 2 ;;
esac
mp_toolchain
cd "$MP_ROOT"
[ -f "$entry" ] || mp_install
exec node --require ./services/runtime/dist/telemetry/register.js "$entry"
