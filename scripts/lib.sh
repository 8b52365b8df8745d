# Shared by the scripts in this folder: source it, do not run it.

# ensure_redis_server makes sure redis-server 7 or newer is on PATH, installing
# it with apt-get when running as root on Debian/Ubuntu, otherwise saying what
# to install.
ensure_redis_server() {
  if ! command -v redis-server >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "redis-server not found: installing it with apt-get" >&2
      DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
    else
      echo "redis-server (Redis 7 or newer) is required and not on PATH." >&2
      echo "Install it: 'sudo apt-get install redis-server' (Debian/Ubuntu), 'brew install redis' (macOS)," >&2
      echo "or use an existing durable Redis with REDIS_ADDR=host:port." >&2
      return 1
    fi
  fi
  local major
  major=$(redis-server --version | sed -n 's/.* v=\([0-9]*\)\..*/\1/p')
  if [ "${major:-0}" -lt 7 ]; then
    echo "redis-server $(redis-server --version | sed -n 's/.* v=\([^ ]*\).*/\1/p') found; Redis 7 or newer is required" >&2
    return 1
  fi
}

# ensure_chromium makes sure a headless Chromium is on PATH (the storefront's
# browser test and scripts/storefront.sh drive it), installing Debian's
# package chromium with apt-get when running as root, otherwise saying what
# to install.
ensure_chromium() {
  local b
  for b in chromium chromium-browser google-chrome google-chrome-stable; do
    command -v "$b" >/dev/null 2>&1 && return 0
  done
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "chromium not found: installing it with apt-get" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "Chromium is required and not on PATH: 'sudo apt-get install chromium' (Debian/Ubuntu)." >&2
    return 1
  fi
}

# ensure_go makes sure the Go toolchain is on PATH.
ensure_go() {
  if ! command -v go >/dev/null 2>&1; then
    if [ -x /usr/local/go/bin/go ]; then
      export PATH="$PATH:/usr/local/go/bin"
    else
      echo "Go is required (the version in go.mod or newer): see https://go.dev/doc/install" >&2
      return 1
    fi
  fi
}

# wait_http_ok polls URL until it answers 2xx, for at most $2 seconds.
wait_http_ok() {
  local url=$1 deadline=$((SECONDS + ${2:-15}))
  until curl -fsS -o /dev/null "$url" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "$url did not answer within ${2:-15}s" >&2
      return 1
    fi
    sleep 0.1
  done
}

# wait_redis polls redis-cli PING on port $1 (with the redis-cli arguments
# that follow, e.g. --user) until PONG. A Redis that answers
# LOADING is reading its AOF, which takes as long as the log is large (about
# 15 s per GB of increments on 2 cores; deploy/redis.conf): that is waited
# for as long as it lasts. Anything else for 15 s in a row is an error.
wait_redis() {
  local deadline=$((SECONDS + 15)) reply
  until reply=$(redis-cli -p "$1" "${@:2}" ping 2>&1) && [ "$reply" = "PONG" ]; do
    case $reply in LOADING*) deadline=$((SECONDS + 15)) ;; esac
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "redis-server on port $1 did not answer within 15s: $reply" >&2
      return 1
    fi
    sleep 0.1
  done
}

# free_port prints a TCP port of 127.0.0.1 that nothing listens on (never
# 6379), below the kernel's ephemeral range (32768 and up), where the local
# port of a client connection could take it between the check and the bind.
free_port() {
  local p
  for _ in $(seq 200); do
    p=$((20000 + RANDOM % 12700))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  echo "no free port found" >&2
  return 1
}

# durable_redis_conf prints deploy/redis.conf for a local redis-server of
# the benchmarks and trial scripts: the durability settings as deployed,
# without the file's own dir (the container's /data, which Redis enters on
# reading it) and without its ACL (the default user turned off, the
# included users file): these servers listen on 127.0.0.1 only, in
# protected mode, for the scripts' own clients. scripts/run.sh keeps the ACL.
durable_redis_conf() {
  local root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  grep -v -e '^dir ' -e '^user ' -e '^include ' "$root/deploy/redis.conf"
}

# start_durable_redis DIR PORT starts redis-server in the background with the
# deployment's settings (deploy/redis.conf: appendonly yes, appendfsync
# always) on 127.0.0.1:PORT with its data and log in DIR, and waits until it
# answers (durable_redis_conf). The server's PID is in REDIS_SERVER_PID.
start_durable_redis() {
  local dir=$1 port=$2
  mkdir -p "$dir"
  durable_redis_conf | redis-server - --port "$port" --bind 127.0.0.1 \
    --protected-mode yes --dir "$dir" --logfile "$dir/redis.log" &
  REDIS_SERVER_PID=$!
  wait_redis "$port" || { echo "redis-server did not start: $(tail -n 5 "$dir/redis.log")" >&2; return 1; }
}

# free_cluster_port [TAKEN...] prints a port of 127.0.0.1 that nothing
# listens on and whose cluster bus port (port + 10000) is free too, not
# clashing with a TAKEN port (another node's, or its bus). Both lie below
# the kernel's ephemeral range (32768 and up), where a client connection's
# local port could take them between the check and the bind.
free_cluster_port() {
  local p t clash
  for _ in $(seq 200); do
    p=$((20000 + RANDOM % 2700))
    [ "$p" = 6379 ] || [ "$p" = 16379 ] || [ "$((p + 10000))" = 16379 ] && continue
    clash=""
    for t in "$@"; do
      [ "$p" = "$t" ] || [ "$p" = "$((t + 10000))" ] || [ "$((p + 10000))" = "$t" ] && clash=1
    done
    [ -n "$clash" ] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && ! (exec 3<>"/dev/tcp/127.0.0.1/$((p + 10000))") 2>/dev/null; then
      echo "$p"
      return
    fi
  done
  echo "no free port pair found" >&2
  return 1
}

# start_cluster_node DIR PORT NODE_TIMEOUT_MS starts one cluster node with
# the deployment's settings (deploy/redis.conf) in DIR, or starts it again
# from its files there (its AOF and nodes.conf: it rejoins its cluster), and
# waits until it answers. Its PID is in REDIS_SERVER_PID.
start_cluster_node() {
  local dir=$1 port=$2 timeout=$3
  mkdir -p "$dir"
  durable_redis_conf | redis-server - --port "$port" --bind 127.0.0.1 \
    --protected-mode yes --dir "$dir" --logfile "$dir/redis.log" \
    --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout "$timeout" \
    --cluster-require-full-coverage no &
  REDIS_SERVER_PID=$!
  wait_redis "$port" || { echo "redis-server did not start: $(tail -n 5 "$dir/redis.log")" >&2; return 1; }
}

# start_redis_cluster DIR [NODE_TIMEOUT_MS] starts a Redis Cluster of three
# primaries and three replicas on free ports of 127.0.0.1, each node with the
# deployment's settings (deploy/redis.conf: appendonly yes, appendfsync
# always) and its data and log in DIR/node-PORT, creates it with redis-cli
# --cluster create --cluster-replicas 1, and waits until every node reports
# cluster_state:ok and every replica is in sync. It sets REDIS_CLUSTER_ADDRS (comma-separated, for
# REDIS_ADDR), REDIS_CLUSTER_PORTS and REDIS_CLUSTER_PIDS (arrays).
start_redis_cluster() {
  local dir=$1 timeout=${2:-1000} port addrs=() i
  REDIS_CLUSTER_PORTS=() REDIS_CLUSTER_PIDS=()
  for i in 1 2 3 4 5 6; do
    port=$(free_cluster_port "${REDIS_CLUSTER_PORTS[@]}")
    start_cluster_node "$dir/node-$port" "$port" "$timeout" || return 1
    REDIS_CLUSTER_PIDS+=("$REDIS_SERVER_PID")
    REDIS_CLUSTER_PORTS+=("$port")
    addrs+=("127.0.0.1:$port")
  done
  redis-cli --cluster create "${addrs[@]}" --cluster-replicas 1 --cluster-yes >"$dir/create.log" 2>&1 ||
    { cat "$dir/create.log" >&2; return 1; }
  local deadline=$((SECONDS + 30))
  for port in "${REDIS_CLUSTER_PORTS[@]}"; do
    until redis-cli -p "$port" cluster info 2>/dev/null | grep -q '^cluster_state:ok'; do
      if [ "$SECONDS" -ge "$deadline" ]; then
        echo "the cluster is not ok after 30s: $(redis-cli -p "$port" cluster info | head -n 3 | tr '\r\n' '  ')" >&2
        return 1
      fi
      sleep 0.1
    done
    # A replica in sync: writes waiting for a replica ack are confirmed.
    until [ "$(redis-cli -p "$port" role | head -n 1)" = master ] || [ "$(redis-cli -p "$port" role | sed -n 4p)" = connected ]; do
      if [ "$SECONDS" -ge "$deadline" ]; then
        echo "replica on port $port not in sync after 30s" >&2
        return 1
      fi
      sleep 0.1
    done
  done
  REDIS_CLUSTER_ADDRS=$(IFS=,; echo "${addrs[*]}")
}
