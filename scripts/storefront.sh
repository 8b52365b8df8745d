#!/usr/bin/env bash
# Measures the storefront page, in one go, against a private durable Redis and
# the all-in-one server started as scripts/run.sh does:
#
#   1. its weight and time to interactive in headless Chromium (pageprobe
#      measure: the home page and a sale's page, empty cache, then a reload);
#   2. the purchase path with and without storefront pages open and polling:
#      the load tester's original scenario, ROUNDS times each of no pages,
#      TABS empty pages in the browser (the control: what the browser costs
#      the shared CPUs), and TABS storefront pages (pageprobe poll).
#
#   scripts/storefront.sh        # about two minutes on 2 cores
#
# Settings (environment): RUNS (5) loads per page; TABS (20) pages polling
# during the load runs, half on the home page, half on a sale's page; STOCK
# (300) per load run (100 x STOCK users, 2 requests each); ROUNDS (2); CONNS
# (64); KEEP=1 keeps the temporary directory (logs, JSON summaries).
# Needs Go, redis-server 7, jq, curl and Chromium (apt-get install chromium).
set -euo pipefail

RUNS=${RUNS:-5}
TABS=${TABS:-20}
STOCK=${STOCK:-300}
ROUNDS=${ROUNDS:-2}
CONNS=${CONNS:-64}
ROOT=$(cd "$(dirname "$0")/.." && pwd)

. "$ROOT/scripts/lib.sh"

die() { echo "storefront: $*" >&2; exit 1; }
log() { echo "storefront: $*" >&2; }

ensure_go
ensure_redis_server
ensure_chromium
command -v jq >/dev/null || die "jq not found: apt-get install jq"
command -v curl >/dev/null || die "curl not found: apt-get install curl"

TMP=$(mktemp -d /tmp/seckill-storefront.XXXXXX)
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
(cd "$ROOT" && go build -o "$TMP/all" ./functions/all/cmd && go build -o "$TMP/loadtest" ./scripts/loadtest \
  && go build -o "$TMP/pageprobe" ./scripts/pageprobe)

REDIS_PORT=$(free_port)
start_durable_redis "$TMP/redis" "$REDIS_PORT" || die "no Redis"
PIDS+=("$REDIS_SERVER_PID")

APP_PORT=$(free_port)
export ADMIN_TOKEN="storefront-$RANDOM$RANDOM"
export PAYMENT_WEBHOOK_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') PAYMENT_DEMO=true
export ADMISSION_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
USER_AUTH=off PORT=$APP_PORT REDIS_ADDR=127.0.0.1:$REDIS_PORT LOG_LEVEL=${LOG_LEVEL:-info} "$TMP/all" >"$TMP/all.log" 2>&1 &
PIDS+=($!)
wait_http_ok "http://127.0.0.1:$APP_PORT/readyz" 30 || die "the server did not get ready: $(tail -n 5 "$TMP/all.log")"
URL=http://127.0.0.1:$APP_PORT

# A catalog to show: a running sale and one that starts in an hour.
admin() { curl -fsS -H "Authorization: Bearer $ADMIN_TOKEN" "$@"; }
at() { date -u -d "$1" +%Y-%m-%dT%H:%M:%SZ; }
PRODUCT=$(admin -X POST "$URL/products" -d '{"name":"Espresso machine","description":"15 bar pump, 1.2 l tank","price":24900}' | jq -r .id)
SALE=$(admin -X POST "$URL/activities" -d '{"product_id":"'"$PRODUCT"'","stock":100,"price":9900,"starts_at":"'"$(at '-1 min')"'","ends_at":"'"$(at '+2 hours')"'"}' | jq -r .id)
admin -X POST "$URL/activities" -d '{"product_id":"'"$PRODUCT"'","stock":50,"price":12900,"starts_at":"'"$(at '+1 hour')"'","ends_at":"'"$(at '+2 hours')"'"}' >/dev/null
PAGES=("$URL/" "$URL/?activity=$SALE")

log "page weight and time to interactive ($RUNS loads of each page)"
"$TMP/pageprobe" measure --runs "$RUNS" "${PAGES[@]}" | tee "$TMP/measure.txt"

log "warm-up"
"$TMP/loadtest" --url "$URL" --stock 20 --quiet --verify-losers 0 >/dev/null

loadtest() { # name
  log "loadtest: $1"
  "$TMP/loadtest" --url "$URL" --stock "$STOCK" -c "$CONNS" --quiet --timeout 5m --json-file "$TMP/$1.json" >/dev/null 2>&1 || true
  [[ -s "$TMP/$1.json" ]] || die "loadtest $1 wrote no summary"
}
ROWS=()
row() { # name pages calls/s browser-cpu
  ROWS+=("$(jq -r --arg pages "$2" --arg calls "$3" --arg cpu "$4" '[$pages, $calls, $cpu, (.requests|tostring), (.throughput_rps|floor|tostring),
    (.latency_ms.p50|tostring), (.latency_ms.p99|tostring), (.http_errors|tostring), (if .ok then "PASS" else "FAIL" end)] | @tsv' "$TMP/$1.json")")
}
with_pages() { # name label pageprobe-poll-args...: a load run with pages open
  local name=$1 label=$2; shift 2
  log "opening $TABS pages ($label)"
  "$TMP/pageprobe" poll --tabs "$TABS" "$@" >"$TMP/$name.poll" 2>"$TMP/$name.err" &
  local poll=$!
  PIDS+=($poll)
  for _ in $(seq 600); do
    grep -q "open and polling" "$TMP/$name.err" && break
    kill -0 "$poll" 2>/dev/null || die "pageprobe poll failed: $(cat "$TMP/$name.err")"
    sleep 0.1
  done
  grep -q "open and polling" "$TMP/$name.err" || die "the pages did not open within 60 s"
  loadtest "$name"
  kill -TERM "$poll"
  wait "$poll" || die "pageprobe poll: $(cat "$TMP/$name.err")"
  row "$name" "$TABS $label" "$(sed -n 's/.*: \([0-9.]*\) calls\/s$/\1/p' "$TMP/$name.poll")" \
    "$(sed -n 's/.*(\([0-9]*%\) of one core).*/\1/p' "$TMP/$name.poll")"
}
for round in $(seq "$ROUNDS"); do
  loadtest "none-$round"
  row "none-$round" none - -
  with_pages "blank-$round" empty --blank
  with_pages "store-$round" storefront "${PAGES[@]}"
done

echo
echo "purchase path (loadtest original scenario, stock $STOCK, $((100 * STOCK)) users x 2 requests, $CONNS connections), $(nproc) CPUs:"
{
  printf 'pages open\tpage API calls/s\tbrowser CPU\trequests\treq/s\tp50 ms\tp99 ms\tHTTP errors\tchecks\n'
  printf '%s\n' "${ROWS[@]}"
} | column -t -s $'\t'
