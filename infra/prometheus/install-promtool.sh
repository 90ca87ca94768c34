#!/usr/bin/env bash
# Builds promtool (the Prometheus rules checker and unit-test runner) from the Prometheus Go module
# into infra/prometheus/bin (git-ignored). The first build downloads the module's dependencies and
# compiles them: several minutes on two cores, with a progress line every 20 s. A second run, with
# the same version already built, does nothing.
set -euo pipefail
INFRA_NAME=promtool
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

PROMETHEUS_VERSION="${PROMETHEUS_VERSION:-v0.316.0}"   # the Go module's tag of Prometheus 3.x
BIN_DIR="$INFRA_DIR/prometheus/bin"
STAMP="$BIN_DIR/.version"
BUILD_LOG="${TMPDIR:-/tmp}/mp-promtool-build.log"

if [ -x "$BIN_DIR/promtool" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$PROMETHEUS_VERSION" ]; then
  log "promtool $PROMETHEUS_VERSION present in infra/prometheus/bin, skipping"
  exit 0
fi
command -v go >/dev/null 2>&1 || die "Go is needed to build promtool (github.com/prometheus/prometheus/cmd/promtool); install Go 1.24 or newer"

log "building promtool $PROMETHEUS_VERSION with $(go version | cut -d' ' -f3) (module download and compile take several minutes the first time; log: $BUILD_LOG)"
mkdir -p "$BIN_DIR"
started=$SECONDS
# -v names each package as it is compiled; the count of those lines is the progress we print.
GOBIN="$BIN_DIR" go install -v "github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_VERSION" >"$BUILD_LOG" 2>&1 &
build=$!
while pid_alive "$build"; do
  for _ in $(seq 1 20); do pid_alive "$build" || break; sleep 1; done
  pid_alive "$build" || break
  downloads=$(grep -c '^go: downloading' "$BUILD_LOG" 2>/dev/null || true)
  compiled=$(grep -vc '^go: ' "$BUILD_LOG" 2>/dev/null || true)
  log "still building promtool: $((SECONDS - started)) s, ${downloads:-0} modules downloaded, ${compiled:-0} packages compiled"
done
if ! wait "$build"; then
  tail -n 30 "$BUILD_LOG" >&2
  die "go install of promtool $PROMETHEUS_VERSION failed (output above; full log $BUILD_LOG)"
fi
echo "$PROMETHEUS_VERSION" > "$STAMP"
log "promtool $PROMETHEUS_VERSION built in $((SECONDS - started)) s: $("$BIN_DIR/promtool" --version 2>&1 | head -n1)"
