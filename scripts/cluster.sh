#!/usr/bin/env bash
# Runs the flash-sale backend locally on a Redis Cluster: three primaries and
# three replicas (every node appendonly yes, appendfsync always), on free
# ports, with their data in a temporary directory removed on exit, and every
# function on one port with REDIS_CLUSTER=true. Each write is acknowledged
# once fsynced on its primary and received by one replica
# (REDIS_MIN_REPLICA_ACKS, 1 by default on a cluster). scripts/run.sh is the
# same on one Redis.
#
#   scripts/cluster.sh                     # API on PORT (8080)
#   CLUSTER_DIR=./data/cluster scripts/cluster.sh   # keep the nodes' files there (a new cluster each run)
#   ADMIN_TOKEN=secret PORT=9090 REDIS_MIN_REPLICA_ACKS=0 scripts/cluster.sh
#   CLUSTER_NODE_TIMEOUT=15000 scripts/cluster.sh   # cluster-node-timeout in ms (5000)
#
# It prints the nodes, and how to kill a primary to watch a failover. Ctrl-C
# stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

PORT=${PORT:-8080}
pids=()
tmp=""
cleanup() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}" "${REDIS_CLUSTER_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "$tmp" ] && rm -rf "$tmp"
  echo "stopped"
}
REDIS_CLUSTER_PIDS=()
trap cleanup EXIT
trap 'exit 130' INT TERM

ensure_go
ensure_redis_server
command -v curl >/dev/null || { echo "curl is required" >&2; exit 1; }
command -v redis-cli >/dev/null || { echo "redis-cli is required (apt-get install redis-tools)" >&2; exit 1; }
if [ -n "${CLUSTER_DIR:-}" ]; then
  [ -z "$(ls -A "$CLUSTER_DIR" 2>/dev/null)" ] || { echo "CLUSTER_DIR $CLUSTER_DIR is not empty" >&2; exit 1; }
  mkdir -p "$CLUSTER_DIR"
  dir=$(cd "$CLUSTER_DIR" && pwd)
else
  tmp=$(mktemp -d)
  dir=$tmp
fi
start_redis_cluster "$dir" "${CLUSTER_NODE_TIMEOUT:-5000}"
echo "redis cluster: $REDIS_CLUSTER_ADDRS (3 primaries, 3 replicas), data in $dir"
redis-cli -p "${REDIS_CLUSTER_PORTS[0]}" cluster nodes | awk '{sub(/@.*/, "", $2); print "  " $2, $3, $9}'

if [ -z "${ADMIN_TOKEN:-}" ]; then
  ADMIN_TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  echo "ADMIN_TOKEN was not set; generated one for this run:"
fi
export ADMIN_TOKEN PORT REDIS_CLUSTER=true REDIS_ADDR=$REDIS_CLUSTER_ADDRS
# Local trials: demo payments on, signed with a secret of this run (see scripts/run.sh).
export PAYMENT_WEBHOOK_SECRET=${PAYMENT_WEBHOOK_SECRET:-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')}
export ADMISSION_SECRET=${ADMISSION_SECRET:-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')}
export PAYMENT_DEMO=${PAYMENT_DEMO:-true}
[ "$PAYMENT_DEMO" = true ] && echo "PAYMENT_DEMO=true: DEMO PAYMENTS ARE ON: any shopper can pay an order without paying (local trials only)"
echo "ADMIN_TOKEN=$ADMIN_TOKEN"
# Open for local trials, like scripts/run.sh; set USER_AUTH=on with a
# USER_JWT_* or USER_JWKS_URL setting to require user tokens.
export USER_AUTH=${USER_AUTH:-off}
if [ "$USER_AUTH" = off ]; then
  echo "!!! USER AUTHENTICATION IS OFF (USER_AUTH=off): anyone can act as any user; local trials only !!!"
fi

mkdir -p bin
go build -o bin/seckill ./functions/all/cmd
./bin/seckill &
pids+=($!)
wait_http_ok "http://127.0.0.1:$PORT/readyz" 30

cat <<EOT

seckill is ready on http://127.0.0.1:$PORT on the cluster; the API and the storefront are those
of scripts/run.sh (see its curl commands). To watch a failover, kill the primary of an activity's
slot and keep buying (503 until its replica is promoted, and, with one replica ack per write,
until the killed node is back as the new primary's replica):

  redis-cli -p ${REDIS_CLUSTER_PORTS[0]} cluster keyslot '{act:ACTIVITY_ID}'   # then find its primary
  redis-cli -p ${REDIS_CLUSTER_PORTS[0]} cluster nodes

Ctrl-C stops the server and the cluster.
EOT
wait -n "${pids[@]}"
