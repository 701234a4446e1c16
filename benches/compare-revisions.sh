#!/usr/bin/env bash
# Before/after: is revision B slower than revision A? Two measurements of
# the same two commits, built from their own checkouts:
#
#   [ROUNDS=3] [PIN=1] [QUIET=C] [ARGS_A=..] [ARGS_B=..] [BATCH_MS=M] [TOGETHER=1] [BENCH_TMPFS=DIR] benches/compare-revisions.sh REV_A REV_B [SECONDS] [N1 N2 ...]
#   [ROUNDS=3] [CRITERION_ARGS=...] benches/compare-revisions.sh --criterion REV_A REV_B [FILTER]
#   benches/compare-revisions.sh --callgrind REV_A REV_B [FILTER]
#
# Load (the default): the whole server under RTMP ingest, measured the way
# benches/compare-nginx.sh measures (benches/measure.py and lib-measure.sh are
# shared with it): `rtmp-publish --connections N` pushes the 720p 3 Mb/s
# fixture (made with ffmpeg) in real time to livechannel-server with a file
# store on tmpfs, segments older than 8 s deleted while it runs
# (KEEP_SEGMENTS=1 keeps them), PIN=1 puts the server on core 1 and the load
# on core 0. Per run: the server's CPU time from /proc divided by the media
# pushed (N x SECONDS stream-seconds, the same work for both revisions), its
# peak RSS above idle per stream, the slowest publisher's lag behind real
# time, and "others": cores busy with anything but the server and the
# publisher during the run (other builds on the machine: the noise). One
# load generator, REV_B's rtmp-publish, drives both servers, so only the
# server differs. Defaults: 20 s, N = 50 200. QUIET=C waits before each run
# (at most 2 minutes) until the machine has been busy with less than C
# cores for 2 s, e.g. QUIET=0.3 between the compile jobs of someone else.
# ARGS_A / ARGS_B add server flags to one revision (e.g. ARGS_B="--segment-
# chunk-kib 256" to tell a change of code from a change of default).
# BATCH_MS=M batches the generator's writes as in compare-nginx.sh (REV_B's
# rtmp-publish needs --batch-ms); free page reporting is held off there too.
# BENCH_TMPFS=DIR: the store on the tmpfs at DIR instead of /dev/shm.
# TOGETHER=1 runs A and B at the same time, N streams each, each with its
# own publisher (with PIN=1 both servers share core 1 and both publishers
# core 0): whatever the VM does meanwhile (its speed drifts by a third
# within an hour here) it does to both, so the per-round B/A ratios agree
# to a few per cent where runs one after the other spread by +-10 %. Keep
# the sum of both loads within what the core sustains.
#
# Criterion (--criterion): `cargo bench -p livechannel-benches --bench '*'` in each
# revision's checkout (each revision's own bench sources, so an API change
# in between does not matter as long as the bench names stay), each run saved
# as a criterion baseline `r<round>-<sha>`; the medians of criterion's
# per-run median estimates are compared. FILTER is passed to criterion
# (a bench name regex). CRITERION_ARGS adds criterion options (e.g.
# "--warm-up-time 1 --measurement-time 3").
#
# Callgrind (--callgrind): the same benches, each bench's routine run once
# (criterion's --test) under `valgrind --tool=callgrind`, counting the
# instructions executed inside criterion's Bencher::iter: a count, not a
# time, so other work on the machine does not change it and one run per
# revision is enough. It does not see what instructions cost (cache misses,
# branch mispredictions, syscalls), and the first iteration includes
# first-time allocations; read it beside the criterion times. Counts are
# kept in target/revisions/callgrind/<sha12>.txt. On a 2-core VM shared with
# other builds, criterion's per-round B/A ratios spread from 0.5 to 1.6 even
# for benches whose code did not change (identical instruction counts):
# there, trust the counts for the per-frame paths, and the load for the whole
# server (its CPU ratios agreed within about +-20 % between rounds).
#
# Why interleaved: this machine is shared (other builds come and go), and
# noise that lasts minutes would otherwise land on one revision only. Each
# round runs A and B back to back, in the order A B, then B A, then A B, ...
# (so neither revision always runs first, on a cache warmed or a machine
# heated by the other), and the summary gives medians over ROUNDS and the
# B/A ratio per round: a slowdown is believable when the rounds agree.
#
# Checkouts: `git worktree add` under target/revisions/<sha12>, each with its
# own CARGO_TARGET_DIR kept beside it (target/revisions/target-<sha12>, so
# reruns are incremental; a first build of a revision takes minutes),
# binaries copied to target/revisions/bin/<sha12>. Remove a checkout with
# `git worktree remove target/revisions/<sha12>` and its target-<sha12>.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
    sed -n '5,7p' "$0" | sed 's/^# *//' >&2
    exit 2
}
mode=load
case "${1:-}" in
--criterion | --callgrind)
    mode="${1#--}"
    shift
    ;;
esac
[ $# -ge 2 ] || usage
rev_a="$1" rev_b="$2"
shift 2
rounds="${ROUNDS:-3}"

root=target/revisions
mkdir -p "$root/bin"

# cargo_at DIR ARGS...: cargo ARGS in the checkout DIR, with that checkout's
# own target directory. (One shared by all checkouts does not work: a path
# dependency's artifacts are named the same from any checkout, so one
# revision's build links the other's crates, or takes them as fresh.)
cargo_at() {
    local dir="$1"
    shift
    (cd "$dir" && CARGO_TARGET_DIR="$PWD/../target-$(basename "$dir")" cargo "$@")
}

# checkout REV: the worktree directory of REV (made the first time).
checkout() {
    local sha dir
    sha=$(git rev-parse --verify --quiet "$1^{commit}") || { echo "no such revision: $1" >&2; exit 1; }
    dir="$root/${sha:0:12}"
    if ! [ -e "$dir/.git" ]; then
        git worktree add --quiet --detach "$dir" "$sha" >&2
    fi
    echo "$dir"
}
dir_a=$(checkout "$rev_a")
dir_b=$(checkout "$rev_b")
sha_a=$(basename "$dir_a")
sha_b=$(basename "$dir_b")
[ "$sha_a" != "$sha_b" ] || echo "note: $rev_a and $rev_b are the same commit ($sha_a)" >&2
# shellcheck source=benches/lib-measure.sh
. benches/lib-measure.sh

# bench_executables DIR: the criterion bench binaries of the checkout DIR, built.
bench_executables() {
    cargo_at "$1" bench --quiet -p livechannel-benches --bench "*" --no-run --message-format=json \
        | python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and "bench" in m["target"]["kind"]:
        print(m["executable"])'
}

if [ "$mode" = callgrind ]; then
    command -v valgrind >/dev/null || { echo "valgrind is required" >&2; exit 1; }
    filter="${1:-}"
    out="$root/callgrind"
    mkdir -p "$out"
    for dir in "$dir_a" "$dir_b"; do
        sha=$(basename "$dir")
        echo "building benches at $sha" >&2
        : >"$out/$sha.txt"
        while read -r exe; do
            # criterion's --list: "<bench id>: benchmark" per line.
            while IFS= read -r id; do
                [ -z "$filter" ] || grep -qE -- "$filter" <<<"$id" || continue
                echo "$sha: $id" >&2
                # --test runs each bench's routine exactly once; only what runs
                # inside Bencher::iter (the routine and two clock reads) is counted.
                # The benches read their fixtures relative to the package.
                # Criterion spawns a child (its gnuplot probe): count the
                # process valgrind started, the first to report.
                count=$(cd "$dir/benches" && valgrind --tool=callgrind --callgrind-out-file=/dev/null \
                    --toggle-collect='criterion::bencher::Bencher*::iter*' "$exe" --test --exact "$id" 2>&1 >/dev/null \
                    | awk 'NR == 1 { main = $1 } $1 == main && $2 == "Collected" { print $4 }')
                printf '%s\t%s\n' "$id" "${count:-?}" >>"$out/$sha.txt"
            done < <("$exe" --list 2>/dev/null | sed -n 's/: benchmark$//p')
        done < <(bench_executables "$dir")
    done
    bench_machine
    python3 - "$out" "$rev_a" "$sha_a" "$rev_b" "$sha_b" <<'PY'
import os, sys
out = sys.argv[1]
(name_a, a), (name_b, b) = sys.argv[2:4], sys.argv[4:6]
def counts(sha):
    return dict(line.rstrip("\n").split("\t") for line in open(os.path.join(out, f"{sha}.txt")) if "\t" in line)
ca, cb = counts(a), counts(b)
print(f"callgrind, instructions in one iteration of each bench; A = {name_a} ({a}), B = {name_b} ({b})")
print(f"{'bench':45s} {'A':>14s} {'B':>14s} {'B/A':>6s}")
for bench in sorted(set(ca) | set(cb)):
    x, y = ca.get(bench, "-"), cb.get(bench, "-")
    ratio = f"{int(y) / int(x):6.3f}" if x.isdigit() and y.isdigit() and int(x) else "     -"
    print(f"{bench:45s} {x:>14s} {y:>14s} {ratio}")
PY
    exit 0
fi

if [ "$mode" = criterion ]; then
    filter=("$@")
    export CRITERION_HOME="$PWD/$root/criterion"
    read -r -a extra <<<"${CRITERION_ARGS:-}"
    for dir in "$dir_a" "$dir_b"; do
        echo "building benches at $(basename "$dir")" >&2
        cargo_at "$dir" bench --quiet -p livechannel-benches --bench "*" --no-run
    done
    baselines=()
    for ((r = 1; r <= rounds; r++)); do
        order=("$dir_a" "$dir_b")
        ((r % 2 == 1)) || order=("$dir_b" "$dir_a")
        for dir in "${order[@]}"; do
            base="r$r-$(basename "$dir")"
            echo "round $r: $(basename "$dir") -> baseline $base" >&2
            # Criterion's own report goes to stderr; the table below is the result.
            cargo_at "$dir" bench --quiet -p livechannel-benches --bench "*" -- "${filter[@]}" --save-baseline "$base" \
                --noplot "${extra[@]}" >&2
            baselines+=("$base")
        done
    done
    bench_machine
    python3 - "$CRITERION_HOME" "$rounds" "$rev_a" "$sha_a" "$rev_b" "$sha_b" <<'PY'
import json, os, statistics, sys
home, rounds = sys.argv[1], int(sys.argv[2])
(name_a, a), (name_b, b) = sys.argv[3:5], sys.argv[5:7]
# full_id -> sha -> [median ns per iteration, one per round]
found = {}
for path, dirs, files in os.walk(home):
    base = os.path.basename(path)
    if "estimates.json" not in files or "benchmark.json" not in files:
        continue
    for r in range(1, rounds + 1):
        for sha in (a, b):
            if base == f"r{r}-{sha}":
                full_id = json.load(open(os.path.join(path, "benchmark.json")))["full_id"]
                median = json.load(open(os.path.join(path, "estimates.json")))["median"]["point_estimate"]
                found.setdefault(full_id, {}).setdefault(sha, {})[r] = median
def fmt(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns/scale:.3f} {unit}"
    return f"{ns:.1f} ns"
print(f"criterion, median of {rounds} runs' median time per iteration; A = {name_a} ({a}), B = {name_b} ({b})")
print(f"{'bench':45s} {'A':>12s} {'B':>12s} {'B/A':>6s}  B/A per round")
for full_id in sorted(found):
    runs = found[full_id]
    if a not in runs or b not in runs:
        print(f"{full_id:45s} only in {'A' if a in runs else 'B'}")
        continue
    ma, mb = statistics.median(runs[a].values()), statistics.median(runs[b].values())
    per_round = [runs[b][r] / runs[a][r] for r in sorted(runs[a]) if r in runs[b]]
    print(f"{full_id:45s} {fmt(ma):>12s} {fmt(mb):>12s} {mb/ma:6.3f}  {', '.join(f'{x:.3f}' for x in per_round)}")
PY
    exit 0
fi

seconds="${1:-20}"
shift || true
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(50 200)

input=$(bench_fixture "$seconds")
for dir in "$dir_a" "$dir_b"; do
    sha=$(basename "$dir")
    echo "building livechannel-server and rtmp-publish at $sha" >&2
    cargo_at "$dir" build --quiet --release --example livechannel-server --example rtmp-publish
    mkdir -p "$root/bin/$sha"
    cp "$root/target-$sha/release/examples/livechannel-server" "$root/target-$sha/release/examples/rtmp-publish" "$root/bin/$sha/"
    help=$("$root/bin/$sha/livechannel-server" --help 2>&1 || true)
    for flag in --http --rtmp --store; do
        grep -q -- "$flag" <<<"$help" || { echo "livechannel-server at $sha has no $flag flag" >&2; exit 1; }
    done
done
work=$(mktemp -d)
bench_shm
shm="$BENCH_SHM"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work" "$shm"; bench_restore_freed_pages' EXIT

bench_machine
bench_hold_freed_pages
python3 - "$work" "$input" "$seconds" "$rounds" "$rev_a" "$sha_a" "$rev_b" "$sha_b" "$root/bin" "${counts[@]}" <<'PY'
import os, statistics, sys, threading
sys.dont_write_bytecode = True  # no __pycache__ in benches/
sys.path.insert(0, "benches")
from measure import create_channels, load, start_livechannel, wait_quiet
work, src, seconds, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
(name_a, a), (name_b, b), bins = sys.argv[5:7], sys.argv[7:9], sys.argv[9]
counts = [int(c) for c in sys.argv[10:]]
store = os.path.join(os.environ["BENCH_SHM"], "livechannel")
publisher = os.path.join(bins, b, "rtmp-publish")
quiet = float(os.environ["QUIET"]) if os.environ.get("QUIET") else None

together = os.environ.get("TOGETHER") == "1"
results = {}  # (sha, n) -> [run dict, one per round]

def start(sha, side):
    """Revision sha's server on ports and a store of its own (side 0 or 1)."""
    extra = os.environ.get("ARGS_A" if sha == a else "ARGS_B", "").split()
    http, rtmp = f"127.0.0.1:{19360 + 4 * side}", f"127.0.0.1:{19362 + 4 * side}"
    proc, url = start_livechannel(os.path.join(bins, sha, "livechannel-server"), f"{store}-{side}",
                                  http=http, rtmp=rtmp, extra=extra)
    return proc, url, http

def measure(sha, n, r, side, proc, url):
    out = os.path.join(work, str(side))
    os.makedirs(out, exist_ok=True)
    run = load(f"{sha[:7]} r{r + 1}", proc, proc.pid, url, n, src, seconds, f"{store}-{side}", out, publisher)
    run["cpu_ms"] = 1000 * run["cpu"] / (n * seconds)
    results.setdefault((sha, n), []).append(run)

def run_one(sha, n, r):
    proc, url, http = start(sha, 0)
    create_channels(n, http)
    measure(sha, n, r, 0, proc, url)

def run_together(n, r):
    """Both servers at once, N streams each: the machine's ups and downs
    land on both alike (PIN=1: both on core 1, both loads on core 0)."""
    servers = []
    for side, sha in enumerate((a, b) if r % 2 == 0 else (b, a)):
        proc, url, http = start(sha, side)
        create_channels(n, http)
        servers.append((sha, n, r, side, proc, url))
    threads = [threading.Thread(target=measure, args=s) for s in servers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

for r in range(rounds):
    for n in counts:
        if quiet is not None:
            waited = wait_quiet(quiet)
            if waited > 2.5:
                print(f"waited {waited:.0f} s for the machine to be quiet", flush=True)
        if together:
            run_together(n, r)
            continue
        for sha in ((a, b) if r % 2 == 0 else (b, a)):
            run_one(sha, n, r)

med = lambda runs, key: statistics.median(x[key] for x in runs)
print()
print(f"medians of {rounds} rounds, {seconds} s of media per stream; A = {name_a} ({a}), B = {name_b} ({b})"
      + ("; both at once, N streams each (\"others\" counts the other)" if together else ""))
print(f"{'':3s} {'N':>5s} {'sustained':>9s} {'cpu ms/stream-s':>15s} {'rss KiB/stream':>14s} {'worst lag ms':>12s} {'others cores':>12s}")
for n in counts:
    for label, sha in (("A", a), ("B", b)):
        runs = results[(sha, n)]
        ok = sum(x["sustained"] for x in runs)
        print(f"{label:3s} {n:5d} {f'{ok}/{len(runs)}':>9s} {med(runs, 'cpu_ms'):15.3f} {med(runs, 'rss'):14.0f} "
              f"{med(runs, 'lag'):12.1f} {med(runs, 'others'):12.2f}")
    ra, rb = results[(a, n)], results[(b, n)]
    per_round = lambda key: ", ".join(f"{y[key] / x[key]:.3f}" if x[key] else "-" for x, y in zip(ra, rb))
    ratio = lambda key: med(rb, key) / med(ra, key) if med(ra, key) else float("nan")
    print(f"B/A {n:5d} {'':9s} {ratio('cpu_ms'):15.3f} {ratio('rss'):14.3f} {ratio('lag'):12.3f}"
          f"   per round: cpu {per_round('cpu_ms')}; rss {per_round('rss')}")
PY
