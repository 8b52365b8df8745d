#!/usr/bin/env bash
# The test command: sets up what the tests need on a fresh machine
# (redis-server 7, and Chromium for the storefront's browser test), then runs
# go vet and the whole test suite with the race detector. Tests start their
# own durable redis-server processes on free ports.
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
# Chromium only when the storefront is among the packages: it is large.
for p in "${pkgs[@]}"; do
  case "$p" in
    ./... | ./functions/... | *storefront*) ensure_chromium || echo "the storefront's browser test will fail" >&2; break ;;
  esac
done
echo "== go vet"
go vet "${pkgs[@]}"
echo "== go test -race"
# One package at a time: the fault tests bound answers in hundreds of
# milliseconds and must not share two cores with the build of every binary.
go test -race -count=1 -p 1 -timeout 30m "${pkgs[@]}"
