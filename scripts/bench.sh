#!/usr/bin/env bash
# make bench: time tarx side by side with gzip, GNU tar, pigz, igzip, gztool and
# bsdtar on real archives, and write docs/BENCHMARKS.md and docs/bench-extract.svg.
#
# Archives are made from $(go env GOROOT) (and BENCH_TREE, if set) by several gzip
# producers. Every command is timed with hyperfine (medians of BENCH_RUNS runs after
# BENCH_WARMUP warm-up runs), then run once more under GNU time for its peak RSS.
# Work files and extraction targets live on a tmpfs, so the figures measure the
# tools, not the disk.
#
# Environment:
#   BENCH_TREE=DIR        also benchmark archives of DIR
#   BENCH_RUNS=5          timed runs per command on the first producer
#   BENCH_RUNS_OTHERS=3   timed runs per command on the other producers
#   BENCH_WARMUP=1        warm-up runs per command
#   BENCH_GETS=20         members fetched in the random-access loop
#   BENCH_STYLES="gzip6 pigz pigz-i bgzip"
#                         producers; the first gets the full set (random access,
#                         -j scaling), the others index and extract only
#   BENCH_TMPFS_SIZE=6g   size of the tmpfs mounted for the work files (root only)
#   BENCH_WORKDIR=DIR     put work files in DIR instead (no tmpfs is mounted)
#   BENCH_MD, BENCH_SVG   output paths (default docs/BENCHMARKS.md, docs/bench-extract.svg)
#   BENCH_KEEP=DIR        copy the raw hyperfine JSON and logs to DIR
#   BENCH_NICE=N          run the timed commands under nice -n N (e.g. -10 as root, on a
#                         machine shared with other work); default: not reniced
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
tarx=$repo/bin/tarx
RUNS=${BENCH_RUNS:-5}
RUNS_OTHERS=${BENCH_RUNS_OTHERS:-3}
NICE=${BENCH_NICE:-}
WARMUP=${BENCH_WARMUP:-1}
NGETS=${BENCH_GETS:-20}
STYLES=${BENCH_STYLES:-gzip6 pigz pigz-i bgzip}
TMPFS_SIZE=${BENCH_TMPFS_SIZE:-6g}
MD=${BENCH_MD:-$repo/docs/BENCHMARKS.md}
SVG=${BENCH_SVG:-$repo/docs/bench-extract.svg}
NPROC=$(nproc)
t_start=$(date +%s)

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
notes=()
note() { notes+=("$*"); log "note: $*"; }
have() { command -v "$1" >/dev/null 2>&1; }
q() { printf '%q' "$1"; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------- tools
have hyperfine || die "hyperfine is required: apt-get install hyperfine"
have tar && tar --version 2>/dev/null | grep -q 'GNU tar' || die "GNU tar is required: apt-get install tar"
have go || die "go is required (it builds tarx and the chart)"
if [ ! -x "$tarx" ]; then
	log "bin/tarx missing: make build"
	make build >&2
fi

declare -A debpkg=([gzip]=gzip [pigz]=pigz [igzip]=isal [gztool]=gztool [bsdtar]=libarchive-tools [bgzip]=tabix)
declare -A ok=()
for t in gzip pigz igzip gztool bsdtar bgzip; do
	if have "$t"; then
		ok[$t]=1
	else
		note "$t is not installed, so its rows are skipped (apt-get install ${debpkg[$t]})"
	fi
done

# GNU time for the peak RSS; Debian's package is "time".
gnutime=
find_gnutime() {
	local c
	for c in /usr/bin/time "$(command -v gtime 2>/dev/null || true)"; do
		if [ -n "$c" ] && [ -x "$c" ] && "$c" --version 2>&1 | grep -q GNU; then
			gnutime=$c
			return 0
		fi
	done
	return 1
}
if ! find_gnutime; then
	if [ "$(id -u)" = 0 ] && have apt-get; then
		log "installing GNU time (Debian package time) for peak-memory figures"
		{ apt-get install -y -qq time >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq time >/dev/null 2>&1; }; } || true
	fi
	find_gnutime || note "GNU time not found, so peak memory is not measured (apt-get install time)"
fi

# ---------------------------------------------------------------- work space
work=
mounted=0
storage=
cleanup() {
	local rc=$?
	cd /
	if [ "$mounted" = 1 ]; then
		umount "$work" 2>/dev/null || umount -l "$work" 2>/dev/null || true
		rmdir "$work" 2>/dev/null || true
	elif [ -n "$work" ] && [ -z "${BENCH_WORKDIR:-}" ]; then
		rm -rf "$work"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fstype() { stat -f -c %T "$1" 2>/dev/null || echo unknown; }
if [ -n "${BENCH_WORKDIR:-}" ]; then
	mkdir -p "$BENCH_WORKDIR"
	work=$(mktemp -d "$BENCH_WORKDIR/tarx-bench.XXXXXX")
	storage="BENCH_WORKDIR $work ($(fstype "$work"))"
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/tarx-bench.XXXXXX")
	if [ "$(fstype "$work")" = tmpfs ]; then
		storage="$work (already a tmpfs)"
	elif [ "$(id -u)" = 0 ] && mount -t tmpfs -o "size=$TMPFS_SIZE" tmpfs "$work" 2>/dev/null; then
		mounted=1
		storage="a tmpfs of $TMPFS_SIZE mounted for the run"
	elif [ -d /dev/shm ] && [ -w /dev/shm ] && [ "$(fstype /dev/shm)" = tmpfs ]; then
		rmdir "$work"
		work=$(mktemp -d /dev/shm/tarx-bench.XXXXXX)
		storage="/dev/shm (tmpfs; could not mount one)"
		note "could not mount a tmpfs (not root?), so work files are in /dev/shm"
	else
		storage="$work on $(fstype "$work"), not a tmpfs: figures include disk I/O"
		note "no tmpfs available: work files are in $work on disk, so timings include disk I/O"
	fi
fi
log "work files: $work — $storage"
# A snapshot of bin/tarx, so a rebuild during the run cannot mix two versions.
mkdir -p "$work/bin"
cp "$repo/bin/tarx" "$work/bin/tarx"
tarx=$work/bin/tarx
tarx_version=$("$tarx" --version 2>&1 | head -1)
tarx_sum=$(sha256sum "$tarx" | cut -c1-12)
log "tarx: $tarx_version (sha256 $tarx_sum…)"
res=$work/results
out=$work/out
mkdir -p "$res"

# ---------------------------------------------------------------- JSON helpers
chart=$work/benchchart
go build -o "$chart" ./scripts/benchchart
PY_STATS='
import json, statistics, sys
for f in sys.argv[1:]:
    for r in json.load(open(f))["results"]:
        t = r.get("times") or []
        med = r.get("median")
        if med is None:
            med = statistics.median(t) if t else float("nan")
        name = r["command"].replace("\t", " ").replace("\n", " ").replace("\r", " ")
        vals = [med, r["min"], r["max"], r["mean"], r.get("stddev") or 0.0, r.get("user") or 0.0, r.get("system") or 0.0]
        print("\t".join([name] + ["%.6f" % v for v in vals] + [str(len(t))]))
'
PY_PICK='
import json, sys
n = int(sys.argv[1])
files = []
for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    m = json.loads(line)
    name = m.get("name", "")
    if m.get("type") in ("file", "reg") and m.get("size", 0) > 0 and not any(c in name for c in "\t\n\r"):
        files.append(m)
n = min(n, len(files))
for i in range(1, n + 1):
    m = files[i * len(files) // n - 1]
    print("%s\t%d\t%d\t%d" % (m["name"], m["size"], m.get("data_offset", 0), m.get("offset", 0)))
'
if have python3 && python3 -c 'import json, statistics' 2>/dev/null; then
	parser=python3
	hstats() { python3 -c "$PY_STATS" "$@"; }
	pick() { python3 -c "$PY_PICK" "$@"; }
else
	parser="scripts/benchchart (no python3)"
	hstats() { "$chart" stats "$@"; }
	pick() { "$chart" pick "$@"; }
fi
# jfield NAME < flat JSON object: the value of a number or string field.
jfield() { sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p" | head -1; }

# ---------------------------------------------------------------- measuring
nice=
if [ -n "$NICE" ]; then
	if nice -n "$NICE" true 2>/dev/null; then
		nice="nice -n $NICE"
	else
		note "BENCH_NICE=$NICE: nice refused it, so commands run at normal priority"
	fi
fi
runs=$RUNS
declare -A rows=() med=() mn=() mx=() cpu=() rss=() jsons=() failed=()
tables=()
declare -A table_title=() table_kind=()
# table KEY KIND TITLE: start a table of results.
table() {
	tables+=("$1")
	table_kind[$1]=$2
	table_title[$1]=$3
	rows[$1]=
}
# bench KEY LABEL PREPARE COMMAND: time COMMAND (a bash command line) with hyperfine,
# running PREPARE before each run; then once more under GNU time for its peak RSS.
bench() {
	local key=$1 label=$2 prep=$3 cmd=$4
	local n json line
	n=$(printf '%s' "${rows[$key]:-}" | grep -c . || true)
	json=$res/$key.$(printf %02d $((n + 1))).json
	rows[$key]+="$label"$'\n'
	local args=(--shell=bash --style basic --runs "$runs" --export-json "$json" -n "$label")
	[ "$WARMUP" -gt 0 ] && args+=(--warmup "$WARMUP")
	[ -n "$prep" ] && args+=(--prepare "$prep")
	if ! $nice hyperfine "${args[@]}" "$cmd" >"$json.log" 2>&1; then
		failed[$key|$label]=1
		note "'$label' failed on ${key#*.}: $(grep -m1 -iE 'error|fail|non-zero' "$json.log" | cut -c1-200)"
		return 0
	fi
	local _c m lo hi _mean _sd us sy _n
	line=$(hstats "$json" | head -1)
	IFS=$'\t' read -r _c m lo hi _mean _sd us sy _n <<<"$line"
	med[$key|$label]=$m
	mn[$key|$label]=$lo
	mx[$key|$label]=$hi
	cpu[$key|$label]=$(awk -v u="$us" -v s="$sy" 'BEGIN{printf "%.6f", u + s}')
	jsons[$key]+="$json "
	if [ -n "$gnutime" ]; then
		if [ -n "$prep" ]; then bash -c "$prep" >/dev/null 2>&1 || true; fi
		if $nice "$gnutime" -f %M -o "$res/rss.txt" bash -c "$cmd" >/dev/null 2>"$res/rss.err"; then
			rss[$key|$label]=$(tail -1 "$res/rss.txt")
		fi
	fi
	log "$(printf '  %-40s median %8.3f s  min %8.3f  max %8.3f  rss %s KiB' "$label" "$m" "$lo" "$hi" "${rss[$key|$label]:-?}")"
}

# ---------------------------------------------------------------- archives
declare -A style_desc=([gzip6]="tar -cf - | gzip -6" [pigz]="tar -cf - | pigz" [pigz-i]="tar -cf - | pigz -i" [bgzip]="tar -cf - | bgzip")
declare -A style_tool=([gzip6]=gzip [pigz]=pigz [pigz-i]=pigz [bgzip]=bgzip)
compress() { # compress STYLE < tar > tar.gz
	case $1 in
	gzip6) gzip -6 ;;
	pigz) pigz -p "$NPROC" ;;
	pigz-i) pigz -p "$NPROC" -i ;;
	bgzip) bgzip -@ "$NPROC" -c ;;
	*) return 1 ;;
	esac
}
trees=()
declare -A tree_dir=()
goroot=$(go env GOROOT)
trees+=(go)
tree_dir[go]=$goroot
if [ -n "${BENCH_TREE:-}" ]; then
	[ -d "$BENCH_TREE" ] || die "BENCH_TREE=$BENCH_TREE is not a directory"
	t=$(basename "$(cd "$BENCH_TREE" && pwd)" | tr -c 'A-Za-z0-9_.\n-' '_')
	[ "$t" = go ] && t=tree
	trees+=("$t")
	tree_dir[$t]=$(cd "$BENCH_TREE" && pwd)
fi

archives=()
declare -A a_path=() a_tree=() a_style=() a_full=() a_tar=() a_files=() a_make=()
for t in "${trees[@]}"; do
	d=${tree_dir[$t]}
	log "tar of $d"
	rc=0
	tar -C "$(dirname "$d")" --sort=name -cf "$work/$t.tar" "$(basename "$d")" 2>"$work/$t.tar.err" || rc=$?
	[ $rc -le 1 ] || die "tar -cf of $d failed: $(tail -1 "$work/$t.tar.err")"
	[ $rc -eq 0 ] || note "tar warned while archiving $d: $(tail -1 "$work/$t.tar.err")"
	nfiles=$(find "$d" -type f | wc -l)
	first=1
	for s in $STYLES; do
		[ -n "${style_desc[$s]:-}" ] || die "unknown style $s in BENCH_STYLES (gzip6 pigz pigz-i bgzip)"
		if [ -z "${ok[${style_tool[$s]}]:-}" ]; then
			note "style $s skipped: ${style_tool[$s]} is not installed (apt-get install ${debpkg[${style_tool[$s]}]})"
			continue
		fi
		a=$work/$t.$s.tar.gz
		t0=$(date +%s.%N)
		compress "$s" <"$work/$t.tar" >"$a"
		a_make[$t.$s]=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
		archives+=("$t.$s")
		a_path[$t.$s]=$a
		a_tree[$t.$s]=$t
		a_style[$t.$s]=$s
		a_full[$t.$s]=$first
		a_tar[$t.$s]=$(stat -c %s "$work/$t.tar")
		a_files[$t.$s]=$nfiles
		first=0
		log "  $(basename "$a"): $(stat -c %s "$a") bytes (${style_desc[$s]}, ${a_make[$t.$s]} s)"
	done
	rm -f "$work/$t.tar"
done
[ ${#archives[@]} -gt 0 ] || die "no archive could be made"

# ---------------------------------------------------------------- the runs
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A a_info=() a_index=() gzi_size=() a_runs=()
reset_out="rm -rf $(q "$out") && mkdir -p $(q "$out")"
for k in "${archives[@]}"; do
	A=${a_path[$k]}
	qa=$(q "$A")
	gzi=$A.gzi
	log "== $k ($(basename "$A"))"
	if [ "${a_full[$k]}" = 1 ]; then runs=$RUNS; else runs=$RUNS_OTHERS; fi
	a_runs[$k]=$runs

	# Index build.
	table "index.$k" index "Index build — $(basename "$A")"
	bench "index.$k" "tarx index --force" "" "$(q "$tarx") index --force $qa >/dev/null"
	a_info[$k]=$("$tarx" info "$A" --json 2>/dev/null || true)
	a_index[$k]=$(jfield index <<<"${a_info[$k]}")
	[ -n "${a_index[$k]}" ] || a_index[$k]=$A.tarx
	if [ -n "${ok[gztool]:-}" ]; then
		bench "index.$k" "gztool -i -f" "rm -f $(q "$gzi")" "gztool -v 0 -i -f -I $(q "$gzi") $qa"
		rm -f "$gzi"
		gztool -v 0 -i -f -I "$gzi" "$A" >/dev/null 2>&1 || note "gztool could not index $(basename "$A")"
		[ -f "$gzi" ] && gzi_size[$k]=$(stat -c %s "$gzi")
	fi
	[ -n "${ok[gzip]:-}" ] && bench "index.$k" "gzip -dc (decompress only)" "" "gzip -dc $qa >/dev/null"
	[ -n "${ok[igzip]:-}" ] && bench "index.$k" "igzip -dc (decompress only)" "" "igzip -dc $qa >/dev/null"
	[ -f "${a_index[$k]}" ] || "$tarx" index "$A" >/dev/null 2>&1 || note "tarx index failed on $(basename "$A")"

	# Random access.
	if [ "${a_full[$k]}" = 1 ]; then
		p=$res/$k.picks.tsv
		if "$tarx" ls "$A" --json >"$res/$k.ls.jsonl" 2>"$res/$k.ls.err" && pick "$NGETS" <"$res/$k.ls.jsonl" >"$p" && [ -s "$p" ]; then
			ng=$(wc -l <"$p")
			IFS=$'\t' read -r lname lsize ldoff _ < <(tail -1 "$p")
			# Same bytes from every tool, or the timings mean nothing.
			bad=0
			while IFS=$'\t' read -r n s d _; do
				want=$("$tarx" get "$A" "$n" -O 2>/dev/null </dev/null | md5sum) || want=x
				if [ -f "$gzi" ]; then
					got=$(gztool -v 0 -I "$gzi" -b "$d" -r "$s" "$A" 2>/dev/null </dev/null | md5sum)
					[ "$got" = "$want" ] || bad=$((bad + 1))
				fi
			done <"$p"
			[ $bad = 0 ] || note "$bad of $ng members differ between tarx get -O and gztool -b on $(basename "$A")"
			[ "$(tar -xzOf "$A" "$lname" | md5sum)" = "$("$tarx" get "$A" "$lname" -O | md5sum)" ] ||
				note "last member $lname differs between tarx get -O and tar -xzOf on $(basename "$A")"

			qp=$(q "$p")
			table "random.$k" random "Random access: $ng members, each in its own process — $(basename "$A")"
			bench "random.$k" "tarx get NAME -O, ×$ng" "" \
				"while IFS=\$'\\t' read -r n s d o; do $(q "$tarx") get $qa \"\$n\" -O </dev/null >/dev/null || exit 1; done <$qp"
			[ -f "$gzi" ] && bench "random.$k" "gztool -b OFFSET -r SIZE, ×$ng" "" \
				"while IFS=\$'\\t' read -r n s d o; do gztool -v 0 -I $(q "$gzi") -b \"\$d\" -r \"\$s\" $qa </dev/null >/dev/null || exit 1; done <$qp"
			table "last.$k" last "Random access: the last member ($lname, $lsize bytes) — $(basename "$A")"
			bench "last.$k" "tarx get NAME -O" "" "$(q "$tarx") get $qa $(q "$lname") -O >/dev/null"
			[ -f "$gzi" ] && bench "last.$k" "gztool -b OFFSET -r SIZE" "" "gztool -v 0 -I $(q "$gzi") -b $ldoff -r $lsize $qa >/dev/null"
			bench "last.$k" "tar -xzOf" "" "tar -xzOf $qa $(q "$lname") >/dev/null"
		else
			note "random access skipped on $(basename "$A"): tarx ls --json gave no member to pick ($(head -c 200 "$res/$k.ls.err"))"
		fi
	fi

	# Extraction. First check that tarx and GNU tar write the same tree.
	rm -rf "$out" "$work/check"
	mkdir -p "$out" "$work/check"
	if "$tarx" extract "$A" -C "$out" >/dev/null 2>"$res/$k.x.err"; then
		tar -xzf "$A" -C "$work/check"
		diff -r --no-dereference "$work/check" "$out" >"$res/$k.diff" 2>&1 ||
			note "tarx extract and tar -xzf wrote different trees from $(basename "$A") ($(wc -l <"$res/$k.diff") lines of diff -r)"
	else
		note "tarx extract failed on $(basename "$A"): $(head -c 200 "$res/$k.x.err")"
	fi
	rm -rf "$work/check"
	table "extract.$k" extract "Extract — $(basename "$A") into an empty directory on tmpfs"
	bench "extract.$k" "tarx extract (index present)" "$reset_out" "$(q "$tarx") extract $qa -C $(q "$out")"
	bench "extract.$k" "tarx extract (no index)" "rm -f $(q "${a_index[$k]}") && $reset_out" "$(q "$tarx") extract $qa -C $(q "$out")"
	[ -f "${a_index[$k]}" ] || "$tarx" index "$A" >/dev/null 2>&1 || note "tarx index failed on $(basename "$A")"
	bench "extract.$k" "tar -xzf" "$reset_out" "tar -xzf $qa -C $(q "$out")"
	[ -n "${ok[pigz]:-}" ] && bench "extract.$k" "pigz -dc | tar -x" "$reset_out" "pigz -dc $qa | tar -x -C $(q "$out")"
	[ -n "${ok[igzip]:-}" ] && bench "extract.$k" "igzip -dc | tar -x" "$reset_out" "igzip -dc $qa | tar -x -C $(q "$out")"
	[ -n "${ok[bsdtar]:-}" ] && bench "extract.$k" "bsdtar -xf" "$reset_out" "bsdtar -xf $qa -C $(q "$out")"

	# Scaling with -j.
	if [ "${a_full[$k]}" = 1 ]; then
		table "jobs.$k" jobs "tarx extract -j N (index present) — $(basename "$A")"
		for ((j = 1; j <= NPROC; j++)); do
			bench "jobs.$k" "tarx extract -j $j" "$reset_out" "$(q "$tarx") extract -j $j $qa -C $(q "$out")"
		done
	fi
	rm -rf "$out"
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
elapsed=$(($(date +%s) - t_start))

# ---------------------------------------------------------------- the report
fmt_s() { awk -v v="$1" 'BEGIN{ if (v == "") print "–"; else if (v >= 10) printf "%.2f s", v; else if (v >= 1) printf "%.3f s", v; else printf "%.1f ms", v*1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a == "" || b == "" || b == 0) print "–"; else printf "%.2f", a/b }'; }
speedup() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a == "" || b == "" || a == 0) print "–"; else if (b/a >= 1) printf "%.1f× faster", b/a; else printf "%.1f× slower", a/b }'; }
mib() { awk -v b="$1" 'BEGIN{ if (b == "") print "–"; else if (b >= 1048576) printf "%.1f MiB", b/1048576; else printf "%.0f KiB", b/1024 }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a == "" || b == "" || b == 0) print "–"; else printf "%.2f %%", 100*a/b }'; }
cell() { local v=${1//|/\\|}; printf '%s' "$v"; } # a Markdown table cell: escape |
labels_of() { printf '%s' "${rows[$1]:-}"; }

# Headline ratios on the first archive with the full set.
headline() {
	local k=$1 A=${a_path[$1]} t
	hl() { # hl TEXT TABLE TARX_LABEL PEER_LABEL
		local a=${med[$2|$3]:-} b=${med[$2|$4]:-}
		[ -n "$a" ] && [ -n "$b" ] || return 0
		echo "- $1: tarx $(fmt_s "$a") vs $(fmt_s "$b") — ratio **$(ratio "$a" "$b")** ($(speedup "$a" "$b"))"
	}
	hl "Index build, \`tarx index\` vs \`gztool -i\`" "index.$k" "tarx index --force" "gztool -i -f"
	hl "Index build, \`tarx index\` vs plain \`gzip -dc\`" "index.$k" "tarx index --force" "gzip -dc (decompress only)"
	t=$(labels_of "random.$k" 2>/dev/null | grep '^tarx' | head -1 || true)
	[ -n "$t" ] && hl "$NGETS random members, one process each, vs \`gztool -b\`" "random.$k" "$t" "$(labels_of "random.$k" | grep '^gztool' | head -1)"
	hl "Last member, \`tarx get -O\` vs \`tar -xzOf\`" "last.$k" "tarx get NAME -O" "tar -xzOf"
	hl "Extract with index vs \`igzip -dc | tar -x\`" "extract.$k" "tarx extract (index present)" "igzip -dc | tar -x"
	hl "Extract with index vs \`tar -xzf\`" "extract.$k" "tarx extract (index present)" "tar -xzf"
	hl "Extract without index (cold, leaves the index) vs \`igzip -dc | tar -x\`" "extract.$k" "tarx extract (no index)" "igzip -dc | tar -x"
	hl "Extract without index vs \`tar -xzf\`" "extract.$k" "tarx extract (no index)" "tar -xzf"
	local j1=${med[jobs.$k|tarx extract -j 1]:-} jn=${med[jobs.$k|tarx extract -j $NPROC]:-}
	if [ -n "$j1" ] && [ -n "$jn" ] && [ "$NPROC" -gt 1 ]; then
		echo "- \`tarx extract -j $NPROC\` vs \`-j 1\`: $(fmt_s "$jn") vs $(fmt_s "$j1") — speed-up **$(awk -v a="$j1" -v b="$jn" 'BEGIN{printf "%.2f", a/b}')×** on $NPROC cores"
	fi
}

# timing_table KEY: median, min, max, CPU, and tarx/row ratios.
timing_table() {
	local key=$1 kind=${table_kind[$1]} l t
	local -a tl=() labels=()
	mapfile -t labels < <(labels_of "$key")
	for l in "${labels[@]}"; do
		[[ $l == tarx* ]] && [ -n "${med[$key|$l]:-}" ] && tl+=("$l")
	done
	local k=${key#*.}
	echo "### ${table_title[$key]} (${a_runs[$k]:-$RUNS} runs)"
	echo
	local head="| command | median | min | max | CPU (user+sys) |" sep="|---|---:|---:|---:|---:|"
	if [ "$kind" = jobs ]; then
		head+=" speed-up vs -j 1 |"
		sep+="---:|"
	else
		for t in "${tl[@]}"; do
			head+=" ${t} ÷ this |"
			sep+="---:|"
		done
	fi
	echo "$head"
	echo "$sep"
	for l in "${labels[@]}"; do
		local id="$key|$l" line
		if [ -n "${failed[$id]:-}" ]; then
			echo "| \`$(cell "$l")\` | failed | | | |"
			continue
		fi
		line="| \`$(cell "$l")\` | **$(fmt_s "${med[$id]}")** | $(fmt_s "${mn[$id]}") | $(fmt_s "${mx[$id]}") | $(fmt_s "${cpu[$id]}") |"
		if [ "$kind" = jobs ]; then
			line+=" $(ratio "${med[$key|tarx extract -j 1]:-}" "${med[$id]}")× |"
		else
			for t in "${tl[@]}"; do
				if [ "$t" = "$l" ]; then line+=" – |"; else line+=" $(ratio "${med[$key|$t]}" "${med[$id]}") |"; fi
			done
		fi
		echo "$line"
	done
	echo
}

cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || true)
[ -n "$cpu_model" ] || cpu_model=$(uname -m)
mem_total=$(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo)
ver() { "$@" 2>&1 | grep -v '^\s*$' | head -1 | sed 's/[[:space:]]*$//' || true; }
first_full=
for k in "${archives[@]}"; do [ "${a_full[$k]}" = 1 ] && { first_full=$k; break; }; done

mkdir -p "$(dirname "$MD")" "$(dirname "$SVG")"
{
	echo "# Benchmarks"
	echo
	echo "Made by \`make bench\` ([scripts/bench.sh](../scripts/bench.sh)) on $(date -u '+%Y-%m-%d %H:%M UTC'), in $((elapsed / 60)) min $((elapsed % 60)) s."
	echo "Every figure below comes from that one run; run it again to refresh this page."
	echo
	echo "![Extraction time of the Go tree archives, by tool and by tarx -j](bench-extract.svg)"
	echo
	if [ -n "$first_full" ]; then
		echo "## Headline ($(basename "${a_path[$first_full]}"), ${style_desc[${a_style[$first_full]}]})"
		echo
		echo "Ratio = tarx median ÷ the other tool's median; below 1 means tarx is faster."
		echo
		headline "$first_full"
		echo
	fi
	echo "## Machine"
	echo
	echo "| | |"
	echo "|---|---|"
	echo "| CPU | $cpu_model |"
	echo "| cores (nproc) | $NPROC |"
	echo "| memory | $mem_total |"
	echo "| kernel | $(uname -sr) |"
	echo "| work files | $storage |"
	echo "| load average (1, 5, 15 min) | $load_start at the start, $load_end at the end |"
	echo
	echo "## Tools"
	echo
	echo "| tool | version |"
	echo "|---|---|"
	echo "| tarx | $tarx_version (bin/tarx, sha256 $tarx_sum…) |"
	for t in gzip pigz igzip gztool bsdtar bgzip; do
		if [ -z "${ok[$t]:-}" ]; then
			echo "| $t | not installed (Debian package ${debpkg[$t]}) |"
			continue
		fi
		case $t in
		gztool) v=$(gztool -h 2>&1 | grep -m1 -o 'gztool (v[^)]*)' || echo '?') ;;
		*) v=$(ver "$t" --version) ;;
		esac
		echo "| $t | $v |"
	done
	echo "| GNU tar | $(ver tar --version) |"
	echo "| hyperfine | $(ver hyperfine --version) |"
	echo "| GNU time | $([ -n "$gnutime" ] && ver "$gnutime" --version || echo 'not installed (Debian package time)') |"
	echo "| go | $(ver go version) |"
	echo "| JSON parsing | $parser |"
	echo
	echo "## Archives"
	echo
	echo "Made from the trees below with GNU tar (\`--sort=name\`), compressed by each producer from a pipe."
	echo
	echo "| archive | tree | producer | files | members | tar size | compressed | ratio | gzip members | tarx checkpoints |"
	echo "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"
	for k in "${archives[@]}"; do
		i=${a_info[$k]:-}
		csize=$(stat -c %s "${a_path[$k]}")
		echo "| $(basename "${a_path[$k]}") | \`${tree_dir[${a_tree[$k]}]}\` | \`$(cell "${style_desc[${a_style[$k]}]}")\` | ${a_files[$k]} | $(jfield members <<<"$i") | $(mib "${a_tar[$k]}") | $(mib "$csize") | $(pct "$csize" "${a_tar[$k]}") | $(jfield gzip_members <<<"$i") | $(jfield checkpoints <<<"$i") |"
	done
	echo
	echo "## Method"
	echo
	echo "- Each command is timed by hyperfine: $WARMUP warm-up run(s), then $RUNS timed runs on the first producer and $RUNS_OTHERS on the others; the tables give median, min and max of the wall time and the mean CPU time (user + system, children included). Every command runs under \`bash -c\`; hyperfine subtracts the shell's start-up time."
	echo "- Archives, indexes and extraction targets are all on a tmpfs ($storage), so the figures measure the tools, not the disk. Each extraction starts from an empty directory (\`--prepare 'rm -rf out && mkdir out'\`)."
	echo "- **Index build:** \`tarx index --force A\` against \`gztool -i -f A\` (its index deleted before each run) and a plain decompression (\`gzip -dc\`, \`igzip -dc\` to /dev/null), the floor for any tool that must read the whole stream once. tarx checkpoints every 1 MiB by default (sparse windows: the bytes no later reference reaches are zeroed before compression) and also parses the tar stream; gztool's default span is 10 MiB."
	echo "- **Random access:** $NGETS regular members of size > 0, every k-th one of \`tarx ls --json\` so they spread over the archive, the last one included. The whole loop of $NGETS separate processes is one timed command per tool: \`tarx get A NAME -O >/dev/null\`, and \`gztool -b DATA_OFFSET -r SIZE\` with a prebuilt gztool index (\`data_offset\` from \`tarx ls --json\`). GNU tar has no index, so it only does the last member: \`tar -xzOf A NAME\` (it reads the whole archive). Before timing, the script checks that all three return the same bytes."
	echo "- **Extract:** \`tarx extract A -C out\` with its index present, and without (\`--prepare\` deletes A.tarx; tarx then streams the archive once and leaves the index behind), against GNU tar, pigz/igzip piped into GNU tar, and bsdtar. Before timing, the script checks with \`diff -r\` that tarx writes the same tree as \`tar -xzf\`."
	echo "- **Peak memory:** one extra run of each command under GNU time (\`%M\`, maximum resident set size). For pipelines and loops this is the largest single process, not the sum."
	echo "- The full set runs on the first producer ($(echo "$STYLES" | awk '{print $1}')); the others get index build and extraction only."
	echo
	[ -n "$nice" ] && echo "- Timed commands ran under \`$nice\` (BENCH_NICE)." && echo
	if awk -v l="${load_start%% *}" -v n="$NPROC" 'BEGIN{exit !(l > n/2)}'; then
		echo "> **Note:** the load average was $load_start when the run started, on $NPROC cores: other processes were competing for the CPU, so these figures are noisier and slower than on an idle machine. Compare ratios rather than absolute times."
		echo
	fi
	for kind in index random last extract jobs; do
		case $kind in
		index) echo "## Index build" ;;
		random) echo "## Random access" ;;
		last) echo "## Random access: one member at the end" ;;
		extract) echo "## Extract" ;;
		jobs) echo "## tarx extract -j N" ;;
		esac
		echo
		for key in "${tables[@]}"; do
			[ "${table_kind[$key]}" = "$kind" ] && timing_table "$key"
		done
	done
	echo "## Peak memory (max RSS)"
	echo
	if [ -n "$gnutime" ]; then
		hdr="| measurement | command |"
		sep="|---|---|"
		for k in "${archives[@]}"; do
			hdr+=" $(basename "${a_path[$k]}") |"
			sep+="---:|"
		done
		echo "$hdr"
		echo "$sep"
		declare -A seen=()
		for kind in index random last extract jobs; do
			for key in "${tables[@]}"; do
				[ "${table_kind[$key]}" = "$kind" ] || continue
				while IFS= read -r l; do
					[ -n "$l" ] && [ -z "${seen[$kind|$l]:-}" ] || continue
					seen[$kind|$l]=1
					line="| $kind | \`$(cell "$l")\` |"
					for k in "${archives[@]}"; do
						v=${rss[$kind.$k|$l]:-}
						line+=" $([ -n "$v" ] && mib $((v * 1024)) || echo –) |"
					done
					echo "$line"
				done < <(labels_of "$key")
			done
		done
	else
		echo "Not measured: GNU time is not installed (apt-get install time)."
	fi
	echo
	echo "## Index size"
	echo
	echo "indexed_gzip could not be installed here (it is a Python package), so its size is **estimated** from its export format: a 35-byte header, 18 bytes per access point, and a raw 32 KiB window for every point but the first; with its default spacing of 1 MiB of uncompressed data, P = 1 + floor(U / 1 MiB) points, so size ≈ 35 + 18·P + 32768·(P − 1) bytes (U = uncompressed tar size; points it may add at gzip member starts are not counted)."
	echo
	echo "| archive | compressed | tarx (.tarx) | % | gztool (.gzi) | % | indexed_gzip (estimated) | % |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|"
	for k in "${archives[@]}"; do
		csize=$(stat -c %s "${a_path[$k]}")
		ts=$(jfield index_size <<<"${a_info[$k]:-}")
		gs=${gzi_size[$k]:-}
		u=$(jfield uncompressed_size <<<"${a_info[$k]:-}")
		[ -n "$u" ] || u=${a_tar[$k]}
		ig=$(awk -v u="$u" 'BEGIN{p = 1 + int(u / 1048576); printf "%d", 35 + 18*p + 32768*(p-1)}')
		echo "| $(basename "${a_path[$k]}") | $(mib "$csize") | $ts B ($(mib "$ts")) | $(pct "$ts" "$csize") | ${gs:-–} B ($(mib "$gs")) | $(pct "$gs" "$csize") | $ig B ($(mib "$ig")) | $(pct "$ig" "$csize") |"
	done
	echo
	echo "tarx stores each 32 KiB window deflate-compressed plus one record per tar member (names, offsets, metadata, CRC-32); gztool stores compressed windows every 10 MiB plus line numbers; indexed_gzip stores raw windows every 1 MiB."
	echo
	if [ ${#notes[@]} -gt 0 ]; then
		echo "## Notes from this run"
		echo
		for n in "${notes[@]}"; do echo "- $n"; done
		echo
	fi
	echo "## How to reproduce"
	echo
	echo '```sh'
	echo 'apt-get install gzip tar pigz isal gztool libarchive-tools tabix hyperfine time   # peers and tools (Debian)'
	echo 'make bench                                  # builds bin/tarx, then runs scripts/bench.sh (about 15 min on 2 cores)'
	echo 'BENCH_TREE=/some/big/dir make bench         # also archives of another tree'
	echo 'BENCH_RUNS=10 BENCH_RUNS_OTHERS=5 BENCH_WARMUP=2 make bench   # more runs per command'
	echo 'BENCH_NICE=-10 make bench                   # as root, on a machine busy with other work'
	echo 'BENCH_STYLES="gzip6 pigz" make bench        # fewer producers (gzip6 pigz pigz-i bgzip)'
	echo '```'
	echo
	echo "The script needs root to mount its tmpfs (otherwise it uses /dev/shm, or says that it could not); other knobs are described at the top of scripts/bench.sh."
} >"$MD.tmp"
mv "$MD.tmp" "$MD"
log "wrote $MD"

# ---------------------------------------------------------------- the chart
chart_args=(-o "$SVG" -title "Extracting a tar.gz: time by tool and by tarx -j (lower is better)")
t=${a_tree[${archives[0]}]}
runs_desc="median of $RUNS runs"
[ ${#archives[@]} -gt 1 ] && [ "$RUNS_OTHERS" != "$RUNS" ] && runs_desc+=" ($RUNS_OTHERS for all but the first producer)"
chart_args+=(-subtitle "$(printf '%s (%s tar, %s files) · %s · %s cores, %s · tmpfs · %s' \
	"${tree_dir[$t]}" "$(mib "${a_tar[${archives[0]}]}")" "${a_files[${archives[0]}]}" "$runs_desc" "$NPROC" "$cpu_model" "$(date -u +%Y-%m-%d)")")
ngroups=0
for k in "${archives[@]}"; do
	[ "${a_tree[$k]}" = "$t" ] || continue # one time scale: the chart shows the first tree only
	if [ -n "${jsons[extract.$k]:-}" ]; then
		# shellcheck disable=SC2206
		chart_args+=("@$(basename "${a_path[$k]}") (${style_desc[${a_style[$k]}]})" ${jsons[extract.$k]})
		ngroups=$((ngroups + 1))
	fi
	if [ -n "${jsons[jobs.$k]:-}" ]; then
		# shellcheck disable=SC2206
		chart_args+=("@tarx extract -j N, index present: $(basename "${a_path[$k]}")" ${jsons[jobs.$k]})
		ngroups=$((ngroups + 1))
	fi
done
if [ $ngroups -gt 0 ]; then
	if awk -v l="${load_start%% *}" -v n="$NPROC" 'BEGIN{exit !(l > n/2)}'; then
		chart_args+=(-note "Load average at the start of the run: $load_start (other processes were running). Details: docs/BENCHMARKS.md")
	else
		chart_args+=(-note "Details and every other measurement: docs/BENCHMARKS.md")
	fi
	"$chart" svg "${chart_args[@]}"
	log "wrote $SVG"
else
	note "no extraction result, so no chart"
fi
if [ -n "${BENCH_KEEP:-}" ]; then
	mkdir -p "$BENCH_KEEP" && cp "$res"/* "$BENCH_KEEP"/ && log "raw results copied to $BENCH_KEEP"
fi
log "done in $((elapsed / 60)) min $((elapsed % 60)) s"
