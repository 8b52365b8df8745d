#!/usr/bin/env bash
# The test command: sets up what the tests need on a fresh machine
# (redis-server 7), then runs go vet and the whole test suite with the race
# detector. Tests start their own durable redis-server processes on free ports.
#
#   scripts/test.sh                 # everything
#   scripts/test.sh ./redislib/...  # some packages
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_go
ensure_redis_server
command -v curl >/dev/null || { echo "curl is required" >&2; exit 1; }

pkgs=("$@")
[ ${#pkgs[@]} -gt 0 ] || pkgs=(./...)
echo "== go vet"
go vet "${pkgs[@]}"
echo "== go test -race"
# One package at a time: the fault tests bound answers in hundreds of
# milliseconds and must not share two cores with the build of every binary.
go test -race -count=1 -p 1 -timeout 30m "${pkgs[@]}"
