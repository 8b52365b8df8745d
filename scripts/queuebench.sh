#!/usr/bin/env bash
# The waiting room at scale, on one machine: a private durable Redis
# (deploy/redis.conf: AOF, appendfsync always) and the all-in-one server as
# scripts/bench.sh starts them (its defaults, USER_AUTH=off), then two drivers
# of the join route:
#   1. loadtest queue: JOINS joins from distinct users into a queue activity
#      of STOCK units (joins/s, join latency), then the start moved a few
#      seconds ahead and the admission latency of SAMPLE users among the first
#      STOCK places (from start + position / ADMIT_RATE until their status
#      answers admitted);
#   2. wrk (scripts/bench/wrk_purchase.lua, unique mode: a new user every
#      request) on the join route of a second queue activity for WRK_SECONDS:
#      joins/s and latency; afterwards the queue must hold a place for every
#      answered join.
# Settings (environment): JOINS (1000000), STOCK (10000), ADMIT_RATE (2000),
# SAMPLE (200), CONNS (64), WRK_SECONDS (15), WRK=0 skips wrk, KEEP=1 keeps
# the temporary directory (server and Redis logs, the JSON summary).
set -euo pipefail

JOINS=${JOINS:-1000000}
STOCK=${STOCK:-10000}
ADMIT_RATE=${ADMIT_RATE:-2000}
SAMPLE=${SAMPLE:-200}
CONNS=${CONNS:-64}
WRK_SECONDS=${WRK_SECONDS:-15}
ROOT=$(cd "$(dirname "$0")/.." && pwd)

. "$ROOT/scripts/lib.sh"

die() { echo "queuebench: $*" >&2; exit 1; }
log() { echo "queuebench: $*" >&2; }

ensure_go
ensure_redis_server
command -v jq >/dev/null || die "jq not found: apt-get install jq"
command -v curl >/dev/null || die "curl not found: apt-get install curl"
if [[ "${WRK:-1}" == 1 ]]; then command -v wrk >/dev/null || die "wrk not found: apt-get install wrk (or WRK=0)"; fi

TMP=$(mktemp -d /tmp/seckill-queuebench.XXXXXX)
PIDS=()
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ "${KEEP:-}" == 1 ]]; then log "kept $TMP"; else rm -rf "$TMP"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "building into $TMP"
(cd "$ROOT" && go build -o "$TMP/all" ./functions/all/cmd && go build -o "$TMP/loadtest" ./scripts/loadtest)

REDIS_PORT=$(free_port)
start_durable_redis "$TMP/redis" "$REDIS_PORT" || die "no Redis"
PIDS+=("$REDIS_SERVER_PID")
APP_PORT=$(free_port)
export ADMIN_TOKEN="bench-$RANDOM$RANDOM"
PAYMENT_WEBHOOK_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
ADMISSION_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export PAYMENT_WEBHOOK_SECRET ADMISSION_SECRET
USER_AUTH=off PORT="$APP_PORT" REDIS_ADDR="127.0.0.1:$REDIS_PORT" "$TMP/all" >"$TMP/all.log" 2>&1 &
PIDS+=($!)
wait_http_ok "http://127.0.0.1:$APP_PORT/readyz" 30 || die "the server did not get ready: $(tail -n 5 "$TMP/all.log")"
URL=http://127.0.0.1:$APP_PORT

log "loadtest queue: $JOINS joins, $STOCK units, admit_rate $ADMIT_RATE/s, $CONNS connections"
rc=0
"$TMP/loadtest" queue --url "$URL" --joins "$JOINS" --stock "$STOCK" --admit-rate "$ADMIT_RATE" --sample "$SAMPLE" \
  -c "$CONNS" --json-file "$TMP/queue.json" || rc=1

if [[ "${WRK:-1}" == 1 ]]; then
  api() { curl -fsS -X "$1" "$URL$2" -H "Authorization: Bearer $ADMIN_TOKEN" ${3:+-d "$3"}; }
  product=$(api POST /products '{"name":"queuebench","description":"wrk","price":1000}' | jq -r .id)
  act=$(api POST /activities '{"product_id":"'"$product"'","stock":'"$STOCK"',"price":900,"starts_at":"2098-01-01T00:00:00Z","ends_at":"2099-01-01T00:00:00Z","admission":"queue","queue_opens_at":"2020-01-01T00:00:00Z","admit_rate":'"$ADMIT_RATE"'}' | jq -r .id)
  log "wrk: join route, a new user every request, 2 threads, $CONNS connections, ${WRK_SECONDS}s"
  WRK_MODE=unique wrk -t2 -c"$CONNS" -d"${WRK_SECONDS}s" --timeout 10s -s "$ROOT/scripts/bench/wrk_purchase.lua" \
    "$URL/activities/$act/queue" >"$TMP/wrk.out" 2>&1 || die "wrk failed: $(cat "$TMP/wrk.out")"
  w=$(sed -n 's/^WRK_JSON //p' "$TMP/wrk.out")
  [[ -n "$w" ]] || die "wrk printed no summary: $(cat "$TMP/wrk.out")"
  joined=$(api GET "/console/queue/$act" | jq .joined)
  requests=$(jq .requests <<<"$w") errors=$(jq '[.errors[]] | add' <<<"$w")
  # Joins still in flight when wrk stops counting may land after it.
  ok=PASS
  (( errors == 0 && joined >= requests && joined <= requests + CONNS )) || { ok=FAIL; rc=1; }
  jq -r --argjson joined "$joined" --arg ok "$ok" \
    '"wrk joins:  \(.requests) in \(.duration_us / 1e6 | . * 100 | round / 100)s = \(.requests / (.duration_us / 1e6) | round) joins/s; latency ms p50 \(.p50_us / 1000) p99 \(.p99_us / 1000) max \(.max_us / 1000); errors \([.errors[]] | add); the queue holds \($joined) places: \($ok)"' <<<"$w"
fi
exit "$rc"
