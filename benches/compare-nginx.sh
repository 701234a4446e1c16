#!/usr/bin/env bash
# Streams per core and memory per stream: livechannel-server vs nginx-rtmp
# vs SRS 5.0, with HLS on, at equal settings (2 s fragments, about 6 s in the
# playlist, all writing to tmpfs: our file store there, nginx's and SRS's
# hls_path there; the memory store would count every stored segment as
# server memory), same load generator, same input, one run.
#
#   [SERVERS="ours nginx srs"] [ROUNDS=3] [PIN=1] [BATCH_MS=M] [BENCH_TMPFS=DIR] [OURS_RETENTION=S] benches/compare-nginx.sh [SECONDS] [N1 N2 ...]
#
# BENCH_TMPFS=DIR has every server write into a tmpfs mounted at DIR instead
# of /dev/shm (e.g. one mounted huge=within_size, which costs each of them
# less per byte; see docs/architecture.md, "Near capacity"); the mount's
# options are printed with the results.
#
# SERVERS picks the servers (default all three; "floor" adds the copy floor,
# below). PIN=1 runs each server on
# core 1 and the load generator on core 0, so that every server gets exactly
# one core (Linux, `taskset`). BATCH_MS=M has the load generator write the
# tags due in each M ms together (`rtmp-publish --batch-ms M`) instead of
# one write per tag: on loopback the sender's core also runs the receiving
# side of TCP, and one write per tag took 0.67-0.78 of the load core for
# 1,100 streams (the "load" column), 100 ms batches 0.21-0.30, so only
# batched can one core load a server with 2,000 streams and more. Every
# server gets the same load either way (batched input is cheaper for the
# servers too: fewer, fuller reads).
#
# nginx-rtmp comes from Debian (nginx, libnginx-mod-rtmp; installed if
# missing). SRS is built once from source into target/srs/v5.0-r3 (kept;
# rebuilt only when missing or built with other flags; about a minute on 2
# cores): `git archive v5.0-r3` of its repository snapshot (env SRS_GIT,
# default /work/.mirror/ossrs+srs/repo, the search tool's `fetch
# github:ossrs/srs`, or any clone of https://github.com/ossrs/srs with that
# tag) less two files the snapshot lacks and the build does not need, then in
# trunk/ `./configure --rtc=off --srt=off --gb28181=off --ffmpeg-fit=off
# --use-sys-ssl=on --sanitizer=off --extra-flags=-O2 && make -j2`. (Its
# default build is -O0 with AddressSanitizer, which would flatter us.) SRS's
# config: one vhost, hls { hls_fragment 2; hls_window 6; hls_cleanup on;
# hls_dispose 10; }, http_api and http_server off, query_latest_version off,
# logging at warn to a file (one line per connection: logging every message
# would charge SRS for it).
#
# Segments older than 8 s are deleted while the servers run (KEEP_SEGMENTS=1
# keeps them). Ours and SRS delete their own, paying for it: ours with
# `--segment-retention 8` (each segment once it has left the playlist and
# ended 8 s before the newest; the file store writes new segments over the
# deleted ones' files, which on tmpfs costs a third of a new file's pages:
# docs/architecture.md, "Writing over deleted segments"), SRS with
# hls_cleanup on (each segment when it is the 5th newest, about 8 s after
# it was closed, and all on exit). OURS_RETENTION=0 has the janitor delete
# ours instead, as for nginx-rtmp, from the load generator's side (the
# figures before 2026-12-04 were measured so). The janitor leaves SRS's
# segments to it (deleting them too, it won races in
# which SRS logged a failed unlink with a backtrace, thousands per run), and
# counts each segment when a sweep sees it, so a starved load core can
# undercount SRS's.
# On a VM, tmpfs pages never used before cost the writer several times more
# than pages used and freed (the hypervisor backs guest memory lazily: dd
# writes 2 GB of fresh tmpfs at ~0.7 GB/s and of recycled tmpfs at ~2.9
# GB/s): whichever server runs first onto fresh pages is charged more. A
# guest with free page reporting hands freed pages back to the host within
# seconds, making them fresh again, so the script stops it while it
# measures (as root; restored at exit; see bench_hold_freed_pages in
# lib-measure.sh). And before the first run it writes and deletes, with dd into the same
# tmpfs, 1.25x what the largest N's run writes (capped at the memory
# available less 2 GiB), and says so; and each round (and each N) starts with
# a different server, rotating the order. Kept segments would make every byte
# land on fresh pages once the recycled ones run out, which charges the
# server with more streams more per byte: a server on a disk recycles its
# page cache instead. (nginx-rtmp's own hls_cleanup removed none of its
# fragments in these 20 s runs.)
#
# For each N: `rtmp-publish --connections N` pushes the 720p 3 Mb/s fixture in
# real time to each server in turn; we record the server's CPU time (from
# /proc), its peak RSS above idle, and how far the slowest publisher fell
# behind real time. "Sustained" = every connection finished, none fell
# more than 1 s behind, and all N were publishing within 5 s of the start.
# (All N connect at once. `--max-connecting 32` spreads them out, but then
# a busy server takes new publishers slowly, nginx-rtmp 560 in 12-14 s and
# ours 1280 in 4-5 s, and fewer than N streams ever run together.)
# The table gives per N and server the median over rounds of CPU ms per
# stream-second (server CPU / (N x SECONDS)), with each round's value, RSS
# KiB per stream, the worst lag, and sustained yes/no; then the streams per
# core ratios ours/nginx-rtmp and ours/SRS, i.e. their CPU per stream-second
# over ours (the goal is >= 2). A round not sustained is marked *: that
# server did less than N x SECONDS of work (lost connections, fell behind),
# so its CPU per stream-second is not comparable. Last, per server, the
# largest N sustained in all rounds and in most of them, with the next N
# tried above the latter (its capacity lies in between: a coarse ladder
# hides it), and ours over each other server by the latter. The machine line (CPU
# model, cores, kernel) and the load average before and after come with it.
# Each run's line also has "lag p90" (the lag of the publisher at the 90th
# percentile: one late publisher, or all of them), "load" (the load
# generator's own CPU in cores: near 1.0 with PIN=1 it, not the server, may
# be what falls behind) and "others"
# (cores busy with other work meanwhile).
#
# SERVERS="... floor" also runs `copy-floor` (examples/src/copy_floor.rs):
# RTMP chunk decoding, one copy of the tag bodies into 64 KiB chunks,
# `pwrite` of each into a segment's temporary file, and at each 2 s
# keyframe the rename and a playlist (temporary file, rename); no demuxing
# or muxing. Its CPU per stream-second is what receiving and writing the
# bytes costs on this machine, a floor under every server here: its lines
# say how much of each server's cost is its own ("ours over the copy
# floor"), and its largest N is about the most any RTMP-to-HLS server
# could keep up with here.
#
# The measuring is benches/measure.py and lib-measure.sh, shared with
# benches/compare-revisions.sh (the same load against two commits of ours).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
shift || true
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(10 50 100 200)
read -r -a servers <<<"${SERVERS:-ours nginx srs}"
# shellcheck source=benches/lib-measure.sh
. benches/lib-measure.sh

srs_tag=v5.0-r3
srs_dir="target/srs/$srs_tag"
srs_flags="--rtc=off --srt=off --gb28181=off --ffmpeg-fit=off --use-sys-ssl=on --sanitizer=off --extra-flags=-O2"

# uses NAME: whether SERVERS includes NAME.
uses() {
    [[ " ${servers[*]} " == *" $1 "* ]]
}

check_servers() {
    local s
    [ ${#servers[@]} -gt 0 ] || { echo "SERVERS is empty: choose from ours nginx srs floor" >&2; exit 1; }
    for s in "${servers[@]}"; do
        case "$s" in ours | nginx | srs | floor) ;; *) echo "unknown server '$s' in SERVERS: choose from ours nginx srs floor" >&2; exit 1 ;; esac
    done
}

need_nginx() {
    if ! [ -e /usr/lib/nginx/modules/ngx_rtmp_module.so ]; then
        echo "installing nginx and libnginx-mod-rtmp" >&2
        apt-get install -y -qq nginx libnginx-mod-rtmp >/dev/null
    fi
}

# srs_source: the SRS repository to build from, or how to get one.
srs_source() {
    local git="${SRS_GIT:-/work/.mirror/ossrs+srs/repo}"
    if ! git --git-dir="$git" rev-parse -q --verify "$srs_tag^{commit}" >/dev/null 2>&1; then
        cat >&2 <<MSG
No SRS repository with the tag $srs_tag at $git (env SRS_GIT). Get one with
the search tool's \`fetch github:ossrs/srs\` (it lands in /work/.mirror/ossrs+srs/repo),
or \`git clone --bare https://github.com/ossrs/srs.git DIR\` and SRS_GIT=DIR;
or leave SRS out: SERVERS="ours nginx" $0 ...
MSG
        exit 1
    fi
    echo "$git"
}

# build_srs: target/srs/v5.0-r3/trunk/objs/srs, built once with srs_flags.
build_srs() {
    local git t0
    if [ -x "$srs_dir/trunk/objs/srs" ] && [ "$(cat "$srs_dir/build-flags" 2>/dev/null)" = "$srs_flags" ]; then
        return
    fi
    git=$(srs_source)
    [ -e /usr/include/openssl/ssl.h ] || { echo "installing libssl-dev" >&2; apt-get install -y -qq libssl-dev >/dev/null; }
    echo "building SRS $srs_tag in $srs_dir (about a minute)" >&2
    rm -rf "$srs_dir"
    mkdir -p "$srs_dir"
    # git reports the excluded blobs the snapshot lacks as invalid objects, yet archives the rest.
    git --git-dir="$git" archive "$srs_tag" ':!trunk/3rdparty/openssl-OpenSSL_1_0_2u.tar.gz' \
        ':!trunk/doc/source.200kbps.768x320.flv' 2>"$srs_dir/archive.log" | tar -x -C "$srs_dir"
    [ -x "$srs_dir/trunk/configure" ] || { cat "$srs_dir/archive.log" >&2; exit 1; }
    t0=$(date +%s)
    # shellcheck disable=SC2086 # srs_flags are separate words
    if ! (cd "$srs_dir/trunk" && ./configure $srs_flags && make -j2) >"$srs_dir/build.log" 2>&1; then
        tail -n 30 "$srs_dir/build.log" >&2
        echo "SRS build failed: $srs_dir/build.log" >&2
        exit 1
    fi
    echo "$srs_flags" >"$srs_dir/build-flags"
    echo "built SRS $srs_tag in $(($(date +%s) - t0)) s" >&2
}

# nginx_conf HLS_DIR: nginx-rtmp on port 19361, HLS into HLS_DIR.
nginx_conf() {
    cat <<CONF
load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
rtmp {
    server {
        listen 127.0.0.1:19361;
        chunk_size 4096;
        application live {
            live on;
            hls on;
            hls_path $1;
            hls_fragment 2s;
            hls_playlist_length 6s;
        }
    }
}
CONF
}

# srs_conf HLS_DIR: SRS on port 19363, HLS into HLS_DIR, logging at warn.
srs_conf() {
    cat <<CONF
listen 127.0.0.1:19363;
max_connections 4000;
daemon off;
pid $work/srs.pid;
srs_log_tank file;
srs_log_file $work/srs.log;
srs_log_level warn;
query_latest_version off;
http_api { enabled off; }
http_server { enabled off; }
vhost __defaultVhost__ {
    hls {
        enabled on;
        hls_path $1;
        hls_fragment 2;
        hls_window 6;
        hls_cleanup on;
        hls_dispose 10;
    }
}
CONF
}

# warm_mib: MiB to write before the first run, 1.25x what the largest N's run writes.
warm_mib() {
    local n max=0 bytes
    for n in "${counts[@]}"; do [ "$n" -le "$max" ] || max="$n"; done
    bytes=$(stat -c %s "$input")
    echo $((max * bytes * 5 / 4 / 1048576 + 1))
}

check_servers
command -v ffmpeg >/dev/null || { echo "ffmpeg is required" >&2; exit 1; }
if uses nginx; then need_nginx; fi
if uses srs; then build_srs; fi
input=$(bench_fixture "$seconds")
cargo build --release --quiet --example livechannel-server --example rtmp-publish --example copy-floor
work=$(mktemp -d)
# The servers write to tmpfs; all of it goes when the script ends, however it ends.
bench_shm
shm="$BENCH_SHM"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work" "$shm"; bench_restore_freed_pages' EXIT
mkdir -p "$shm/nginx-hls" "$shm/srs-hls" "$shm/copy-floor"
nginx_conf "$shm/nginx-hls" >"$work/nginx.conf"
srs_conf "$shm/srs-hls" >"$work/srs.conf"

bench_machine
bench_load
bench_hold_freed_pages
bench_warm_shm "$(warm_mib)"
python3 - "$work" "$input" "$seconds" "$srs_dir/trunk/objs/srs" "${servers[*]}" "${counts[@]}" <<'PY'
import os, statistics, subprocess, sys, time
sys.dont_write_bytecode = True  # no __pycache__ in benches/
sys.path.insert(0, "benches")
from measure import create_channels, load, start_livechannel, start_server
work, src, seconds, srs = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
names = {"ours": "livechannel", "nginx": "nginx-rtmp", "srs": "srs", "floor": "copy-floor"}
servers = [names[s] for s in sys.argv[5].split()]
counts = [int(c) for c in sys.argv[6:]]
rounds = int(os.environ.get("ROUNDS", "3"))
dirs = {"livechannel": "livechannel", "nginx-rtmp": "nginx-hls", "srs": "srs-hls", "copy-floor": "copy-floor"}
# Ours deletes its own old segments, as SRS does (see the top).
retention = os.environ.get("OURS_RETENTION", "8")
OURS_ARGS = [] if retention == "0" or os.environ.get("KEEP_SEGMENTS") == "1" else ["--segment-retention", retention]
# Not a server: what receiving and writing the bytes costs (see the top).
FLOOR = "copy-floor"

def out_dir(name):
    return os.path.join(os.environ["BENCH_SHM"], dirs[name])

def start(name):
    """The server started: (process, URL to publish to, pid to measure)."""
    if name == "livechannel":
        proc, url = start_livechannel("target/release/examples/livechannel-server", out_dir(name), extra=OURS_ARGS)
        return proc, url, proc.pid
    if name == "srs":
        proc = start_server([os.path.abspath(srs), "-c", f"{work}/srs.conf"], 19363, cwd=work, stdout=subprocess.DEVNULL)
        return proc, "rtmp://127.0.0.1:19363/live/ch", proc.pid
    if name == FLOOR:
        proc = start_server(["target/release/examples/copy-floor", "--listen", "127.0.0.1:19364", "--out", out_dir(name)], 19364)
        return proc, "rtmp://127.0.0.1:19364/live/ch", proc.pid
    proc = start_server(["nginx", "-c", f"{work}/nginx.conf"], 19361)
    # nginx forks a worker: measure the worker.
    for _ in range(40):
        kids = open(f"/proc/{proc.pid}/task/{proc.pid}/children").read().split()
        if kids:
            return proc, "rtmp://127.0.0.1:19361/live/ch", int(kids[0])
        time.sleep(0.05)
    sys.exit("nginx started no worker")

def run_once(name, n, r):
    proc, url, pid = start(name)
    if name == "livechannel":
        create_channels(n)
    cleans = name == "srs" or (name == "livechannel" and OURS_ARGS != [])
    run = load(f"{name} r{r + 1}", proc, pid, url, n, src, seconds, out_dir(name), work, cleans=cleans)
    run["cpu_ms"] = 1000 * run["cpu"] / (n * seconds)
    return run

def measure():
    """(name, n) -> one run dict per round. The machine is noisy: rounds go
    over all N in turn, and each round and N start with another server."""
    results = {}
    for r in range(rounds):
        for i, n in enumerate(counts):
            k = (r + i) % len(servers)
            for name in servers[k:] + servers[:k]:
                results.setdefault((name, n), []).append(run_once(name, n, r))
    return results

med = lambda runs, key: statistics.median(x[key] for x in runs)
# A round not sustained (the server fell behind or lost connections) did
# less than N x SECONDS of work: its values are marked *, not comparable.
mark = lambda ok: "" if ok else "*"
listed = lambda runs, fmt, key: ", ".join(fmt.format(x[key]) + mark(x["sustained"]) for x in runs)

def table(results, n):
    print(f"\nN={n}: medians of {rounds} rounds, {seconds} s of media per stream (each round's value in brackets, * not sustained)")
    print(f"{'server':12s} {'sustained':>9s} {'cpu ms/stream-s':>15s}  {'rss KiB/stream':>14s} {'worst lag ms':>12s}")
    for name in servers:
        runs = results[(name, n)]
        ok = sum(x["sustained"] for x in runs)
        sustained = "yes" if ok == len(runs) else f"no {ok}/{len(runs)}"
        print(f"{name:12s} {sustained:>9s} {med(runs, 'cpu_ms'):15.3f}  {med(runs, 'rss'):14.0f} {max(x['lag'] for x in runs):12.1f}"
              f"   cpu ({listed(runs, '{:.3f}', 'cpu_ms')}) rss ({listed(runs, '{:.0f}', 'rss')})")
    ours = results.get(("livechannel", n))
    floor = results.get((FLOOR, n))
    if ours and floor:
        over = [dict(r=100 * (o["cpu_ms"] / f["cpu_ms"] - 1), sustained=o["sustained"] and f["sustained"]) for o, f in zip(ours, floor)]
        print(f"ours over the copy floor: {100 * (med(ours, 'cpu_ms') / med(floor, 'cpu_ms') - 1):+.0f}% CPU per stream-second "
              f"(rounds {listed(over, '{:+.0f}%', 'r')})")
    for other in (s for s in servers if s not in ("livechannel", FLOOR) and ours):
        theirs = results[(other, n)]
        per_round = [dict(r=t["cpu_ms"] / o["cpu_ms"], sustained=o["sustained"] and t["sustained"]) for o, t in zip(ours, theirs)]
        print(f"streams per core ours/{other} (= its cpu per stream-second / ours; goal >= 2): "
              f"{med(theirs, 'cpu_ms') / med(ours, 'cpu_ms'):.2f} (rounds {listed(per_round, '{:.2f}', 'r')})")

def largest_n(results, name, need):
    """The largest N the server kept up with in at least `need` rounds."""
    ok = [n for n in counts if sum(x["sustained"] for x in results[(name, n)]) >= need]
    return max(ok) if ok else None

def largest(results):
    most = rounds // 2 + 1
    best = {}
    for name in servers:
        n = largest_n(results, name, rounds)
        if n:
            runs = results[(name, n)]
            print(f"{name:12s} largest N sustained in all {rounds} rounds: {n}; median {med(runs, 'cores')*100:.1f}% of a core -> "
                  f"{n / max(med(runs, 'cores'), 1e-9):,.0f} streams per core (extrapolated)")
        else:
            print(f"{name:12s} sustained no N in all {rounds} rounds")
        # In most rounds: the median round's answer. Its capacity lies
        # between that N and the next one tried, so say which that was.
        best[name] = largest_n(results, name, most)
        if best[name]:
            above = [n for n in counts if n > best[name]]
            nxt = (f"next N tried {min(above)}: sustained in {sum(x['sustained'] for x in results[(name, min(above))])} of {rounds}"
                   if above else "no larger N tried")
            print(f"{name:12s} largest N sustained in most rounds ({most} of {rounds}): {best[name]} ({nxt})")
    ours, floor = best.get("livechannel"), best.get(FLOOR)
    for other in (s for s in servers if s not in ("livechannel", FLOOR) and best.get(s)):
        if ours:
            print(f"largest N in most rounds, ours/{other} (goal >= 2): {ours / best[other]:.2f} ({ours} / {best[other]})")
        if floor:
            print(f"largest N in most rounds, copy floor/{other} (about the most any server could reach): "
                  f"{floor / best[other]:.2f} ({floor} / {best[other]})")

results = measure()
for n in counts:
    table(results, n)
print()
largest(results)
PY
bench_load
