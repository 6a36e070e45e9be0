#!/usr/bin/env bash
# Runs every fuzz target of the module for the given -fuzztime each (default
# 60s; a count such as 100x works too).
#
# go test -fuzz sometimes ends a short run with "context deadline exceeded"
# and no failing input when the time runs out while a worker is busy (the
# Go fuzzing engine's own error, not a finding): such a run is tried up to
# twice more (slow targets such as FuzzOpenIndex, about 50 execs a second
# under -race load, met it twice in a row in CI). A run that writes a
# failing input fails at once.
set -euo pipefail
t=${1:-60s}
cd "$(dirname "$0")/.."
for pkg in $(go list ./...); do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
		echo "== $pkg $target ($t)"
		for try in 1 2 3; do
			log=$(mktemp)
			if go test -run '^$' -fuzz "^${target}\$" -fuzztime "$t" "$pkg" 2>&1 | tee "$log"; then
				rm -f "$log"
				break
			fi
			if [ "$try" != 3 ] && grep -q 'context deadline exceeded' "$log" && ! grep -q 'Failing input written' "$log"; then
				echo "== $target: the fuzzing engine's deadline error, once more"
				rm -f "$log"
				continue
			fi
			rm -f "$log"
			exit 1
		done
	done
done
