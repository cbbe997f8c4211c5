# shellcheck shell=bash
# dev/lib.sh — shared defaults and helpers, sourced by the other dev/ scripts.
# Every default can be overridden by setting the variable before running a script:
#   SLUICE_DB_HOST SLUICE_DB_PORT SLUICE_DB_USER SLUICE_DB_PASSWORD SLUICE_DB_NAME SLUICE_DB_TEST_NAME
#   SLUICE_DB_OWNER SLUICE_DB_OWNER_PASSWORD (the role that owns the schema and runs migrations)
#   SLUICE_KAFKA_HOST SLUICE_KAFKA_PORT SLUICE_KAFKA_CONTROLLER_PORT SLUICE_KAFKA_VERSION
#   SLUICE_CACHE (downloads, Kafka data and logs; default <repo>/.cache, ignored by git)

SLUICE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

: "${SLUICE_DB_HOST:=127.0.0.1}"
: "${SLUICE_DB_PORT:=5432}"
: "${SLUICE_DB_USER:=sluice}"
: "${SLUICE_DB_PASSWORD:=sluice}"
: "${SLUICE_DB_OWNER:=sluice_owner}"
: "${SLUICE_DB_OWNER_PASSWORD:=sluice_owner}"
: "${SLUICE_DB_NAME:=sluice}"
: "${SLUICE_DB_TEST_NAME:=sluice_test}"
: "${SLUICE_KAFKA_HOST:=127.0.0.1}"
: "${SLUICE_KAFKA_PORT:=9092}"
: "${SLUICE_KAFKA_CONTROLLER_PORT:=9093}"
: "${SLUICE_KAFKA_VERSION:=4.2.1}"
: "${SLUICE_CACHE:=$SLUICE_ROOT/.cache}"
export SLUICE_ROOT SLUICE_DB_HOST SLUICE_DB_PORT SLUICE_DB_USER SLUICE_DB_PASSWORD SLUICE_DB_NAME \
  SLUICE_DB_OWNER SLUICE_DB_OWNER_PASSWORD \
  SLUICE_DB_TEST_NAME SLUICE_KAFKA_HOST SLUICE_KAFKA_PORT SLUICE_KAFKA_CONTROLLER_PORT \
  SLUICE_KAFKA_VERSION SLUICE_CACHE

KAFKA_HOME="$SLUICE_CACHE/kafka"
KAFKA_BOOTSTRAP="$SLUICE_KAFKA_HOST:$SLUICE_KAFKA_PORT"
export KAFKA_HOME KAFKA_BOOTSTRAP

log()  { printf '[%s] %s\n' "$(basename "$0")" "$*"; }
warn() { printf '[%s] WARN: %s\n' "$(basename "$0")" "$*" >&2; }
ms()   { date +%s%3N; }                                   # now, in milliseconds
took() { local d=$(( $(ms) - $1 )); printf '%d.%03ds' $((d / 1000)) $((d % 1000)); }  # since $1 (ms)
die()  { printf '[%s] ERROR: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }

# Runs a Kafka class from the cached jars (tool logging at WARN unless KAFKA_JAVA_OPTS says otherwise),
# e.g. kafka_java org.apache.kafka.tools.TopicCommand --bootstrap-server "$KAFKA_BOOTSTRAP" --list
kafka_java() {
  # shellcheck disable=SC2086  # KAFKA_JAVA_OPTS may hold several options
  java ${KAFKA_JAVA_OPTS:--Dorg.slf4j.simpleLogger.defaultLogLevel=warn} -cp "$KAFKA_HOME/libs/*" "$@"
}

# True when something accepts TCP connections on host:port.
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# Prints "VERSION NAME" of the PostgreSQL cluster configured on $SLUICE_DB_PORT (from pg_lsclusters),
# or nothing when there is none.
pg_cluster() {
  pg_lsclusters -h 2>/dev/null | awk -v p="$SLUICE_DB_PORT" '$3 == p { print $1, $2; exit }'
}

# Runs psql as the postgres superuser over the local socket, e.g. pg_super -c 'select 1'.
pg_super() {
  if [ "$(id -u)" -eq 0 ]; then
    (cd / && runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$SLUICE_DB_PORT" "$@")
  else
    (cd / && sudo -n -u postgres psql -X -q -v ON_ERROR_STOP=1 -p "$SLUICE_DB_PORT" "$@")
  fi
}
