#!/usr/bin/env python3
"""What a segment costs written into a new file against written over the file
of a deleted one (the file store's spares, examples/src/file_spares.rs).

    python3 benches/tmpfs-reuse.py [DIR] [SEGMENTS] [ROUNDS]

DIR (default /dev/shm) gets a scratch directory. Each round writes SEGMENTS
(default 4000) segments of 750 KB (a 3 Mb/s, 2 s segment) in 64 KiB pwrites,
keeping the newest 5, once each way:
  new:    create, write, close; the oldest unlinked (the unlinks timed apart)
  reused: the oldest renamed aside as a spare; the next segment renames a
          spare back, writes over it, cuts it to length
and prints the CPU time per segment (user + system, this process), the
medians over the rounds, and the machine. Run it pinned (taskset -c 1) on a
quiet machine; the rounds alternate the two ways.
"""
import os
import platform
import resource
import statistics
import sys
import time

SEG = 750_000
CHUNK = 65536
KEEP = 5


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def write(fd, buf):
    off = 0
    while off < SEG:
        k = min(CHUNK, SEG - off)
        os.pwrite(fd, buf[:k] if k < CHUNK else buf, off)
        off += k


def run(d, n, reuse, buf):
    """CPU s per segment written, and per unlink (new files only)."""
    live, spares, unlink_s = [], [], 0.0
    t0 = cpu()
    for i in range(n):
        name = f"{d}/{i}.ts"
        if reuse and spares:
            spare = spares.pop(0)
            os.rename(spare, name + ".part")
            fd = os.open(name + ".part", os.O_WRONLY)
            write(fd, buf)
            os.ftruncate(fd, SEG)
            os.close(fd)
            os.rename(name + ".part", name)
        else:
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            write(fd, buf)
            os.close(fd)
        live.append(name)
        if len(live) > KEEP:
            old = live.pop(0)
            if reuse:
                spare = f"{d}/spare-{i}"
                os.rename(old, spare)
                spares.append(spare)
            else:
                u = cpu()
                os.unlink(old)
                unlink_s += cpu() - u
    total = cpu() - t0
    for f in os.listdir(d):
        os.unlink(os.path.join(d, f))
    return (total - unlink_s) / n, unlink_s / max(n - KEEP, 1)


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "/dev/shm"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 4000
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    d = os.path.join(root, f"tmpfs-reuse-{os.getpid()}")
    os.makedirs(d)
    buf = os.urandom(CHUNK)
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}; {root}")
    new, unlink, reused = [], [], []
    try:
        for r in range(rounds):
            w, u = run(d, n, False, buf)
            new.append(w)
            unlink.append(u)
            reused.append(run(d, n, True, buf)[0])
            print(f"round {r + 1}: new file {w * 1e6:.0f} us (+ unlink {u * 1e6:.0f} us), "
                  f"written over a spare {reused[-1] * 1e6:.0f} us per 750 KB segment", flush=True)
    finally:
        for f in os.listdir(d):
            os.unlink(os.path.join(d, f))
        os.rmdir(d)
    m = statistics.median
    print(f"medians of {rounds}: new {m(new) * 1e6:.0f} us + unlink {m(unlink) * 1e6:.0f} us, "
          f"reused {m(reused) * 1e6:.0f} us: reused/new {m(reused) / m(new):.2f} "
          f"(with the unlink {m(reused) / (m(new) + m(unlink)):.2f})")


if __name__ == "__main__":
    main()
