# shellcheck shell=bash
# bench/lib.sh — helpers the benchmarks share: throwaway databases, the packaged Sluice, CPU accounting from /proc,
# the same-run COPY baseline. Sourced by bench/run (and the per-path scripts).
source "$(dirname "${BASH_SOURCE[0]}")/../dev/lib.sh"
cd "$SLUICE_ROOT"

BENCH_JAVA="java -cp bench/webhook bench/webhook/WebhookBench.java"
CLK_TCK=$(getconf CLK_TCK)
# The container's JVM options (src/main/docker/Dockerfile.jvm and deploy/base/configmap.yaml: a 256 MiB heap of a
# 768 MiB limit, the serial collector, 512 KiB thread stacks, two malloc arenas): the benchmark measures what ships.
: "${SLUICE_BENCH_JAVA_OPTS:=-Xmx256m -XX:+UseSerialGC -XX:NewRatio=1 -Xss512k}" "${SLUICE_BENCH_MALLOC_ARENA_MAX:=2}"
BENCH_SECRET="whsec_$(printf 'bench-only-secret-%s' "$RANDOM$RANDOM" | base64 | tr -d '\n')"

psql_as_service() {
  PGPASSWORD="$SLUICE_DB_PASSWORD" psql -X -q -t -A -v ON_ERROR_STOP=1 -h "$SLUICE_DB_HOST" -p "$SLUICE_DB_PORT" \
    -U "$SLUICE_DB_USER" "$@"
}

# Work not yet promoted in database $1: events of landed batches are one row per batch, retries one row per event.
unpromoted() { psql_as_service -d "$1" -c "SELECT (SELECT count(*) FROM bronze.promotion_batches) + (SELECT count(*) FROM bronze.promotion_queue)"; }

# A new empty database owned by the service role (which then migrates it itself), after a CHECKPOINT: without it
# each run landed while PostgreSQL still wrote out the previous runs' buffers and WAL, and every phase's runs drifted
# slower one after the other (COPY too: 52.7k, 36.0k, 37.5k rows/s in one phase).
fresh_db() {
  pg_super -d postgres -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1 OWNER $SLUICE_DB_USER" \
    -c "CHECKPOINT" >/dev/null
}

# CPU time of one process and its reaped children, in clock ticks (utime + stime + cutime + cstime).
proc_ticks() {
  awk '{ sub(/^.*\) /, ""); print $12 + $13 + $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

# CPU time of the whole PostgreSQL cluster on $SLUICE_DB_PORT: the postmaster (its reaped children included) and
# every live child process (backends, WAL writer, checkpointer ...), in clock ticks.
pg_ticks() {
  local pm total=0 child
  [ -n "${PG_POSTMASTER:-}" ] || PG_POSTMASTER=$(head -1 "$(pg_super -d postgres -tAc 'show data_directory')/postmaster.pid")
  pm=$PG_POSTMASTER
  total=$(proc_ticks "$pm")
  for child in $(pgrep -P "$pm"); do total=$(( total + $(proc_ticks "$child") )); done
  echo "$total"
}

# CPU time of the Kafka broker dev/kafka-up started (0 when there is none), in clock ticks.
broker_ticks() { proc_ticks "$(cat "$KAFKA_HOME/kafka.pid" 2>/dev/null || echo 0)"; }

# CPU ticks of process $1's JIT compiler threads (C1 and C2): how much of a window's Sluice CPU was compiling, not
# serving. A window measured before C2 is done is not the steady state a long-running service runs at.
jit_ticks() {
  local task total=0 ticks
  for task in /proc/"$1"/task/*; do
    case "$(cat "$task/comm" 2>/dev/null)" in
      C1\ Compiler*|C2\ Compiler*)
        ticks=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "$task/stat" 2>/dev/null || echo 0)
        total=$(( total + ticks )) ;;
    esac
  done
  echo "$total"
}

# The machine's busy and total clock ticks over every core (/proc/stat), as "busy total": two readings give the share
# of the cores that everything together (PostgreSQL, Kafka, Sluice, the load generator) kept busy.
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }

# The busy share in % between two machine_ticks readings ("busy total" each).
busy_percent() { python3 -c "b0, t0, b1, t1 = map(int, '$1 $2'.split()); print(round(100 * (b1 - b0) / max(1, t1 - t0)))"; }

# Microseconds of CPU per event from two tick readings.
us_per_event() { python3 -c "print(round(($2 - $1) * 1e6 / $CLK_TCK / max(1, $3), 1))"; }

rss_mib() { echo $(( $(ps -o rss= -p "$1" | tr -d ' ') / 1024 )); }

# Starts the packaged Sluice on database $1, HTTP port $2, with extra environment assignments after; sets SLUICE_PID.
sluice_start() {
  local db=$1 port=$2; shift 2
  [ -f target/quarkus-app/quarkus-run.jar ] || ./mvnw -B -q package -DskipTests -Dformatter.skip
  # shellcheck disable=SC2086  # the JVM options are several words
  env QUARKUS_FLYWAY_USERNAME="$SLUICE_DB_USER" QUARKUS_FLYWAY_PASSWORD="$SLUICE_DB_PASSWORD" \
    QUARKUS_HTTP_PORT="$port" SLUICE_DB_NAME="$db" \
    QUARKUS_DATASOURCE_REACTIVE_URL="postgresql://$SLUICE_DB_HOST:$SLUICE_DB_PORT/$db" \
    QUARKUS_DATASOURCE_JDBC_URL="jdbc:postgresql://$SLUICE_DB_HOST:$SLUICE_DB_PORT/$db" \
    SLUICE_WEBHOOK_PARTNERS_BENCH_SECRETS="$BENCH_SECRET" SLUICE_WEBHOOK_MAX_IN_FLIGHT=512 \
    SLUICE_PRIVACY_HASH_KEY=bench-only QUARKUS_LOG_CONSOLE_JSON_ENABLED=false QUARKUS_LOG_LEVEL=WARN \
    MALLOC_ARENA_MAX="$SLUICE_BENCH_MALLOC_ARENA_MAX" "$@" \
    java $SLUICE_BENCH_JAVA_OPTS -jar target/quarkus-app/quarkus-run.jar >"$BENCH_WORK/sluice-$port.log" 2>&1 &
  SLUICE_PID=$!
  for _ in $(seq 1 240); do
    curl -fsS "http://127.0.0.1:$port/q/health/live" >/dev/null 2>&1 && return 0
    kill -0 "$SLUICE_PID" 2>/dev/null || break
    sleep 0.5
  done
  tail -30 "$BENCH_WORK/sluice-$port.log"
  die "Sluice did not start on :$port"
}

sluice_stop() {
  [ -n "${SLUICE_PID:-}" ] || return 0
  kill "$SLUICE_PID" 2>/dev/null || true
  wait "$SLUICE_PID" 2>/dev/null || true
  SLUICE_PID=
}

# COPY of $2 bronze-shaped rows (the same ~550-byte events) into a table shaped like bronze.events (same columns,
# primary key and the two secondary indexes) in database $1; prints rows/s.
copy_baseline() {
  local db=$1 rows=$2 start elapsed
  [ -s "$BENCH_WORK/copy-$rows.tsv" ] || $BENCH_JAVA copyfile "$BENCH_WORK/copy-$rows.tsv" "$rows"
  psql_as_service -d "$db" -c "DROP TABLE IF EXISTS public.bronze_copy" -c "CREATE TABLE public.bronze_copy (
      id bigserial, event_id text NOT NULL, event_type text NOT NULL, channel text NOT NULL, source text NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now(), payload jsonb NOT NULL, headers jsonb NOT NULL,
      payload_hash bytea NOT NULL, kafka_topic text, kafka_partition int, kafka_offset bigint,
      PRIMARY KEY (id, received_at));
    CREATE INDEX ON public.bronze_copy (event_id); CREATE INDEX ON public.bronze_copy (source, received_at);" >/dev/null
  start=$(ms)
  psql_as_service -d "$db" -c "\\copy public.bronze_copy (event_id, event_type, channel, source, payload, headers, payload_hash) FROM '$BENCH_WORK/copy-$rows.tsv'" >/dev/null
  elapsed=$(( $(ms) - start ))
  psql_as_service -d "$db" -c "DROP TABLE public.bronze_copy" >/dev/null
  echo $(( rows * 1000 / (elapsed > 0 ? elapsed : 1) ))
}

# One scrape value (the sum over its series) of a meter.
# A meter's value, summed over its series; "-1" when /q/metrics does not answer within 3 s (an overloaded instance).
meter() {
  curl -fsS --max-time 3 -H 'Accept: text/plain; version=0.0.4' "http://127.0.0.1:$1/q/metrics" \
    | awk -v m="$2" '$1 == m || index($1, m "{") == 1 { s += $2 } END { printf "%.3f\n", s }' \
    || echo "-1"
}

load_average() { cut -d' ' -f1 /proc/loadavg; }

# Milliseconds during which every non-idle task of the machine waited for IO (the kernel's pressure stall
# information, /proc/pressure/io "full"), so far; "0" where the kernel does not report it. Two readings around a
# paced run say how long the disk held everything up (fsyncs of PostgreSQL's WAL included).
io_stall_ms() { awk '/^full/ { sub("total=", "", $5); print int($5 / 1000) }' /proc/pressure/io 2>/dev/null || echo 0; }
