#!/usr/bin/env bash
# Starts Zipkin (in-memory storage) on 127.0.0.1:$ZIPKIN_PORT from the exec jar install.sh put in
# infra/zipkin. Idempotent. Log and pid live in $MP_RUN_DIR/zipkin.
set -euo pipefail
INFRA_NAME=zipkin
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

ZIPKIN_PORT="${ZIPKIN_PORT:-9411}"
TIMEOUT="${ZIPKIN_START_TIMEOUT:-90}"
RUN="$MP_RUN_DIR/zipkin"
LOGFILE="$RUN/server.log"
PIDFILE="$RUN/server.pid"

JAR="$(ls "$INFRA_DIR"/zipkin/zipkin-server-*-exec.jar 2>/dev/null | sort -V | tail -n1)"
[ -n "$JAR" ] || die "Zipkin's jar is missing in infra/zipkin: run \`bash infra/install.sh\`"
take_lock "$RUN"

ready() { curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$ZIPKIN_PORT/health" 2>/dev/null; }

if pid="$(live_pid "$PIDFILE")"; then
  running_port="$(cat "$RUN/port" 2>/dev/null || echo "$ZIPKIN_PORT")"
  [ "$running_port" = "$ZIPKIN_PORT" ] || die "this run folder ($RUN) already serves port $running_port; stop it first or set MP_RUN_DIR for a second instance"
  record_owner "$RUN" existing
  if ready; then log "already running (pid $pid) on 127.0.0.1:$ZIPKIN_PORT"; exit 0; fi
  log "pid $pid is alive but not ready yet; waiting"
else
  port_open "$ZIPKIN_PORT" && die "127.0.0.1:$ZIPKIN_PORT is taken by a process this script did not start; stop it or set ZIPKIN_PORT"
  rotate_log "$LOGFILE"
  echo "$ZIPKIN_PORT" > "$RUN/port"
  record_owner "$RUN" launched
  log "starting on 127.0.0.1:$ZIPKIN_PORT, log $LOGFILE"
  # Armeria's port list replaces the jar's default one, which would bind every interface.
  setsid java -Xms64m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -jar "$JAR" \
    --armeria.ports[0].ip=127.0.0.1 --armeria.ports[0].port="$ZIPKIN_PORT" --armeria.ports[0].protocols[0]=http \
    >>"$LOGFILE" 2>&1 </dev/null 9>&- &
  pid=$!
  LAUNCHED_PID=$pid
  echo "$pid" > "$PIDFILE"
fi

await_ready "$pid" "$TIMEOUT" "Zipkin" "Zipkin at 127.0.0.1:$ZIPKIN_PORT did not answer GET /health" "$LOGFILE"
log "ready on http://127.0.0.1:$ZIPKIN_PORT (pid $pid)"
