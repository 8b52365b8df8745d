#!/bin/sh
# Writes the ACL users of the deployed Redis, then runs the rest of its
# command line (redis-server and its arguments):
#
#   redis-users.sh redis-server /usr/local/etc/redis/redis.conf ...
#
# redis.conf turns the default user off and includes the file written here
# (REDIS_USERS_FILE, default /run/redis/users.conf, on a tmpfs: the passwords
# never reach the data volume). Its users:
#   seckill  the functions: the rules of redis-functions.acl (beside this
#            script, or REDIS_FUNCTIONS_ACL), password REDIS_PASSWORD;
#   admin    the operator (redis-cli, backups, BGREWRITEAOF, creating the
#            cluster): every command, password REDIS_ADMIN_PASSWORD;
#   replica  a Redis Cluster replica syncing from its primary: PSYNC and
#            REPLCONF only, password REDIS_PASSWORD (masterauth can be read
#            with CONFIG GET, which the functions may run: it holds nothing
#            they do not already know).
# deploy/k8s/redis/ and deploy/k8s/redis-cluster/ hold copies of this file
# (kept identical by a test).
set -eu

acl=${REDIS_FUNCTIONS_ACL:-$(dirname "$0")/redis-functions.acl}
users=${REDIS_USERS_FILE:-/run/redis/users.conf}

fail() {
  echo "redis-users.sh: $*" >&2
  exit 1
}
# A password goes into a Redis configuration line: long, and of characters
# that need no quoting (openssl rand -hex 32 makes one).
password() {
  eval "value=\${$1:-}"
  case $value in
    "") fail "$1 is not set: see deploy/README.md (Redis users)" ;;
    *[!A-Za-z0-9._~-]*) fail "$1 may hold only letters, digits and . _ ~ -" ;;
  esac
  [ "${#value}" -ge 32 ] || fail "$1 must be at least 32 characters long"
  printf '%s' "$value"
}
functions=$(password REDIS_PASSWORD)
admin=$(password REDIS_ADMIN_PASSWORD)
[ "$functions" != "$admin" ] || fail "REDIS_PASSWORD and REDIS_ADMIN_PASSWORD must differ"
[ -r "$acl" ] || fail "cannot read the functions' ACL $acl"
rules=$(sed 's/#.*//' "$acl" | tr -s ' \t\n' '   ')

umask 077
mkdir -p "$(dirname "$users")"
cat > "$users" <<USERS
user seckill $rules >$functions
user admin reset on >$admin ~* &* +@all
user replica reset on >$functions +psync +replconf +ping
masteruser replica
masterauth $functions
USERS
exec "$@"
