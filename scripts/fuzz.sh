#!/usr/bin/env bash
# Runs every Go fuzz target of the module for a short time (FUZZTIME, default
# 10s each), starting from its committed seed corpus (testdata/fuzz/<Target>/
# beside the test). New targets are found by name (func FuzzXxx), so nothing
# here changes when one is added. A failure leaves the crashing input under
# testdata/fuzz/<Target>/ for `go test -run <Target>/<file>` to replay.
#
#   scripts/fuzz.sh                  # every target, 10s each
#   FUZZTIME=1m scripts/fuzz.sh ./functions/httpapi
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-10s}
dirs=("${@%/...}") # directories to search; a ./dir/... pattern means the same
[ ${#dirs[@]} -gt 0 ] || dirs=(.)

# Targets are found with grep rather than `go test -list`, which would build
# the tests of every package just to list them.
count=0
while IFS=: read -r file target; do
  pkg=./$(dirname "${file#./}")
  echo "== $pkg $target ($fuzztime)"
  go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg"
  count=$((count + 1))
done < <(grep -rHo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*' "${dirs[@]}" | sed 's/:func /:/' | sort)
[ "$count" -gt 0 ] || { echo "no fuzz targets found" >&2; exit 1; }
echo "fuzzed $count targets for $fuzztime each"
