#!/usr/bin/env bash
# CPU time of flv2hls vs `ffmpeg -c copy -f hls` remuxing the same FLV into
# 2-second HLS segments, and vs the floor of any remux: `dd bs=256k`
# copying the same input into an output directory of its own (reading and
# writing as many bytes, doing nothing to them). The three alternate, several
# runs in one invocation. Prints each run, the machine, the medians and the
# ratios (goals of issue 16: flv2hls <= 1.5x dd, <= 0.2x ffmpeg).
#
#   benches/compare-ffmpeg.sh [RUNS] [SECONDS]
#   OUT_ROOT=DIR benches/compare-ffmpeg.sh ...   # outputs under DIR, not tmpfs
#
# Outputs go to tmpfs by default, all kept until the end: see the comment
# at `out_root` for why a disk file system made the figure unrepeatable.
#
# The input (720p, 3 Mb/s, H.264 High + AAC, testsrc2 + sine) is made once
# with ffmpeg and cached in target/bench-fixtures/.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-7}"
seconds="${2:-120}"
command -v ffmpeg >/dev/null || { echo "compare-ffmpeg: ffmpeg is required (apt-get install ffmpeg)" >&2; exit 1; }

# shellcheck source=benches/lib-measure.sh
. benches/lib-measure.sh
input=$(bench_fixture "$seconds")
cargo build --release --quiet --example flv2hls
flv2hls=target/release/examples/flv2hls
bench_machine
# All three write into tmpfs: freed pages handed back to the host would be
# charged to whichever run writes onto them next.
trap bench_restore_freed_pages EXIT
bench_hold_freed_pages

python3 - "$runs" "$input" "$flv2hls" <<'PY'
import atexit, os, resource, shutil, statistics, subprocess, sys, tempfile
runs, src, flv2hls = int(sys.argv[1]), sys.argv[2], sys.argv[3]

def cpu(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

times = {"flv2hls": [], "ffmpeg": [], "dd": []}
# Where the outputs go: tmpfs (/dev/shm) unless OUT_ROOT names another
# directory. On a disk file system the figure depended on what had been
# deleted before: ext4 without a journal (as this VM's root is) will not
# reuse an inode freed in the last 60 to 360 s, and each file created scans
# past every such inode in its group (`recently_deleted`). flv2hls creates
# 33 files, dd one: the same binary on the same input took 15 ms in one
# invocation and 40 ms a few minutes later, after the harness had deleted
# a few thousand files, while dd did not move. For the same reason every run's
# output stays until the end: deleting it would charge the next run.
out_root = os.environ.get("OUT_ROOT") or ("/dev/shm" if os.path.isdir("/dev/shm") else None)
keep = tempfile.mkdtemp(prefix="cmp-", dir=out_root)
print(f"outputs in {os.path.dirname(keep)} (" + subprocess.run(["stat", "-f", "-c", "%T", keep], capture_output=True, text=True).stdout.strip() + ")")
atexit.register(shutil.rmtree, keep, True)
for i in range(runs):
    for name in times:
        out = tempfile.mkdtemp(prefix=f"{i}-{name}-", dir=keep)
        if name == "flv2hls":
            cmd = [flv2hls, src, out, "--frag-duration", "2", "--frag-count", "3", "--vod", "vod.m3u8", "--quiet"]
        elif name == "ffmpeg":
            cmd = ["ffmpeg", "-v", "error", "-y", "-i", src, "-c", "copy", "-f", "hls", "-hls_time", "2",
                   "-hls_list_size", "0", os.path.join(out, "index.m3u8")]
        else:
            cmd = ["dd", f"if={src}", f"of={os.path.join(out, 'copy')}", "bs=256k", "status=none"]
        times[name].append(cpu(cmd))
        files = [os.path.join(out, f) for f in os.listdir(out)]
        written = sum(os.path.getsize(f) for f in files)
        print(f"run {i+1}: {name:8s} cpu {times[name][-1]*1000:8.1f} ms, {len(files)} files, {written/1e6:.1f} MB written")
med = {name: statistics.median(t) for name, t in times.items()}
size = os.path.getsize(src)
print(f"input: {src} ({size/1e6:.1f} MB)")
print("median cpu: " + ", ".join(f"{n} {m*1000:.1f} ms ({size/m/1e6:.0f} MB/s)" for n, m in med.items()))
print(f"ratio flv2hls/ffmpeg cpu: {med['flv2hls']/med['ffmpeg']:.3f} (goal <= 0.200)")
print(f"ratio flv2hls/dd cpu: {med['flv2hls']/med['dd']:.2f} (goal <= 1.5)")
PY
