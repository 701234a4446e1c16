#!/usr/bin/env bash
# CPU time of flv2hls vs `ffmpeg -c copy -f hls` remuxing the same FLV into
# 2-second HLS segments, alternating the two, several runs in one
# invocation. Prints each run, the medians and the ratio.
#
#   benches/compare-ffmpeg.sh [RUNS] [SECONDS]
#
# The input (720p, 3 Mb/s, H.264 High + AAC, testsrc2 + sine) is made once
# with ffmpeg and cached in target/bench-fixtures/.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-7}"
seconds="${2:-120}"
command -v ffmpeg >/dev/null || { echo "compare-ffmpeg: ffmpeg is required (apt-get install ffmpeg)" >&2; exit 1; }

fixtures=target/bench-fixtures
input="$fixtures/720p_3mbps_${seconds}s.flv"
mkdir -p "$fixtures"
if [ ! -s "$input" ]; then
    echo "making $input (once)..." >&2
    ffmpeg -hide_banner -loglevel error -y \
        -f lavfi -i "testsrc2=size=1280x720:rate=30" -f lavfi -i "sine=frequency=440:sample_rate=44100" \
        -t "$seconds" -c:v libx264 -preset veryfast -profile:v high -bf 2 -g 60 -keyint_min 60 -sc_threshold 0 \
        -b:v 3000k -maxrate 3000k -bufsize 6000k -pix_fmt yuv420p -c:a aac -b:a 128k -ac 2 "$input"
fi
cargo build --release --quiet --example flv2hls
flv2hls=target/release/examples/flv2hls

python3 - "$runs" "$input" "$flv2hls" <<'PY'
import os, resource, shutil, statistics, subprocess, sys, tempfile
runs, src, flv2hls = int(sys.argv[1]), sys.argv[2], sys.argv[3]

def cpu(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

ours, theirs = [], []
for i in range(runs):
    for name, times in (("flv2hls", ours), ("ffmpeg", theirs)):
        out = tempfile.mkdtemp(prefix="cmp-")
        if name == "flv2hls":
            cmd = [flv2hls, src, out, "--frag-duration", "2", "--frag-count", "3", "--vod", "vod.m3u8", "--quiet"]
        else:
            cmd = ["ffmpeg", "-v", "error", "-y", "-i", src, "-c", "copy", "-f", "hls", "-hls_time", "2",
                   "-hls_list_size", "0", os.path.join(out, "index.m3u8")]
        times.append(cpu(cmd))
        segs = len([f for f in os.listdir(out) if f.endswith(".ts")])
        shutil.rmtree(out)
        print(f"run {i+1}: {name:8s} cpu {times[-1]*1000:8.1f} ms, {segs} segments")
mo, mt = statistics.median(ours), statistics.median(theirs)
size = os.path.getsize(src)
print(f"input: {src} ({size/1e6:.1f} MB)")
print(f"median cpu: flv2hls {mo*1000:.1f} ms ({size/mo/1e6:.0f} MB/s), ffmpeg {mt*1000:.1f} ms ({size/mt/1e6:.0f} MB/s)")
print(f"ratio flv2hls/ffmpeg cpu: {mo/mt:.3f} (goal <= 0.200)")
PY
