# Shared helpers for the infra scripts: sourced, never run. Callers set INFRA_NAME before sourcing.
INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$INFRA_DIR/.." && pwd)"
# One folder per server for data, logs and pid files; override MP_RUN_DIR to run a second set.
MP_RUN_DIR="${MP_RUN_DIR:-$REPO_ROOT/.run}"

log() { printf '[infra%s] %s\n' "${INFRA_NAME:+/$INFRA_NAME}" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# Prints the pid named by a pid file when that process is still alive.
live_pid() {
  local file="$1" pid
  [ -f "$file" ] || return 1
  pid="$(head -n1 "$file" 2>/dev/null)"
  pid_alive "$pid" && printf '%s\n' "$pid"
}

# Serialises start/stop of one server so two callers never launch it twice.
# The lock fd (9) must not be inherited by servers we launch (close it with 9>&-).
take_lock() {
  mkdir -p "$1"
  exec 9>"$1/.lock"
  flock -w 120 9 || die "another start/stop of $INFRA_NAME holds $1/.lock for over 120s"
}

# Sends $3 (default TERM), waits up to $2 seconds, then KILL. Only for pids our pid files name.
stop_pid() {
  local pid="$1" limit="${2:-30}" signal="${3:-TERM}" i=0
  kill -"$signal" "$pid" 2>/dev/null || return 0
  while pid_alive "$pid"; do
    if [ "$i" -ge $((limit * 10)) ]; then
      log "pid $pid still running after ${limit}s; sending KILL"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.1; i=$((i + 1))
  done
}

# The whole of a stop.sh: stops the server whose pid $1/server.pid names (the one start.sh
# started, nothing else) with signal $3 (default TERM), KILL after $2 seconds.
stop_server() {
  local run="$1" limit="$2" signal="${3:-TERM}" pid
  take_lock "$run"
  if pid="$(live_pid "$run/server.pid")"; then
    log "stopping pid $pid"
    stop_pid "$pid" "$limit" "$signal"
    log "stopped"
  else
    log "not running"
  fi
  rm -f "$run/server.pid"
}

# Waits until the start.sh's `ready` function succeeds; fails the start at once if pid $1 exits
# ("$3 (pid N) exited during startup") or after $2 seconds ("$4 within Ns"). $5 is the server log.
await_ready() {
  local pid="$1" limit="$2" name="$3" unready="$4" logfile="$5" deadline=$((SECONDS + $2))
  until ready; do
    pid_alive "$pid" || fail_start "$name (pid $pid) exited during startup" "$logfile"
    [ "$SECONDS" -lt "$deadline" ] || fail_start "$unready within ${limit}s" "$logfile"
    sleep 0.5
  done
}

# Moves the previous log aside so a readiness grep only sees this start.
rotate_log() { [ -f "$1" ] && mv -f "$1" "$1.1"; : > "$1"; }

# Test runs start servers with MP_STARTED_BY=harness; the harness-started marker lets the last
# run to leave stop what a run launched. A start by hand claims the server (removes the marker),
# so no test run ever stops a server someone started on purpose. $1 run dir, $2 launched|existing.
record_owner() {
  if [ "${MP_STARTED_BY:-}" = harness ]; then
    if [ "$2" = launched ]; then echo "$$" > "$1/harness-started"; fi
  else
    rm -f "$1/harness-started"
  fi
}

# Reports a failed start; a server this start launched (LAUNCHED_PID) is stopped rather than left
# half-started for the next caller to trip over.
fail_start() {
  local what="$1" logfile="$2"
  log "ERROR: $what"
  if pid_alive "${LAUNCHED_PID:-}"; then
    log "stopping the half-started process (pid $LAUNCHED_PID)"
    stop_pid "$LAUNCHED_PID" 10
  fi
  if [ -f "$logfile" ]; then
    log "last lines of $logfile:"
    tail -n 20 "$logfile" >&2 || true
  fi
  die "$INFRA_NAME could not start; read $logfile"
}

java_bin() {
  command -v java >/dev/null 2>&1 || die "java is not installed: run \`bash infra/install.sh\`"
  echo java
}
