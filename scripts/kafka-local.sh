#!/usr/bin/env bash
# Runs Apache Kafka (KRaft, each node both broker and controller) on 127.0.0.1
# without Docker: one node by default, a replicated cluster with KAFKA_NODES=3.
# Kafka's jars are resolved from Maven Central once per version and cached;
# later starts work offline.
#
# Usage: scripts/kafka-local.sh start|stop|status|clean
#        scripts/kafka-local.sh kill-node N|stop-node N|start-node N   (a cluster's node N, 1-based)
#        scripts/kafka-local.sh leader TOPIC PARTITION   (prints the node id leading it; needs node + kafkajs)
#
# Environment:
#   KAFKA_NODES             1 (default): one node. 3 (or 2..5): a cluster of that many
#                           nodes on free loopback ports (or KAFKA_PORTS and
#                           KAFKA_CONTROLLER_PORTS), static quorum, internal topics
#                           with replication factor min(3, N) and min.insync.replicas 2,
#                           the same defaults for new topics. The node count and
#                           ports are kept in the work dir, so later commands (and
#                           `start` after `stop`) need no KAFKA_NODES.
#   KAFKA_PORTS             cluster: comma-separated client ports, one per node
#   KAFKA_CONTROLLER_PORTS  cluster: comma-separated controller ports, one per node
#   KAFKA_VERSION           Kafka release (default 4.4.0; 3.9.x works too)
#   KAFKA_PORT              client listener port (default 9092)
#   KAFKA_CONTROLLER_PORT   KRaft controller port (default 9093)
#   KAFKA_WORK_DIR          config, data, pid file and logs (default <repo>/.kafka/work)
#   KAFKA_CACHE_DIR         resolved jars (default <repo>/.kafka/lib/<version>)
#   KAFKA_START_TIMEOUT     seconds to wait for readiness (default 90)
#   KAFKA_STOP_TIMEOUT      seconds to wait after SIGTERM before SIGKILL (default 20)
#   KAFKA_HEAP_OPTS         broker heap flags (default "-Xms512m -Xmx512m"; in a
#                           cluster "-Xms256m -Xmx384m" per node, so three fit on 2 cores)
#   KAFKA_JVM_OPTS          more JVM flags (default none; in a cluster
#                           "-XX:+UseSerialGC -XX:CICompilerCount=2": fewer threads)
#   KAFKA_EXTRA_PROPERTIES  extra server.properties lines, appended last so they
#                           override the defaults. Separated by newlines; a
#                           single-line value is split on ';' instead. Use the
#                           newline form for values that contain ';' (JAAS).
#   KAFKA_SASL              unset: no SASL. `plain`, `scram` or `plain,scram`: adds
#                           a SASL_PLAINTEXT listener on KAFKA_SASL_PORT accepting
#                           PLAIN and/or SCRAM-SHA-256 and SCRAM-SHA-512 (the
#                           PLAINTEXT listener stays, for tools and inter-broker
#                           traffic). SCRAM credentials are created when the data
#                           dir is formatted, so enabling SCRAM later needs `clean`.
#   KAFKA_SASL_PORT         SASL_PLAINTEXT listener port (required with KAFKA_SASL)
#   KAFKA_SASL_USERNAME     the one SASL user (default event-sidecar)
#   KAFKA_SASL_PASSWORD     its password (default event-sidecar-secret); letters,
#                           digits, '.', '_' and '-' only, as both go into JAAS
#                           and StorageTool arguments unquoted
#
# `start` prints only `KAFKA_BROKERS=127.0.0.1:<port>[,...]` on stdout (and, with
# KAFKA_SASL, `KAFKA_SASL_BROKERS=127.0.0.1:<sasl port>`), so its output can be
# eval'd or appended to a CI environment file; all other messages, including
# the start-up time, go to stderr. In a cluster `start` starts every node that
# is not running (all at once: a node needs a quorum of controllers to start).
#
# Exit status: 0 success, 1 failure, 2 usage error, 3 `status` when not running
# (in a cluster: when any node is not running).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$SCRIPT_DIR/.." && pwd)
TEMPLATE_DIR="$SCRIPT_DIR/kafka"

KAFKA_VERSION=${KAFKA_VERSION:-4.4.0}
KAFKA_PORT=${KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
KAFKA_WORK_DIR=${KAFKA_WORK_DIR:-$REPO_DIR/.kafka/work}
KAFKA_CACHE_DIR=${KAFKA_CACHE_DIR:-$REPO_DIR/.kafka/lib/$KAFKA_VERSION}
KAFKA_START_TIMEOUT=${KAFKA_START_TIMEOUT:-90}
KAFKA_STOP_TIMEOUT=${KAFKA_STOP_TIMEOUT:-20}
KAFKA_NODES=${KAFKA_NODES:-}
KAFKA_PORTS=${KAFKA_PORTS:-}
KAFKA_CONTROLLER_PORTS=${KAFKA_CONTROLLER_PORTS:-}
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:-}
KAFKA_JVM_OPTS=${KAFKA_JVM_OPTS:-}
KAFKA_EXTRA_PROPERTIES=${KAFKA_EXTRA_PROPERTIES:-}
KAFKA_SASL=${KAFKA_SASL:-}
KAFKA_SASL_PORT=${KAFKA_SASL_PORT:-}
KAFKA_SASL_USERNAME=${KAFKA_SASL_USERNAME:-event-sidecar}
KAFKA_SASL_PASSWORD=${KAFKA_SASL_PASSWORD:-event-sidecar-secret}

# Maven 3.8's default dependency plugin is too old to be trusted with these poms.
DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1
STARTED_LINE='Kafka Server started'
# Written last, so a resolve that was interrupted half-way is redone.
RESOLVED_MARKER=.resolved

log() { printf 'kafka-local: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

abs_path() {
  case $1 in
    /*) printf '%s' "$1" ;;
    *) printf '%s/%s' "$PWD" "$1" ;;
  esac
}

KAFKA_WORK_DIR=$(abs_path "$KAFKA_WORK_DIR")
KAFKA_CACHE_DIR=$(abs_path "$KAFKA_CACHE_DIR")
# A cluster's shape (node count, ports, cluster id), written by its first start.
CLUSTER_FILE="$KAFKA_WORK_DIR/cluster.env"

# The files of one node. A single node keeps them directly in the work dir (as
# before clusters existed); node N of a cluster in <work dir>/node-N.
NODE_ID=1
NODE_DIR=$KAFKA_WORK_DIR
select_node_dir() {
  NODE_DIR=$1
  PID_FILE="$NODE_DIR/kafka.pid"
  LOG_FILE="$NODE_DIR/kafka.log"
  # JVM output that bypasses log4j (crashes, bad flags, logging misconfiguration).
  OUT_FILE="$NODE_DIR/kafka.out"
  PROPS_FILE="$NODE_DIR/server.properties"
  DATA_DIR="$NODE_DIR/data"
  FORMATTED_BY_FILE="$NODE_DIR/formatted-by"
  # SCRAM users the data dir was formatted with (credentials live in the metadata log).
  FORMATTED_SCRAM_FILE="$NODE_DIR/formatted-scram"
}
select_node_dir "$KAFKA_WORK_DIR"

# Microseconds since the epoch without forking; EPOCHREALTIME may use a
# locale-specific decimal separator.
now_us() {
  if [[ -n ${EPOCHREALTIME:-} ]]; then
    printf '%s' "${EPOCHREALTIME//[^0-9]/}"
  else
    printf '%s000000' "$(date +%s)"
  fi
}

seconds_since() {
  local us=$(($(now_us) - $1))
  printf '%d.%d' $((us / 1000000)) $((us % 1000000 / 100000))
}

kafka_major() { printf '%s' "${KAFKA_VERSION%%.*}"; }

validate_settings() {
  [[ $KAFKA_VERSION =~ ^[0-9]+\.[0-9]+\.[0-9]+([.-][A-Za-z0-9.-]+)?$ ]] ||
    die "KAFKA_VERSION '$KAFKA_VERSION' is not a Kafka release number such as 4.4.0 or 3.9.1"
  (($(kafka_major) >= 3)) || die "KAFKA_VERSION $KAFKA_VERSION: only 3.x (KRaft) and later are supported"
  local name
  for name in KAFKA_PORT KAFKA_CONTROLLER_PORT; do
    [[ ${!name} =~ ^[0-9]+$ ]] && ((${!name} > 0 && ${!name} < 65536)) ||
      die "$name '${!name}' is not a TCP port number"
  done
  [[ $KAFKA_PORT != "$KAFKA_CONTROLLER_PORT" ]] ||
    die "KAFKA_PORT and KAFKA_CONTROLLER_PORT must differ (both $KAFKA_PORT)"
  validate_sasl_settings
  [[ $KAFKA_START_TIMEOUT =~ ^[0-9]+$ ]] || die "KAFKA_START_TIMEOUT '$KAFKA_START_TIMEOUT' is not a number of seconds"
  [[ $KAFKA_STOP_TIMEOUT =~ ^[0-9]+$ ]] || die "KAFKA_STOP_TIMEOUT '$KAFKA_STOP_TIMEOUT' is not a number of seconds"
}

SASL_PLAIN=0
SASL_SCRAM=0
validate_sasl_settings() {
  [[ -n $KAFKA_SASL ]] || return 0
  local item items
  IFS=',' read -r -a items <<<"$KAFKA_SASL"
  for item in "${items[@]}"; do
    case ${item// /} in
      plain) SASL_PLAIN=1 ;;
      scram) SASL_SCRAM=1 ;;
      *) die "KAFKA_SASL '$KAFKA_SASL' must be plain, scram or plain,scram" ;;
    esac
  done
  [[ $KAFKA_SASL_PORT =~ ^[0-9]+$ ]] && ((KAFKA_SASL_PORT > 0 && KAFKA_SASL_PORT < 65536)) ||
    die "KAFKA_SASL_PORT '$KAFKA_SASL_PORT' is not a TCP port number (required with KAFKA_SASL)"
  [[ $KAFKA_SASL_PORT != "$KAFKA_PORT" && $KAFKA_SASL_PORT != "$KAFKA_CONTROLLER_PORT" ]] ||
    die "KAFKA_SASL_PORT must differ from KAFKA_PORT and KAFKA_CONTROLLER_PORT"
  local name
  for name in KAFKA_SASL_USERNAME KAFKA_SASL_PASSWORD; do
    [[ ${!name} =~ ^[A-Za-z0-9._-]{1,128}$ ]] ||
      die "$name must be 1 to 128 letters, digits, '.', '_' or '-'"
  done
}

find_java() {
  local java
  if [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java ]]; then
    java="$JAVA_HOME/bin/java"
  else
    java=$(command -v java) || die "Java not found: install a JDK (17 or newer) or set JAVA_HOME"
  fi
  local version major
  version=$("$java" -version 2>&1 | sed -n 's/.* version "\([^"]*\)".*/\1/p' | head -n 1)
  major=${version%%[.-]*}
  # Java 8 reports itself as 1.8.
  if [[ $major == 1 ]]; then major=$(printf '%s' "$version" | cut -d. -f2); fi
  [[ $major =~ ^[0-9]+$ ]] || die "cannot tell the version of $java (got '$version')"
  if (($(kafka_major) >= 4 && major < 17)); then
    die "Kafka $KAFKA_VERSION needs Java 17 or newer, $java is Java $version"
  elif ((major < 11)); then
    die "Kafka $KAFKA_VERSION needs Java 11 or newer, $java is Java $version"
  fi
  printf '%s' "$java"
}

sed_replacement_escape() { printf '%s' "$1" | sed -e 's/[\\&|]/\\&/g'; }

# Templates mark version-specific parts with "BEGIN <name>" / "END <name>"
# lines; these filters keep a block (without its markers) or drop it.
keep_block() { sed -e "/BEGIN $1\$/d" -e "/BEGIN $1 /d" -e "/END $1\$/d" -e "/END $1 /d"; }
drop_block() { sed -e "/BEGIN $1[ ]*\(-->\)\{0,1\}\$/,/END $1[ ]*\(-->\)\{0,1\}\$/d"; }

generate_pom() {
  # Kafka 4 logs through Log4j 2, Kafka 3 through reload4j.
  local keep=log4j2 drop=reload4j
  if (($(kafka_major) < 4)); then keep=reload4j drop=log4j2; fi
  sed -e "s|@KAFKA_VERSION@|$(sed_replacement_escape "$KAFKA_VERSION")|g" "$TEMPLATE_DIR/pom.xml.template" |
    keep_block "$keep" | drop_block "$drop" >"$1"
}

resolve_jars() {
  [[ -f $KAFKA_CACHE_DIR/$RESOLVED_MARKER ]] && return 0
  command -v mvn >/dev/null ||
    die "Maven (mvn) not found: it is needed once to fetch Kafka $KAFKA_VERSION's jars into $KAFKA_CACHE_DIR"
  mkdir -p "$KAFKA_CACHE_DIR"

  # Parallel first starts (CI jobs, two brokers) must not download into the
  # same folder at once; the second one waits and then finds the marker.
  local lock_fd
  exec {lock_fd}>"$KAFKA_CACHE_DIR/.lock"
  if command -v flock >/dev/null; then flock "$lock_fd"; fi
  if [[ -f $KAFKA_CACHE_DIR/$RESOLVED_MARKER ]]; then
    exec {lock_fd}>&-
    return 0
  fi

  log "resolving Kafka $KAFKA_VERSION jars from Maven Central into $KAFKA_CACHE_DIR (once per version)"
  local started
  started=$(now_us)
  # Jars left by an interrupted attempt may be truncated.
  rm -f "$KAFKA_CACHE_DIR"/*.jar
  generate_pom "$KAFKA_CACHE_DIR/pom.xml"
  if ! mvn -B -q -Dstyle.color=never -f "$KAFKA_CACHE_DIR/pom.xml" \
    "$DEPENDENCY_PLUGIN:copy-dependencies" \
    -DoutputDirectory="$KAFKA_CACHE_DIR" -DincludeScope=runtime \
    >"$KAFKA_CACHE_DIR/mvn.log" 2>&1 </dev/null; then
    log "error: Maven could not resolve org.apache.kafka:kafka_2.13:$KAFKA_VERSION (Maven Central unreachable, or no such version?)"
    log "last lines of $KAFKA_CACHE_DIR/mvn.log:"
    # Maven 3.8 emits colour resets even in batch mode.
    sed -e 's/\x1b\[[0-9;]*m//g' "$KAFKA_CACHE_DIR/mvn.log" | tail -n 25 >&2
    exit 1
  fi
  [[ -f $KAFKA_CACHE_DIR/kafka_2.13-$KAFKA_VERSION.jar ]] ||
    die "Maven succeeded but kafka_2.13-$KAFKA_VERSION.jar is not in $KAFKA_CACHE_DIR"
  local count
  count=$(find "$KAFKA_CACHE_DIR" -maxdepth 1 -name '*.jar' | wc -l)
  printf 'kafka_2.13:%s resolved %s (%s jars)\n' "$KAFKA_VERSION" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$count" \
    >"$KAFKA_CACHE_DIR/$RESOLVED_MARKER"
  exec {lock_fd}>&-
  log "resolved $count jars in $(seconds_since "$started") s"
}

# Succeeds when something accepts TCP connections on 127.0.0.1:$1.
port_in_use() {
  timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null
}

# Sends a Kafka ApiVersions v0 request (api key 18, correlation id 0x4b4c, null
# client id) and succeeds if a response with that correlation id comes back:
# unlike an open port, this proves the broker is processing requests. A broker
# that no longer supports v0 still answers, with an error code, which is enough.
broker_answers() {
  local reply
  reply=$(timeout 3 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "\x00\x00\x00\x0a\x00\x12\x00\x00\x00\x00\x4b\x4c\xff\xff" >&3
    head -c 8 <&3 | od -An -tx1 | tr -d " \n"
  ' _ "$1" 2>/dev/null) || return 1
  [[ ${#reply} == 16 && ${reply:8} == 00004b4c ]]
}

# Alive and not a zombie: during `start` the broker is our child, and a dead
# child stays visible to `kill -0` until it is reaped.
process_alive() {
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ -n $state && $state != Z* ]]
}

# Prints the pid of the broker running from this work dir. The command line is
# checked so that a stale pid file whose pid was reused is not mistaken for it.
running_pid() {
  [[ -f $PID_FILE ]] || return 1
  local pid args
  pid=$(<"$PID_FILE")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  process_alive "$pid" || return 1
  args=$(ps -ww -o args= -p "$pid" 2>/dev/null) || return 1
  [[ $args == *kafka.Kafka* && $args == *"$PROPS_FILE"* ]] || return 1
  printf '%s' "$pid"
}

# The port the running broker was configured with, which may differ from
# the current KAFKA_PORT.
configured_port() {
  local port=""
  if [[ -f $PROPS_FILE ]]; then
    port=$(sed -n 's|^advertised\.listeners=PLAINTEXT://[^,]*:\([0-9][0-9]*\).*|\1|p' "$PROPS_FILE" | tail -n 1)
  fi
  printf '%s' "${port:-$KAFKA_PORT}"
}

# The broker runs in its own session, so its pid is also its process group id:
# signalling the group reaches anything it may have spawned.
signal_broker() {
  local signal=$1 pid=$2
  kill "-$signal" -- "-$pid" 2>/dev/null || kill "-$signal" "$pid" 2>/dev/null || true
}

stop_pid() {
  local pid=$1 waited=0
  signal_broker TERM "$pid"
  while process_alive "$pid" && ((waited < KAFKA_STOP_TIMEOUT * 5)); do
    sleep 0.2
    waited=$((waited + 1))
  done
  if process_alive "$pid"; then
    log "broker (pid $pid) still running ${KAFKA_STOP_TIMEOUT} s after SIGTERM; sending SIGKILL"
    signal_broker KILL "$pid"
    waited=0
    while process_alive "$pid" && ((waited < 50)); do
      sleep 0.1
      waited=$((waited + 1))
    done
    if process_alive "$pid"; then die "broker (pid $pid) survived SIGKILL"; fi
  fi
  # Anything left in the broker's process group goes too.
  if kill -0 -- "-$pid" 2>/dev/null; then
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  return 0
}

extra_properties() {
  [[ -n $KAFKA_EXTRA_PROPERTIES ]] || return 0
  local text=$KAFKA_EXTRA_PROPERTIES line
  if [[ $text != *$'\n'* ]]; then
    text=${text//;/$'\n'}
  fi
  printf '\n# From KAFKA_EXTRA_PROPERTIES (later lines override earlier ones).\n'
  while IFS= read -r line || [[ -n $line ]]; do
    line="${line#"${line%%[![:space:]]*}"}"
    line="${line%"${line##*[![:space:]]}"}"
    if [[ -n $line ]]; then printf '%s\n' "$line"; fi
  done <<<"$text"
}

# The SASL_PLAINTEXT listener, appended after the template so that its
# listeners lines override the template's (the last value of a key wins).
sasl_properties() {
  ((SASL_PLAIN || SASL_SCRAM)) || return 0
  local mechanisms=() user=$KAFKA_SASL_USERNAME password=$KAFKA_SASL_PASSWORD
  if ((SASL_PLAIN)); then mechanisms+=(PLAIN); fi
  if ((SASL_SCRAM)); then mechanisms+=(SCRAM-SHA-256 SCRAM-SHA-512); fi
  printf '\n# From KAFKA_SASL=%s: a SASL_PLAINTEXT listener for clients; PLAINTEXT stays for tools.\n' "$KAFKA_SASL"
  printf 'listeners=PLAINTEXT://127.0.0.1:%s,SASL_PLAINTEXT://127.0.0.1:%s,CONTROLLER://127.0.0.1:%s\n' \
    "$KAFKA_PORT" "$KAFKA_SASL_PORT" "$KAFKA_CONTROLLER_PORT"
  printf 'advertised.listeners=PLAINTEXT://127.0.0.1:%s,SASL_PLAINTEXT://127.0.0.1:%s\n' "$KAFKA_PORT" "$KAFKA_SASL_PORT"
  printf 'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT\n'
  printf 'sasl.enabled.mechanisms=%s\n' "$(
    IFS=,
    printf '%s' "${mechanisms[*]}"
  )"
  printf 'listener.name.sasl_plaintext.sasl.enabled.mechanisms=%s\n' "$(
    IFS=,
    printf '%s' "${mechanisms[*]}"
  )"
  if ((SASL_PLAIN)); then
    printf 'listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_%s="%s";\n' \
      "$user" "$password"
  fi
  if ((SASL_SCRAM)); then
    # The broker verifies clients against the credentials stored at format time.
    local mechanism
    for mechanism in scram-sha-256 scram-sha-512; do
      printf 'listener.name.sasl_plaintext.%s.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;\n' \
        "$mechanism"
    done
  fi
}

write_server_properties() {
  # Kafka 3.9 does not know the share coordinator settings and would warn.
  local kafka4_filter=(drop_block kafka4)
  if (($(kafka_major) >= 4)); then kafka4_filter=(keep_block kafka4); fi
  {
    sed -e "s|@PORT@|$KAFKA_PORT|g" \
      -e "s|@CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" \
      -e "s|@NODE_ID@|$NODE_ID|g" \
      -e "s|@VOTERS@|$(quorum_voters)|g" \
      -e "s|@REPLICATION@|$(replication_factor)|g" \
      -e "s|@MIN_ISR@|$(min_insync_replicas)|g" \
      -e "s|@DATA_DIR@|$(sed_replacement_escape "$DATA_DIR")|g" \
      "$TEMPLATE_DIR/server.properties.template" | "${kafka4_filter[@]}"
    cluster_properties
    sasl_properties
    extra_properties
  } >"$PROPS_FILE"
}

# 16 random bytes in URL-safe base64 without padding: the same form as
# `StorageTool random-uuid`, without paying for a JVM start.
new_cluster_id() {
  local id
  while :; do
    id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
    # A leading '-' would make StorageTool read the id as an option.
    [[ $id != -* ]] && break
  done
  printf '%s' "$id"
}

print_log_tail() {
  if [[ -s $LOG_FILE ]]; then
    log "last 30 lines of $LOG_FILE:"
    tail -n 30 "$LOG_FILE" >&2
  else
    log "$LOG_FILE is empty"
  fi
  if [[ -s $OUT_FILE ]]; then
    log "last 30 lines of $OUT_FILE:"
    tail -n 30 "$OUT_FILE" >&2
  fi
}

# Keeps the previous run's logs (useful after a crash) while letting the
# readiness check look only at this run's lines.
rotate_logs() {
  local file
  for file in "$LOG_FILE" "$OUT_FILE"; do
    if [[ -f $file ]]; then mv -f "$file" "$file.1"; fi
  done
  : >"$LOG_FILE"
  : >"$OUT_FILE"
}

# ------------------------------------------------------------------ cluster shape

CLUSTER=0
NODES=1
PORTS=()
CONTROLLER_PORTS=()
CLUSTER_ID=""

# Free loopback ports, all held until all are chosen so that none repeats.
free_ports() {
  local count=$1
  if command -v node >/dev/null; then
    node -e '
      const net = require("net");
      const servers = [];
      const next = () => {
        if (servers.length === Number(process.argv[1])) {
          console.log(servers.map((s) => s.address().port).join(" "));
          for (const s of servers) s.close();
          return;
        }
        const s = net.createServer().listen(0, "127.0.0.1", next);
        servers.push(s);
      };
      next();' "$count"
  elif command -v python3 >/dev/null; then
    python3 -c '
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
for s in socks:
    s.close()' "$count"
  else
    die "need node or python3 to pick free ports (or set KAFKA_PORTS and KAFKA_CONTROLLER_PORTS)"
  fi
}

cluster_value() { sed -n "s/^$1=//p" "$CLUSTER_FILE" | tail -n 1; }

split_ports() {
  local name=$1 value=$2
  local -a ports
  IFS=',' read -r -a ports <<<"${value// /}"
  ((${#ports[@]} == NODES)) || die "$name '$value' must list $NODES ports, one per node"
  local port
  for port in "${ports[@]}"; do
    [[ $port =~ ^[0-9]+$ ]] && ((port > 0 && port < 65536)) || die "$name '$value': '$port' is not a TCP port number"
  done
  printf '%s\n' "${ports[@]}"
}

# Decides between one node and a cluster. A work dir that holds a cluster keeps
# its shape (node count, ports, cluster id), so later commands need no settings.
load_cluster() {
  if [[ -f $CLUSTER_FILE ]]; then
    NODES=$(cluster_value NODES)
    [[ $NODES =~ ^[0-9]+$ ]] || die "$CLUSTER_FILE is damaged (NODES); run '$0 clean'"
    if [[ -n $KAFKA_NODES && $KAFKA_NODES != "$NODES" ]]; then
      die "$KAFKA_WORK_DIR holds a cluster of $NODES nodes, KAFKA_NODES is $KAFKA_NODES: run '$0 clean' first"
    fi
    mapfile -t PORTS < <(split_ports PORTS "$(cluster_value PORTS)")
    mapfile -t CONTROLLER_PORTS < <(split_ports CONTROLLER_PORTS "$(cluster_value CONTROLLER_PORTS)")
    CLUSTER_ID=$(cluster_value CLUSTER_ID)
    CLUSTER=1
    return 0
  fi
  # Only `start` creates a cluster; to the others an empty work dir runs nothing.
  [[ ${1:-} == start ]] || return 0
  [[ -z $KAFKA_NODES || $KAFKA_NODES == 1 ]] && return 0
  [[ $KAFKA_NODES =~ ^[0-9]+$ ]] && ((KAFKA_NODES >= 2 && KAFKA_NODES <= 5)) ||
    die "KAFKA_NODES '$KAFKA_NODES' must be 1 (one node) or 2 to 5 (a cluster)"
  if [[ -f $KAFKA_WORK_DIR/server.properties ]]; then
    die "$KAFKA_WORK_DIR holds a single node: run '$0 clean' first, or use another KAFKA_WORK_DIR"
  fi
  [[ -z $KAFKA_SASL ]] || die "KAFKA_SASL is not supported with KAFKA_NODES > 1"
  CLUSTER=1
  NODES=$KAFKA_NODES
}

# Chooses the ports of a new cluster and writes its shape down (first start only).
create_cluster() {
  [[ ! -f $CLUSTER_FILE ]] || return 0
  if [[ -n $KAFKA_PORTS ]]; then
    mapfile -t PORTS < <(split_ports KAFKA_PORTS "$KAFKA_PORTS")
  fi
  if [[ -n $KAFKA_CONTROLLER_PORTS ]]; then
    mapfile -t CONTROLLER_PORTS < <(split_ports KAFKA_CONTROLLER_PORTS "$KAFKA_CONTROLLER_PORTS")
  fi
  if ((${#PORTS[@]} == 0 || ${#CONTROLLER_PORTS[@]} == 0)); then
    local -a free
    read -r -a free < <(free_ports $((2 * NODES)))
    ((${#free[@]} == 2 * NODES)) || die "could not pick $((2 * NODES)) free ports"
    ((${#PORTS[@]} > 0)) || PORTS=("${free[@]:0:NODES}")
    ((${#CONTROLLER_PORTS[@]} > 0)) || CONTROLLER_PORTS=("${free[@]:NODES:NODES}")
  fi
  local all
  all=$(printf '%s\n' "${PORTS[@]}" "${CONTROLLER_PORTS[@]}" | sort | uniq -d)
  [[ -z $all ]] || die "ports must all differ; repeated: $(printf '%s' "$all" | tr '\n' ' ')"
  CLUSTER_ID=$(new_cluster_id)
  mkdir -p "$KAFKA_WORK_DIR"
  {
    printf '# Written by kafka-local.sh when this cluster was created; removed by clean.\n'
    printf 'NODES=%s\n' "$NODES"
    printf 'PORTS=%s\n' "$(IFS=,; printf '%s' "${PORTS[*]}")"
    printf 'CONTROLLER_PORTS=%s\n' "$(IFS=,; printf '%s' "${CONTROLLER_PORTS[*]}")"
    printf 'CLUSTER_ID=%s\n' "$CLUSTER_ID"
  } >"$CLUSTER_FILE"
}

select_node() {
  local n=$1
  if ((CLUSTER == 0)); then
    select_node_dir "$KAFKA_WORK_DIR"
    NODE_ID=1
    return 0
  fi
  [[ $n =~ ^[0-9]+$ ]] && ((n >= 1 && n <= NODES)) || die "node '$n': the cluster has nodes 1 to $NODES"
  select_node_dir "$KAFKA_WORK_DIR/node-$n"
  NODE_ID=$n
  KAFKA_PORT=${PORTS[n - 1]}
  KAFKA_CONTROLLER_PORT=${CONTROLLER_PORTS[n - 1]}
}

quorum_voters() {
  if ((CLUSTER == 0)); then
    printf '1@127.0.0.1:%s' "$KAFKA_CONTROLLER_PORT"
    return 0
  fi
  local n out=""
  for ((n = 1; n <= NODES; n++)); do out+="${out:+,}$n@127.0.0.1:${CONTROLLER_PORTS[n - 1]}"; done
  printf '%s' "$out"
}

# Internal topics (consumer offsets, transactions, share state): as replicated
# as the cluster allows, like production (3 copies, 2 in sync to write).
replication_factor() { printf '%s' $((NODES < 3 ? NODES : 3)); }
min_insync_replicas() { printf '%s' $((NODES < 2 ? 1 : 2)); }

all_brokers() {
  if ((CLUSTER == 0)); then
    printf '127.0.0.1:%s' "$(configured_port)"
    return 0
  fi
  local n out=""
  for ((n = 1; n <= NODES; n++)); do out+="${out:+,}127.0.0.1:${PORTS[n - 1]}"; done
  printf '%s' "$out"
}

cluster_properties() {
  ((CLUSTER)) || return 0
  printf '\n# A cluster of %s nodes: new topics are replicated like production unless created\n' "$NODES"
  printf '# otherwise, and three JVMs share a small machine, so each runs fewer threads.\n'
  printf 'default.replication.factor=%s\n' "$(replication_factor)"
  printf 'min.insync.replicas=%s\n' "$(min_insync_replicas)"
  printf 'num.io.threads=2\n'
  printf 'num.replica.fetchers=1\n'
  printf 'background.threads=2\n'
  printf 'log.cleaner.threads=1\n'
  printf 'num.recovery.threads.per.data.dir=1\n'
}

# ------------------------------------------------------------------ start

STARTING_PIDS=()
abort_start() {
  local status=$1 pid
  # A wrapper may forward the same Ctrl-C a moment later; finish stopping first.
  trap '' INT TERM
  for pid in "${STARTING_PIDS[@]}"; do
    log "interrupted; stopping the broker that was starting (pid $pid)"
    stop_pid "$pid" || true
  done
  exit "$status"
}

JAVA=""
prepare_java() {
  [[ -n $JAVA ]] && return 0
  JAVA=$(find_java)
  resolve_jars
  if [[ -z $KAFKA_HEAP_OPTS ]]; then
    KAFKA_HEAP_OPTS="-Xms512m -Xmx512m"
    if ((CLUSTER)); then KAFKA_HEAP_OPTS="-Xms256m -Xmx384m"; fi
  fi
  if [[ -z $KAFKA_JVM_OPTS ]] && ((CLUSTER)); then
    KAFKA_JVM_OPTS="-XX:+UseSerialGC -XX:CICompilerCount=2"
  fi
}

# Formats the selected node's data dir (first start only).
format_node() {
  local classpath="$KAFKA_CACHE_DIR/*"
  local -a log_opts=(
    "-Dkafka.logs.dir=$NODE_DIR"
    "-Dlog4j2.configurationFile=$TEMPLATE_DIR/log4j2.xml"
    "-Dlog4j.configuration=file:$TEMPLATE_DIR/log4j.properties"
  )
  # Every node of a cluster is formatted with the cluster's one id.
  local cluster_id=$CLUSTER_ID
  if [[ -z $cluster_id ]]; then cluster_id=$(new_cluster_id); fi
  log "formatting $DATA_DIR (cluster id $cluster_id)"
  # No --standalone: the quorum is static (controller.quorum.voters), and
  # Kafka 4.1+ rejects the combination.
  local -a scram_opts=()
  if ((SASL_SCRAM)); then
    scram_opts=(
      --add-scram "SCRAM-SHA-256=[name=$KAFKA_SASL_USERNAME,password=$KAFKA_SASL_PASSWORD]"
      --add-scram "SCRAM-SHA-512=[name=$KAFKA_SASL_USERNAME,password=$KAFKA_SASL_PASSWORD]"
    )
  fi
  if ! "$JAVA" -cp "$classpath" "${log_opts[@]}" kafka.tools.StorageTool format \
    -t "$cluster_id" -c "$PROPS_FILE" "${scram_opts[@]}" >"$NODE_DIR/format.log" 2>&1 </dev/null; then
    log "error: formatting the storage failed; output of kafka.tools.StorageTool:"
    tail -n 30 "$NODE_DIR/format.log" >&2
    exit 1
  fi
  printf '%s\n' "$KAFKA_VERSION" >"$FORMATTED_BY_FILE"
  if ((SASL_SCRAM)); then
    printf '%s:%s\n' "$KAFKA_SASL_USERNAME" "$(scram_fingerprint)" >"$FORMATTED_SCRAM_FILE"
  else
    rm -f "$FORMATTED_SCRAM_FILE"
  fi
}

# Formats (first start only) and launches the selected node; sets LAUNCHED_PID.
launch_node() {
  # A broker that cannot bind exits with a bind error deep in its log; say it plainly.
  local what=KAFKA_PORT cwhat=KAFKA_CONTROLLER_PORT
  if ((CLUSTER)); then what="node $NODE_ID's client port" cwhat="node $NODE_ID's controller port"; fi
  if port_in_use "$KAFKA_PORT"; then
    die "port $KAFKA_PORT ($what) is already in use on 127.0.0.1; stop what listens there or choose another port"
  fi
  if port_in_use "$KAFKA_CONTROLLER_PORT"; then
    die "port $KAFKA_CONTROLLER_PORT ($cwhat) is already in use on 127.0.0.1; stop what listens there or choose another port"
  fi
  if [[ -n $KAFKA_SASL ]] && port_in_use "$KAFKA_SASL_PORT"; then
    die "port $KAFKA_SASL_PORT (KAFKA_SASL_PORT) is already in use on 127.0.0.1; stop what listens there or choose another port"
  fi

  mkdir -p "$NODE_DIR"
  rm -f "$PID_FILE"
  write_server_properties
  rotate_logs

  local classpath="$KAFKA_CACHE_DIR/*"
  local -a log_opts=(
    "-Dkafka.logs.dir=$NODE_DIR"
    "-Dlog4j2.configurationFile=$TEMPLATE_DIR/log4j2.xml"
    "-Dlog4j.configuration=file:$TEMPLATE_DIR/log4j.properties"
  )
  local -a jvm_opts
  read -r -a jvm_opts <<<"$KAFKA_HEAP_OPTS $KAFKA_JVM_OPTS"

  # Formatting again would fail on a formatted directory, and a broker that was
  # killed must come back with its records.
  if [[ -f $DATA_DIR/meta.properties ]]; then
    local formatted_by=""
    if [[ -f $FORMATTED_BY_FILE ]]; then formatted_by=$(<"$FORMATTED_BY_FILE"); fi
    if [[ -n $formatted_by && $formatted_by != "$KAFKA_VERSION" ]]; then
      log "warning: $DATA_DIR was formatted by Kafka $formatted_by, starting $KAFKA_VERSION on it; if start-up fails, run '$0 clean'"
    fi
    log "reusing formatted data in $DATA_DIR"
    if ((SASL_SCRAM)); then
      local formatted_scram=""
      if [[ -f $FORMATTED_SCRAM_FILE ]]; then formatted_scram=$(<"$FORMATTED_SCRAM_FILE"); fi
      [[ $formatted_scram == "$KAFKA_SASL_USERNAME:$(scram_fingerprint)" ]] ||
        die "$DATA_DIR was formatted without SCRAM credentials for $KAFKA_SASL_USERNAME (or with another password): run '$0 clean' first"
    fi
  else
    format_node
  fi

  trap 'abort_start 130' INT
  trap 'abort_start 143' TERM
  (
    # The broker outlives this script: it must not keep the caller's pipes or
    # other inherited descriptors open, or a `$(...)` around us would never end.
    if [[ -d /proc/$BASHPID/fd ]]; then
      for fd in /proc/"$BASHPID"/fd/*; do
        fd=${fd##*/}
        if [[ $fd =~ ^[0-9]+$ ]] && ((fd > 2)); then eval "exec $fd>&-" 2>/dev/null || true; fi
      done
    fi
    # A new session detaches it from the terminal (no Ctrl-C, no SIGHUP) and
    # makes its pid a process group id that `stop` can signal as a whole.
    launcher=(nohup)
    if command -v setsid >/dev/null; then launcher=(setsid nohup); fi
    exec "${launcher[@]}" "$JAVA" "${jvm_opts[@]}" -cp "$classpath" "${log_opts[@]}" \
      kafka.Kafka "$PROPS_FILE" >"$OUT_FILE" 2>&1 </dev/null
  ) &
  LAUNCHED_PID=$!
  STARTING_PIDS+=("$LAUNCHED_PID")
  printf '%s\n' "$LAUNCHED_PID" >"$PID_FILE"
  local name=broker
  if ((CLUSTER)); then name="node $NODE_ID"; fi
  log "starting $name, Kafka $KAFKA_VERSION (pid $LAUNCHED_PID) on 127.0.0.1:$KAFKA_PORT, controller on 127.0.0.1:$KAFKA_CONTROLLER_PORT"
}

# Waits until the selected node, launched as pid $1, serves requests; gives up at $2 (µs).
wait_ready() {
  local pid=$1 deadline=$2 saw_started=0
  while :; do
    if ! process_alive "$pid"; then
      log "error: the broker (node $NODE_ID) exited during start-up"
      print_log_tail
      rm -f "$PID_FILE"
      return 1
    fi
    if ((saw_started == 0)) && grep -q "$STARTED_LINE" "$LOG_FILE" 2>/dev/null; then
      saw_started=1
    fi
    if ((saw_started == 1)) && broker_answers "$KAFKA_PORT"; then
      return 0
    fi
    if (($(now_us) > deadline)); then
      log "error: the broker (node $NODE_ID) was not ready within $KAFKA_START_TIMEOUT s (KAFKA_START_TIMEOUT)"
      print_log_tail
      return 1
    fi
    sleep 0.2
  done
}

print_brokers() {
  printf 'KAFKA_BROKERS=%s\n' "$(all_brokers)"
  if [[ -n $KAFKA_SASL ]]; then
    printf 'KAFKA_SASL_BROKERS=127.0.0.1:%s\n' "$KAFKA_SASL_PORT"
  fi
}

# Starts the given nodes (all at once: a node of a cluster waits for a quorum of
# controllers before it serves), then waits for each; stops them all on failure.
start_nodes() {
  local started n pid
  started=$(now_us)
  local -a launched=() launched_nodes=() formatting=()
  # Formatting starts a JVM per node: the nodes of a new cluster do it side by side.
  if ((CLUSTER)); then
    for n in "$@"; do
      select_node "$n"
      [[ ! -f $DATA_DIR/meta.properties ]] || continue
      mkdir -p "$NODE_DIR"
      write_server_properties
      format_node &
      formatting+=("$!")
    done
    for pid in "${formatting[@]}"; do wait "$pid" || exit 1; done
  fi
  for n in "$@"; do
    select_node "$n"
    launch_node
    launched+=("$LAUNCHED_PID")
    launched_nodes+=("$n")
  done
  local deadline=$(($(now_us) + KAFKA_START_TIMEOUT * 1000000)) i
  for i in "${!launched[@]}"; do
    select_node "${launched_nodes[i]}"
    if ! wait_ready "${launched[i]}" "$deadline"; then
      log "stopping the nodes this start launched"
      for pid in "${launched[@]}"; do stop_pid "$pid" || true; done
      for n in "${launched_nodes[@]}"; do rm -f "$KAFKA_WORK_DIR/node-$n/kafka.pid"; done
      rm -f "$PID_FILE"
      exit 1
    fi
  done
  trap - INT TERM
  STARTING_PIDS=()
  if ((CLUSTER)); then
    log "node(s) ${launched_nodes[*]} of $NODES ready in $(seconds_since "$started") s (Kafka $KAFKA_VERSION, pids ${launched[*]}, work dir $KAFKA_WORK_DIR)"
  else
    log "broker $KAFKA_VERSION ready in $(seconds_since "$started") s (pid ${launched[0]}, data $DATA_DIR)"
    if [[ -n $KAFKA_SASL ]]; then
      log "SASL_PLAINTEXT ($KAFKA_SASL) on 127.0.0.1:$KAFKA_SASL_PORT for user $KAFKA_SASL_USERNAME"
    fi
  fi
}

cmd_start() {
  load_cluster start
  validate_settings
  if ((CLUSTER)); then
    create_cluster
    local n pid
    local -a down=()
    for ((n = 1; n <= NODES; n++)); do
      select_node "$n"
      if pid=$(running_pid); then
        log "node $n already running (pid $pid)"
      else
        down+=("$n")
      fi
    done
    if ((${#down[@]} > 0)); then
      prepare_java
      start_nodes "${down[@]}"
    fi
    print_brokers
    return 0
  fi
  local pid
  if pid=$(running_pid); then
    log "broker already running from $KAFKA_WORK_DIR (pid $pid)"
    printf 'KAFKA_BROKERS=127.0.0.1:%s\n' "$(configured_port)"
    if [[ -n $KAFKA_SASL ]]; then printf 'KAFKA_SASL_BROKERS=127.0.0.1:%s\n' "$KAFKA_SASL_PORT"; fi
    return 0
  fi
  prepare_java
  start_nodes 1
  print_brokers
}

# Identifies the SCRAM password without writing it down.
scram_fingerprint() {
  printf '%s' "$KAFKA_SASL_PASSWORD" | sha256sum | cut -c1-16
}

# ------------------------------------------------------------------ stop, status, clean

# Stops the running nodes together: one by one, the last ones of a cluster
# would wait for a controller quorum that has already gone.
stop_nodes() {
  local n pid started
  started=$(now_us)
  local -a pids=() nodes=()
  for n in "$@"; do
    select_node "$n"
    if pid=$(running_pid); then
      pids+=("$pid")
      nodes+=("$n")
      signal_broker TERM "$pid"
    fi
    rm -f "$PID_FILE"
  done
  if ((${#pids[@]} == 0)); then
    log "not running (work dir $KAFKA_WORK_DIR)"
    return 0
  fi
  for pid in "${pids[@]}"; do stop_pid "$pid"; done
  if ((CLUSTER)); then
    log "stopped node(s) ${nodes[*]} (pids ${pids[*]}) in $(seconds_since "$started") s"
  else
    log "stopped broker (pid ${pids[0]}) in $(seconds_since "$started") s"
  fi
}

every_node() {
  local n
  for ((n = 1; n <= NODES; n++)); do printf '%s\n' "$n"; done
}

cmd_stop() {
  load_cluster
  [[ $KAFKA_STOP_TIMEOUT =~ ^[0-9]+$ ]] || die "KAFKA_STOP_TIMEOUT '$KAFKA_STOP_TIMEOUT' is not a number of seconds"
  local -a nodes
  mapfile -t nodes < <(every_node)
  stop_nodes "${nodes[@]}"
}

cmd_status() {
  load_cluster
  local pid
  if ((CLUSTER == 0)); then
    if pid=$(running_pid); then
      printf 'kafka-local: running (pid %s, port %s, work dir %s)\n' "$pid" "$(configured_port)" "$KAFKA_WORK_DIR"
      return 0
    fi
    printf 'kafka-local: not running (work dir %s)\n' "$KAFKA_WORK_DIR"
    return 3
  fi
  local n up=0
  for ((n = 1; n <= NODES; n++)); do
    select_node "$n"
    if pid=$(running_pid); then
      printf 'kafka-local: node %s running (pid %s, port %s)\n' "$n" "$pid" "$KAFKA_PORT"
      up=$((up + 1))
    else
      printf 'kafka-local: node %s not running (port %s)\n' "$n" "$KAFKA_PORT"
    fi
  done
  printf 'kafka-local: %s of %s nodes running (work dir %s)\n' "$up" "$NODES" "$KAFKA_WORK_DIR"
  ((up == NODES)) || return 3
}

# Deletes only what `start` creates, so a mistaken KAFKA_WORK_DIR cannot take
# unrelated files with it.
clean_node_files() {
  rm -rf "$DATA_DIR"
  rm -f "$PROPS_FILE" "$PID_FILE" "$FORMATTED_BY_FILE" "$FORMATTED_SCRAM_FILE" "$NODE_DIR/format.log" \
    "$LOG_FILE" "$LOG_FILE.1" "$OUT_FILE" "$OUT_FILE.1"
  rmdir "$NODE_DIR" 2>/dev/null || true
}

cmd_clean() {
  cmd_stop
  local n
  if ((CLUSTER)); then
    for ((n = 1; n <= NODES; n++)); do
      select_node "$n"
      clean_node_files
    done
    rm -f "$CLUSTER_FILE"
  else
    clean_node_files
  fi
  rmdir "$KAFKA_WORK_DIR" 2>/dev/null || true
  log "removed broker data in $KAFKA_WORK_DIR"
}

# ------------------------------------------------------------------ one node of a cluster

need_cluster() {
  load_cluster
  ((CLUSTER)) || die "$1 needs a cluster (KAFKA_NODES > 1) in $KAFKA_WORK_DIR"
  select_node "$2"
}

cmd_kill_node() {
  need_cluster kill-node "$1"
  local pid waited=0
  if ! pid=$(running_pid); then
    log "node $1 is not running"
    rm -f "$PID_FILE"
    return 0
  fi
  signal_broker KILL "$pid"
  # A JVM of a few hundred MiB can take seconds to be gone on a busy machine.
  while process_alive "$pid" && ((waited < 600)); do
    sleep 0.1
    waited=$((waited + 1))
  done
  if process_alive "$pid"; then die "node $1 (pid $pid) survived SIGKILL"; fi
  rm -f "$PID_FILE"
  log "killed node $1 (pid $pid) with SIGKILL"
}

cmd_stop_node() {
  need_cluster stop-node "$1"
  stop_nodes "$1"
}

cmd_start_node() {
  need_cluster start-node "$1"
  validate_settings
  local pid
  if pid=$(running_pid); then
    log "node $1 already running (pid $pid)"
    return 0
  fi
  prepare_java
  start_nodes "$1"
}

cmd_leader() {
  local topic=$1 partition=$2
  load_cluster
  [[ $partition =~ ^[0-9]+$ ]] || die "partition '$partition' is not a number"
  command -v node >/dev/null || die "leader needs node (and the repository's kafkajs)"
  node "$TEMPLATE_DIR/leader.mjs" "$(all_brokers)" "$topic" "$partition"
}

usage() {
  printf 'usage: %s start|stop|status|clean | kill-node N|stop-node N|start-node N | leader TOPIC PARTITION\n' "$0" >&2
  exit 2
}

[[ $# -ge 1 ]] || usage
case $1 in
  start | stop | status | clean) [[ $# -eq 1 ]] || usage ;;
  kill-node | stop-node | start-node) [[ $# -eq 2 ]] || usage ;;
  leader) [[ $# -eq 3 ]] || usage ;;
esac
case $1 in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  clean) cmd_clean ;;
  kill-node) cmd_kill_node "$2" ;;
  stop-node) cmd_stop_node "$2" ;;
  start-node) cmd_start_node "$2" ;;
  leader) cmd_leader "$2" "$3" ;;
  -h | --help | help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" ;;
  *) usage ;;
esac
