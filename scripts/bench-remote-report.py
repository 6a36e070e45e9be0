#!/usr/bin/env python3
"""Write docs/BENCH-REMOTE.md from the results of scripts/bench-remote.sh.

Reads, from $RES: KEY.json (hyperfine), KEY.served.json (what the server
counted for one more run), KEY.stderr (tarx's --stats line of that run), and
ARCHIVE.info.json (tarx info --json); the rest comes from the environment the
script exports.
"""
import json
import os
import re
import statistics
import time

env = os.environ
RES = env["RES"]
RTTS = env["RTTS"].split()
SERVERS = env["SERVERS"].split()
ARCHIVES = env["ARCHIVES"].split()


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def timing(key):
    j = load(f"{RES}/{key}.json")
    if not j:
        return None
    r = j["results"][0]
    t = r["times"]
    return {"median": statistics.median(t), "min": min(t), "max": max(t), "runs": len(t)}


def served(key):
    return load(f"{RES}/{key}.served.json")


STATS = re.compile(r"archive (\d+) bytes in (\d+) requests, index (\d+) bytes in (\d+) requests")


def tarx_stats(key):
    try:
        with open(f"{RES}/{key}.stderr") as f:
            m = STATS.search(f.read())
    except FileNotFoundError:
        return None
    if not m:
        return None
    a, ar, i, ir = map(int, m.groups())
    return {"archive": a, "archive_req": ar, "index": i, "index_req": ir}


def dur(s):
    if s is None:
        return "–"
    if s < 1:
        return f"{s * 1000:.1f} ms"
    return f"{s:.2f} s"


def size(n):
    if n is None:
        return "–"
    for unit, k in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= k:
            return f"{n / k:.1f} {unit}"
    return f"{n} B"


def ratio(a, b):
    if not a or not b:
        return "–"
    return f"{a['median'] / b['median']:.3f}"


info = {a: load(f"{RES}/{a}.info.json") for a in ARCHIVES}
member, spans = {}, {}
for a in ARCHIVES:
    with open(f"{env['WORK']}/{a}.member") as f:
        name, msize, moff, span = f.read().split("\n")[:4]
    sfrom, sto = map(int, span.split())
    member[a] = (name, int(msize), int(moff))
    spans[a] = sto - sfrom


BLOCK = 64 << 10  # remote.Options.BlockSize default: one read-ahead block

ROWS = [
    ("get-cold", "`tarx get -O` one member, published index, cold cache"),
    ("cat-cold", "`tarx cat` one member, published index, cold cache"),
    ("get", "`tarx get -O` one member, index cached"),
    ("cat", "`tarx cat` one member, index cached"),
    ("curl-get", "`curl URL \\| tar -xzOf - MEMBER`"),
    ("ls-cold", "`tarx ls`, published index, cold cache"),
    ("extract", "`tarx extract` whole archive, index cached"),
    ("local-extract", "`tarx extract` of the local file (interleaved with the row above)"),
    ("curl-extract", "`curl URL \\| tar -xzf -`"),
    ("index", "`tarx index` (one streaming pass, no index yet)"),
    ("curl-gunzip", "`curl URL \\| gzip -dc` (the floor of one pass)"),
]

md = []
w = md.append
w("# Remote archives: tarx over HTTP against curl | tar")
w("")
w(f"Made by `make bench` ([scripts/bench-remote.sh](../scripts/bench-remote.sh)) on "
  f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, in {int(env['ELAPSED']) // 60} min "
  f"{int(env['ELAPSED']) % 60} s. Every figure comes from that one run.")
w("")
w("## Headline")
w("")
w("Ratio = tarx median ÷ the other command's median (below 1: tarx is faster). "
  "Bytes are what the server sent, counted by it.")
w("")
for a in ARCHIVES:
    i = info[a]
    name, msize, moff = member[a]
    servers = SERVERS if a == "go" else SERVERS[:1]
    for s in servers:
        for rtt in RTTS:
            k = f"{a}.{s}.{rtt}"
            g, gc, cg = timing(k + ".get"), timing(k + ".get-cold"), timing(k + ".curl-get")
            ex, cx, lx = timing(k + ".extract"), timing(k + ".curl-extract"), timing(k + ".local-extract")
            ix, cz = timing(k + ".index"), timing(k + ".curl-gunzip")
            gs, exs = tarx_stats(k + ".get"), served(k + ".extract")
            gcs = tarx_stats(k + ".get-cold")
            bound = spans[a] + BLOCK
            verdict = "–"
            if gs:
                verdict = "within" if gs["archive"] <= bound else "**over**"
            w(f"- **{a}.tar.gz ({size(i['archive_size'])}), {s}, RTT {rtt}:** "
              f"get -O of one member (index cached) {dur(g and g['median'])} vs curl | tar -xzO "
              f"{dur(cg and cg['median'])}: **{ratio(g, cg)}**; with the published index and a cold cache "
              f"{dur(gc and gc['median'])}: **{ratio(gc, cg)}**. "
              f"Archive bytes for the member: {size(gs and gs['archive'])}, {verdict} the bound "
              f"(its span {size(spans[a])} + one {size(BLOCK)} block = {size(bound)})"
              + (f", plus the index {size(gcs['index'])} on a cold cache" if gcs else "") + ". "
              f"Extract {dur(ex and ex['median'])}: **{ratio(ex, lx)}** × the local file's, "
              f"**{ratio(ex, cx)}** × curl | tar -xz; fetched {size(exs and exs['bytes'])} "
              f"({(exs['bytes'] / i['archive_size']) if exs else float('nan'):.3f} × the archive). "
              f"Index build by streaming: **{ratio(ix, cz)}** × curl | gzip -dc.")
w("")

w("Targets of issue 15, per archive, server and RTT: `get -O` (index cached) at most 0.05 × "
  "`curl | tar -xzO`; archive bytes for it at most its span plus one block; `extract` at most "
  "1.2 × the local file's, fetching the archive once.")
w("")
w("| archive | server | RTT | get ÷ curl \\| tar -xzO | get bytes ÷ bound | extract ÷ local | extract bytes ÷ archive |")
w("|---|---|---|---:|---:|---:|---:|")
for a in ARCHIVES:
    for s in (SERVERS if a == "go" else SERVERS[:1]):
        for rtt in RTTS:
            k = f"{a}.{s}.{rtt}"
            gs, exs = tarx_stats(k + ".get"), served(k + ".extract")
            w(f"| {a}.tar.gz | {s} | {rtt} | {ratio(timing(k + '.get'), timing(k + '.curl-get'))} | "
              + (f"{gs['archive'] / (spans[a] + BLOCK):.2f}" if gs else "–") + " | "
              f"{ratio(timing(k + '.extract'), timing(k + '.local-extract'))} | "
              + (f"{exs['bytes'] / info[a]['archive_size']:.3f}" if exs else "–") + " |")
w("")

w("## Archives")
w("")
w("| archive | compressed | tar stream | members | checkpoints (span) | index | member read | its size | its offset in the tar | its compressed span |")
w("|---|---:|---:|---:|---:|---:|---|---:|---:|---:|")
for a in ARCHIVES:
    i = info[a]
    name, msize, moff = member[a]
    w(f"| {a}.tar.gz | {size(i['archive_size'])} | {size(i['uncompressed_size'])} | {i['members']} | "
      f"{i['checkpoints']} ({size(i['span'])}) | {size(i['index_size'])} "
      f"({100 * i['index_size'] / i['archive_size']:.2f} %) | `{name}` | {size(msize)} | "
      f"{moff / i['uncompressed_size'] * 100:.0f} % | {size(spans[a])} |")
w("")
big = (f"; big.tar.gz holds {env['COPIES']} copies of the same tree in one tar, compressed by "
       f"`{env['COMPRESS_BIG']}`" if int(env['COPIES']) > 0 else " (BENCH_REMOTE_BIG_COPIES=0: no big.tar.gz in this run)")
w(f"go.tar.gz is a tar of `$(go env GOROOT)` compressed by `gzip -6`{big}. The index of each was "
  "built from the local file and published beside it (ARCHIVE.tarx), where tarx finds it.")
w("")

for a in ARCHIVES:
    servers = SERVERS if a == "go" else SERVERS[:1]
    i = info[a]
    w(f"## {a}.tar.gz")
    w("")
    lg, lx = timing(f"{a}.local.get"), timing(f"{a}.local.extract")
    w(f"Local file, for reference: `tarx get -O` {dur(lg and lg['median'])}, `tarx extract` "
      f"{dur(lx and lx['median'])} (index present).")
    w("")
    for s in servers:
        for rtt in RTTS:
            k = f"{a}.{s}.{rtt}"
            how = "Go net/http (benchserve)"
            if s == "nginx":
                how = "nginx (directly)" if rtt.rstrip("ms") == "0" else "nginx (through benchserve)"
            w(f"### {a}.tar.gz — {how}, RTT {rtt}")
            w("")
            w("| command | median | min | max | runs | requests | bytes sent | tarx: archive bytes (requests) | tarx: index bytes (requests) |")
            w("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
            for row, label in ROWS:
                t = timing(f"{k}.{row}")
                if not t:
                    continue
                sv = served(f"{k}.{row}")
                ts = tarx_stats(f"{k}.{row}")
                w(f"| {label} | **{dur(t['median'])}** | {dur(t['min'])} | {dur(t['max'])} | {t['runs']} | "
                  f"{sv['requests'] if sv else '–'} | {size(sv['bytes']) if sv else '–'} | "
                  + (f"{size(ts['archive'])} ({ts['archive_req']}) | {size(ts['index'])} ({ts['index_req']}) |"
                     if ts else "– | – |"))
            w("")

w("## Method")
w("")
w("- Servers on loopback: Debian's nginx (static files: Range, If-Range, ETag), reached directly "
  "at 0 ms RTT and otherwise behind `scripts/benchserve -tcp-upstream`, which forwards TCP with the delay "
  "(requests held for the RTT, responses spliced back; the extra loopback hop still costs about 1 ms of "
  "CPU per MB on the same two cores, which a real network would not take from the client), "
  "and `scripts/benchserve` serving the files itself with Go's "
  "`http.ServeContent` (sendfile, and an nginx-style ETag). benchserve adds the RTT: one per new connection "
  "(its first read waits, as a TCP handshake would) and one per request before it is answered. "
  "Bandwidth is loopback's, so `curl | tar` is bound by inflating, its best case; on a real link "
  "the whole-archive commands would be slower for both and the member reads would gain more.")
w("- Bytes and requests are what the server sent for one more run of each command (the timed runs "
  "are not counted), as benchserve counts them or, for nginx, as its access log "
  "gives them (`$body_bytes_sent` per request); `tarx --stats` splits them into archive and index bytes.")
w("- \"Cold cache\": `$XDG_CACHE_HOME` is emptied before each run, so tarx reads the archive's "
  "identity (size, ETag, first and last 64 KiB), fetches the published index and caches it. "
  "\"Index cached\": the cache holds it and remembers the archive's identity, so tarx sends the "
  "identity request and the first ranges it needs together, conditional on that identity, and "
  "uses no byte before the server confirmed it.")
w("- The member is the regular file of at least 4 KiB whose data begins nearest three quarters into "
  "the tar stream. GNU tar reads the whole stream even after it found it. The bound on its bytes is "
  "its compressed span by the index (`index.Archive.Span`: from the checkpoint before its header to "
  "the first one past its end, plus the inflater's 64 KiB of read-ahead; `scripts/benchspan`) plus "
  f"one block ({size(BLOCK)}, remote.Options.BlockSize): tarx fetches the span from its start, "
  "in whole blocks after that, and its request for the archive's identity asks for one byte.")
w("- \"extract ÷ local\" divides the remote extraction's median by that of `tarx extract` of the "
  "local file run interleaved with it (one warm-up round, then one run of each in turn, the order "
  "alternating), so that both meet the same machine: hyperfine would time all runs of one, then "
  "all of the other, and this machine's noise comes in bursts (the reference line of each archive "
  "is a separate, earlier run).")
w(f"- Medians: {env['ROUNDS']} interleaved rounds of the extractions of go.tar.gz ({env['ROUNDS_BIG']} of "
  f"big.tar.gz); hyperfine, {env['RUNS']} runs (1 warm-up) of the member and ls commands, {env['RUNS_SLOW']} "
  f"of the other whole-archive commands on go.tar.gz and {env['RUNS_BIG']} (no warm-up) on big.tar.gz. "
  "Extraction targets and archives are on a tmpfs; each extraction starts from an empty directory. "
  "After the runs the script checks with `diff -r` that tarx extracted over HTTP the same tree as "
  "`tar -xzf` of the local file.")
w(f"- Load average at the end: {env['LOAD']} (2 cores, shared with other work: compare ratios, "
  "not absolute times).")
w("")
w("| tool | version |")
w("|---|---|")
w(f"| tarx | {env['TARX_VERSION']} |")
if env.get("NGINX_VERSION"):
    w(f"| nginx | {env['NGINX_VERSION']} |")
w(f"| curl | {env['CURL_VERSION']} |")
w(f"| GNU tar | {env['TAR_VERSION']} |")
w("")
with open(env["MD"], "w") as f:
    f.write("\n".join(md))
