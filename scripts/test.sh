#!/usr/bin/env bash
# Installs what the tests need (Node 24, pnpm, npm packages, PostgreSQL from Debian's packages,
# Kafka and Zipkin from Maven Central), checks the contracts, builds, and runs every test against
# a real Kafka broker and a real PostgreSQL server started by the test harness.
set -euo pipefail
source "$(dirname "$0")/toolchain.sh"
mp_install
cd "$MP_ROOT"
mp_log "checking contracts (buf lint, buf breaking, generated code up to date)"
bash proto/check.sh
mp_log "installing test infrastructure"
bash infra/install.sh
mp_log "running tests"
pnpm run -s test "$@"
