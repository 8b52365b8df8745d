#!/usr/bin/env bash
# Runs the flash-sale backend locally: a durable Redis (AOF, fsync on every
# write) with its data in ./data, and every function on one port.
#
#   scripts/run.sh                     # Redis on port 16379, API on PORT (8080)
#   REDIS_ADDR=host:6380 scripts/run.sh  # use an existing (durable) Redis
#                                      # (and REDIS_USERNAME, REDIS_PASSWORD)
#   ADMIN_TOKEN=secret PORT=9090 scripts/run.sh
#   USER_AUTH=on scripts/run.sh        # user routes need a user JWT (HS256, a
#                                      # generated USER_JWT_SECRET unless set)
#
# By default user authentication is OFF (USER_AUTH=off), for local trials:
# anyone can act as any user. It says so loudly. Deployments have it on.
#
# Ctrl-C stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

PORT=${PORT:-8080}
REDIS_PORT=${REDIS_PORT:-16379}
pids=()
cleanup() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "stopped"
}
trap cleanup INT TERM EXIT

ensure_go
command -v curl >/dev/null || { echo "curl is required" >&2; exit 1; }
if [ -z "${REDIS_ADDR:-}" ]; then
  ensure_redis_server
  if redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    echo "port $REDIS_PORT is taken by another Redis; set REDIS_PORT or REDIS_ADDR" >&2
    exit 1
  fi
  mkdir -p data
  # Redis with the deployment's ACL: the default user off, the functions'
  # user seckill limited to deploy/redis-functions.acl, and admin, with
  # passwords made for this run (ACL users live in the configuration, not in
  # the data). deploy/redis.conf names the container's data dir (/data) and
  # users file; locally both live in ./data.
  REDIS_PASSWORD=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  REDIS_ADMIN_PASSWORD=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  export REDIS_PASSWORD REDIS_ADMIN_PASSWORD REDIS_USERNAME=seckill
  grep -v '^dir ' deploy/redis.conf |
    sed "s#^include /run/redis/users.conf\$#include $PWD/data/users.conf#" > data/redis.conf
  REDIS_USERS_FILE="$PWD/data/users.conf" sh deploy/redis-users.sh \
    redis-server data/redis.conf --port "$REDIS_PORT" --bind 127.0.0.1 -::1 \
    --dir "$PWD/data" --logfile "$PWD/data/redis.log" &
  pids+=($!)
  REDISCLI_AUTH=$REDIS_ADMIN_PASSWORD wait_redis "$REDIS_PORT" --user admin
  unset REDIS_ADMIN_PASSWORD
  export REDIS_ADDR="127.0.0.1:$REDIS_PORT"
  echo "redis: $REDIS_ADDR, appendonly yes, appendfsync always, data in ./data;"
  echo "  the server logs in as its ACL user seckill; redis-cli as admin:"
  echo "  REDISCLI_AUTH=\$(sed -n 's/^user admin .*>\([^ ]*\) .*/\1/p' data/users.conf) redis-cli -p $REDIS_PORT --user admin"
fi

if [ -z "${ADMIN_TOKEN:-}" ]; then
  ADMIN_TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  echo "ADMIN_TOKEN was not set; generated one for this run:"
fi
export ADMIN_TOKEN PORT
echo "ADMIN_TOKEN=$ADMIN_TOKEN"

USER_AUTH=${USER_AUTH:-off}
if [ "$USER_AUTH" = off ]; then
  unset USER_JWT_SECRET USER_JWT_PUBLIC_KEY USER_JWKS_URL
  user_header=""
else
  if [ -z "${USER_JWT_SECRET:-}${USER_JWT_PUBLIC_KEY:-}${USER_JWKS_URL:-}" ]; then
    USER_JWT_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
    echo "USER_JWT_SECRET was not set; generated one for this run"
  fi
  export USER_JWT_SECRET
  user_header=' -H "Authorization: Bearer $ALICE"'
fi
export USER_AUTH
# Payments: the payment service signs its confirmations with this secret. For
# local trials demo payments are on too (the storefront's "Demo payment"
# button); PAYMENT_DEMO=false turns them off.
if [ -z "${PAYMENT_WEBHOOK_SECRET:-}" ]; then
  PAYMENT_WEBHOOK_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
fi
PAYMENT_DEMO=${PAYMENT_DEMO:-true}
export PAYMENT_WEBHOOK_SECRET PAYMENT_DEMO
# The waiting room signs its admission tokens with this secret (purchase
# verifies them in process).
export ADMISSION_SECRET=${ADMISSION_SECRET:-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')}
echo "PAYMENT_WEBHOOK_SECRET=$PAYMENT_WEBHOOK_SECRET"
if [ "$PAYMENT_DEMO" = true ]; then
  echo "PAYMENT_DEMO=true: DEMO PAYMENTS ARE ON: any shopper can pay an order without paying (local trials only)"
fi

mkdir -p bin
go build -o bin/seckill ./functions/all/cmd
./bin/seckill &
pids+=($!)
wait_http_ok "http://127.0.0.1:$PORT/readyz" 30

if [ "$USER_AUTH" = off ]; then
  cat <<EOT

!!! USER AUTHENTICATION IS OFF (USER_AUTH=off): anyone can buy, pay, cancel and read
!!! as any user by naming a user_id. For local trials only. To run with it on:
!!!   USER_AUTH=on scripts/run.sh
EOT
else
  cat <<EOT

User authentication is on: user routes need "Authorization: Bearer <JWT>" whose sub is the user.
EOT
  if [ -n "${USER_JWT_SECRET:-}" ]; then
    cat <<EOT
Mint a token for a user (HS256 with this run's secret):
  export USER_JWT_SECRET=$USER_JWT_SECRET
  ALICE=\$(go run ./scripts/usertoken alice)
EOT
  else
    echo 'Set ALICE to a token for alice from your identity provider or key (go run ./scripts/usertoken -key FILE alice).'
  fi
fi

cat <<EOT

seckill is ready on http://127.0.0.1:$PORT; the storefront is http://127.0.0.1:$PORT/. Try:

  export ADMIN_TOKEN=$ADMIN_TOKEN PAYMENT_WEBHOOK_SECRET=$PAYMENT_WEBHOOK_SECRET BASE=http://127.0.0.1:$PORT
  PRODUCT=\$(curl -s -X POST \$BASE/products -H "Authorization: Bearer \$ADMIN_TOKEN" \\
      -d '{"name":"Phone","description":"128 GB","price":19900}' | sed 's/.*"id":"\([^"]*\)".*/\1/')
  ACTIVITY=\$(curl -s -X POST \$BASE/activities -H "Authorization: Bearer \$ADMIN_TOKEN" \\
      -d '{"product_id":"'\$PRODUCT'","stock":100,"price":9900,"starts_at":"2020-01-01T00:00:00Z","ends_at":"2099-01-01T00:00:00Z"}' \\
      | sed 's/.*"id":"\([^"]*\)".*/\1/')
  curl -s -X POST \$BASE/activities/\$ACTIVITY/purchase$user_header -d '{"user_id":"alice"}'
  ORDER=\$(curl -s \$BASE/activities/\$ACTIVITY/purchases/alice$user_header | sed 's/.*"order_id":"\([^"]*\)".*/\1/')
  curl -s \$BASE/activities/\$ACTIVITY

  # alice pays with the demo payment (demo mode only) ...
  curl -s -X POST \$BASE/orders/\$ORDER/demo-payment$user_header -d '{"user_id":"alice"}'
  # ... bob as the payment service confirms a real payment: signed with its secret
  ORDER=\$(curl -s -X POST \$BASE/activities/\$ACTIVITY/purchase -d '{"user_id":"bob"}' | sed 's/.*"order_id":"\([^"]*\)".*/\1/')
  BODY='{"payment_ref":"pi_1","order_id":"'\$ORDER'","amount":9900,"currency":"USD"}' T=\$(date +%s)
  SIG=\$(printf '%s' "\$T.\$BODY" | openssl dgst -sha256 -hmac "\$PAYMENT_WEBHOOK_SECRET" | sed 's/.* //')
  curl -s -X POST \$BASE/payments/confirm -H "Payment-Signature: t=\$T,v1=\$SIG" -d "\$BODY"

Ctrl-C stops the server and Redis.
EOT
wait -n "${pids[@]}"
