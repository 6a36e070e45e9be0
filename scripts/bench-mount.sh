#!/usr/bin/env bash
# make bench (after scripts/bench.sh): tarx mount side by side with tarx cat and
# Debian's archivemount (libarchive over FUSE), written to docs/BENCH-MOUNT.md.
#
# The archive is a tar of $(go env GOROOT) plus one big member (BENCH_MOUNT_BIG
# bytes of Go source, default 256 MiB), pigz -6. Each figure is a hyperfine median
# of BENCH_MOUNT_RUNS runs; every mount is fresh (no page cache of an earlier one).
#   1. mount time (mount, then unmount)
#   2. one small member: tarx cat; fresh mount + cat + unmount
#   3. sequential read of the big member: tarx cat; cat from a fresh mount
#   4. 64 threads reading random 64 KiB ranges of the files of 1 MiB or more for
#      BENCH_MOUNT_SECONDS: reads per second, p50/p99 latency (scripts/randread)
#   5. find MOUNTPOINT | wc -l against tarx ls
#   6. diff -r of the mount against tar -xzf's tree
#   7. on an archive of BENCH_MOUNT_SCALE members (default 1,000,000, 0 skips;
#      scripts/genscale, pigz -6): find MOUNTPOINT | wc -l against tarx ls, and
#      64 threads reading random members named by tarx ls (randread -list) for
#      BENCH_MOUNT_SECONDS: reads per second, latency, the server's peak RSS
# ratarmount (pip) is not compared: PyPI is not reachable from these machines.
# Needs root (or fusermount3), /dev/fuse and hyperfine; archivemount rows are
# skipped when it is not installed (apt-get install archivemount).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
RUNS=${BENCH_MOUNT_RUNS:-5}
SCALE=${BENCH_MOUNT_SCALE:-1000000}
SCALE_RUNS=${BENCH_MOUNT_SCALE_RUNS:-2}
BIG=${BENCH_MOUNT_BIG:-268435456}
SECONDS_RR=${BENCH_MOUNT_SECONDS:-10}
MD=${BENCH_MOUNT_MD:-$repo/docs/BENCH-MOUNT.md}
log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
command -v hyperfine >/dev/null || die "hyperfine is required: apt-get install hyperfine"
[ -e /dev/fuse ] || die "no /dev/fuse"
[ -x bin/tarx ] || make build >&2

work=$(mktemp -d "${BENCH_WORKDIR:-/tmp}/tarx-bench-mount.XXXXXX")
tarx=$work/tarx
cp bin/tarx "$tarx"
mnt=$work/mnt
am=$work/am
mkdir -p "$mnt" "$am" "$work/src" "$work/ref" "$work/res"
cleanup() {
	"$tarx" umount -z "$mnt" 2>/dev/null || true
	umount -l "$am" 2>/dev/null || fusermount -u -z "$am" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
have_am=
command -v archivemount >/dev/null && have_am=1 || log "archivemount not installed: its rows are skipped"

# ---------------------------------------------------------------- archive
goroot=$(go env GOROOT)
log "making the archive ($goroot + $BIG bytes of Go source)"
find "$goroot/src" -name '*.go' -type f -print0 | xargs -0 cat >"$work/one.txt"
: >"$work/src/big.bin"
while [ "$(stat -c %s "$work/src/big.bin")" -lt "$BIG" ]; do cat "$work/one.txt" >>"$work/src/big.bin"; done
truncate -s "$BIG" "$work/src/big.bin"
rm "$work/one.txt"
A=$work/bench.tar.gz
tar -cf - -C "$(dirname "$goroot")" "$(basename "$goroot")" -C "$work/src" big.bin | pigz -6 >"$A"
rm -rf "$work/src"
"$tarx" index "$A" >/dev/null
top=$(basename "$goroot")
small=$top/src/net/http/server.go
tar -xzf "$A" -C "$work/ref"

qa=$(printf %q "$A")
tm="$tarx mount $qa $mnt"
tu="$tarx umount $mnt"
amount="archivemount -o ro,readonly $qa $am"
aumount="umount $am"
res=$work/res
# median SECONDS of a hyperfine JSON
median() { sed -n 's/.*"median":[ ]*\([0-9.e+-]*\).*/\1/p' "$1" | head -1; }
h() { # h NAME [hyperfine args...]
	local name=$1
	shift
	hyperfine --style none --runs "${HRUNS:-$RUNS}" --warmup 1 --export-json "$res/$name.json" "$@" >"$res/$name.log" 2>&1 || {
		log "$name failed: $(tail -3 "$res/$name.log")"
		echo 0 >"$res/$name.med"
		return 0
	}
	median "$res/$name.json" >"$res/$name.med"
	log "$name: median $(cat "$res/$name.med") s"
}
med() { cat "$res/$1.med" 2>/dev/null || echo 0; }
AM_LIMIT=${BENCH_MOUNT_AM_LIMIT:-120}
# once NAME CMD: one timed run of CMD, stopped after AM_LIMIT seconds
# (archivemount reads a big member from the archive's start again and again).
once() {
	local t0 t1 rc=0
	t0=$(date +%s.%N)
	timeout "$AM_LIMIT" bash -c "$2" >/dev/null 2>&1 || rc=$?
	t1=$(date +%s.%N)
	if [ "$rc" = 124 ]; then
		echo "-$AM_LIMIT" >"$res/$1.med"
	else
		awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.6f\n", b - a}' >"$res/$1.med"
	fi
	log "$1: $(cat "$res/$1.med") s (one run, rc $rc)"
}
# A negative time -N means "stopped after N seconds".
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a > 0 && b > 0) printf "%.2f", a / b; else if (a > 0 && b < 0) printf "< %.3f", a / -b; else printf "–" }'; }
ms() { awk -v s="$1" 'BEGIN{ if (s < 0) printf "> %d s", -s; else if (s > 0) printf "%.1f ms", s * 1000; else printf "–" }'; }
mbs() { awk -v s="$1" -v n="$BIG" 'BEGIN{ if (s > 0) printf "%.0f MB/s", n / s / 1e6; else if (s < 0) printf "< %.1f MB/s", n / -s / 1e6; else printf "–" }'; }

log "1. mount time"
h tarx-mount "$tm && $tu"
[ -n "$have_am" ] && h am-mount "$amount && $aumount"

log "2. one small member ($small)"
h tarx-cat-small "$tarx cat $qa $small >/dev/null"
h tarx-mount-small "$tm && cat $mnt/$small >/dev/null && $tu"
[ -n "$have_am" ] && h am-small "$amount && cat $am/$small >/dev/null && $aumount"
h tarx-first-small --prepare "$tu 2>/dev/null; $tm" "cat $mnt/$small >/dev/null"
$tu 2>/dev/null || true
if [ -n "$have_am" ]; then
	h am-first-small --prepare "$aumount 2>/dev/null; $amount" "cat $am/$small >/dev/null"
	$aumount 2>/dev/null || true
fi

log "3. sequential read of big.bin ($BIG bytes)"
h tarx-cat-big "$tarx cat $qa big.bin >/dev/null"
h tarx-mount-big --prepare "$tu 2>/dev/null; $tm" "cat $mnt/big.bin >/dev/null"
$tu 2>/dev/null || true
if [ -n "$have_am" ]; then
	$amount
	once am-big "cat $am/big.bin"
	$aumount 2>/dev/null || umount -l "$am"
fi

peak() { sed -n 's/^VmHWM:[ \t]*\([0-9]*\) kB/\1/p' "/proc/$1/status" 2>/dev/null; } # peak RSS of PID, KiB
log "4. 64 threads, random 64 KiB reads, ${SECONDS_RR}s"
go build -o "$work/randread" ./scripts/randread
$tm
"$work/randread" -duration "${SECONDS_RR}s" "$mnt" >"$res/rr-tarx.json"
tarx_rss=$(peak "$(pgrep -f -n -- "--serve-daemon")")
$tu
log "tarx: $(cat "$res/rr-tarx.json"), server RSS ${tarx_rss} KiB"
if [ -n "$have_am" ]; then
	$amount
	timeout $((SECONDS_RR + AM_LIMIT)) "$work/randread" -duration "${SECONDS_RR}s" "$am" >"$res/rr-am.json" || log "randread failed on archivemount"
	am_rss=$(peak "$(pgrep -n -x archivemount)")
	$aumount
	log "archivemount: $(cat "$res/rr-am.json"), RSS ${am_rss} KiB"
fi

log "5. find | wc -l against tarx ls"
h tarx-ls "$tarx ls $qa | wc -l"
h tarx-find --prepare "$tu 2>/dev/null; $tm" "find $mnt | wc -l"
$tu 2>/dev/null || true
if [ -n "$have_am" ]; then
	$amount
	once am-find "find $am | wc -l"
	$aumount 2>/dev/null || umount -l "$am"
fi

log "6. diff -r against tar -xzf"
$tm
once tarx-diff "diff -r --no-dereference $work/ref $mnt"
$tu
if [ -n "$have_am" ]; then
	$amount
	once am-diff "diff -r --no-dereference $work/ref $am"
	$aumount 2>/dev/null || umount -l "$am"
fi

if [ "$SCALE" -gt 0 ]; then
	log "7. $SCALE-member archive"
	S=$work/scale.tar.gz
	go run ./scripts/genscale -members "$SCALE" | pigz -6 >"$S"
	"$tarx" index "$S" >/dev/null
	qs=$(printf %q "$S")
	"$tarx" ls "$S" >"$work/scale.list"
	sm="$tarx mount $qs $mnt"
	HRUNS=$SCALE_RUNS h scale-ls "$tarx ls $qs | wc -l"
	HRUNS=$SCALE_RUNS h scale-find --prepare "$tu 2>/dev/null; $sm" "find $mnt | wc -l"
	$tu 2>/dev/null || true
	$sm
	"$work/randread" -duration "${SECONDS_RR}s" -list "$work/scale.list" "$mnt" >"$res/rr-scale.json"
	scale_rss=$(peak "$(pgrep -f -n -- "--serve-daemon")")
	$tu
	log "scale: $(cat "$res/rr-scale.json"), server RSS ${scale_rss} KiB"
fi

jf() { sed -n "s/.*\"$2\":\([0-9.e+-]*\).*/\1/p" "$res/$1.json" | head -1; }
{
	echo "# tarx mount benchmarks"
	echo
	echo "Generated by scripts/bench-mount.sh on $(date -u +%Y-%m-%d), $(nproc) cores, load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
	echo "Archive: tar of $top (Go $(go env GOVERSION)) plus big.bin ($BIG bytes of Go source), pigz -6, $(stat -c %s "$A") bytes."
	echo "Medians of $RUNS runs (hyperfine); every mount is fresh. diff -r, archivemount's find and big-file read are one run each, stopped after $AM_LIMIT s (archivemount rereads the archive from its start)."
	echo
	echo "| measure | tarx | archivemount | tarx ÷ reference |"
	echo "|---|---|---|---|"
	echo "| mount + unmount | $(ms "$(med tarx-mount)") | $(ms "$(med am-mount)") | $(ratio "$(med tarx-mount)" "$(med am-mount)") × archivemount |"
	echo "| \`tarx cat\` of $small | $(ms "$(med tarx-cat-small)") | | |"
	echo "| fresh mount + cat of it + unmount | $(ms "$(med tarx-mount-small)") | $(ms "$(med am-small)") | $(ratio "$(med tarx-mount-small)" "$(med tarx-cat-small)") × tarx cat |"
	echo "| first cat of it on a fresh mount (mount time excluded) | $(ms "$(med tarx-first-small)") | $(ms "$(med am-first-small)") | $(ratio "$(med tarx-first-small)" "$(med tarx-cat-small)") × tarx cat |"
	echo "| \`tarx cat big.bin\` | $(mbs "$(med tarx-cat-big)") | | |"
	echo "| cat big.bin from a fresh mount | $(mbs "$(med tarx-mount-big)") | $(mbs "$(med am-big)") | $(ratio "$(med tarx-cat-big)" "$(med tarx-mount-big)") × tarx cat throughput |"
	echo "| 64 threads random 64 KiB: reads/s | $(jf rr-tarx reads_per_s) | $([ -n "$have_am" ] && jf rr-am reads_per_s) | |"
	echo "| … p50 / p99 latency | $(jf rr-tarx p50_ms) / $(jf rr-tarx p99_ms) ms | $([ -n "$have_am" ] && echo "$(jf rr-am p50_ms) / $(jf rr-am p99_ms) ms") | |"
	echo "| … server peak RSS | ${tarx_rss:-?} KiB | ${am_rss:-–} KiB | |"
	echo "| \`tarx ls\` | $(ms "$(med tarx-ls)") | | |"
	echo "| \`find MOUNTPOINT \| wc -l\` on a fresh mount | $(ms "$(med tarx-find)") | $(ms "$(med am-find)") | $(ratio "$(med tarx-find)" "$(med tarx-ls)") × tarx ls |"
	echo "| diff -r against tar -xzf | $(ms "$(med tarx-diff)") | $(ms "$(med am-diff)") | $(ratio "$(med tarx-diff)" "$(med am-diff)") × archivemount |"
	echo
	if [ "$SCALE" -gt 0 ]; then
		echo "Archive of $SCALE members of 0-2 KiB in directories of 1,000 (scripts/genscale, pigz -6, $(stat -c %s "$work/scale.tar.gz") bytes); medians of $SCALE_RUNS runs."
		echo
		echo "| measure | tarx mount | tarx ÷ reference |"
		echo "|---|---|---|"
		echo "| \`tarx ls \| wc -l\` | $(ms "$(med scale-ls)") | |"
		echo "| \`find MOUNTPOINT \| wc -l\` on a fresh mount | $(ms "$(med scale-find)") | $(ratio "$(med scale-find)" "$(med scale-ls)") × tarx ls |"
		echo "| 64 threads reading random members (named by tarx ls), ${SECONDS_RR} s: reads/s | $(jf rr-scale reads_per_s) | |"
		echo "| … p50 / p99 latency | $(jf rr-scale p50_ms) / $(jf rr-scale p99_ms) ms | |"
		echo "| … failed reads | $(jf rr-scale failures) | |"
		echo "| … server peak RSS | ${scale_rss:-?} KiB | |"
		echo
		echo "ratarmount is not compared: it installs from PyPI, which these machines cannot reach (Debian has no package of it)."
		echo
	fi
	echo "Reproduce: \`make bench\` (this part alone: \`./scripts/bench-mount.sh\`; BENCH_MOUNT_RUNS, BENCH_MOUNT_BIG, BENCH_MOUNT_SECONDS, BENCH_MOUNT_SCALE, BENCH_MOUNT_SCALE_RUNS)."
} >"$MD.tmp"
mv "$MD.tmp" "$MD"
log "wrote $MD"
