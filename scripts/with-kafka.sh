#!/usr/bin/env bash
# Runs a command with a Kafka broker available:
#
#   scripts/with-kafka.sh npm test
#
# If KAFKA_BROKERS is already set (a broker managed elsewhere, e.g. by CI), the
# command simply runs against it. Otherwise a throw-away broker is started with
# scripts/kafka-local.sh on free ports (KAFKA_PORT / KAFKA_CONTROLLER_PORT when
# set) in a fresh temporary work dir (KAFKA_WORK_DIR when set), KAFKA_BROKERS is
# exported to the command, and the broker is stopped and the temporary work dir
# deleted however the command ends: success, failure, Ctrl-C or SIGTERM.
# KAFKA_VERSION and the other kafka-local.sh settings apply; with KAFKA_NODES=3
# the throwaway is a three-node cluster (kafka-local.sh picks its free ports)
# and KAFKA_BROKERS lists all three:
#
#   KAFKA_NODES=3 scripts/with-kafka.sh npm run test:reliability
#
# Exits with the command's exit status (1 if the broker could not be started).
set -euo pipefail

if [[ $# -eq 0 ]]; then
  printf 'usage: %s <command> [args...]\n' "$0" >&2
  exit 2
fi

if [[ -n ${KAFKA_BROKERS:-} ]]; then
  exec "$@"
fi

# Fail before spending seconds on a broker for a command that cannot run.
if ! command -v "$1" >/dev/null; then
  printf 'with-kafka: %s: command not found\n' "$1" >&2
  exit 127
fi

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KAFKA_LOCAL="$SCRIPT_DIR/kafka-local.sh"

log() { printf 'with-kafka: %s\n' "$*" >&2; }

# Two distinct ports the kernel considers free right now; both sockets are held
# until both are chosen so the two cannot collide with each other.
free_ports() {
  if command -v node >/dev/null; then
    node -e '
      const net = require("net");
      const a = net.createServer().listen(0, "127.0.0.1", () => {
        const b = net.createServer().listen(0, "127.0.0.1", () => {
          console.log(a.address().port + " " + b.address().port);
          a.close();
          b.close();
        });
      });'
  elif command -v python3 >/dev/null; then
    python3 -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
for s in socks:
    s.close()'
  else
    log "error: need node or python3 to pick free ports (or set KAFKA_PORT and KAFKA_CONTROLLER_PORT)"
    return 1
  fi
}

CHILD=""
TEMP_WORK_DIR=""
START_OUTPUT=""
# Set once `start` has been launched; a broker that was already running in a
# given KAFKA_WORK_DIR belongs to someone else and is left alone.
OWNS_BROKER=0

cleanup() {
  local status=$?
  trap - EXIT INT TERM HUP
  # Stop even if `start` failed half-way: stop is a no-op when nothing runs.
  if ((OWNS_BROKER)) && ! "$KAFKA_LOCAL" stop; then
    log "warning: could not stop the broker in $KAFKA_WORK_DIR"
    ((status != 0)) || status=1
  fi
  if [[ -n $TEMP_WORK_DIR ]]; then
    rm -rf "$TEMP_WORK_DIR"
  fi
  if [[ -n $START_OUTPUT ]]; then
    rm -f "$START_OUTPUT"
  fi
  exit "$status"
}

# Only this script may get the signal (CI cancelling a step, `kill <pid>`), so
# pass it on and let the command finish its own clean-up before the broker goes.
on_signal() {
  local signal=$1 status=$2
  trap '' INT TERM HUP
  if [[ -n $CHILD ]] && kill -0 "$CHILD" 2>/dev/null; then
    kill "-$signal" "$CHILD" 2>/dev/null || true
    status=0
    wait "$CHILD" || status=$?
  fi
  exit "$status"
}

trap cleanup EXIT
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM
trap 'on_signal HUP 129' HUP

if [[ -z ${KAFKA_WORK_DIR:-} ]]; then
  TEMP_WORK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kafka-local.XXXXXX")
  KAFKA_WORK_DIR=$TEMP_WORK_DIR
fi
export KAFKA_WORK_DIR
START_OUTPUT=$(mktemp "${TMPDIR:-/tmp}/with-kafka.XXXXXX")

# A cluster's six ports are chosen by kafka-local.sh itself.
if [[ ${KAFKA_NODES:-1} != 1 ]]; then
  :
elif [[ -z ${KAFKA_PORT:-} || -z ${KAFKA_CONTROLLER_PORT:-} ]]; then
  read -r port_a port_b < <(free_ports) || true
  if [[ -z ${port_a:-} || -z ${port_b:-} ]]; then
    log "error: could not pick free ports"
    exit 1
  fi
  KAFKA_PORT=${KAFKA_PORT:-$port_a}
  KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-$port_b}
fi
if [[ -n ${KAFKA_PORT:-} ]]; then export KAFKA_PORT; fi
if [[ -n ${KAFKA_CONTROLLER_PORT:-} ]]; then export KAFKA_CONTROLLER_PORT; fi

# Runs in the background and waits, because bash defers traps until a
# foreground child ends: a signal must reach the child at once. Background jobs
# of a script start with SIGINT/SIGQUIT ignored and stdin on /dev/null; undo
# both so the command behaves as if run directly.
run_child() {
  (
    trap - INT QUIT
    exec "$@"
  ) <&0 &
  CHILD=$!
  local status=0
  wait "$CHILD" || status=$?
  CHILD=""
  return "$status"
}

# kafka-local.sh writes only KAFKA_BROKERS=... to stdout; its messages,
# including the start-up time, reach our stderr unchanged.
if ! "$KAFKA_LOCAL" status >/dev/null; then
  OWNS_BROKER=1
fi
start_status=0
run_child "$KAFKA_LOCAL" start >"$START_OUTPUT" || start_status=$?
if ((start_status != 0)); then
  exit "$start_status"
fi
KAFKA_BROKERS=$(sed -n 's/^KAFKA_BROKERS=//p' "$START_OUTPUT" | tail -n 1)
if [[ -z $KAFKA_BROKERS ]]; then
  log "error: kafka-local.sh start did not report KAFKA_BROKERS"
  exit 1
fi
export KAFKA_BROKERS

status=0
run_child "$@" || status=$?
exit "$status"
