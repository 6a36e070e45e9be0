#!/usr/bin/env bash
# make bench-scale (also run by make bench): tarx on an archive of many small
# members, side by side with GNU tar, written to docs/BENCH-SCALE.md.
#
# BENCH_SCALE_MEMBERS=1000000 (10000000 for the 10M run) members of 0-2 KiB in
# directories of 1,000, compressed by pigz -6. Work files live in
# a new directory under BENCH_SCALE_DIR (default /dev/shm, a tmpfs), removed at
# the end. Peak RSS comes
# from GNU time (%M); for the 10M archive bbolt maps the index, so the peak
# anonymous memory (RssAnon sampled from /proc/PID/status) is reported too.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
N=${BENCH_SCALE_MEMBERS:-1000000}
RUNS=${BENCH_SCALE_RUNS:-3}
MD=${BENCH_SCALE_MD:-$repo/docs/BENCH-SCALE.md}
work=$(mktemp -d "${BENCH_SCALE_DIR:-/dev/shm}/tarx-scale.XXXXXX")
trap 'rm -rf "$work"' EXIT
tarx=$repo/bin/tarx
[ -x "$tarx" ] || make build >&2
log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
for t in hyperfine pigz /usr/bin/time; do command -v $t >/dev/null || { echo "bench-scale: $t is required" >&2; exit 1; }; done

# peak PROG...: runs it, prints "wall_s max_rss_kib max_rssanon_kib".
peak() {
	local start end pid anon=0 a
	start=$(date +%s.%N)
	/usr/bin/time -f %M -o "$work/time.out" "$@" >/dev/null 2>"$work/stderr.out" &
	pid=$!
	while kill -0 $pid 2>/dev/null; do
		for c in $(pgrep -P $pid 2>/dev/null); do
			a=$(awk '/^RssAnon/ {print $2}' /proc/$c/status 2>/dev/null || echo 0)
			[ "${a:-0}" -gt "$anon" ] && anon=$a
		done
		sleep 0.05
	done
	wait $pid || { cat "$work/stderr.out" >&2; return 1; }
	end=$(date +%s.%N)
	echo "$(echo "$end - $start" | bc) $(tail -1 "$work/time.out") $anon"
}

log "generating $N members"
go run ./scripts/genscale -members "$N" | pigz -6 > "$work/big.tar.gz"
go run ./scripts/genscale -members "$N" -concat 1000 | pigz -6 > "$work/concat.tar.gz"
tarbytes=$(gzip -dc "$work/big.tar.gz" | wc -c)
concatbytes=$(gzip -dc "$work/concat.tar.gz" | wc -c)
log "Go tree archive for the get comparison"
tar -C "$(go env GOROOT)" -cf - src | gzip -6 > "$work/go.tar.gz"

log "index builds"
read -r t_idx rss_idx anon_idx < <(peak "$tarx" index "$work/big.tar.gz" --force)
read -r t_cat rss_cat anon_cat < <(peak "$tarx" index "$work/concat.tar.gz" --force)
"$tarx" index "$work/go.tar.gz" >/dev/null 2>&1
isize=$(stat -c %s "$work/big.tar.gz.tarx")

dir=$(printf 'd%05d/' $((N / 1000 / 2)))
last=$(printf 'd%05d/img%08d.jpg' $(((N - 1) / 1000)) $((N - 1)))
gomember=src/net/http/server.go

log "memory of each command"
mkdir -p "$work/out"
read -r t_x rss_x anon_x < <(peak "$tarx" extract "$work/big.tar.gz" -C "$work/out")
rm -rf "$work/out"
read -r t_ls rss_ls anon_ls < <(peak "$tarx" ls "$work/big.tar.gz")
read -r t_get rss_get anon_get < <(peak "$tarx" get "$work/big.tar.gz" "$last" -O)
read -r t_gd rss_gd anon_gd < <(peak "$tarx" get "$work/big.tar.gz" "$dir" -C "$work/getdir")
rm -rf "$work/getdir"

log "side by side (hyperfine, $RUNS runs)"
# Build throughput from medians of one hyperfine call: a single run each
# (as peak makes) is within the machine's noise of the 10% asked.
hyperfine -N --runs "$RUNS" --warmup 1 --export-json "$work/idx.json" \
	-n "index, $N members" "$tarx index --force $work/big.tar.gz" \
	-n "index, 1,000 members" "$tarx index --force $work/concat.tar.gz" >&2
hyperfine --runs "$RUNS" --export-json "$work/x.json" \
	--prepare "rm -rf $work/out && mkdir $work/out" \
	-n "tar -xzf" "tar -xzf $work/big.tar.gz -C $work/out" \
	-n "tarx extract" "$tarx extract $work/big.tar.gz -C $work/out" >&2
hyperfine -N --runs "$RUNS" --export-json "$work/ls.json" \
	-n "tarx ls (all)" "$tarx ls $work/big.tar.gz" \
	-n "tarx ls DIR/" "$tarx ls $work/big.tar.gz $dir" >&2
hyperfine -N --runs $((RUNS * 5)) --export-json "$work/get.json" \
	-n "get -O, $N members" "$tarx get $work/big.tar.gz $last -O" \
	-n "get -O, Go tree" "$tarx get $work/go.tar.gz $gomember -O" >&2
rm -rf "$work/out"

med() { printf '%.4f' "$(jq -r ".results[] | select(.command == \"$2\") | .median" "$1")"; }
ratio() { echo "scale=3; $1 / $2" | bc; }
x_tar=$(med "$work/x.json" "tar -xzf"); x_tarx=$(med "$work/x.json" "tarx extract")
ls_all=$(med "$work/ls.json" "tarx ls (all)"); ls_dir=$(med "$work/ls.json" "tarx ls DIR/")
g_big=$(med "$work/get.json" "get -O, $N members"); g_go=$(med "$work/get.json" "get -O, Go tree")
mb() { echo "scale=1; $1 / 1048576" | bc; }
t_idx=$(med "$work/idx.json" "index, $N members"); t_cat=$(med "$work/idx.json" "index, 1,000 members")
thr_big=$(echo "scale=1; $tarbytes / 1048576 / $t_idx" | bc)
thr_cat=$(echo "scale=1; $concatbytes / 1048576 / $t_cat" | bc)

cat > "$MD" <<MD
# tarx on an archive of many small members

$(date -u +%F), $(nproc) cores, work files on $(df --output=fstype "$work" | tail -1 | tr -d ' '); \`scripts/bench-scale.sh\`
with BENCH_SCALE_MEMBERS=$N. Archive: $N members of 0-2 KiB in directories of 1,000
(\`scripts/genscale\`), $(mb "$tarbytes") MiB of tar, pigz -6 to $(mb "$(stat -c %s "$work/big.tar.gz")") MiB.
Times are hyperfine medians of $RUNS runs; peak RSS from GNU time, peak RssAnon sampled.

| figure | value |
|---|---|
| index size | $(mb "$isize") MiB, $(echo "$isize / $N" | bc) bytes per member |
| index build | ${t_idx} s, ${thr_big} MB/s of tar; same member bytes as 1,000 members: ${t_cat} s, ${thr_cat} MB/s (ratio $(ratio "$thr_big" "$thr_cat")) |
| extract (index present) | tarx ${x_tarx} s, tar -xzf ${x_tar} s: **$(ratio "$x_tarx" "$x_tar")x** |
| ls DIR/ (1,000 members) vs full ls | ${ls_dir} s vs ${ls_all} s: **$(ratio "$ls_dir" "$ls_all")x** |
| get -O one member, fresh process | ${g_big} s vs ${g_go} s on the Go tree archive: **$(ratio "$g_big" "$g_go")x** |

| command | peak RSS (MiB) | peak RssAnon (MiB) |
|---|---|---|
| tarx index | $(echo "scale=1; $rss_idx/1024" | bc) | $(echo "scale=1; $anon_idx/1024" | bc) |
| tarx extract | $(echo "scale=1; $rss_x/1024" | bc) | $(echo "scale=1; $anon_x/1024" | bc) |
| tarx ls | $(echo "scale=1; $rss_ls/1024" | bc) | $(echo "scale=1; $anon_ls/1024" | bc) |
| tarx get MEMBER -O | $(echo "scale=1; $rss_get/1024" | bc) | $(echo "scale=1; $anon_get/1024" | bc) |
| tarx get DIR -C | $(echo "scale=1; $rss_gd/1024" | bc) | $(echo "scale=1; $anon_gd/1024" | bc) |
MD
log "wrote $MD"
cat "$MD"
