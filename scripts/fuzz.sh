#!/usr/bin/env bash
# Runs every Go fuzz target of the module for a short time (FUZZTIME, default
# 10s each), starting from its committed seed corpus (testdata/fuzz/<Target>/
# beside the test). New targets are found by name (func FuzzXxx), so nothing
# here changes when one is added. A failure leaves the crashing input under
# testdata/fuzz/<Target>/ for `go test -run <Target>/<file>` to replay.
#
#   scripts/fuzz.sh                  # every target, 10s each
#   FUZZTIME=1m scripts/fuzz.sh ./functions/platform/...
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-10s}
pkgs=("$@")
[ ${#pkgs[@]} -gt 0 ] || pkgs=(./...)

count=0
for pkg in $(go list -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}{{end}}' "${pkgs[@]}"); do
  for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
    echo "== $pkg $target ($fuzztime)"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg"
    count=$((count + 1))
  done
done
[ "$count" -gt 0 ] || { echo "no fuzz targets found" >&2; exit 1; }
echo "fuzzed $count targets for $fuzztime each"
