#!/usr/bin/env bash
# Installs what the tests need (Node 24, pnpm, npm packages, PostgreSQL from Debian's packages,
# Kafka and Zipkin from Maven Central, the contracts' Go tools and Python venv), checks the
# contracts, builds, and runs every test against a real Kafka broker and a real PostgreSQL server
# that the test harness starts (and stops).
set -euo pipefail
source "$(dirname "$0")/toolchain.sh"
started=$SECONDS
mp_install
cd "$MP_ROOT"
mp_log "installing the contract tools (Go plugins and grpcurl by go install, the Python venv)"
bash scripts/go_tools.sh >/dev/null
bash scripts/python_env.sh >/dev/null
mp_log "checking contracts (buf lint, language options, buf breaking against HEAD~1, generated code and clients up to date)"
bash proto/check.sh
mp_log "checking format and lint (Prettier, ESLint with the import fences)"
bash scripts/lint.sh
mp_log "installing test infrastructure"
bash infra/install.sh
# The dashboard's browser tests drive Debian's chromium through playwright-core.
bash scripts/browser.sh >/dev/null
# Builds promtool (Go, several minutes the first time, a no-op after) and unit-tests the alert rules.
mp_log "checking the Prometheus alert rules (promtool check rules, promtool test rules)"
bash infra/prometheus/check.sh
mp_log "running tests"
mkdir -p .run
report=.run/vitest-report.json
rm -f "$report"
status=0
pnpm run -s test --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
# vitest's own summary is not a line CI reads, so print the plain one.
if [ -f "$report" ]; then
  node -e '
    const r = require(process.argv[1]);
    const skipped = r.numPendingTests + r.numTodoTests;
    console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
  ' "$MP_ROOT/$report"
fi
mp_log "test command finished in $((SECONDS - started)) s"
exit $status
