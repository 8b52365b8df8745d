#!/usr/bin/env bash
# Benchmark, on one machine and in one go: this system as shipped (a private
# durable Redis with deploy/redis.conf + the all-in-one server with its
# default configuration) driven by two load generators, the project's own
# (scripts/loadtest) and wrk (scripts/bench/wrk_purchase.lua), against the
# relational baseline (a private PostgreSQL cluster driven by pgbench at 4,
# 8, 16, 32 and 64 clients), in both scenarios; Redis's recovery from a
# SIGKILL; then the machine's ceilings (a bare HTTP handler answering from
# memory, Redis's own fsync-bound write rate) and the cold start of one
# function binary. Prints one table. Everything it starts lives in a
# temporary directory and is stopped and removed on exit.
#
# Settings (environment): STOCK (1000), CONNS (64), WRITES_USERS (20000),
# PG_CLIENTS ("4 8 16 32 64"), WRK_SECONDS (15), VERIFY_LOSERS (all), PG_BIN
# (newest /usr/lib/postgresql/*/bin), KEEP=1 keeps the temporary directory
# (logs, JSON summaries, pgbench logs, Redis INFO commandstats and SLOWLOG),
# PROFILE=1 also keeps a 5 s CPU profile of the server per loadtest scenario.
# The loadtest original scenario also runs on a second server with user
# authentication on (HS256 and RS256 tokens, signed per user before the load),
# beside the open mode; AUTH=0 skips it.
# Then a pinned run (PIN=1, the default with 2 CPUs or more; PIN=0 skips it):
# the same scenarios and drivers with the system under test on CPU
# PIN_SUT_CPU (0) and the load generator on CPU PIN_LOAD_CPU (1), with
# taskset: a fresh Redis and server on one CPU against loadtest and wrk -t1
# on the other, and PostgreSQL restarted on one CPU against pgbench -j 1 on
# the other. It takes the difference between the load generators' own costs
# out of the comparison; its rows stand beside the unpinned ones, each
# compared with PostgreSQL pinned.
# The server is started with no configuration but its port, Redis address,
# admin token and USER_AUTH=off (the open mode): what it measures is the
# shipped defaults. To measure a change from them: SERVER_ENV ("NAME=value ...") adds to the server's environment,
# REDIS_CONFIG ("name value ...") is applied with CONFIG SET; both are printed
# above the table.
set -euo pipefail

STOCK=${STOCK:-1000}
CONNS=${CONNS:-64}
WRITES_USERS=${WRITES_USERS:-20000}
PG_CLIENTS=${PG_CLIENTS:-4 8 16 32 64}
WRK_SECONDS=${WRK_SECONDS:-15}
VERIFY_LOSERS=${VERIFY_LOSERS:-all}
PIN=${PIN:-1}
PIN_SUT_CPU=${PIN_SUT_CPU:-0}
PIN_LOAD_CPU=${PIN_LOAD_CPU:-1}
ROOT=$(cd "$(dirname "$0")/.." && pwd)

. "$ROOT/scripts/lib.sh"

die() { echo "bench: $*" >&2; exit 1; }
log() { echo "bench: $*" >&2; }

# apt_install installs Debian packages when running as root, or says what to install.
apt_install() {
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    log "installing $*"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    die "$* not found: apt-get install $*"
  fi
}

ensure_go
ensure_redis_server
command -v jq >/dev/null || apt_install jq
command -v curl >/dev/null || apt_install curl
command -v wrk >/dev/null || apt_install wrk
command -v redis-benchmark >/dev/null || apt_install redis-tools
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
[[ -x "$PG_BIN/initdb" && -x "$PG_BIN/pgbench" ]] || die "PostgreSQL not found under /usr/lib/postgresql/*/bin: apt-get install postgresql (or set PG_BIN)"
if [[ "$PIN" == 1 ]]; then
  command -v taskset >/dev/null || apt_install util-linux
  if (( $(nproc) < 2 )); then log "one CPU: no pinned run"; PIN=0; fi
fi

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


# cpu_ticks prints the user + system CPU time of process $1 in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# The pinned run's command prefixes and names. LOADGEN runs a load generator
# (empty: unpinned), RUN prefixes the names of this system's results
# ("pinned-"), WRK_THREADS is wrk's -t, PG_RUN prefixes PostgreSQL's results
# and PGBENCH_THREADS is pgbench's -j.
LOADGEN=()
RUN=
WRK_THREADS=2
PG_RUN=
PGBENCH_THREADS=2
# pin_sut pid: every thread of process pid on PIN_SUT_CPU (threads and
# children it starts later inherit it).
pin_sut() { taskset -a -p -c "$PIN_SUT_CPU" "$1" >/dev/null || die "taskset could not pin process $1"; }
# check_pinned pid cpu: every thread of process pid may run on cpu only.
check_pinned() {
  local t
  for t in /proc/"$1"/task/*; do
    [[ $(sed -n 's/^Cpus_allowed_list:\s*//p' "$t/status") == "$2" ]] || die "process $1 (thread ${t##*/}) is not pinned to CPU $2"
  done
}
# server_cpu_s file pid ticks_before: adds to a loadtest summary the CPU
# seconds process pid (the server) used since ticks_before.
server_cpu_s() {
  jq --argjson ticks $(( $(cpu_ticks "$2") - $3 )) --argjson hz "$(getconf CLK_TCK)" '. + {server_cpu_s: ($ticks / $hz)}' "$1" >"$1.tmp"
  mv "$1.tmp" "$1"
}

# pgbench runs every client with the same number of transactions, so the
# total must be a multiple of every client count: round the users up.
lcm_clients() {
  local l=1 c a b t
  for c in $PG_CLIENTS $CONNS; do
    a=$l b=$c
    while ((b)); do t=$((a % b)); a=$b; b=$t; done
    l=$((l / a * c))
  done
  echo "$l"
}
round_users() { # users per_user -> users such that users*per_user is a multiple of every client count
  local u=$1 p=$2 m
  m=$(lcm_clients)
  while (( u * p % m != 0 )); do u=$((u + 1)); done
  echo "$u"
}
# Both systems get exactly the same users and requests.
ORIG_USERS=$(round_users $((100 * STOCK)) 2)
WRITES_USERS=$(round_users "$WRITES_USERS" 1)

log "building into $TMP"
(cd "$ROOT" && go build -o "$TMP/all" ./functions/all/cmd && go build -o "$TMP/purchase" ./functions/purchase/cmd \
  && go build -o "$TMP/loadtest" ./scripts/loadtest && go build -o "$TMP/usertoken" ./scripts/usertoken)

# ---- this system: Redis (AOF, fsync always) + the all-in-one server ----
REDIS_PORT=$(free_port)
start_durable_redis "$TMP/redis" "$REDIS_PORT" || die "no Redis"
PIDS+=("$REDIS_SERVER_PID")
REDIS_PID=$REDIS_SERVER_PID
# apply_redis_config: REDIS_CONFIG, which lasts until Redis restarts.
apply_redis_config() {
  if [[ -n "${REDIS_CONFIG:-}" ]]; then
    # shellcheck disable=SC2086 # name value pairs
    redis-cli -p "$REDIS_PORT" config set $REDIS_CONFIG >/dev/null || die "REDIS_CONFIG: CONFIG SET $REDIS_CONFIG failed"
  fi
}
apply_redis_config

APP_PORT=$(free_port)
PPROF=()
if [[ "${PROFILE:-}" == 1 ]]; then PPROF_ADDR=127.0.0.1:$(free_port); PPROF=(PPROF_ADDR="$PPROF_ADDR"); KEEP=1; fi
export ADMIN_TOKEN="bench-$RANDOM$RANDOM"
export PAYMENT_WEBHOOK_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
# shellcheck disable=SC2086 # NAME=value pairs
env USER_AUTH=off ${SERVER_ENV:-} PORT="$APP_PORT" REDIS_ADDR="127.0.0.1:$REDIS_PORT" "${PPROF[@]}" "$TMP/all" >"$TMP/all.log" 2>&1 &
SERVER_PID=$!
PIDS+=($SERVER_PID)
wait_http_ok "http://127.0.0.1:$APP_PORT/readyz" 30 || die "the server did not get ready: $(tail -n 5 "$TMP/all.log")"
URL=http://127.0.0.1:$APP_PORT

log "warm-up"
"$TMP/loadtest" --url "$URL" --stock 20 --quiet --verify-losers 0 >/dev/null

# ---- driver 1: the project's load tester ----
loadtest() { # scenario, then extra flags
  local scenario=$1 ticks; shift
  log "loadtest: scenario $scenario${RUN:+ (${RUN%-})}"
  redis-cli -p "$REDIS_PORT" config resetstat >/dev/null
  redis-cli -p "$REDIS_PORT" slowlog reset >/dev/null
  local prof=
  if [[ -n "${PPROF_ADDR:-}" ]]; then
    curl -fsS -o "$TMP/cpu-$RUN$scenario.pprof" "http://$PPROF_ADDR/debug/pprof/profile?seconds=5" &
    prof=$!
  fi
  ticks=$(cpu_ticks "$SERVER_PID")
  "${LOADGEN[@]}" "$TMP/loadtest" --url "$URL" --scenario "$scenario" -c "$CONNS" --verify-losers "$VERIFY_LOSERS" \
    --timeout 10m --json-file "$TMP/$RUN$scenario.json" "$@" >&2 || true
  [[ -s "$TMP/$RUN$scenario.json" ]] || die "loadtest $RUN$scenario wrote no summary (see above)"
  server_cpu_s "$TMP/$RUN$scenario.json" "$SERVER_PID" "$ticks"
  redis-cli -p "$REDIS_PORT" info commandstats >"$TMP/redis-$RUN$scenario.commandstats"
  redis-cli -p "$REDIS_PORT" slowlog get 20 >"$TMP/redis-$RUN$scenario.slowlog"
  if [[ -n "$prof" ]]; then wait "$prof" || log "no CPU profile for $scenario"; fi
}
# evalsha_line scenario: what the purchase script cost Redis in that scenario.
evalsha_line() {
  sed -n 's/^cmdstat_evalsha:calls=\([0-9]*\),usec=[0-9]*,usec_per_call=\([0-9.]*\).*/\1 \2/p' "$TMP/redis-$1.commandstats" \
    | awk -v s="$1" '{printf "%s: %d EVALSHA, %.2f us each", s, $1, $2}'
}
# aof_stat name: a field of Redis's INFO persistence.
aof_stat() { redis-cli -p "$REDIS_PORT" info persistence | tr -d '\r' | sed -n "s/^$1://p"; }
loadtest original --stock "$STOCK" --users "$ORIG_USERS"
aof_size=$(aof_stat aof_current_size) aof_rewrites=$(aof_stat aof_rewrites)
loadtest writes-only --users "$WRITES_USERS"
# Across a rewrite the AOF shrinks to the dataset: bytes per win only without one.
AOF_BYTES=
if [[ $(aof_stat aof_rewrites) == "$aof_rewrites" ]]; then AOF_BYTES=$(( ($(aof_stat aof_current_size) - aof_size) / WRITES_USERS )); fi

# ---- the purchase path with user authentication on ----
# loadtest original again, each time on a new server with user authentication
# on and every user sending its own token (signed before the load), beside the
# open mode above: HS256 (USER_JWT_SECRET) and RS256 (USER_JWT_PUBLIC_KEY).
# auth_loadtest name "server env" "loadtest flags"
auth_loadtest() {
  local name=$1 port pid ticks
  port=$(free_port)
  # shellcheck disable=SC2086 # NAME=value pairs
  env ${SERVER_ENV:-} USER_AUTH=on $2 PORT="$port" REDIS_ADDR="127.0.0.1:$REDIS_PORT" "$TMP/all" >"$TMP/all-auth-$name.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  wait_http_ok "http://127.0.0.1:$port/readyz" 30 || die "the $name server did not get ready: $(tail -n 5 "$TMP/all-auth-$name.log")"
  log "loadtest: scenario original, user authentication $name"
  ticks=$(cpu_ticks "$pid")
  # shellcheck disable=SC2086 # flags
  "$TMP/loadtest" --url "http://127.0.0.1:$port" --scenario original --stock "$STOCK" --users "$ORIG_USERS" -c "$CONNS" \
    --verify-losers "$VERIFY_LOSERS" --timeout 10m --json-file "$TMP/auth-$name.json" $3 >&2 || true
  [[ -s "$TMP/auth-$name.json" ]] || die "loadtest with $name tokens wrote no summary (see above)"
  server_cpu_s "$TMP/auth-$name.json" "$pid" "$ticks"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
}
if [[ "${AUTH:-1}" == 1 ]]; then
  AUTH_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
  auth_loadtest HS256 "USER_JWT_SECRET=$AUTH_SECRET" "--user-jwt-secret $AUTH_SECRET"
  "$TMP/usertoken" -genkey "$TMP/users.key"
  auth_loadtest RS256 "USER_JWT_PUBLIC_KEY=$TMP/users.key.pub" "--user-jwt-key $TMP/users.key"
fi

# ---- driver 2: wrk ----
api() { # method path [body]
  curl -fsS -X "$1" "$URL$2" -H "Authorization: Bearer $ADMIN_TOKEN" ${3:+-d "$3"}
}
new_activity() { # stock -> activity id
  local product
  product=$(api POST /products '{"name":"bench","description":"wrk","price":1000}' | jq -r .id)
  api POST /activities '{"product_id":"'"$product"'","stock":'"$1"',"price":900,"starts_at":"2020-01-01T00:00:00Z","ends_at":"2099-01-01T00:00:00Z"}' | jq -r .id
}
# run_wrk name url mode users pid -> $TMP/wrk-name.json (wrk's summary, plus the CPU of pid per request)
run_wrk() {
  local name=$1 url=$2 mode=$3 users=$4 pid=$5 before after
  log "wrk: $name ($mode users, $WRK_THREADS threads, $CONNS connections, ${WRK_SECONDS}s)"
  before=$(cpu_ticks "$pid")
  WRK_MODE=$mode WRK_USERS=$users "${LOADGEN[@]}" wrk -t"$WRK_THREADS" -c"$CONNS" -d"${WRK_SECONDS}s" --timeout 10s \
    -s "$ROOT/scripts/bench/wrk_purchase.lua" "$url" >"$TMP/wrk-$name.out" 2>&1 || die "wrk $name failed: $(cat "$TMP/wrk-$name.out")"
  after=$(cpu_ticks "$pid")
  sed -n 's/^WRK_JSON //p' "$TMP/wrk-$name.out" | jq --argjson ticks $((after - before)) --argjson hz "$(getconf CLK_TCK)" \
    '. + {rps: (.requests / (.duration_us / 1e6)), cpu_us_per_request: ($ticks / $hz * 1e6 / .requests)}' >"$TMP/wrk-$name.json"
  [[ -s "$TMP/wrk-$name.json" ]] || die "wrk $name printed no summary: $(cat "$TMP/wrk-$name.out")"
}
# check_wrk name activity stock: the sale adds up after a wrk run.
check_wrk() {
  local name=$1 act=$2 stock=$3 a ok=PASS
  a=$(api GET "/activities/$act")
  local sold remaining errors requests
  sold=$(jq .sold <<<"$a") remaining=$(jq .remaining <<<"$a")
  errors=$(jq '[.errors[]] | add' "$TMP/wrk-$name.json") requests=$(jq .requests "$TMP/wrk-$name.json")
  if [[ "${name#pinned-}" == original ]]; then
    # 100 x STOCK users drawn at random: the stock sells out exactly.
    [[ "$sold" == "$stock" && "$remaining" == 0 ]] || ok=FAIL
  else
    # Every request is a new user who wins; requests still in flight when
    # wrk stops may win after it stopped counting.
    (( sold >= requests && sold <= requests + CONNS && sold + remaining == stock )) || ok=FAIL
  fi
  [[ "$errors" == 0 ]] || ok=FAIL
  jq --arg ok "$ok" --argjson sold "$sold" '. + {check: $ok, sold: $sold}' "$TMP/wrk-$name.json" >"$TMP/wrk-$name.json.tmp"
  mv "$TMP/wrk-$name.json.tmp" "$TMP/wrk-$name.json"
}
ACT=$(new_activity "$STOCK")
run_wrk original "$URL/activities/$ACT/purchase" random $((100 * STOCK)) "$SERVER_PID"
check_wrk original "$ACT" "$STOCK"
ACT=$(new_activity 10000000)
REDIS_TICKS=$(cpu_ticks "$REDIS_PID")
AOF_REWRITES=$(aof_stat aof_rewrites)
run_wrk writes-only "$URL/activities/$ACT/purchase" unique 0 "$SERVER_PID"
REDIS_TICKS=$(( $(cpu_ticks "$REDIS_PID") - REDIS_TICKS ))
AOF_REWRITES=$(( $(aof_stat aof_rewrites) - AOF_REWRITES ))
check_wrk writes-only "$ACT" 10000000

# ---- recovery: Redis killed, then restarted on its AOF ----
# How long a sale is down when Redis crashes: Redis is SIGKILLed and
# restarted on the log wrk writes-only left (AOF increments, unless a rewrite
# ran), then again once BGREWRITEAOF (what an operator runs after a sale) has
# compacted the same data into a base. Every acknowledged win must be back.

# restart_redis: SIGKILL, restart, then every win sold before is back.
restart_redis() {
  local now
  kill -KILL "$REDIS_PID"
  wait "$REDIS_PID" 2>/dev/null || true
  start_durable_redis "$TMP/redis" "$REDIS_PORT" || die "Redis did not restart"
  REDIS_PID=$REDIS_SERVER_PID
  PIDS+=("$REDIS_PID")
  apply_redis_config
  wait_http_ok "$URL/readyz" 30 || die "the server did not get ready after Redis restarted"
  now=$(sold)
  [[ "$now" == "$SOLD" ]] || die "recovery: $SOLD sold before the restart, $now after"
}
# sold: the wrk writes-only activity's sold count.
sold() { api GET "/activities/$ACT" | jq .sold; }
# load_s: the seconds the last start of Redis took to load its AOF (its log).
load_s() { sed -n 's/.*DB loaded from append only file: \([0-9.]*\) seconds.*/\1/p' "$TMP/redis/redis.log" | tail -n 1; }
# aof_mb: the size of the files the AOF manifest names (old ones may linger).
aof_mb() {
  (cd "$TMP/redis/appendonlydir" && awk '{print $2}' appendonly.aof.manifest | xargs du -cm | tail -n 1 | cut -f1)
}
SOLD=$(sold)
AOF_MB=$(aof_mb)
log "recovery: SIGKILL Redis and restart it on its AOF ($AOF_MB MB)"
restart_redis
INCR_LOAD_S=$(load_s)
# BGREWRITEAOF fails when Redis already rewrites (it may start one on load): then that one is waited for.
redis-cli -p "$REDIS_PORT" bgrewriteaof >/dev/null 2>&1 || true
until [[ $(aof_stat aof_rewrite_in_progress) == 0 && $(aof_stat aof_rewrite_scheduled) == 0 ]]; do sleep 0.2; done
[[ $(aof_stat aof_last_bgrewrite_status) == ok ]] || die "recovery: BGREWRITEAOF failed"
BASE_MB=$(aof_mb)
log "recovery: the same after BGREWRITEAOF ($BASE_MB MB)"
restart_redis
BASE_LOAD_S=$(load_s)

# ---- the machine's ceilings ----
CEIL_PORT=$(free_port)
"$TMP/loadtest" ceiling --port "$CEIL_PORT" >"$TMP/ceiling.log" 2>&1 &
CEIL_PID=$!
PIDS+=($CEIL_PID)
wait_http_ok "http://127.0.0.1:$CEIL_PORT/nothing" 10 2>/dev/null || true
until curl -s -o /dev/null "http://127.0.0.1:$CEIL_PORT/"; do sleep 0.1; done
run_wrk ceiling "http://127.0.0.1:$CEIL_PORT/activities/x/purchase" random $((100 * STOCK)) "$CEIL_PID"
kill "$CEIL_PID" 2>/dev/null || true
log "redis-benchmark: SET on the durable Redis ($CONNS clients), one command per round trip and 16 pipelined"
REDIS_SET=$(redis-benchmark -p "$REDIS_PORT" -c "$CONNS" -n 200000 -r 1000000 -t set -q --csv | tail -n 1 | cut -d, -f2 | tr -d '"')
REDIS_SET_P16=$(redis-benchmark -p "$REDIS_PORT" -c "$CONNS" -n 1000000 -r 1000000 -P 16 -t set -q --csv | tail -n 1 | cut -d, -f2 | tr -d '"')

log "cold start of the purchase function"
COLD=$("$TMP/loadtest" coldstart --bin "$TMP/purchase" --redis "127.0.0.1:$REDIS_PORT" --runs 10 --json || true)
[[ -n "$COLD" ]] || die "cold start measurement failed"

# Both systems wait for the disk on every write they acknowledge, so the
# figures depend on its fsync latency: measure it once and print it.
log "disk fsync latency (pg_test_fsync)"
FSYNC_US=$("$PG_BIN/pg_test_fsync" -s 1 -f "$TMP/fsync.test" 2>/dev/null \
  | awk '/one 8kB write/ {on=1} on && !done && $1 == "fdatasync" {print $(NF-1); done=1}' || true)
rm -f "$TMP/fsync.test"

# Stop this system before the baseline runs, so each has the machine alone.
kill "$SERVER_PID" 2>/dev/null || true
redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true

# ---- this system pinned: Redis and the server on one CPU, the load generator on the other ----
# A fresh Redis and server (the same settings), both on PIN_SUT_CPU; loadtest
# and wrk (one thread) on PIN_LOAD_CPU; the same scenarios as above.
if [[ "$PIN" == 1 ]]; then
  log "pinned run: Redis and the server on CPU $PIN_SUT_CPU, the load generators on CPU $PIN_LOAD_CPU"
  REDIS_PORT=$(free_port)
  start_durable_redis "$TMP/redis-pinned" "$REDIS_PORT" || die "no Redis for the pinned run"
  REDIS_PID=$REDIS_SERVER_PID
  PIDS+=("$REDIS_PID")
  pin_sut "$REDIS_PID"
  check_pinned "$REDIS_PID" "$PIN_SUT_CPU"
  apply_redis_config
  APP_PORT=$(free_port)
  if [[ "${PROFILE:-}" == 1 ]]; then PPROF_ADDR=127.0.0.1:$(free_port); PPROF=(PPROF_ADDR="$PPROF_ADDR"); fi
  # shellcheck disable=SC2086 # NAME=value pairs
  taskset -c "$PIN_SUT_CPU" env USER_AUTH=off ${SERVER_ENV:-} PORT="$APP_PORT" REDIS_ADDR="127.0.0.1:$REDIS_PORT" "${PPROF[@]}" \
    "$TMP/all" >"$TMP/all-pinned.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  URL=http://127.0.0.1:$APP_PORT
  wait_http_ok "$URL/readyz" 30 || die "the pinned server did not get ready: $(tail -n 5 "$TMP/all-pinned.log")"
  check_pinned "$SERVER_PID" "$PIN_SUT_CPU"
  LOADGEN=(taskset -c "$PIN_LOAD_CPU") RUN=pinned- WRK_THREADS=1
  "${LOADGEN[@]}" "$TMP/loadtest" --url "$URL" --stock 20 --quiet --verify-losers 0 >/dev/null
  loadtest original --stock "$STOCK" --users "$ORIG_USERS"
  loadtest writes-only --users "$WRITES_USERS"
  ACT=$(new_activity "$STOCK")
  run_wrk pinned-original "$URL/activities/$ACT/purchase" random $((100 * STOCK)) "$SERVER_PID"
  check_wrk pinned-original "$ACT" "$STOCK"
  ACT=$(new_activity 10000000)
  run_wrk pinned-writes-only "$URL/activities/$ACT/purchase" unique 0 "$SERVER_PID"
  check_wrk pinned-writes-only "$ACT" 10000000
  LOADGEN=() RUN='' WRK_THREADS=2
  kill "$SERVER_PID" 2>/dev/null || true
  redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
fi

# ---- the baseline: PostgreSQL, synchronous_commit=on, fsync on ----
# Tuned as a DBA would for this load without giving up durability: enough
# shared buffers for the whole data set, WAL large enough that no checkpoint
# runs during a measurement, and connections for every client count.
PG_PORT=$(free_port)
mkdir -p "$TMP/pg"
if [[ $(id -u) == 0 ]]; then chown postgres: "$TMP/pg"; fi
log "PostgreSQL: initdb ($PG_BIN)"
as_pg "$PG_BIN/initdb" -D "$TMP/pg/data" -U bench --auth=trust -E UTF8 --no-locale >"$TMP/pg/initdb.log" 2>&1 \
  || die "initdb failed: $(cat "$TMP/pg/initdb.log")"
PG_MAX_CLIENTS=$(tr ' ' '\n' <<<"$PG_CLIENTS" | sort -n | tail -n 1)
PG_OPTS="-p $PG_PORT -c listen_addresses=127.0.0.1 -k $TMP/pg -c fsync=on -c synchronous_commit=on -c full_page_writes=on
  -c max_connections=$((PG_MAX_CLIENTS + 20)) -c shared_buffers=1GB -c max_wal_size=8GB -c checkpoint_timeout=30min
  ${PG_EXTRA_OPTS:-}"
PG_STARTED=1
as_pg "$PG_BIN/pg_ctl" -D "$TMP/pg/data" -l "$TMP/pg/server.log" -w -o "$PG_OPTS" start >/dev/null \
  || die "PostgreSQL did not start: $(tail -n 20 "$TMP/pg/server.log")"
PSQL=("$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U bench -d postgres)
"${PSQL[@]}" -c "CREATE DATABASE bench" >/dev/null
PSQL[-1]=bench
"${PSQL[@]}" -f "$ROOT/scripts/bench/purchase.sql" >/dev/null
"${PSQL[@]}" -t -A -c "SHOW synchronous_commit; SHOW fsync" | tr '\n' ' ' | grep -q "^on on" || die "PostgreSQL is not durable"

PG_ACT=0
pgbench_run() { # name clients stock users per_user
  local name=$1 clients=$2 stock=$3 users=$4 per=$5
  local reqs=$((users * per)) act=$((++PG_ACT)) tag=$PG_RUN$1-$2
  (( reqs % clients == 0 )) || die "pgbench $tag: $reqs requests is not a multiple of $clients clients"
  "${PSQL[@]}" -c "INSERT INTO activity VALUES ($act, $stock, $stock, 100, 900); SELECT setval('request_seq', 0, false)" >/dev/null
  "${PSQL[@]}" -c "VACUUM ANALYZE" -c "CHECKPOINT" >/dev/null
  log "pgbench: scenario $name ($users users x $per requests, stock $stock, $clients clients${PG_RUN:+, ${PG_RUN%-}})"
  mkdir -p "$TMP/pgbench"
  "${LOADGEN[@]}" "$PG_BIN/pgbench" -n -M prepared -h 127.0.0.1 -p "$PG_PORT" -U bench -c "$clients" -j "$PGBENCH_THREADS" -t $((reqs / clients)) \
    -D activity="$act" -D per_user="$per" -f "$ROOT/scripts/bench/purchase.pgbench" \
    -l --log-prefix="$TMP/pgbench/$tag-log" bench >"$TMP/pgbench/$tag.out" 2>&1 \
    || die "pgbench $tag failed: $(tail -n 20 "$TMP/pgbench/$tag.out")"
  local tps p99 failed orders remaining sold_users
  tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$TMP/pgbench/$tag.out" | tail -n 1)
  failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$TMP/pgbench/$tag.out")
  # Per-transaction log: field 3 is the latency in microseconds.
  p99=$(cat "$TMP/pgbench/$tag-log".* | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {i=int(NR*0.99+0.999999); printf "%.2f", a[i]/1000}')
  rm -f "$TMP/pgbench/$tag-log".*
  read -r orders remaining sold_users < <("${PSQL[@]}" -t -A -F ' ' -c \
    "SELECT (SELECT count(*) FROM orders WHERE activity_id=$act), (SELECT remaining FROM activity WHERE id=$act),
            (SELECT count(DISTINCT user_id) FROM orders WHERE activity_id=$act)")
  local want=$(( users < stock ? users : stock )) ok=PASS
  if [[ "$orders" != "$want" || "$sold_users" != "$want" || "$remaining" != $((stock - want)) || "${failed:-0}" != 0 ]]; then ok=FAIL; fi
  jq -n --arg name "$name" --argjson clients "$clients" --argjson tps "$tps" --argjson p99 "$p99" --argjson orders "$orders" \
    --argjson remaining "$remaining" --argjson failed "${failed:-0}" --arg ok "$ok" --argjson users "$users" \
    '{scenario:$name, clients:$clients, tps:$tps, p99_ms:$p99, orders:$orders, remaining:$remaining, failed:$failed, users:$users, check:$ok}' \
    >"$TMP/pg-$tag.json"
}
for c in $PG_CLIENTS; do
  pgbench_run original "$c" "$STOCK" "$ORIG_USERS" 2
  pgbench_run writes-only "$c" "$WRITES_USERS" "$WRITES_USERS" 1
done

# ---- PostgreSQL pinned: the server on one CPU, pgbench on the other ----
# PostgreSQL is restarted under taskset, so the postmaster and every process
# it forks (background workers, one backend per client) share PIN_SUT_CPU;
# pgbench runs one thread on PIN_LOAD_CPU.
if [[ "$PIN" == 1 ]]; then
  log "PostgreSQL pinned: restarted on CPU $PIN_SUT_CPU, pgbench on CPU $PIN_LOAD_CPU"
  as_pg "$PG_BIN/pg_ctl" -D "$TMP/pg/data" -m fast -w stop >/dev/null || die "PostgreSQL did not stop"
  as_pg taskset -c "$PIN_SUT_CPU" "$PG_BIN/pg_ctl" -D "$TMP/pg/data" -l "$TMP/pg/server.log" -w -o "$PG_OPTS" start >/dev/null \
    || die "PostgreSQL did not start pinned: $(tail -n 20 "$TMP/pg/server.log")"
  check_pinned "$(head -n 1 "$TMP/pg/data/postmaster.pid")" "$PIN_SUT_CPU"
  LOADGEN=(taskset -c "$PIN_LOAD_CPU") PG_RUN=pinned- PGBENCH_THREADS=1
  for c in $PG_CLIENTS; do
    pgbench_run original "$c" "$STOCK" "$ORIG_USERS" 2
    pgbench_run writes-only "$c" "$WRITES_USERS" "$WRITES_USERS" 1
  done
  LOADGEN=() PG_RUN='' PGBENCH_THREADS=2
fi

# ---- the table ----
pg_all() { jq -s 'sort_by(.clients)' "$TMP"/pg-"$1"-*.json; }
pg_at() { jq -s --argjson c "$2" '.[] | select(.clients == $c)' "$TMP"/pg-"$1"-*.json; }
pg_best() { jq -s 'max_by(.tps)' "$TMP"/pg-"$1"-*.json; }
# row scenario driver rps p99_ms errors check target64 targetbest [PostgreSQL runs: scenario, or pinned-scenario]
row() {
  local s=$1 pg=${9:-$1} at64 best
  at64=$(pg_at "$pg" "$CONNS" | jq .tps)
  best=$(pg_best "$pg")
  jq -r -n --arg s "$s" --arg d "$2" --argjson rps "$3" --argjson p99 "$4" --arg err "$5" --arg ok "$6" \
    --argjson at64 "${at64:-null}" --argjson best "$best" --arg t64 "$7" --arg tbest "$8" '
    def x(a; b): if b == null then "-" else ((a / b * 10 | floor) / 10 | tostring) + "x" end;
    [$s, $d, ($rps|floor|tostring), ($p99|tostring), $err, $ok,
     (if $at64 == null then "-" else ($at64|floor|tostring) end), x($rps; $at64), $t64,
     ($best.tps|floor|tostring) + " (" + ($best.clients|tostring) + ")", x($rps; $best.tps), $tbest] | @tsv'
}
loadtest_row() { # scenario target64 targetbest [pinned-]
  local f=$TMP/${4:-}$1.json
  row "$1" "loadtest${4:+ pinned}" "$(jq .throughput_rps "$f")" "$(jq .latency_ms.p99 "$f")" "$(jq .http_errors "$f")" \
    "$(jq -r 'if .ok then "PASS" else "FAIL" end' "$f")" "$2" "$3" "${4:-}$1"
}
wrk_row() { # scenario target64 targetbest [pinned-]
  local f=$TMP/wrk-${4:-}$1.json
  row "$1" "wrk${4:+ pinned}" "$(jq .rps "$f")" "$(jq '.p99_us / 1000' "$f")" "$(jq '[.errors[]] | add' "$f")" "$(jq -r .check "$f")" \
    "$2" "$3" "${4:-}$1"
}
# auth_cpu_lines: what user authentication adds to a request's CPU, from the
# loadtest original runs, measured and derived.
auth_cpu_lines() {
  jq -r -s --argjson cpus "$(nproc)" '
    def us: . * 10 | round / 10 | tostring + " us";
    def per_req: .server_cpu_s / (.requests + .result_queries) * 1e6;
    .[0] as $open | .[1:] as $auth |
    "user authentication, server CPU per request (loadtest original: user+system time of the server process over its purchase requests and result queries; USER_TOKEN_CACHE as configured): open " + ($open | per_req | us)
      + ($auth | map("; " + .name + " " + (per_req | us) + " (+" + ((per_req - ($open | per_req)) | us) + ")") | join("")),
    "user authentication, derived from the throughputs at saturation (\($cpus) CPUs x (1 / auth req/s - 1 / open req/s), the load generator share included; assumes every CPU busy in both runs): "
      + ($auth | map(.name + " +" + (($cpus * 1e6 * (1 / .throughput_rps - 1 / $open.throughput_rps)) | us) + " per request") | join(", "))
  ' "$TMP/original.json" <(jq '. + {name: "HS256"}' "$TMP/auth-HS256.json") <(jq '. + {name: "RS256"}' "$TMP/auth-RS256.json")
}
{
  echo
  echo "seckill benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)), $(redis-server --version | cut -d' ' -f3), $("$PG_BIN/postgres" --version)"
  if [[ -n "${SERVER_ENV:-}${REDIS_CONFIG:-}" ]]; then
    echo "NOT AS SHIPPED: server environment + '${SERVER_ENV:-}', Redis CONFIG SET '${REDIS_CONFIG:-}'"
  fi
  echo "loadtest: stock $STOCK, $ORIG_USERS users x 2 requests (original); $WRITES_USERS users x 1 request, stock = requests (writes-only); $CONNS connections"
  echo "wrk: ${WRK_SECONDS}s, $CONNS connections; original: stock $STOCK, users drawn from $((100 * STOCK)); writes-only: a new user every request"
  echo "pgbench: the same users and requests as loadtest, at $PG_CLIENTS clients"
  echo
  {
    printf 'scenario\tdriver\treq/s\tp99 ms\terrors\tchecks\tPG@%s tps\tratio\ttarget\tPG best tps (clients)\tratio\ttarget\n' "$CONNS"
    loadtest_row original ">= 2x" ">= 1x"
    if [[ "${AUTH:-1}" == 1 ]]; then
      for alg in HS256 RS256; do
        f=$TMP/auth-$alg.json
        row original "loadtest $alg" "$(jq .throughput_rps "$f")" "$(jq .latency_ms.p99 "$f")" "$(jq .http_errors "$f")" \
          "$(jq -r 'if .ok then "PASS" else "FAIL" end' "$f")" "" ""
      done
    fi
    wrk_row original ">= 2x" ">= 1x"
    if [[ "$PIN" == 1 ]]; then
      loadtest_row original "" ">= 2x" pinned-
      wrk_row original "" ">= 2x" pinned-
    fi
    loadtest_row writes-only "" ">= 4x"
    wrk_row writes-only "" ">= 4x"
    if [[ "$PIN" == 1 ]]; then
      loadtest_row writes-only "" ">= 3x" pinned-
      wrk_row writes-only "" ">= 3x" pinned-
    fi
  } | column -t -s $'\t'
  if [[ "$PIN" == 1 ]]; then
    echo "pinned: the system under test on CPU $PIN_SUT_CPU (Redis and the server; PostgreSQL), the load generator on CPU $PIN_LOAD_CPU (loadtest, wrk -t1; pgbench -j 1); the PG columns of a pinned row are PostgreSQL pinned"
  fi
  echo
  echo "PostgreSQL (tps, p99 ms, checks) by clients:"
  pg_runs=(original writes-only)
  if [[ "$PIN" == 1 ]]; then pg_runs+=(pinned-original pinned-writes-only); fi
  for s in "${pg_runs[@]}"; do
    label=$s
    if [[ "$s" == pinned-* ]]; then label="${s#pinned-}, pinned"; fi
    pg_all "$s" | jq -r --arg s "$label" '"  \($s): " + (map("\(.clients) clients \(.tps|floor) tps, p99 \(.p99_ms) ms, \(.check)") | join("; "))'
  done
  echo
  jq -r --slurpfile w "$TMP/wrk-original.json" '"ceiling: a bare Fiber handler answering from a Go map, same wrk load: \(.rps|floor) req/s, p99 \(.p99_us/1000) ms; the server reaches \((($w[0].rps / .rps * 100)|floor))% of it on the sold-out path"' "$TMP/wrk-ceiling.json"
  jq -r '"server CPU per request on the sold-out path (wrk original): \(.cpu_us_per_request * 10 | floor / 10) us; the ceiling handler: "' "$TMP/wrk-original.json" | tr -d '\n'
  jq -r '"\(.cpu_us_per_request * 10 | floor / 10) us"' "$TMP/wrk-ceiling.json"
  jq -r --argjson ticks "$REDIS_TICKS" --argjson hz "$(getconf CLK_TCK)" \
    '"CPU per request on the win path (wrk writes-only): server \(.cpu_us_per_request * 10 | floor / 10) us, Redis \($ticks / $hz * 1e6 / .requests | floor) us"' "$TMP/wrk-writes-only.json"
  echo "AOF: ${AOF_BYTES:-?} bytes per win (loadtest writes-only); $AOF_REWRITES rewrites during wrk writes-only (auto-aof-rewrite)"
  echo "recovery (Redis SIGKILLed after wrk writes-only, restarted): ${AOF_MB} MB of AOF loaded in ${INCR_LOAD_S:-?} s; compacted by BGREWRITEAOF to ${BASE_MB} MB, loaded in ${BASE_LOAD_S:-?} s; all $SOLD wins back both times"
  echo "Redis's own write rate (redis-benchmark SET, appendfsync always, $CONNS clients): ${REDIS_SET} req/s one per round trip, ${REDIS_SET_P16} req/s 16 pipelined"
  echo "disk: fdatasync of one 8 kB write takes ${FSYNC_US:-?} us (pg_test_fsync)"
  echo "Redis time in the purchase script (INFO commandstats): $(evalsha_line original); $(evalsha_line writes-only)"
  if [[ "$PIN" == 1 ]]; then
    echo "pinned: server CPU per request (wrk): $(jq '.cpu_us_per_request * 10 | floor / 10' "$TMP/wrk-pinned-original.json") us on the sold-out path, $(jq '.cpu_us_per_request * 10 | floor / 10' "$TMP/wrk-pinned-writes-only.json") us on the win path; Redis time in the purchase script: $(evalsha_line pinned-original); $(evalsha_line pinned-writes-only)"
  fi
  if [[ "${AUTH:-1}" == 1 ]]; then auth_cpu_lines; fi
  jq -r '"cold start (purchase binary, process start to first 200 on /readyz, \(.runs) runs): median \(.median_ms) ms, max \(.max_ms) ms (target < \(.target_ms) ms)"' <<<"$COLD"
  echo "Note: the load generators run on the same machine as the systems they measure and share its CPUs (in the pinned rows, one CPU each); every figure is one run's."
}
