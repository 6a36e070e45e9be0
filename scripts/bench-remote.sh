#!/usr/bin/env bash
# make bench (after bench-mount.sh): tarx on archives served over HTTP on loopback,
# with and without added latency, side by side with `curl URL | tar`, written to
# docs/BENCH-REMOTE.md.
#
# Servers: Debian's nginx (counted from its access log; directly at 0 ms RTT,
# otherwise behind scripts/benchserve forwarding TCP with the delay) and Go's
# net/http (scripts/benchserve serving the files itself). benchserve adds the
# round-trip time BENCH_REMOTE_RTTS gives: one RTT per new connection and one per
# request (netem is not available on these machines). Every byte and request a
# command costs is counted by the server; tarx's own --stats line splits archive
# and index bytes.
#
# Archives (on a tmpfs, as the published index beside each one, ARCHIVE.tarx):
#   go.tar.gz  tar of $(go env GOROOT) | gzip -6 (the Go tree archive of bench.sh)
#   big.tar.gz BENCH_REMOTE_BIG_COPIES copies of that tree in one tar | pigz -6
#              (15 copies: about 3.5 GiB of tar, 1 GB compressed; 0 skips it)
# For each archive, server and RTT: one member in the second half of the archive
# (tarx get -O and cat, with the published index and a cold cache, and with the
# index cached; against curl | tar -xzO), extraction of the whole archive (against
# curl | tar -xz and against tarx on the local file), tarx ls with the published
# index, and the one-pass index build of a remote archive (against curl | gzip -dc).
#
# Environment:
#   BENCH_REMOTE_RUNS=5        timed runs of the quick commands (a member, ls)
#   BENCH_REMOTE_RUNS_SLOW=3   timed runs of whole-archive commands on go.tar.gz
#   BENCH_REMOTE_RUNS_BIG=2    timed runs of whole-archive commands on big.tar.gz
#   BENCH_REMOTE_ROUNDS=10     interleaved rounds of extraction, remote and local, on go.tar.gz
#   BENCH_REMOTE_ROUNDS_BIG=4  the same on big.tar.gz
#   BENCH_REMOTE_RTTS="0ms 20ms"
#   BENCH_REMOTE_SERVERS="nginx go"   go.tar.gz; big.tar.gz gets the first only
#   BENCH_REMOTE_BIG_COPIES=15
#   BENCH_REMOTE_MD=docs/BENCH-REMOTE.md
#   BENCH_WORKDIR=DIR          work files there instead of /dev/shm
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
RUNS=${BENCH_REMOTE_RUNS:-5}
RUNS_SLOW=${BENCH_REMOTE_RUNS_SLOW:-3}
RUNS_BIG=${BENCH_REMOTE_RUNS_BIG:-2}
ROUNDS=${BENCH_REMOTE_ROUNDS:-10}
ROUNDS_BIG=${BENCH_REMOTE_ROUNDS_BIG:-4}
RTTS=${BENCH_REMOTE_RTTS:-0ms 20ms}
SERVERS=${BENCH_REMOTE_SERVERS:-nginx go}
COPIES=${BENCH_REMOTE_BIG_COPIES:-15}
MD=${BENCH_REMOTE_MD:-$repo/docs/BENCH-REMOTE.md}
t_start=$(date +%s)

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }
for t in hyperfine curl python3 go tar gzip; do have "$t" || die "$t is required"; done
nginx=$(command -v nginx || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || true)
if [ -z "$nginx" ]; then
	log "nginx not installed (apt-get install nginx): only Go's net/http is measured"
	SERVERS=${SERVERS//nginx/}
fi
[ -n "${SERVERS// /}" ] || die "no server to measure"
compress_big="pigz -6"
have pigz || compress_big="gzip -6"

base=${BENCH_WORKDIR:-/dev/shm}
work=$(mktemp -d "$base/tarx-bench-remote.XXXXXX")
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log "work files: $work ($(stat -f -c %T "$work"))"

[ -x bin/tarx ] || make build >&2
mkdir -p "$work/bin" "$work/www" "$work/res" "$work/out"
cp bin/tarx "$work/bin/tarx"
tarx=$work/bin/tarx
go build -o "$work/bin/benchserve" ./scripts/benchserve
go build -o "$work/bin/benchspan" ./scripts/benchspan
serve=$work/bin/benchserve
www=$work/www
out=$work/out
res=$work/res
export XDG_CACHE_HOME=$work/cache

# ---------------------------------------------------------------- archives
goroot=$(go env GOROOT)
log "go.tar.gz: tar of $goroot | gzip -6"
tar --sort=name -cf - -C "$(dirname "$goroot")" "$(basename "$goroot")" | gzip -6 >"$www/go.tar.gz"
archives=(go)
if [ "$COPIES" -gt 0 ]; then
	log "big.tar.gz: $COPIES copies of the tree | $compress_big"
	mkdir -p "$work/tree"
	cp -a "$goroot" "$work/tree/c01"
	for i in $(seq 2 "$COPIES"); do cp -al "$work/tree/c01" "$work/tree/$(printf 'c%02d' "$i")"; done
	tar --sort=name --hard-dereference -cf - -C "$work/tree" . | $compress_big >"$www/big.tar.gz"
	rm -rf "$work/tree"
	archives+=(big)
fi
for a in "${archives[@]}"; do
	"$tarx" index "$www/$a.tar.gz" >&2
	# A member in the second half: the regular file of 4 KiB or more whose data
	# starts nearest three quarters into the tar stream.
	"$tarx" ls --json "$www/$a.tar.gz" | python3 -c '
import json, sys
m = [json.loads(l) for l in sys.stdin]
end = max(x["data_offset"] + x["size"] for x in m)
f = [x for x in m if x["type"] == "file" and x["size"] >= 4096]
x = min(f, key=lambda x: abs(x["data_offset"] - 0.75 * end))
print(x["name"]); print(x["size"]); print(x["data_offset"])' >"$work/$a.member"
	# The compressed bytes reading it may touch, by the index: FROM TO.
	"$work/bin/benchspan" "$www/$a.tar.gz" "$(sed -n 1p "$work/$a.member")" >>"$work/$a.member"
	"$tarx" info --json "$www/$a.tar.gz" >"$res/$a.info.json"
done

# ---------------------------------------------------------------- servers
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
declare -A url=() accesslog=()
start_serve() { # NAME ARGS... : start benchserve, record its URL
	local name=$1
	shift
	"$serve" -listen 127.0.0.1:0 -addr-file "$work/$name.addr" "$@" >/dev/null 2>"$work/$name.log" &
	pids+=($!)
	local i
	for i in $(seq 100); do [ -s "$work/$name.addr" ] && break; sleep 0.05; done
	[ -s "$work/$name.addr" ] || die "benchserve $name did not start: $(cat "$work/$name.log")"
	url[$name]=$(cat "$work/$name.addr")
}
if [[ " $SERVERS " == *" nginx "* ]]; then
	port=$(freeport)
	mkdir -p "$work/nginx"
	cat >"$work/nginx/nginx.conf" <<EOF
daemon off;
master_process off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 256; }
http {
	log_format bench '\$body_bytes_sent';
	access_log $work/nginx/access.log bench;
	sendfile on;
	keepalive_requests 100000;
	client_body_temp_path $work/nginx/tmp-body;
	proxy_temp_path $work/nginx/tmp-proxy;
	fastcgi_temp_path $work/nginx/tmp-fastcgi;
	uwsgi_temp_path $work/nginx/tmp-uwsgi;
	scgi_temp_path $work/nginx/tmp-scgi;
	server { listen 127.0.0.1:$port; root $www; }
}
EOF
	"$nginx" -e "$work/nginx/error.log" -p "$work/nginx" -c "$work/nginx/nginx.conf" 2>"$work/nginx/stderr" &
	pids+=($!)
	for i in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/go.tar.gz.tarx" && break; sleep 0.05; done
	nginx_version=$("$nginx" -v 2>&1)
	for rtt in $RTTS; do
		if [ "${rtt%ms}" = 0 ] || [ "$rtt" = 0s ]; then
			# No delay to add: a proxy would only add its own CPU on the
			# same two cores. Count from nginx's log instead.
			url[nginx-$rtt]=http://127.0.0.1:$port
			accesslog[http://127.0.0.1:$port]=$work/nginx/access.log
		else
			# Delayed by benchserve at TCP level: requests held for
			# the RTT, responses spliced back (no copy through the
			# proxy, but the extra hop costs about 1 ms of CPU per MB
			# on the client's cores). nginx's log counts.
			start_serve "nginx-$rtt" -rtt "$rtt" -tcp-upstream "127.0.0.1:$port"
			accesslog[${url[nginx-$rtt]}]=$work/nginx/access.log
		fi
	done
fi
if [[ " $SERVERS " == *" go "* ]]; then
	for rtt in $RTTS; do start_serve "go-$rtt" -rtt "$rtt" -dir "$www"; done
fi

# ---------------------------------------------------------------- timing
# served_reset URL; served_json URL >FILE: what the server at URL sent since the
# reset, as {"requests":N,"bytes":M}: from benchserve's counters, or from the
# lines nginx logged since then when tarx talks to nginx directly.
served_reset() {
	local log=${accesslog[$1]:-}
	if [ -n "$log" ]; then
		wc -l <"$log" >"$work/served.mark"
	else
		curl -sf "$1/.benchserve/stats?reset=1" >/dev/null
	fi
}
served_json() {
	local log=${accesslog[$1]:-}
	if [ -n "$log" ]; then
		sleep 0.1 # nginx logs a request once its response is sent
		tail -n +$(($(cat "$work/served.mark") + 1)) "$log" |
			awk '{n++; b += $1} END {printf "{\"requests\": %d, \"bytes\": %d}\n", n, b}'
	else
		curl -sf "$1/.benchserve/stats?reset=1"
	fi
}
# run KEY RUNS PREPARE CMD [STATS_URL]: hyperfine the command, then run it once
# more and record what the server counted (requests, bytes) and tarx's --stats.
run() {
	local key=$1 runs=$2 prep=$3 cmd=$4 stats=${5:-}
	local warm=1
	[ "$runs" -le 2 ] && warm=0
	log "$key"
	local hf=(hyperfine -N --style none --runs "$runs" --warmup "$warm" --export-json "$res/$key.json" -n "$key")
	[[ "$cmd" == *"|"* || "$cmd" == *">"* ]] && hf=(hyperfine --style none --runs "$runs" --warmup "$warm" --export-json "$res/$key.json" -n "$key")
	[ -n "$prep" ] && hf+=(--prepare "$prep")
	"${hf[@]}" "$cmd" >/dev/null
	[ -n "$stats" ] || return 0
	[ -n "$prep" ] && bash -c "$prep"
	served_reset "$stats"
	bash -c "$cmd" 2>"$res/$key.stderr" >/dev/null || die "$key failed: $(cat "$res/$key.stderr")"
	served_json "$stats" >"$res/$key.served.json"
}
# pair KEY ROUNDS PREPARE LOCAL_CMD CMD STATS_URL: as run, with the same command
# on the local file (KEY.local-extract), the two interleaved: one warm-up round,
# then ROUNDS rounds of one run each, in turn (the order alternating), so that
# the bursts of this machine's noise fall on both alike.
pair() {
	local key=$1 rounds=$2 prep=$3 lcmd=$4 cmd=$5 stats=$6
	log "$key (interleaved with the local file, $rounds rounds)"
	python3 - "$res" "$key" "$rounds" "$prep" "$lcmd" "$cmd" <<'PY'
import json, subprocess, sys, time
res, key, rounds, prep, lcmd, cmd = sys.argv[1:]
times = {"local-extract": [], "extract": []}
cmds = [("local-extract", lcmd), ("extract", cmd)]
for r in range(int(rounds) + 1):
    for name, c in cmds if r % 2 == 0 else cmds[::-1]:
        subprocess.run(prep, shell=True, check=True)
        t = time.perf_counter()
        subprocess.run(c, shell=True, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if r > 0:  # round 0 warms up
            times[name].append(time.perf_counter() - t)
base = key.rsplit(".extract", 1)[0]
for name, t in times.items():
    json.dump({"results": [{"command": name, "times": t}]}, open(f"{res}/{base}.{name}.json", "w"))
PY
	bash -c "$prep"
	served_reset "$stats"
	bash -c "$cmd" 2>"$res/$key.stderr" >/dev/null || die "$key failed: $(cat "$res/$key.stderr")"
	served_json "$stats" >"$res/$key.served.json"
}
cold="rm -rf $XDG_CACHE_HOME"
clean="rm -rf $out && mkdir $out"
for a in "${archives[@]}"; do
	A=$www/$a.tar.gz
	M=$(sed -n 1p "$work/$a.member")
	if [ "$a" = big ]; then slow=$RUNS_BIG rounds=$ROUNDS_BIG; else slow=$RUNS_SLOW rounds=$ROUNDS; fi
	servers=$SERVERS
	if [ "$a" = big ]; then
		servers=(${SERVERS})
		servers=${servers[0]}
	fi
	qM=$(printf '%q' "$M")
	run "$a.local.get" "$RUNS" "" "$tarx get -O $A $qM"
	run "$a.local.extract" "$slow" "$clean" "$tarx extract $A -C $out"
	for s in $servers; do
		for rtt in $RTTS; do
			U=${url[$s-$rtt]}
			u=$U/$a.tar.gz
			k=$a.$s.$rtt
			run "$k.get-cold" "$RUNS" "$cold" "$tarx --stats get -O $u $qM" "$U"
			run "$k.cat-cold" "$RUNS" "$cold" "$tarx --stats cat $u $qM" "$U"
			run "$k.ls-cold" "$RUNS" "$cold" "$tarx --stats ls $u" "$U"
			"$tarx" ls "$u" >/dev/null # the published index is now cached
			run "$k.get" "$RUNS" "" "$tarx --stats get -O $u $qM" "$U"
			run "$k.cat" "$RUNS" "" "$tarx --stats cat $u $qM" "$U"
			run "$k.curl-get" "$slow" "" "curl -sf $u | tar -xzOf - $qM >/dev/null" "$U"
			pair "$k.extract" "$rounds" "$clean" "$tarx extract $A -C $out" "$tarx --stats extract $u -C $out" "$U"
			run "$k.curl-extract" "$slow" "$clean" "curl -sf $u | tar -xzf - -C $out" "$U"
			run "$k.index" "$slow" "rm -f $out/i.tarx" "$tarx --stats index --force --index $out/i.tarx $u" "$U"
			run "$k.curl-gunzip" "$slow" "" "curl -sf $u | gzip -dc >/dev/null" "$U"
		done
	done
	rm -rf "${out:?}"/*
done
# The bytes each extraction wrote must be the archive's: check the last one.
first=(${SERVERS})
rtt0=(${RTTS})
"$tarx" extract "${url[${first[0]}-${rtt0[0]}]}/go.tar.gz" -C "$out"
mkdir -p "$work/ref" && tar -xzf "$www/go.tar.gz" -C "$work/ref"
diff -r "$work/ref" "$out" >/dev/null || die "tarx extract over HTTP wrote another tree than tar -xzf"
rm -rf "$work/ref" "${out:?}"/*

# ---------------------------------------------------------------- report
t_end=$(date +%s)
export MD RES=$res WORK=$work RTTS SERVERS RUNS RUNS_SLOW RUNS_BIG ROUNDS ROUNDS_BIG COPIES
export TARX_VERSION="$("$tarx" --version 2>&1 | head -1)" NGINX_VERSION="${nginx_version:-}"
export CURL_VERSION="$(curl --version | head -1 | cut -d' ' -f1-2)" TAR_VERSION="$(tar --version | head -1)"
export LOAD="$(cut -d' ' -f1-3 /proc/loadavg)" ELAPSED=$((t_end - t_start)) COMPRESS_BIG="$compress_big"
export ARCHIVES="${archives[*]}"
python3 "$repo/scripts/bench-remote-report.py"
log "wrote $MD in $((t_end - t_start)) s"
