#!/usr/bin/env bash
# make bench (and make bench-shards): sharded extraction, written to docs/BENCH-SHARDS.md.
#
#   1. The plan's balance (largest shard's cost over the mean) for 2 to 64 shards,
#      on a tar of $(go env GOROOT) and on an archive of BENCH_SHARDS_MEMBERS small
#      members (scripts/genscale; default 1,000,000), both pigz -6, indexed with
#      the default span and with --span 1M.
#   2. Wall time on this machine, hyperfine medians of BENCH_SHARDS_RUNS runs, into a
#      fresh directory each time: tar -xzf; tarx extract -j 2; 2 shards at once
#      (-j 1 each, as two machines of one core would) then --finish; the same with
#      -j 2 each. Only a machine with more cores than the shards' jobs shows what N
#      machines gain; this row says what sharding costs over one process.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
RUNS=${BENCH_SHARDS_RUNS:-5}
N=${BENCH_SHARDS_MEMBERS:-1000000}
MD=${BENCH_SHARDS_MD:-$repo/docs/BENCH-SHARDS.md}
log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
command -v hyperfine >/dev/null || die "hyperfine is required: apt-get install hyperfine"
command -v pigz >/dev/null || die "pigz is required: apt-get install pigz"
[ -x bin/tarx ] || make build >&2

work=$(mktemp -d "${BENCH_WORKDIR:-/dev/shm}/tarx-bench-shards.XXXXXX")
trap 'rm -rf "$work"' EXIT
tarx=$work/tarx
cp bin/tarx "$tarx"

log "archives"
tar -cf - -C "$(dirname "$(go env GOROOT)")" "$(basename "$(go env GOROOT)")" | pigz -6 > "$work/go.tar.gz"
go run ./scripts/genscale -members "$N" | pigz -6 > "$work/many.tar.gz"
for a in go many; do
	cp "$work/$a.tar.gz" "$work/$a-1m.tar.gz"
	"$tarx" index --no-progress "$work/$a.tar.gz" >/dev/null
	"$tarx" index --no-progress --span 1M "$work/$a-1m.tar.gz" >/dev/null
done

balance() { printf '%.3f' "$("$tarx" plan "$1" --shards "$2" --json | sed -n 's/.*"balance":\([0-9.]*\).*/\1/p')"; }
cps() { "$tarx" info --json "$1" | sed -n 's/.*"checkpoints":\([0-9]*\).*/\1/p'; }
mib() { awk -v b="$1" 'BEGIN { printf "%.0f", b / 1048576 }'; }

{
	echo "# Sharded extraction"
	echo
	echo "Made by \`scripts/bench-shards.sh\` (\`make bench-shards\`) on $(date -u +%F), $(nproc) cores, tarx $("$tarx" --version | sed 's/^tarx version //')."
	echo
	echo "## The plan's balance"
	echo
	echo "Largest shard's cost over the mean (1.000 is perfect). Shards are runs of whole checkpoint"
	echo "spans, so the balance is as fine as the spans are many: a smaller \`--span\` balances more shards."
	echo
	echo "| archive | span | checkpoints | 2 | 4 | 8 | 16 | 64 |"
	echo "|---|---|---:|---:|---:|---:|---:|---:|"
	for a in go many; do
		what="Go tree ($(mib "$(stat -c %s "$work/$a.tar.gz")") MiB)"
		[ "$a" = many ] && what="$N members ($(mib "$(stat -c %s "$work/$a.tar.gz")") MiB)"
		for v in "$a:4M (default)" "$a-1m:1M"; do
			f=${v%%:*}
			row="| $what | ${v#*:} | $(cps "$work/$f.tar.gz") |"
			for n in 2 4 8 16 64; do row="$row $(balance "$work/$f.tar.gz" "$n") |"; done
			echo "$row"
		done
	done
	echo
	echo "Planning (each shard plans too) on the $N-member archive: $( { /usr/bin/time -f '%e s, %M KiB peak RSS' "$tarx" plan "$work/many.tar.gz" --shards 8 >/dev/null; } 2>&1 )."
	echo
} > "$work/md"

for a in go many; do
	A=$work/$a.tar.gz
	out=$work/out
	log "wall time: $a"
	hyperfine -N --runs "$RUNS" --export-json "$work/$a.json" \
		--prepare "rm -rf $out" \
		-n "tar -xzf" "sh -c 'mkdir -p $out && tar -xzf $A -C $out'" \
		-n "tarx extract -j 2" "$tarx extract --no-progress $A -C $out -j 2" \
		-n "2 shards -j 1 at once + finish" "sh -c '$tarx extract --no-progress $A -C $out --shard 0/2 -j 1 & $tarx extract --no-progress $A -C $out --shard 1/2 -j 1 & wait; $tarx extract --no-progress $A -C $out --finish'" \
		-n "2 shards -j 2 at once + finish" "sh -c '$tarx extract --no-progress $A -C $out --shard 0/2 -j 2 & $tarx extract --no-progress $A -C $out --shard 1/2 -j 2 & wait; $tarx extract --no-progress $A -C $out --finish'" \
		>&2
done

{
	echo "## Wall time on one machine"
	echo
	echo "hyperfine medians of $RUNS runs into a fresh directory in /dev/shm; ratios against \`tarx extract -j 2\`."
	echo
	echo "| archive | command | median s | ratio |"
	echo "|---|---|---:|---:|"
	for a in go many; do
		python3 - "$work/$a.json" "$a" <<'EOF'
import json, sys
runs = json.load(open(sys.argv[1]))["results"]
base = next(r["median"] for r in runs if r["command"] == "tarx extract -j 2")
for r in runs:
    print(f"| {sys.argv[2]} | {r['command']} | {r['median']:.3f} | {r['median'] / base:.2f} |")
EOF
	done
} >> "$work/md"
cp "$work/md" "$MD"
log "wrote $MD"
