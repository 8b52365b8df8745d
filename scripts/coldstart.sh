#!/usr/bin/env bash
# Cold start of function binaries: how long a new instance of a function
# takes from exec to its first 200 on /readyz (Redis answers and is durable),
# which is what a user waits for on top of the platform's own latency when a
# function scales from zero (the Knative variant's admin functions, see
# deploy/README.md). Each function is built as its container builds it
# (CGO_ENABLED=0, -trimpath, -ldflags='-s -w') and started RUNS times by
# `loadtest coldstart` on a free port, against a private durable Redis
# (deploy/redis.conf: appendonly yes, appendfsync always) on a free port.
# Prints min, median, p95 and max per function.
#
#   scripts/coldstart.sh                          # purchase createproduct expireorders, 20 starts each
#   RUNS=50 scripts/coldstart.sh purchase storefront
#
# Not measured: pulling the image, creating the pod and its sandbox, and
# Knative's activator and queue-proxy; only the process itself.
set -euo pipefail

RUNS=${RUNS:-20}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/lib.sh"
cd "$ROOT"

fns=("$@")
[[ ${#fns[@]} -gt 0 ]] || fns=(purchase createproduct expireorders)
for fn in "${fns[@]}"; do
  [[ -d functions/$fn/cmd ]] || { echo "coldstart: no function $fn (functions/$fn/cmd)" >&2; exit 2; }
done

ensure_go
ensure_redis_server

TMP=$(mktemp -d)
REDIS_SERVER_PID=
cleanup() {
  trap - EXIT INT TERM
  [[ -n $REDIS_SERVER_PID ]] && kill "$REDIS_SERVER_PID" 2>/dev/null && wait "$REDIS_SERVER_PID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "coldstart: building loadtest and ${fns[*]}" >&2
go build -o "$TMP/loadtest" ./scripts/loadtest
for fn in "${fns[@]}"; do
  CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$TMP/$fn" "./functions/$fn/cmd"
done

REDIS_PORT=$(free_port)
start_durable_redis "$TMP/redis" "$REDIS_PORT" >/dev/null

# stats prints min, median, p95 and max of the numbers on stdin, one a line
# (p95: the smallest value at or above 95% of the runs, nearest rank).
stats() {
  sort -g | awk '{ v[NR] = $1 } END {
    n = NR; m = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    r = int(0.95 * n); if (r < 0.95 * n) r++
    printf "%8.1f %8.1f %8.1f %8.1f", v[1], m, v[r], v[n]
  }'
}

printf '%s, %s runs each, redis-server %s, %s cores\n' "$(date -u '+%Y-%m-%d %H:%M UTC')" "$RUNS" \
  "$(redis-server --version | sed -n 's/.* v=\([^ ]*\).*/\1/p')" "$(nproc)"
printf '%-16s %8s %8s %8s %8s  (ms, exec to first 200 on /readyz)\n' function min median p95 max
for fn in "${fns[@]}"; do
  # --target-ms is loadtest's pass mark; here every figure is reported as it is.
  out=$("$TMP/loadtest" coldstart --bin "$TMP/$fn" --redis "127.0.0.1:$REDIS_PORT" --runs "$RUNS" --target-ms 1e9 --json)
  printf '%-16s %s\n' "$fn" "$(sed 's/.*"ms":\[\([^]]*\)\].*/\1/' <<<"$out" | tr ',' '\n' | stats)"
done
