#!/usr/bin/env bash
# One Redis against a Redis Cluster of three primaries and three replicas, on
# this machine: the load tester's throughput and p99 on the sold-out path
# (scenario original: 99% of the attempts lose) and on the win path
# (writes-only: every attempt wins and writes), RUNS times each, for
#
#   single        one durable redis-server (deploy/redis.conf), as scripts/run.sh
#   cluster acks=1  the cluster, each write waiting for one replica (the default)
#   cluster acks=0  the cluster, writes acknowledged once fsynced on their primary
#
# and then the failover: the time from SIGKILL of the primary serving a sale
# to the first purchase won on its promoted replica, RUNS times with acks=0;
# with acks=1 the killed node is restarted once its replica is promoted (as
# a supervisor would) and the time runs until a win is confirmed by it as
# the new replica.
#
#   scripts/clusterbench.sh
#   RUNS=3 STOCK=1000 WRITES_USERS=20000 CONNS=64 LOAD_NODE_TIMEOUT=5000 NODE_TIMEOUT=1000 scripts/clusterbench.sh   # the defaults
#
# The load runs with cluster-node-timeout LOAD_NODE_TIMEOUT: on two cores
# shared by six nodes, the server and the load generator, a node can miss
# its pings for a second, and 1000 ms made the cluster fail over healthy
# primaries in the middle of the runs. The failover runs with NODE_TIMEOUT,
# set on every node (CONFIG SET) after the load.
#
# Needs Go, redis-server 7, redis-cli, jq and curl. Everything lives in one
# temporary directory on free ports and is stopped and removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

RUNS=${RUNS:-3}
STOCK=${STOCK:-1000}
WRITES_USERS=${WRITES_USERS:-20000}
CONNS=${CONNS:-64}
LOAD_NODE_TIMEOUT=${LOAD_NODE_TIMEOUT:-5000}
NODE_TIMEOUT=${NODE_TIMEOUT:-1000}
ADMIN_TOKEN=clusterbench
export ADMIN_TOKEN
export PAYMENT_WEBHOOK_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export ADMISSION_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')

ensure_go
ensure_redis_server
for c in redis-cli jq curl; do command -v $c >/dev/null || { echo "$c is required" >&2; exit 1; }; done

tmp=$(mktemp -d)
SERVER_PID="" REDIS_SERVER_PID=""
REDIS_CLUSTER_PIDS=()
declare -A NODE_PID
cleanup() {
  trap - INT TERM EXIT
  for pid in $SERVER_PID $REDIS_SERVER_PID "${REDIS_CLUSTER_PIDS[@]}" "${NODE_PID[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

go build -o "$tmp/seckill" ./functions/all/cmd
go build -o "$tmp/loadtest" ./scripts/loadtest

# start_server ENV... starts the all-in-one server with ENV on a free port.
start_server() {
  local port
  port=$(free_port)
  env USER_AUTH=off "$@" PORT="$port" LOG_LEVEL=warn "$tmp/seckill" >"$tmp/server-$port.log" 2>&1 &
  SERVER_PID=$!
  SERVER_URL="http://127.0.0.1:$port"
  wait_http_ok "$SERVER_URL/readyz" 30 || { cat "$tmp/server-$port.log" >&2; exit 1; }
}

stop_server() {
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

# measure LABEL runs both scenarios RUNS times against SERVER_URL and prints
# one line per scenario: requests/s and p99 as min-max over the runs.
measure() {
  local label=$1 scenario run args
  for scenario in original writes-only; do
    : >"$tmp/runs.tsv"
    for run in $(seq "$RUNS"); do
      args=(--url "$SERVER_URL" --scenario "$scenario" -c "$CONNS" --json --quiet --verify-losers 1000)
      if [ "$scenario" = original ]; then args+=(--stock "$STOCK"); else args+=(--users "$WRITES_USERS"); fi
      if ! "$tmp/loadtest" "${args[@]}" >"$tmp/run.json" 2>"$tmp/run.err"; then
        echo "$label $scenario run $run failed:" >&2
        jq -c '[.checks[] | select(.ok | not)]' "$tmp/run.json" >&2 2>/dev/null || tail -n 5 "$tmp/run.err" >&2
        [ -s "$tmp/run.json" ] || { tail -n 5 "$tmp/run.err" >&2; exit 1; }
      fi
      jq -r '[.throughput_rps, .latency_ms.p99, (if .ok then "ok" else "FAILED" end)] | @tsv' "$tmp/run.json" >>"$tmp/runs.tsv"
    done
    awk -v label="$label" -v sc="$scenario" -F'\t' '
      NR == 1 { tmin = tmax = $1; pmin = pmax = $2 }
      { if ($1 < tmin) tmin = $1; if ($1 > tmax) tmax = $1; if ($2 < pmin) pmin = $2; if ($2 > pmax) pmax = $2
        if ($3 != "ok") bad++ }
      END { printf "%-16s %-12s %6.0f - %-6.0f %7.1f - %-7.1f %s\n", label, sc, tmin, tmax, pmin, pmax, (bad ? bad " runs FAILED" : "all checks ok") }
    ' "$tmp/runs.tsv" | tee -a "$tmp/table"
  done
}

echo "== runs: RUNS=$RUNS STOCK=$STOCK WRITES_USERS=$WRITES_USERS CONNS=$CONNS, $(nproc) cores" >&2
printf "%-16s %-12s %-15s %-17s %s\n" backend scenario "req/s min-max" "p99 ms min-max" checks | tee "$tmp/table"

# 1. One Redis.
single_port=$(free_port)
start_durable_redis "$tmp/single" "$single_port"
start_server REDIS_ADDR="127.0.0.1:$single_port"
measure single
stop_server
kill -TERM "$REDIS_SERVER_PID"; wait "$REDIS_SERVER_PID" 2>/dev/null || true; REDIS_SERVER_PID=""

# 2. The cluster, with and without the replica wait.
start_redis_cluster "$tmp/cluster" "$LOAD_NODE_TIMEOUT"
for i in "${!REDIS_CLUSTER_PORTS[@]}"; do NODE_PID[${REDIS_CLUSTER_PORTS[$i]}]=${REDIS_CLUSTER_PIDS[$i]}; done
REDIS_CLUSTER_PIDS=()
for acks in 1 0; do
  start_server REDIS_CLUSTER=true REDIS_ADDR="$REDIS_CLUSTER_ADDRS" REDIS_MIN_REPLICA_ACKS=$acks
  measure "cluster acks=$acks"
  stop_server
done

# 3. Failover.
seed=${REDIS_CLUSTER_PORTS[0]}
for port in "${!NODE_PID[@]}"; do redis-cli -p "$port" config set cluster-node-timeout "$NODE_TIMEOUT" >/dev/null; done
# primary_of SLOT prints the port of the node serving SLOT, as a live node sees it.
primary_of() {
  local port
  for port in "${!NODE_PID[@]}"; do
    redis-cli -p "$port" ping >/dev/null 2>&1 || continue
    redis-cli -p "$port" cluster nodes | awk -v s="$1" '$3 ~ /master/ && $3 !~ /fail/ {
      for (i = 9; i <= NF; i++) { n = split($i, r, "-"); lo = r[1]; hi = (n == 2 ? r[2] : r[1]);
        if (s >= lo && s <= hi) { sub(/@.*/, "", $2); sub(/.*:/, "", $2); print $2; exit } } }'
    return
  done
}
# wait_replica PORT waits until the node on PORT is a replica in sync with its primary.
wait_replica() {
  local deadline=$((SECONDS + 60))
  until [ "$(redis-cli -p "$1" role 2>/dev/null | sed -n 4p)" = connected ]; do
    [ "$SECONDS" -lt "$deadline" ] || { echo "node $1 did not resync within 60s" >&2; exit 1; }
    sleep 0.1
  done
}
now_ms() { date +%s%3N; }
# first_win START_MS ACTIVITY prints the ms from START_MS until a purchase on
# ACTIVITY is answered won (at most 120 s).
first_win() {
  local start=$1 act=$2 i=0 body
  while :; do
    i=$((i + 1))
    [ $(($(now_ms) - start)) -lt 120000 ] || { echo "no purchase won on $act within 120 s" >&2; return 1; }
    body=$(curl -s -m 3 -X POST "$SERVER_URL/activities/$act/purchase" -d "{\"user_id\":\"fo-$RANDOM-$i\"}" || true)
    case "$body" in *'"outcome":"won"'*) echo $(($(now_ms) - start)); return ;; esac
  done
}
new_activity() {
  local product
  product=$(curl -s -X POST "$SERVER_URL/products" -H "Authorization: Bearer $ADMIN_TOKEN" -d '{"name":"Phone","price":19900}' | jq -r .id)
  curl -s -X POST "$SERVER_URL/activities" -H "Authorization: Bearer $ADMIN_TOKEN" \
    -d '{"product_id":"'"$product"'","stock":1000000,"price":9900,"starts_at":"2020-01-01T00:00:00Z","ends_at":"2099-01-01T00:00:00Z"}' | jq -r .id
}
for acks in 0 1; do
  start_server REDIS_CLUSTER=true REDIS_ADDR="$REDIS_CLUSTER_ADDRS" REDIS_MIN_REPLICA_ACKS=$acks REDIS_TIMEOUT=1s
  act=$(new_activity)
  slot=$(redis-cli -p "$seed" cluster keyslot "{act:$act}")
  : >"$tmp/failover"
  for run in $(seq "$RUNS"); do
    first_win "$(now_ms)" "$act" >/dev/null || exit 1
    victim=$(primary_of "$slot")
    start=$(now_ms)
    kill -KILL "${NODE_PID[$victim]}"; wait "${NODE_PID[$victim]}" 2>/dev/null || true
    if [ "$acks" = 1 ]; then
      # Restarted once its replica is promoted, it comes back as that
      # replica's replica.
      until [ -n "$(primary_of "$slot")" ] && [ "$(primary_of "$slot")" != "$victim" ]; do
      [ $(($(now_ms) - start)) -lt 120000 ] || { echo "slot $slot not failed over within 120 s" >&2; exit 1; }
      sleep 0.05
    done
      start_cluster_node "$tmp/cluster/node-$victim" "$victim" "$NODE_TIMEOUT"
      NODE_PID[$victim]=$REDIS_SERVER_PID
      first_win "$start" "$act" >>"$tmp/failover" || exit 1
    else
      first_win "$start" "$act" >>"$tmp/failover" || exit 1
      start_cluster_node "$tmp/cluster/node-$victim" "$victim" "$NODE_TIMEOUT"
      NODE_PID[$victim]=$REDIS_SERVER_PID
    fi
    wait_replica "$victim"
  done
  stop_server
  printf "%-16s %-12s %s ms (node timeout %s ms)\n" "cluster acks=$acks" "failover" \
    "$(sort -n "$tmp/failover" | tr '\n' ' ')" "$NODE_TIMEOUT" | tee -a "$tmp/table"
done
