#!/usr/bin/env bash
# Starts a single-node Apache Kafka (KRaft, combined broker+controller) on 127.0.0.1:$KAFKA_PORT.
# Idempotent: a broker this script already started is left alone. Data, log and pid live in
# $MP_RUN_DIR/kafka (default .run/kafka).
set -euo pipefail
INFRA_NAME=kafka
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}"
TIMEOUT="${KAFKA_START_TIMEOUT:-60}"
LIBS="$INFRA_DIR/kafka/libs"
RUN="$MP_RUN_DIR/kafka"
LOGFILE="$RUN/server.log"
PIDFILE="$RUN/server.pid"

ls "$LIBS"/kafka_2.13-*.jar >/dev/null 2>&1 || die "Kafka jars are missing in infra/kafka/libs: run \`bash infra/install.sh\`"
take_lock "$RUN"

ready() { port_open "$KAFKA_PORT" && grep -q 'Kafka Server started' "$LOGFILE" 2>/dev/null; }

if pid="$(live_pid "$PIDFILE")"; then
  running_port="$(cat "$RUN/port" 2>/dev/null || echo "$KAFKA_PORT")"
  [ "$running_port" = "$KAFKA_PORT" ] || die "this run folder ($RUN) already serves port $running_port; stop it first or set MP_RUN_DIR for a second instance"
  record_owner "$RUN" existing
  if ready; then log "already running (pid $pid) on 127.0.0.1:$KAFKA_PORT"; exit 0; fi
  log "pid $pid is alive but not ready yet; waiting"
else
  port_open "$KAFKA_PORT" && die "127.0.0.1:$KAFKA_PORT is taken by a process this script did not start; stop it or set KAFKA_PORT"
  port_open "$KAFKA_CONTROLLER_PORT" && die "controller port 127.0.0.1:$KAFKA_CONTROLLER_PORT is taken; set KAFKA_CONTROLLER_PORT"

  # Written on every start so changed ports take effect; the static voter list keeps the stored
  # metadata independent of the controller port.
  cat > "$RUN/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$RUN/data
auto.create.topics.enable=true
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
log.retention.hours=24
log.segment.bytes=67108864
PROPS

  JAVA_OPTS=(-Xms128m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
    -Dlog4j2.configurationFile="$INFRA_DIR/kafka/log4j2.xml" -Dkafka.logs.dir="$RUN")

  if [ ! -f "$RUN/data/meta.properties" ]; then
    log "formatting storage in $RUN/data"
    cluster_id="$(java -cp "$LIBS/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)"
    java "${JAVA_OPTS[@]}" -cp "$LIBS/*" kafka.tools.StorageTool format -t "$cluster_id" \
      -c "$RUN/server.properties" >"$RUN/format.log" 2>&1 \
      || fail_start "formatting Kafka storage failed" "$RUN/format.log"
  fi

  rotate_log "$LOGFILE"
  echo "$KAFKA_PORT" > "$RUN/port"
  record_owner "$RUN" launched
  log "starting on 127.0.0.1:$KAFKA_PORT (controller $KAFKA_CONTROLLER_PORT), log $LOGFILE"
  # setsid: the broker must outlive the shell (and job group) that started it.
  setsid java "${JAVA_OPTS[@]}" -cp "$LIBS/*" kafka.Kafka "$RUN/server.properties" >>"$LOGFILE" 2>&1 </dev/null 9>&- &
  pid=$!
  LAUNCHED_PID=$pid
  echo "$pid" > "$PIDFILE"
fi

await_ready "$pid" "$TIMEOUT" "the broker" "Kafka at 127.0.0.1:$KAFKA_PORT did not become ready" "$LOGFILE"
log "ready on 127.0.0.1:$KAFKA_PORT (pid $pid)"
