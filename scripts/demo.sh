#!/usr/bin/env bash
# make demo: build a sample tar.gz from the Go toolchain's source tree and
# run tarx's main job on it, timing each step.
set -euo pipefail
cd "$(dirname "$0")/.."
tarx=$PWD/bin/tarx
# "_demo": the go tool ignores directories starting with "_", so the Go
# sources the demo extracts are not taken for packages of this module.
out=$PWD/_demo
rm -rf "$out" && mkdir -p "$out"
src=$(go env GOROOT)

# step NAME CMD...: run a step, print what it did and how long it took.
step() {
	local name=$1; shift
	local t0 t1 rc=0
	t0=$(date +%s.%N)
	"$@" >"$out/$name.out" 2>"$out/$name.err" || rc=$?
	t1=$(date +%s.%N)
	if grep -q "not implemented yet" "$out/$name.err" 2>/dev/null; then
		printf '%-8s skipped (not implemented yet)\n' "$name"
		return 0
	fi
	printf '%-8s %6.3f s  %s\n' "$name" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" "$*"
	if [ $rc -ne 0 ]; then
		cat "$out/$name.err" >&2
		return $rc
	fi
}

echo "== making $out/go-src.tar.gz from $src (GNU tar + gzip -6)"
t0=$(date +%s.%N)
tar -C "$src" -cf - src | gzip -6 >"$out/go-src.tar.gz"
printf 'archive  %6.3f s  %s\n' "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{print b-a}')" "$(du -h "$out/go-src.tar.gz" | cut -f1)"
a=$out/go-src.tar.gz

step index "$tarx" index "$a"
cat "$out/index.out"
step info "$tarx" info "$a"
cat "$out/info.out"
step ls "$tarx" ls "$a"
echo "   $(wc -l <"$out/ls.out") members; the first ones:"
head -5 "$out/ls.out" | sed 's/^/   /'
last=$(grep -v '/$' "$out/ls.out" | tail -1)
step get "$tarx" get "$a" "$last" -C "$out/get"
[ -f "$out/get/$last" ] && echo "   got $last ($(stat -c %s "$out/get/$last") bytes)"
step cat "$tarx" cat "$a" src/go.mod
head -3 "$out/cat.out" | sed 's/^/   /'
step extract "$tarx" extract "$a" -C "$out/extract"
if [ -d "$out/extract/src" ]; then
	echo "   extracted $(find "$out/extract" -type f | wc -l) files; compare with tar -xzf:"
	mkdir -p "$out/tar" && tar -xzf "$a" -C "$out/tar"
	if diff -r "$out/tar" "$out/extract" >/dev/null; then echo "   identical trees"; else echo "   TREES DIFFER"; exit 1; fi
fi
step verify "$tarx" verify "$a"
echo "== done; outputs in $out"
