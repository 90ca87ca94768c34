#!/usr/bin/env bash
# Installs the real dependencies on a bare Debian machine: PostgreSQL server binaries (apt),
# Apache Kafka's jars and Zipkin's exec jar (Maven Central, cached in ~/.m2).
# Idempotent: every step is skipped when its result is already in place.
set -euo pipefail
INFRA_NAME=install
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KAFKA_VERSION="${KAFKA_VERSION:-4.1.1}"
ZIPKIN_VERSION="${ZIPKIN_VERSION:-3.5.1}"
MVN_LOG="${TMPDIR:-/tmp}/mp-mvn.log"
APT_UPDATED=0
START=$SECONDS

# Maven quietly; its output is shown only when it fails.
mvn_quiet() {
  if ! mvn -q -B -Dstyle.color=never "$@" >"$MVN_LOG" 2>&1; then
    sed 's/\x1b\[[0-9;]*m//g' "$MVN_LOG" | tail -n 40 >&2
    return 1
  fi
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "installing system packages needs root (or sudo): $*"; fi
}

# apt-get install, refreshing the package lists only when the first attempt needs it.
apt_install() {
  local opts=(-y -q --no-install-recommends -o Dpkg::Options::=--force-confold)
  if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install "${opts[@]}" "$@" >/tmp/mp-apt.log 2>&1; then
    if [ "$APT_UPDATED" = 0 ]; then
      log "refreshing apt package lists"
      as_root apt-get update -q >>/tmp/mp-apt.log 2>&1 || die "apt-get update failed; see /tmp/mp-apt.log"
      APT_UPDATED=1
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install "${opts[@]}" "$@" >>/tmp/mp-apt.log 2>&1 \
        || die "apt-get install $* failed; see /tmp/mp-apt.log"
    else
      die "apt-get install $* failed; see /tmp/mp-apt.log"
    fi
  fi
}

install_java_and_maven() {
  local missing=()
  command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
  command -v mvn >/dev/null 2>&1 || missing+=(maven)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]} (apt)"
    apt_install "${missing[@]}"
  fi
  local major
  major="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/.*java.specification.version = \([0-9]*\).*/\1/p')"
  [ "${major:-0}" -ge 17 ] || die "Kafka 4 and Zipkin 3 need Java 17 or newer; found Java ${major:-unknown}"
  log "java $major and $(mvn -v 2>/dev/null | head -n1 | sed 's/\x1b\[[0-9;]*m//g') present"
}

pg_bin_dir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1; }

install_postgres() {
  local bin; bin="$(pg_bin_dir)"
  if [ -n "$bin" ] && [ -x "$bin/initdb" ] && [ -x "$bin/pg_ctl" ]; then
    log "PostgreSQL server present ($bin), skipping"
    return
  fi
  # Debian's postinst would otherwise create and start a system cluster on 5432; our servers live
  # under .run/ and must not depend on (or collide with) it.
  if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
    as_root mkdir -p /etc/postgresql-common
    echo 'create_main_cluster = false' | as_root tee /etc/postgresql-common/createcluster.conf >/dev/null
  fi
  log "installing PostgreSQL server (apt)"
  apt_install postgresql
  bin="$(pg_bin_dir)"
  [ -n "$bin" ] && [ -x "$bin/initdb" ] || die "apt installed postgresql but no initdb under /usr/lib/postgresql/*/bin"
  log "PostgreSQL server installed ($bin)"
}

install_kafka() {
  local libs="$INFRA_DIR/kafka/libs" stamp
  # The pom's checksum is part of the stamp so an edited pom re-copies the jars.
  stamp="kafka_2.13 $KAFKA_VERSION pom $(sha1sum "$INFRA_DIR/kafka/pom.xml" | cut -c1-12)"
  if [ -f "$libs/.version" ] && [ "$(cat "$libs/.version")" = "$stamp" ] && ls "$libs"/kafka_2.13-*.jar >/dev/null 2>&1; then
    log "Kafka $KAFKA_VERSION jars present in infra/kafka/libs, skipping"
    return
  fi
  log "resolving Apache Kafka $KAFKA_VERSION jars (Maven; cached in ~/.m2)"
  local tmp="$INFRA_DIR/kafka/libs.tmp"
  rm -rf "$tmp"
  mvn_quiet -f "$INFRA_DIR/kafka/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" \
    || die "Maven could not resolve org.apache.kafka:kafka_2.13:$KAFKA_VERSION (Maven output above)"
  echo "$stamp" > "$tmp/.version"
  rm -rf "$libs" && mv "$tmp" "$libs"
  log "Kafka $KAFKA_VERSION: $(ls "$libs"/*.jar | wc -l) jars in infra/kafka/libs"
}

install_zipkin() {
  local jar="$INFRA_DIR/zipkin/zipkin-server-$ZIPKIN_VERSION-exec.jar"
  if [ -s "$jar" ]; then
    log "Zipkin $ZIPKIN_VERSION jar present, skipping"
    return
  fi
  log "resolving Zipkin server $ZIPKIN_VERSION exec jar (Maven; cached in ~/.m2)"
  # Run outside any project: dependency:copy needs none.
  (cd "$INFRA_DIR/zipkin" && mvn_quiet org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
      -Dartifact="io.zipkin:zipkin-server:$ZIPKIN_VERSION:jar:exec" -DoutputDirectory="$INFRA_DIR/zipkin") \
    || die "Maven could not resolve io.zipkin:zipkin-server:$ZIPKIN_VERSION:jar:exec (Maven output above)"
  find "$INFRA_DIR/zipkin" -maxdepth 1 -name 'zipkin-server-*-exec.jar' ! -name "$(basename "$jar")" -delete
  log "Zipkin $ZIPKIN_VERSION jar in infra/zipkin"
}

install_java_and_maven
install_postgres
install_kafka
install_zipkin
log "done in $((SECONDS - START))s"
