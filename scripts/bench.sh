#!/usr/bin/env bash
# Benchmark, on one machine and in one go: this system (a private durable
# Redis + the all-in-one server, driven by scripts/loadtest) against the
# relational baseline (a private PostgreSQL cluster, driven by pgbench with
# scripts/bench/purchase.pgbench), same concurrency, stock, users and requests
# per user, in both scenarios; then the cold start of one function binary.
# Prints one table. Everything it starts lives in a temporary directory and is
# stopped and removed on exit.
#
# Settings (environment): STOCK (1000), CONNS (64), WRITES_USERS (20000),
# VERIFY_LOSERS (all), LOG_LEVEL of the server (info), PG_BIN (newest
# /usr/lib/postgresql/*/bin), KEEP=1 keeps the temporary directory (logs, JSON
# summaries, pgbench logs, Redis INFO commandstats and SLOWLOG per scenario),
# PROFILE=1 also keeps a 5 s CPU profile of the server per scenario
# (go tool pprof -top $TMP/cpu-original.pprof).
set -euo pipefail

STOCK=${STOCK:-1000}
CONNS=${CONNS:-64}
WRITES_USERS=${WRITES_USERS:-20000}
VERIFY_LOSERS=${VERIFY_LOSERS:-all}
ROOT=$(cd "$(dirname "$0")/.." && pwd)

. "$ROOT/scripts/lib.sh"

die() { echo "bench: $*" >&2; exit 1; }
log() { echo "bench: $*" >&2; }

ensure_go
ensure_redis_server
command -v jq >/dev/null || die "jq not found: apt-get install jq"
command -v curl >/dev/null || die "curl not found: apt-get install curl"
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
[[ -x "$PG_BIN/initdb" && -x "$PG_BIN/pgbench" ]] || die "PostgreSQL not found under /usr/lib/postgresql/*/bin: apt-get install postgresql (or set PG_BIN)"

TMP=$(mktemp -d /tmp/seckill-bench.XXXXXX)
chmod 755 "$TMP"
PIDS=()
PG_STARTED=
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ -n "$PG_STARTED" ]]; then as_pg "$PG_BIN/pg_ctl" -D "$TMP/pg/data" -m immediate -w stop >/dev/null 2>&1 || true; fi
  if [[ "${KEEP:-}" == 1 ]]; then log "kept $TMP"; else rm -rf "$TMP"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# PostgreSQL refuses to run as root: run its server-side tools as postgres.
as_pg() {
  if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# free_port prints a TCP port of 127.0.0.1 that nothing listens on (never 6379).
free_port() {
  local p
  for _ in $(seq 200); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  die "no free port found"
}

# pgbench runs CONNS clients with the same number of transactions each, so
# the total must be a multiple of CONNS: round the users up where needed.
round_users() { # users per_user -> users such that users*per_user % CONNS == 0
  local u=$1 p=$2
  while (( u * p % CONNS != 0 )); do u=$((u + 1)); done
  echo "$u"
}
# Both systems get exactly the same users and requests.
ORIG_USERS=$(round_users $((100 * STOCK)) 2)
WRITES_USERS=$(round_users "$WRITES_USERS" 1)

log "building into $TMP"
(cd "$ROOT" && go build -o "$TMP/all" ./functions/all/cmd && go build -o "$TMP/purchase" ./functions/purchase/cmd \
  && go build -o "$TMP/loadtest" ./scripts/loadtest)

# ---- this system: Redis (AOF, fsync always) + the all-in-one server ----
REDIS_PORT=$(free_port)
mkdir -p "$TMP/redis"
# The deployment's own Redis settings (deploy/redis.conf: appendonly yes,
# appendfsync always), on a private port and directory: the file's own dir
# (the container's /data) is left out, since Redis changes to it on reading.
grep -v '^dir ' "$ROOT/deploy/redis.conf" | redis-server - --port "$REDIS_PORT" --bind 127.0.0.1 \
  --protected-mode yes --dir "$TMP/redis" --logfile "$TMP/redis/redis.log" &
PIDS+=($!)
wait_redis "$REDIS_PORT" || die "redis-server did not start: $(tail -n 5 "$TMP/redis/redis.log")"

APP_PORT=$(free_port)
PPROF_ADDR=
if [[ "${PROFILE:-}" == 1 ]]; then PPROF_ADDR=127.0.0.1:$(free_port); KEEP=1; fi
export ADMIN_TOKEN="bench-$RANDOM$RANDOM"
PORT=$APP_PORT REDIS_ADDR=127.0.0.1:$REDIS_PORT LOG_LEVEL=${LOG_LEVEL:-info} PPROF_ADDR=$PPROF_ADDR \
  "$TMP/all" >"$TMP/all.log" 2>&1 &
PIDS+=($!)
wait_http_ok "http://127.0.0.1:$APP_PORT/readyz" 30 || die "the server did not get ready: $(tail -n 5 "$TMP/all.log")"
URL=http://127.0.0.1:$APP_PORT

log "warm-up"
"$TMP/loadtest" --url "$URL" --stock 20 --quiet --verify-losers 0 >/dev/null

loadtest() { # scenario, then extra flags
  local scenario=$1; shift
  log "loadtest: scenario $scenario"
  redis-cli -p "$REDIS_PORT" config resetstat >/dev/null
  redis-cli -p "$REDIS_PORT" slowlog reset >/dev/null
  local prof=
  if [[ -n "$PPROF_ADDR" ]]; then
    curl -fsS -o "$TMP/cpu-$scenario.pprof" "http://$PPROF_ADDR/debug/pprof/profile?seconds=5" &
    prof=$!
  fi
  "$TMP/loadtest" --url "$URL" --scenario "$scenario" -c "$CONNS" --verify-losers "$VERIFY_LOSERS" \
    --timeout 10m --json-file "$TMP/$scenario.json" "$@" >&2 || true
  [[ -s "$TMP/$scenario.json" ]] || die "loadtest $scenario wrote no summary (see above)"
  redis-cli -p "$REDIS_PORT" info commandstats >"$TMP/redis-$scenario.commandstats"
  redis-cli -p "$REDIS_PORT" slowlog get 20 >"$TMP/redis-$scenario.slowlog"
  if [[ -n "$prof" ]]; then wait "$prof" || log "no CPU profile for $scenario"; fi
}
# evalsha_line scenario: what the purchase script cost Redis in that scenario.
evalsha_line() {
  sed -n 's/^cmdstat_evalsha:calls=\([0-9]*\),usec=[0-9]*,usec_per_call=\([0-9.]*\).*/\1 \2/p' "$TMP/redis-$1.commandstats" \
    | awk -v s="$1" '{printf "%s: %d EVALSHA, %.2f us each", s, $1, $2}'
}
loadtest original --stock "$STOCK" --users "$ORIG_USERS"
loadtest writes-only --users "$WRITES_USERS"

log "cold start of the purchase function"
COLD=$("$TMP/loadtest" coldstart --bin "$TMP/purchase" --redis "127.0.0.1:$REDIS_PORT" --runs 10 --json || true)
[[ -n "$COLD" ]] || die "cold start measurement failed"

# Both systems wait for the disk on every write they acknowledge, so the
# figures depend on its fsync latency: measure it once and print it.
log "disk fsync latency (pg_test_fsync)"
FSYNC_US=$("$PG_BIN/pg_test_fsync" -s 1 -f "$TMP/fsync.test" 2>/dev/null \
  | awk '/one 8kB write/ {on=1} on && !done && $1 == "fdatasync" {print $(NF-1); done=1}' || true)
rm -f "$TMP/fsync.test"

# ---- the baseline: PostgreSQL, synchronous_commit=on, fsync on ----
PG_PORT=$(free_port)
mkdir -p "$TMP/pg"
if [[ $(id -u) == 0 ]]; then chown postgres: "$TMP/pg"; fi
log "PostgreSQL: initdb ($PG_BIN)"
as_pg "$PG_BIN/initdb" -D "$TMP/pg/data" -U bench --auth=trust -E UTF8 --no-locale >"$TMP/pg/initdb.log" 2>&1 \
  || die "initdb failed: $(cat "$TMP/pg/initdb.log")"
PG_STARTED=1
as_pg "$PG_BIN/pg_ctl" -D "$TMP/pg/data" -l "$TMP/pg/server.log" -w -o \
  "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $TMP/pg -c fsync=on -c synchronous_commit=on -c max_connections=$((CONNS + 20))" \
  start >/dev/null || die "PostgreSQL did not start: $(tail -n 20 "$TMP/pg/server.log")"
PSQL=("$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U bench -d postgres)
"${PSQL[@]}" -c "CREATE DATABASE bench" >/dev/null
PSQL[-1]=bench
"${PSQL[@]}" -f "$ROOT/scripts/bench/purchase.sql" >/dev/null
"${PSQL[@]}" -t -A -c "SHOW synchronous_commit; SHOW fsync" | tr '\n' ' ' | grep -q "^on on" || die "PostgreSQL is not durable"


pgbench_run() { # name activity stock users per_user
  local name=$1 act=$2 stock=$3 users=$4 per=$5
  local reqs=$((users * per))
  (( reqs % CONNS == 0 )) || die "pgbench $name: $reqs requests is not a multiple of $CONNS connections"
  "${PSQL[@]}" -c "INSERT INTO activity VALUES ($act, $stock, $stock, 100, 900); SELECT setval('request_seq', 0, false)" >/dev/null
  "${PSQL[@]}" -c "CHECKPOINT" >/dev/null
  log "pgbench: scenario $name ($users users x $per requests, stock $stock, $CONNS clients)"
  mkdir -p "$TMP/pgbench"
  "$PG_BIN/pgbench" -n -M prepared -h 127.0.0.1 -p "$PG_PORT" -U bench -c "$CONNS" -j 2 -t $((reqs / CONNS)) \
    -D activity="$act" -D per_user="$per" -f "$ROOT/scripts/bench/purchase.pgbench" \
    -l --log-prefix="$TMP/pgbench/$name-log" bench >"$TMP/pgbench/$name.out" 2>&1 \
    || die "pgbench $name failed: $(tail -n 20 "$TMP/pgbench/$name.out")"
  local tps p99 failed orders remaining sold_users
  tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$TMP/pgbench/$name.out" | tail -n 1)
  failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$TMP/pgbench/$name.out")
  # Per-transaction log: field 3 is the latency in microseconds.
  p99=$(cat "$TMP/pgbench/$name-log".* | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {i=int(NR*0.99+0.999999); printf "%.2f", a[i]/1000}')
  read -r orders remaining sold_users < <("${PSQL[@]}" -t -A -F ' ' -c \
    "SELECT (SELECT count(*) FROM orders WHERE activity_id=$act), (SELECT remaining FROM activity WHERE id=$act),
            (SELECT count(DISTINCT user_id) FROM orders WHERE activity_id=$act)")
  local want=$(( users < stock ? users : stock )) ok=PASS
  if [[ "$orders" != "$want" || "$sold_users" != "$want" || "$remaining" != $((stock - want)) || "${failed:-0}" != 0 ]]; then ok=FAIL; fi
  jq -n --arg name "$name" --argjson tps "$tps" --argjson p99 "$p99" --argjson orders "$orders" \
    --argjson remaining "$remaining" --argjson failed "${failed:-0}" --arg ok "$ok" --argjson users "$users" \
    '{scenario:$name, tps:$tps, p99_ms:$p99, orders:$orders, remaining:$remaining, failed:$failed, users:$users, check:$ok}' \
    >"$TMP/pg-$name.json"
}
pgbench_run original 1 "$STOCK" "$ORIG_USERS" 2
pgbench_run writes-only 2 "$WRITES_USERS" "$WRITES_USERS" 1

# ---- the table ----
row() { # scenario target-ratio
  local s=$1 target=$2 sys pg
  sys=$TMP/$s.json pg=$TMP/pg-$s.json
  jq -r -n --slurpfile a "$sys" --slurpfile b "$pg" --arg target "$target" '
    $a[0] as $x | $b[0] as $y |
    [$x.scenario, ($x.requests|tostring), ($x.throughput_rps|floor|tostring), ($x.latency_ms.p99|tostring),
     ($x.http_errors|tostring), (if $x.ok then "PASS" else "FAIL" end),
     ($y.tps|floor|tostring), ($y.p99_ms|tostring), $y.check,
     (($x.throughput_rps / $y.tps * 10 | floor) / 10 | tostring) + "x", ">= " + $target + "x"] | @tsv'
}
{
  echo
  echo "seckill benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)), $(redis-server --version | cut -d' ' -f3), $("$PG_BIN/postgres" --version)"
  echo "stock $STOCK, $ORIG_USERS users x 2 requests (original); $WRITES_USERS users x 1 request, stock = requests (writes-only); $CONNS connections / pgbench clients"
  echo
  {
    printf 'scenario\trequests\tsystem req/s\tsystem p99 ms\tHTTP errors\tsystem checks\tPostgreSQL tps\tPostgreSQL p99 ms\tPostgreSQL checks\tratio\ttarget\n'
    row original 3
    row writes-only 15
  } | column -t -s $'\t'
  echo
  echo "disk: fdatasync of one 8 kB write takes ${FSYNC_US:-?} us (pg_test_fsync, between the two systems' runs)"
  echo "Redis time in the purchase script (INFO commandstats): $(evalsha_line original); $(evalsha_line writes-only)"
  jq -r '"cold start (purchase binary, process start to first 200 on /readyz, \(.runs) runs): median \(.median_ms) ms, max \(.max_ms) ms (target < \(.target_ms) ms)"' <<<"$COLD"
  echo "Note: the load generator (scripts/loadtest) and pgbench run on the same machine as the systems they measure and share its CPUs; every figure is one run's, and only the ratios are meant to be compared."
}
