#!/usr/bin/env bash
# Stops whatever infra/up.sh (or the single start scripts) started; other servers are left alone.
set -uo pipefail
dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
status=0
for name in zipkin postgres kafka; do bash "$dir/$name/stop.sh" || status=1; done
exit $status
