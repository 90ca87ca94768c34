#!/usr/bin/env bash
# Starts a PostgreSQL server from Debian's binaries on 127.0.0.1:$PGPORT with trust auth (tests
# and local development only). Idempotent. Data, log and pid live in $MP_RUN_DIR/postgres.
# initdb refuses to run as root, so as root the server runs as the `postgres` system user.
set -euo pipefail
INFRA_NAME=postgres
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

PGPORT="${PGPORT:-5432}"
TIMEOUT="${PG_START_TIMEOUT:-30}"
RUN="$MP_RUN_DIR/postgres"
DATA="$RUN/data"
LOGFILE="$RUN/server.log"
PIDFILE="$RUN/server.pid"

BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
[ -n "$BIN" ] && [ -x "$BIN/pg_ctl" ] || die "PostgreSQL server binaries are missing: run \`bash infra/install.sh\`"

take_lock "$RUN"

if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /usr/sbin/nologin postgres
  as_pg() { runuser -u postgres -- "$@"; }
  chown postgres: "$RUN"
else
  as_pg() { "$@"; }
fi

ready() { "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT" -U postgres; }

launched=0
if pid="$(live_pid "$PIDFILE")"; then
  running_port="$(cat "$RUN/port" 2>/dev/null || echo "$PGPORT")"
  [ "$running_port" = "$PGPORT" ] || die "this run folder ($RUN) already serves port $running_port; stop it first or set MP_RUN_DIR for a second instance"
  record_owner "$RUN" existing
  if ready; then log "already running (pid $pid) on 127.0.0.1:$PGPORT"; exit 0; fi
  log "pid $pid is alive but not ready yet; waiting"
else
  port_open "$PGPORT" && die "127.0.0.1:$PGPORT is taken by a process this script did not start (a system cluster?); stop it or set PGPORT"

  if [ ! -f "$DATA/PG_VERSION" ]; then
    log "initdb in $DATA"
    rm -rf "$DATA"
    as_pg "$BIN/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$RUN/initdb.log" 2>&1 \
      || fail_start "initdb failed" "$RUN/initdb.log"
    # Test settings: TCP on loopback only, no Unix socket (its default directory may not exist or
    # be writable here). Durability against a machine crash is traded for speed (no fsync), but not
    # against a kill -9 of the server, which the outage tests do: a commit is in the WAL the kernel
    # holds before it is acknowledged (synchronous_commit on), so a killed server loses nothing
    # that a service was told is stored.
    cat >> "$DATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
max_connections = 300
shared_buffers = 128MB
fsync = off
synchronous_commit = on
full_page_writes = off
log_min_messages = warning
CONF
  fi

  rotate_log "$LOGFILE"
  echo "$PGPORT" > "$RUN/port"
  record_owner "$RUN" launched
  [ "$(id -u)" = 0 ] && chown postgres: "$LOGFILE"
  log "starting on 127.0.0.1:$PGPORT, log $LOGFILE"
  as_pg "$BIN/pg_ctl" -D "$DATA" -l "$LOGFILE" -o "-p $PGPORT" -W start >/dev/null 9>&- \
    || fail_start "pg_ctl start failed" "$LOGFILE"
  launched=1
fi

deadline=$((SECONDS + TIMEOUT))
until ready; do
  [ "$SECONDS" -lt "$deadline" ] || fail_start "PostgreSQL at 127.0.0.1:$PGPORT did not become ready within ${TIMEOUT}s" "$LOGFILE"
  if [ -f "$DATA/postmaster.pid" ]; then
    # PostgreSQL creates the file before it writes its pid in it: an empty first line is "not yet".
    pid="$(head -n1 "$DATA/postmaster.pid" 2>/dev/null || true)"
    if [ -n "$pid" ]; then
      [ "$launched" = 1 ] && LAUNCHED_PID=$pid
      pid_alive "$pid" || fail_start "the server (pid $pid) exited during startup" "$LOGFILE"
    fi
  elif [ $((deadline - SECONDS)) -lt $((TIMEOUT - 5)) ]; then
    fail_start "the server did not write $DATA/postmaster.pid" "$LOGFILE"
  fi
  sleep 0.2
done
pid="$(head -n1 "$DATA/postmaster.pid")"
echo "$pid" > "$PIDFILE"
log "ready on 127.0.0.1:$PGPORT (pid $pid)"
