"""Measuring one server under RTMP load: shared by compare-nginx.sh and
compare-revisions.sh (imported by their embedded Python; see
lib-measure.sh for the shell side: fixture, tmpfs directory, machine).

One run: start the server, `rtmp-publish --connections N` pushes the fixture
in real time, and we record the server's CPU time (from /proc), its peak RSS
above idle, how far the slowest publisher fell behind real time, and the
segments it wrote. Segments older than 8 s are deleted while it runs
(KEEP_SEGMENTS=1 keeps them; compare-nginx.sh says why). PIN=1 runs the
server on core 1 and the load (publisher, this sampler, the janitor) on
core 0.
"""
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request

TICK = os.sysconf("SC_CLK_TCK")
PIN = os.environ.get("PIN") == "1"
SERVER_CPU = ["taskset", "-c", "1"] if PIN else []
LOAD_CPU = ["taskset", "-c", "0"] if PIN else []
KEEP = os.environ.get("KEEP_SEGMENTS") == "1"
# BATCH_MS=M: the publisher writes the tags due in each M ms in one write
# (rtmp-publish --batch-ms), several times cheaper per stream for the load
# core than a write per tag; the same for every server.
BATCH = ["--batch-ms", os.environ["BATCH_MS"]] if os.environ.get("BATCH_MS") else []
if PIN:
    # This script's sampling and the janitor belong with the load.
    os.sched_setaffinity(0, {0})


def cpu(pid):
    """User + system CPU seconds of a process so far."""
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / TICK


def rss_kib(pid):
    return int(re.search(r"VmRSS:\s+(\d+)", open(f"/proc/{pid}/status").read()).group(1))


def busy_seconds():
    """CPU seconds all cores spent on anything but idle and iowait, and the steal among them."""
    f = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    # user nice system idle iowait irq softirq steal (guest is inside user)
    return (sum(f[:8]) - f[3] - f[4]) / TICK, f[7] / TICK


def wait_quiet(limit, longest=120.0):
    """Wait (at most `longest` s) until the machine has been busier than `limit` cores
    for no 2 s: runs start when other work on it pauses, if it does. Returns the seconds waited."""
    t0 = time.time()
    while time.time() - t0 < longest:
        b0, _ = busy_seconds()
        time.sleep(2.0)
        b1, _ = busy_seconds()
        if (b1 - b0) / 2.0 <= limit:
            break
    return time.time() - t0


def machine():
    model = "unknown"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return f"{model}, {os.cpu_count()} cores, Linux {os.uname().release}"


def hidden(root, path):
    """Whether path is in a dot directory below root: a store's own files (the
    file store's metadata sidecars, `.tmp-meta/KEY`), named like the objects."""
    return any(part.startswith(".") for part in os.path.relpath(path, root).split(os.sep) if part != ".")


def sweep(root, seen, older_than):
    """Note each segment under root in `seen` (path -> its size now), and
    delete those last written before `older_than` (a time; 0 deletes none).

    Files under dot directories named like segments (sidecars) go too, as
    deleting the object would take them, but are not counted."""
    for path, _, files in os.walk(root):
        for f in files:
            if f.endswith(".ts"):
                full = os.path.join(path, f)
                try:
                    st = os.stat(full)
                    if not hidden(root, path):
                        seen[full] = st.st_size
                    if st.st_mtime < older_than:
                        os.unlink(full)
                except FileNotFoundError:
                    pass


def janitor(root, stop, seen, delete):
    """Sweep root every second, deleting segments older than 8 s if `delete`,
    and once more when stop is set. A server that deletes its own old
    segments (SRS's hls_cleanup, or on exit) is still credited with them:
    each lives for seconds, and is seen, unless the sweeps are starved of
    CPU for longer (on a busy machine at N=500, PIN=1: 16 of SRS's 5,000
    segments went unseen), so its count is a lower bound."""
    while True:
        stopped = stop.wait(1.0)
        sweep(root, seen, time.time() - 8 if delete else 0)
        if stopped:
            return


def start_server(cmd, port, host="127.0.0.1", **popen):
    """Start a server (pinned like SERVER_CPU), once it accepts connections on host:port."""
    p = subprocess.Popen(SERVER_CPU + cmd, stderr=subprocess.DEVNULL, **popen)
    for _ in range(100):
        try:
            socket.create_connection((host, port), timeout=1).close()
            return p
        except OSError:
            if p.poll() is not None:
                sys.exit(f"{cmd[0]} exited with {p.returncode} at start")
            time.sleep(0.05)
    sys.exit(f"{cmd[0]} is not listening on {host}:{port}")


def start_livechannel(binary, store, http="127.0.0.1:19360", rtmp="127.0.0.1:19362", extra=()):
    """A livechannel-server with a file store in `store` (emptied first), once
    its API answers; `extra` are more flags for it."""
    subprocess.run(["rm", "-rf", store])
    p = subprocess.Popen(SERVER_CPU + [binary, "--http", http, "--rtmp", rtmp, "--store", f"file://{store}", *extra],
                         stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://{http}/demo/?live")
            break
        except Exception:
            time.sleep(0.05)
    return p, f"rtmp://{rtmp}/demo/live/ch"


def create_channels(n, http="127.0.0.1:19360"):
    body = b"<LiveChannelConfiguration><Target><Type>HLS</Type><FragDuration>2</FragDuration><FragCount>3</FragCount></Target></LiveChannelConfiguration>"
    for i in range(n):
        req = urllib.request.Request(f"http://{http}/demo/ch-{i}?live", data=body, method="PUT")
        urllib.request.urlopen(req).read()


def load(name, proc, pid, url, n, src, seconds, out_dir, work, publisher="target/release/examples/rtmp-publish",
         cleans=False):
    """Push n streams of src at the server (process `proc`, measured at `pid`), stop it, and report.
    cleans: the server deletes its old segments itself (SRS's hls_cleanup),
    so the janitor only counts them: deleting them too, it won races in which
    SRS then logged a failed unlink with a backtrace (6,499 in one run).

    Returns a dict: sustained, cores (CPU s per wall s), cpu (CPU s), rss (KiB
    per stream above idle), lag (worst, ms), ramp (s until all publishing),
    segments, ts_mb, wall, others (cores busy with anything but the server and
    the publisher: other work on the machine), steal (cores stolen by the
    hypervisor)."""
    time.sleep(0.3)
    idle_rss, cpu0, t0 = rss_kib(pid), cpu(pid), time.time()
    busy0, steal0 = busy_seconds()
    # The report goes to a file: a pipe nobody reads while we sample fills
    # up (a line per connection) and blocks the publisher for good.
    report = open(os.path.join(work, "publish.out"), "w+")
    pub = subprocess.Popen(LOAD_CPU + [publisher, url, src, "--connections", str(n)] + BATCH,
                           stdout=report, stderr=subprocess.STDOUT, text=True)
    stop, seen = threading.Event(), {}
    cleaner = threading.Thread(target=janitor, args=(out_dir, stop, seen, not (KEEP or cleans)))
    cleaner.start()
    peak = idle_rss
    # wait4, not poll: it also gives the publisher's CPU time.
    while True:
        waited, status, usage = os.wait4(pub.pid, os.WNOHANG)
        if waited:
            pub.returncode = os.waitstatus_to_exitcode(status)
            break
        peak = max(peak, rss_kib(pid))
        time.sleep(0.2)
    stop.set()
    cleaner.join()
    report.seek(0)
    out = report.read()
    report.close()
    wall, used = time.time() - t0, cpu(pid) - cpu0
    busy1, steal1 = busy_seconds()
    load_cpu = usage.ru_utime + usage.ru_stime
    others = max(0.0, (busy1 - busy0) - used - load_cpu) / wall
    steal = (steal1 - steal0) / wall
    lags = [float(m) for m in re.findall(r"max lag behind real time ([\d.]+) ms", out)]
    ok = len(lags) == n and pub.returncode == 0
    if not ok:
        failed = [l for l in out.splitlines() if l.strip() and "max lag" not in l and not l.startswith("total")]
        print(f"{name}: {n - len(lags)} of {n} connections failed, e.g. {failed[:1]}", flush=True)
    worst = max(lags) if lags else float("inf")
    # One late publisher or all of them: a server stalling for everyone
    # shows here as it does not in the worst lag alone.
    p90 = sorted(lags)[len(lags) * 9 // 10] if lags else float("inf")
    proc.terminate()
    proc.wait()
    # A server that wrote no segments did not do the work being compared.
    sweep(out_dir, seen, 0)
    written = len(seen)
    # The media in them: a server that drops frames writes fewer bytes.
    ts_mb = sum(seen.values()) / 1e6
    # 2 s segments: about seconds / 2 per stream. nginx-rtmp wrote up to
    # 15 % fewer in some saturated runs that kept up; why is not known.
    expected = n * seconds // 2
    if written < n:
        sys.exit(f"{name} wrote {written} segments for {n} streams: check its setup")
    # The next run counts only its own segments (nginx keeps its directory).
    for entry in os.listdir(out_dir):
        subprocess.run(["rm", "-rf", os.path.join(out_dir, entry)])
    # Streams started while the server was too busy to take new connections
    # quickly never all ran at once: that N was not sustained either.
    ramp = re.search(r"all publishing after ([\d.]+) s", out)
    ramp = float(ramp.group(1)) if ramp else float("inf")
    sustained = ok and worst < 1000 and ramp <= 5.0
    print(f"{name:12s} N={n:4d} sustained={str(sustained):5s} worst lag {worst:8.1f} ms  server cpu {used:6.2f} s "
          f"({100*used/wall:5.1f}% of a core)  rss/stream {(peak-idle_rss)/n:8.0f} KiB  segments {written}/{expected} ({ts_mb:.0f} MB)  "
          f"all publishing after {ramp:.1f} s  lag p90 {p90:.0f} ms  load {load_cpu / wall:4.2f} cores  "
          f"others {others:4.2f} cores", flush=True)
    return dict(sustained=sustained, cores=used / wall, cpu=used, rss=(peak - idle_rss) / n, lag=worst, ramp=ramp,
                segments=written, ts_mb=ts_mb, wall=wall, others=others, steal=steal)
