#!/bin/sh
# cross.sh: build tarx and vet every package for the systems tarx supports
# besides Linux (the tests run on Linux only, so only non-test files are
# vetted: go vet of a package would include its Linux-only tests).
set -eu
GO=${GO:-go}
for target in darwin/amd64 darwin/arm64 freebsd/amd64 windows/amd64; do
	export GOOS=${target%/*} GOARCH=${target#*/}
	$GO build -o /dev/null ./cmd/tarx
	# internal/testarchive serves the Linux tests only.
	$GO list -f '{{if .GoFiles}}{{.Dir}}{{end}}' ./... | grep -v /internal/testarchive | while read -r dir; do
		files=$($GO list -f '{{range .GoFiles}}{{$.Dir}}/{{.}} {{end}}' "$dir")
		# shellcheck disable=SC2086 # one argument per file
		$GO vet $files
	done
	echo "cross: $target ok"
done
