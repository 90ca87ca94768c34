#!/usr/bin/env bash
# Checks the alert rules (promtool check rules) and runs their unit tests (promtool test rules).
# Builds promtool first when it is missing (infra/prometheus/install-promtool.sh).
set -euo pipefail
INFRA_NAME=prometheus
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
bash "$INFRA_DIR/prometheus/install-promtool.sh"
PROMTOOL="$INFRA_DIR/prometheus/bin/promtool"
cd "$INFRA_DIR/prometheus"
log "promtool check rules"
"$PROMTOOL" check rules rules/*.yml
log "promtool test rules"
"$PROMTOOL" test rules tests/*.test.yml
