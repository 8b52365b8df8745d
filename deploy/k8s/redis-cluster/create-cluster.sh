#!/bin/sh
# create-cluster.sh HOST:PORT HOST:PORT ... creates a Redis Cluster of the
# given nodes, each primary with CLUSTER_REPLICAS (1) replicas, and waits
# until every node reports cluster_state:ok. It is safe to run again:
#
#   - every node is empty and alone: it creates the cluster
#     (redis-cli --cluster create ... --cluster-yes);
#   - every node is in the cluster and reports cluster_state:ok: it changes
#     nothing;
#   - every node is in the cluster but not every one is ok (for example
#     after all nodes restarted with new IP addresses): each node meets the
#     others again at their current addresses, which updates the addresses
#     the cluster keeps and changes nothing else; then it waits for ok;
#   - some nodes are in a cluster and others empty (a node lost its data):
#     it refuses, and says how to add the empty ones.
#
# It first waits, up to WAIT_SECONDS (300), until every node resolves and
# answers PING: the Kubernetes Job starts with the StatefulSet's pods. Host
# names are resolved to addresses here, because CLUSTER MEET (which
# redis-cli sends) takes only IP addresses in Redis 7.0. REDISCLI_AUTH, when
# set, is the password redis-cli sends, as the Redis user REDIS_USER when
# that is set (the deployment's admin user: deploy/redis-users.sh).
set -eu

replicas=${CLUSTER_REPLICAS:-1}
wait_seconds=${WAIT_SECONDS:-300}
if [ $# -lt 3 ]; then
  echo "usage: create-cluster.sh HOST:PORT HOST:PORT HOST:PORT ... (at least three primaries)" >&2
  exit 2
fi
deadline=$(($(date +%s) + wait_seconds))

say() { echo "create-cluster: $*" >&2; }
host() { echo "${1%:*}"; }
port() { echo "${1##*:}"; }
cli() {
  node=$1
  shift
  redis-cli ${REDIS_USER:+--user "$REDIS_USER"} -h "$(host "$node")" -p "$(port "$node")" "$@"
}
# field NODE NAME: the field NAME of the node's CLUSTER INFO.
field() { cli "$1" cluster info 2>/dev/null | tr -d '\r' | sed -n "s/^$2://p"; }
# address HOST: the host's IP address (the host itself when it is one).
address() {
  case $1 in
    *[!0-9.]*) getent hosts "$1" | awk '{ print $1; exit }' ;;
    *) echo "$1" ;;
  esac
}
# bus_port NODE: the node's cluster bus port, from its own CLUSTER NODES line
# (ip:port@busport[,hostname]).
bus_port() {
  cli "$1" cluster nodes | tr -d '\r' | awk '$3 ~ /myself/ { split($2, a, "@"); split(a[2], b, ","); print b[1] }'
}
# all_ok NODE...: every node reports cluster_state:ok and knows every node.
all_ok() {
  for n; do
    [ "$(field "$n" cluster_state)" = ok ] && [ "$(field "$n" cluster_known_nodes)" = "$#" ] || return 1
  done
}
wait_ok() {
  until all_ok "$@"; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      say "the cluster did not reach cluster_state:ok on every node within ${wait_seconds}s:"
      for n; do say "  $n: cluster_state:$(field "$n" cluster_state) cluster_known_nodes:$(field "$n" cluster_known_nodes)"; done
      say "inspect it with: redis-cli --cluster check $1 (and redis-cli --cluster fix $1 for open or unassigned slots)"
      exit 1
    fi
    sleep 1
  done
}

# 1. Wait for every node.
for n; do
  until [ -n "$(address "$(host "$n")")" ] && [ "$(cli "$n" ping 2>/dev/null)" = PONG ]; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      say "$n did not resolve and answer PING within ${wait_seconds}s"
      exit 1
    fi
    sleep 1
  done
done

# 2. What is there already.
fresh=0
for n; do
  known=$(field "$n" cluster_known_nodes)
  if [ -z "$known" ]; then
    say "$n is not in cluster mode: start it with cluster-enabled yes"
    exit 1
  fi
  if [ "$known" = 1 ] && [ "$(field "$n" cluster_slots_assigned)" = 0 ]; then
    fresh=$((fresh + 1))
  fi
done

# 3. Create, leave alone, repair, or refuse.
if [ "$fresh" = $# ]; then
  addrs=
  for n; do addrs="$addrs $(address "$(host "$n")"):$(port "$n")"; done
  say "creating the cluster of $# nodes, $replicas replica(s) per primary:$addrs"
  # shellcheck disable=SC2086 # one word per node
  redis-cli ${REDIS_USER:+--user "$REDIS_USER"} --cluster create $addrs --cluster-replicas "$replicas" --cluster-yes
  wait_ok "$@"
  say "created: cluster_state:ok on all $# nodes"
elif [ "$fresh" = 0 ]; then
  if all_ok "$@"; then
    say "the cluster exists (cluster_state:ok on all $# nodes): nothing to do"
    exit 0
  fi
  say "every node is in the cluster, but not every one reports cluster_state:ok: meeting the nodes at their current addresses"
  for n; do
    for m; do
      [ "$n" = "$m" ] || cli "$n" cluster meet "$(address "$(host "$m")")" "$(port "$m")" "$(bus_port "$m")" >/dev/null
    done
  done
  wait_ok "$@"
  say "repaired: cluster_state:ok on all $# nodes"
else
  say "$fresh of $# nodes are empty and alone while the others are in a cluster: this script creates a"
  say "cluster only from empty nodes. Add each empty node as a replica with"
  say "  redis-cli --cluster add-node <empty node ip:port> <any cluster node ip:port> --cluster-slave"
  exit 1
fi
