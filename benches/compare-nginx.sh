#!/usr/bin/env bash
# Streams per core and memory per stream: livechannel-server vs nginx-rtmp
# with HLS on, at equal settings (2 s fragments, 3 in the playlist, both
# writing to tmpfs: our file store there, nginx's hls_path there; the memory
# store would count every stored segment as server memory), same load
# generator, same input, one run.
#
#   [ROUNDS=3] [PIN=1] benches/compare-nginx.sh [SECONDS] [N1 N2 ...]
#
# PIN=1 runs each server on core 1 and the load generator on core 0, so
# that both servers get exactly one core (Linux, `taskset`).
#
# Segments older than 8 s are deleted while the servers run (KEEP_SEGMENTS=1
# keeps them), from the load generator's side, for both servers alike. On a
# VM, tmpfs pages never used before cost the writer several times more than
# pages used and freed (the hypervisor backs guest memory lazily: dd writes
# 2 GB of fresh tmpfs at ~0.7 GB/s and of recycled tmpfs at ~2.9 GB/s). Kept
# segments make every byte land on fresh pages once the recycled ones run
# out, which charges the server with more streams more per byte: a server
# on a disk recycles its page cache instead. (nginx-rtmp's own hls_cleanup
# removed none of its fragments in these 20 s runs.)
#
# For each N: `rtmp-publish --connections N` pushes the 720p 3 Mb/s fixture in
# real time to each server in turn; we record the server's CPU time (from
# /proc), its peak RSS above idle, and how far the slowest publisher fell
# behind real time. "Sustained" = every connection finished, none fell
# more than 1 s behind, and all N were publishing within 5 s of the start.
# (All N connect at once. `--max-connecting 32` spreads them out, but then
# a busy server takes new publishers slowly, nginx-rtmp 560 in 12-14 s and
# ours 1280 in 4-5 s, and fewer than N streams ever run together.)
#
# The measuring is benches/measure.py and lib-measure.sh, shared with
# benches/compare-revisions.sh (the same load against two commits of ours).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
shift || true
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(10 50 100 200)
# shellcheck source=benches/lib-measure.sh
. benches/lib-measure.sh
command -v ffmpeg >/dev/null || { echo "ffmpeg is required" >&2; exit 1; }
if ! [ -e /usr/lib/nginx/modules/ngx_rtmp_module.so ]; then
    echo "installing nginx and libnginx-mod-rtmp" >&2
    apt-get install -y -qq nginx libnginx-mod-rtmp >/dev/null
fi

input=$(bench_fixture "$seconds")
cargo build --release --quiet --example livechannel-server --example rtmp-publish
work=$(mktemp -d)
# Both servers write to tmpfs; all of it goes when the script ends, however it ends.
bench_shm
shm="$BENCH_SHM"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work" "$shm"' EXIT

# nginx-rtmp, HLS into tmpfs.
hls="$shm/nginx-hls"
mkdir -p "$hls"
cat > "$work/nginx.conf" <<CONF
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
            hls_path $hls;
            hls_fragment 2s;
            hls_playlist_length 6s;
        }
    }
}
CONF

bench_machine
python3 - "$work" "$input" "$seconds" "${counts[@]}" <<'PY'
import os, statistics, subprocess, sys, time
sys.dont_write_bytecode = True  # no __pycache__ in benches/
sys.path.insert(0, "benches")
from measure import SERVER_CPU, create_channels, load, start_livechannel
work, src, seconds, counts = sys.argv[1], sys.argv[2], int(sys.argv[3]), [int(c) for c in sys.argv[4:]]

def out_dir(name):
    return os.path.join(os.environ["BENCH_SHM"], "nginx-hls" if name == "nginx-rtmp" else "livechannel")

def start(name):
    if name == "livechannel":
        return start_livechannel("target/release/examples/livechannel-server", out_dir(name))
    p = subprocess.Popen(SERVER_CPU + ["nginx", "-c", f"{work}/nginx.conf"], stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    # nginx forks a worker: measure the worker.
    kids = open(f"/proc/{p.pid}/task/{p.pid}/children").read().split()
    return p, "rtmp://127.0.0.1:19361/live/ch", int(kids[0]) if kids else p.pid

def run_once(name, n):
    started = start(name)
    proc, url = started[0], started[1]
    pid = started[2] if len(started) > 2 else proc.pid
    if name == "livechannel":
        create_channels(n)
    r = load(name, proc, pid, url, n, src, seconds, out_dir(name), work)
    return r["sustained"], r["cores"], r["rss"]

# The machine is noisy: each N runs ROUNDS times, the two servers taking
# turns, and the summary uses medians.
rounds = int(os.environ.get("ROUNDS", "3"))
results = {}  # (name, n) -> [(sustained, cores, rss)]
for n in counts:
    for r in range(rounds):
        for name in ("livechannel", "nginx-rtmp"):
            results.setdefault((name, n), []).append(run_once(name, n))

print()
best = {}
for name in ("livechannel", "nginx-rtmp"):
    for n in counts:
        runs = results[(name, n)]
        if not all(s for s, _, _ in runs):
            continue
        cores = statistics.median(c for _, c, _ in runs)
        rss = statistics.median(m for _, _, m in runs)
        best[name] = (n, cores, rss)
    if name in best:
        n, cores, rss = best[name]
        print(f"{name:12s} largest N sustained in all {rounds} rounds: {n}; median {cores*100:.1f}% of a core -> "
              f"{n/max(cores, 1e-9):,.0f} streams per core (extrapolated), {cores/n*1000:.2f} ms cpu per stream-second, "
              f"median {rss:.0f} KiB rss per stream")
if len(best) == 2 and best["livechannel"][0] == best["nginx-rtmp"][0]:
    n = best["livechannel"][0]
    per_round = [ng[1] / lc[1] for lc, ng in zip(results[("livechannel", n)], results[("nginx-rtmp", n)])]
    print(f"streams per core ratio livechannel/nginx-rtmp at N={n}: median {best['nginx-rtmp'][1]/best['livechannel'][1]:.2f} "
          f"(rounds: {', '.join(f'{x:.2f}' for x in per_round)}; goal >= 2)")
elif len(best) == 2:
    a, b = best["livechannel"], best["nginx-rtmp"]
    print(f"streams per core ratio livechannel/nginx-rtmp: {(a[0]/a[1]) / (b[0]/b[1]):.2f} (at their own largest N; goal >= 2)")
PY
