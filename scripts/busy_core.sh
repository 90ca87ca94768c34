#!/usr/bin/env bash
# Keeps exactly one CPU core busy for a bounded time, then stops by itself: the load under which
# the test command must still pass (issue 20: "three fresh-clone runs while another process keeps
# one core busy").
#
#   bash scripts/busy_core.sh [seconds]     # default 3600; prints the busy process's pid
#   bash scripts/busy_core.sh 5400 & bash scripts/test.sh; kill %1
#
# One shell loop is one runnable thread, so it occupies one core and no more. `timeout` ends it
# after the given seconds even if whoever started it forgets to.
set -euo pipefail
seconds=${1:-3600}
if ! [[ $seconds =~ ^[1-9][0-9]*$ ]] || ((seconds > 86400)); then
  echo "busy_core.sh: seconds must be a whole number from 1 to 86400, got '${seconds}'" >&2
  exit 2
fi
echo "busy_core.sh: keeping one core busy for ${seconds} s (pid $$)" >&2
# Exit status 124 is timeout's "time is up", the expected end.
timeout --signal=TERM "${seconds}" bash -c 'while :; do :; done' || [[ $? -eq 124 ]]
