#!/usr/bin/env bash
# Keyframe -> segment playable over HTTP (issue 16, goal 4: p99 < 20 ms
# with the file store), with N other streams publishing meanwhile.
#
#   [SERVER_ARGS="--io-threads 8"] benches/latency-under-load.sh [N] [SECONDS]
#
# Starts livechannel-server over a file store in a temporary directory,
# creates channel `lat` (FragDuration 1, so each keyframe of the 2 s GOP
# closes a segment) and channels bg-0 .. bg-(N-1), starts `rtmp-publish
# --connections N` to the bg channels (real time), and 3 s later runs
# `latency-probe` on `lat`, which prints p50/p99/max over the segments
# it saw appear (and each sample, in order). The input is the 720p 3 Mb/s fixture, SECONDS long
# (default 60). Prints the machine line and the load average first.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-0}"
seconds="${2:-60}"
# shellcheck source=benches/lib-measure.sh
. benches/lib-measure.sh
input=$(bench_fixture "$seconds")
cargo build --release --quiet --example livechannel-server --example rtmp-publish --example latency-probe
bench_machine
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

dir=$(mktemp -d)
http=127.0.0.1:18080
rtmp=127.0.0.1:11935
# shellcheck disable=SC2086 # SERVER_ARGS: more flags for the server, split on spaces
target/release/examples/livechannel-server --http "$http" --rtmp "$rtmp" \
    --store "file://$dir/store" ${SERVER_ARGS:-} 2>"$dir/server.log" &
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 50); do
    curl -sf "http://$http/" >/dev/null && break
    sleep 0.1
done

xml='<LiveChannelConfiguration><Target><Type>HLS</Type><FragDuration>1</FragDuration><FragCount>3</FragCount></Target></LiveChannelConfiguration>'
create() { curl -sf -X PUT --data "$xml" "http://$http/demo/$1?live" >/dev/null; }
create lat
for i in $(seq 0 $((n - 1))); do create "bg-$i"; done
if [ "$n" -gt 0 ]; then
    target/release/examples/rtmp-publish "rtmp://$rtmp/live/bg" "$input" \
        --connections "$n" >"$dir/background.log" 2>&1 &
    sleep 3
fi
echo "N=$n background streams:"
target/release/examples/latency-probe "rtmp://$rtmp/live/lat" \
    "http://$http/demo/lat/playlist.m3u8" "$input" --samples
