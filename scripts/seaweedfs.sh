#!/usr/bin/env bash
# Build SeaweedFS's `weed` (a real S3-compatible server for the remote tests)
# once into a cache outside the repository, keyed by version, and print its path.
#
# `go install` refuses SeaweedFS (its go.mod has replace directives), so the
# module tree is downloaded through the module proxy, copied to a writable
# directory, and built inside itself. About 15 minutes on 2 cores; later runs
# find the cached binary and return at once.
#
# Environment:
#   WEED_VERSION  module version to build (default below)
#   TARX_CI_CACHE cache directory (default /var/cache/tarx-ci)
set -euo pipefail

version=${WEED_VERSION:-v0.0.0-20261109003541-7506e5f91cd6}
cache=${TARX_CI_CACHE:-/var/cache/tarx-ci}
bin="$cache/weed-$version"

if [ -x "$bin" ]; then
	echo "$bin"
	exit 0
fi

mkdir -p "$cache"
work=$(mktemp -d "$cache/build-weed.XXXXXX")
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

# Download outside any module so the project's go.mod plays no part.
dir=$(cd "$work" && GOFLAGS=-mod=mod go mod download -json "github.com/seaweedfs/seaweedfs@$version" |
	sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
if [ -z "$dir" ] || [ ! -d "$dir" ]; then
	echo "seaweedfs.sh: module download gave no directory" >&2
	exit 1
fi

cp -r "$dir" "$work/src"
chmod -R u+w "$work/src"
(cd "$work/src" && GOFLAGS=-mod=mod go build -o "$work/weed" ./weed) >&2
mv "$work/weed" "$bin.tmp"
mv "$bin.tmp" "$bin"
echo "$bin"
