# shellcheck shell=bash
# Shell side of the load measurements, sourced by compare-nginx.sh and
# compare-revisions.sh from the repository root; the measuring itself is
# benches/measure.py.

# bench_fixture SECONDS: the path of the 720p 3 Mb/s H.264 + AAC FLV input,
# SECONDS long, made with ffmpeg the first time.
bench_fixture() {
    local seconds="$1" fixtures=target/bench-fixtures
    local input="$fixtures/720p_3mbps_${seconds}s.flv"
    command -v ffmpeg >/dev/null || { echo "ffmpeg is required" >&2; return 1; }
    mkdir -p "$fixtures"
    if [ ! -s "$input" ]; then
        ffmpeg -hide_banner -loglevel error -y -f lavfi -i "testsrc2=size=1280x720:rate=30" -f lavfi -i "sine=frequency=440:sample_rate=44100" \
            -t "$seconds" -c:v libx264 -preset veryfast -profile:v high -bf 2 -g 60 -keyint_min 60 -sc_threshold 0 \
            -b:v 3000k -maxrate 3000k -bufsize 6000k -pix_fmt yuv420p -c:a aac -b:a 128k -ac 2 "$input" >&2
    fi
    echo "$input"
}

# bench_shm: a fresh directory on tmpfs for the servers' output (the memory
# store would count every stored segment as server memory), exported as
# BENCH_SHM; the caller removes it. BENCH_TMPFS names the tmpfs (default
# /dev/shm), e.g. one mounted with other options (`mount -t tmpfs -o
# size=20g,huge=within_size tmpfs /mnt/t` and BENCH_TMPFS=/mnt/t: every
# server writes there alike).
bench_shm() {
    BENCH_SHM=$(mktemp -d "${BENCH_TMPFS:-/dev/shm}/livechannel-bench.XXXXXX")
    # nginx's worker runs as nobody: it must reach its HLS directory in here.
    chmod 755 "$BENCH_SHM"
    export BENCH_SHM
    # Its mount options (size, huge=) go with the results.
    echo "output on: $(findmnt -no TARGET,FSTYPE,OPTIONS --target "$BENCH_SHM" 2>/dev/null || echo "$BENCH_SHM")"
}

# bench_machine: CPU model, cores and kernel, one line.
bench_machine() {
    local model
    model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
    echo "machine: ${model:-unknown}, $(nproc) cores, Linux $(uname -r)"
}

# bench_load: the load average (1, 5, 15 min) and the running tasks, one line:
# how busy the machine was around the measurements.
bench_load() {
    echo "load average: $(cut -d' ' -f1-4 /proc/loadavg) ($(date -u +%H:%M:%S) UTC)"
}

# Linux free page reporting (a VM's balloon telling the host which guest
# pages are free, so that the host can take them back): this VM reports
# pages a few seconds after they are freed, and the next writer of a
# reported page waits for the host to fault in a zeroed one. dd writes 6 GiB
# of tmpfs at ~2.5 GB/s onto pages freed a moment ago and at ~0.9 GB/s onto
# pages freed 5 s before (reported meanwhile). A server writing segments that
# the janitor deletes 8 s later writes onto such pages at random, the warm-up
# does not hold (its pages are reported before the first run starts), and the
# first run after it was 13-14 s behind where later rounds were not.
bench_reporting=/sys/module/page_reporting/parameters/page_reporting_order
# No free block is this large (orders go up to 10 on x86): nothing is
# reported. The order this VM boots with.
bench_reporting_off=11

# bench_hold_freed_pages: stop free page reporting while the runs go
# (page_reporting_order bench_reporting_off), saying so; bench_restore_freed_pages (in the EXIT trap) puts
# the old order back. Without root, a warning: the figures will be noisier.
bench_hold_freed_pages() {
    local order
    BENCH_REPORTING_ORDER=""
    if [ ! -e "$bench_reporting" ]; then
        echo "free page reporting: not in this kernel"
        return
    fi
    order=$(cat "$bench_reporting")
    if [ "$order" -ge "$bench_reporting_off" ]; then
        echo "free page reporting: off (page_reporting_order $order)"
    elif (echo "$bench_reporting_off" >"$bench_reporting") 2>/dev/null; then
        BENCH_REPORTING_ORDER="$order"
        echo "free page reporting: off while measuring (page_reporting_order $order -> $bench_reporting_off, restored at exit)"
    else
        echo "warning: free page reporting is on (page_reporting_order $order) and only root can stop it: freed tmpfs pages go back to the host within seconds, so the warm-up does not hold and the figures are noisier" >&2
    fi
}

bench_restore_freed_pages() {
    if [ -n "${BENCH_REPORTING_ORDER:-}" ]; then
        echo "$BENCH_REPORTING_ORDER" >"$bench_reporting" 2>/dev/null || true
    fi
}

# bench_warm_shm MIB: write MIB MiB into BENCH_SHM at once and delete them.
# On a VM, tmpfs pages never used before cost the writer several times more
# than pages used and freed, which would charge whichever server runs first;
# afterwards the runs write onto recycled pages. Capped at what the machine
# has available less 2 GiB. Files other work left in tmpfs shrink that (a
# run with 7 GB of leftovers in /dev/shm had odd rounds), so more than
# 1 GiB of shared memory in use is called out first.
bench_warm_shm() {
    local mib="$1" avail held t0
    held=$(awk '/^Shmem:/ { print int($2 / 1024) }' /proc/meminfo)
    if [ "$held" -gt 1024 ]; then
        echo "warning: $held MiB already in tmpfs or shared memory (files left in /dev/shm?): less to warm with, less for the runs" >&2
    fi
    avail=$(awk '/^MemAvailable:/ { print int($2 / 1024) - 2048 }' /proc/meminfo)
    [ "$mib" -le "$avail" ] || mib="$avail"
    [ "$mib" -gt 0 ] || { echo "tmpfs not warmed: too little memory available" >&2; return; }
    t0=$(date +%s.%N)
    dd if=/dev/zero of="$BENCH_SHM/warm" bs=1M count="$mib" status=none
    rm -f "$BENCH_SHM/warm"
    awk -v t0="$t0" -v t1="$(date +%s.%N)" -v mib="$mib" -v dir="$BENCH_SHM" \
        'BEGIN { printf "tmpfs warmed: wrote and deleted %d MiB in %s in %.1f s\n", mib, dir, t1 - t0 }'
}
