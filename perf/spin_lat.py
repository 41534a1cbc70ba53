#!/usr/bin/env python3
"""Latency with and without spinning (`--spin=<us>`: Socket::recv_msg_spin),
and the CPU time it costs, against C's latency tools on the same libzmq.

For each workload (inproc_lat and tcp_lat at 1 B and 1 KiB) it runs C, Rust
(no spin) and Rust with each spin of SPINS, interleaved (the order reversed
every other repeat), REPEATS times. Each run's CPU time (user + system, of
every process of the run: both sides for tcp) comes from the kernel's
rusage of the exited children (wait4, i.e. getrusage(RUSAGE_CHILDREN)).

Prints per workload and side: the median latency [us], its ratio to C's with a
95 % bootstrap interval (both sides resampled, fixed seed), and the median CPU
time per roundtrip [us] with its ratio to C's. Writes every run to
perf/spin_lat.runs.csv (or OUT).

Build first: perf/compare.sh --build-only.

Environment: PREFIX (a command prefix for every run, e.g. "chrt -f 10"),
REPEATS (default 5), SPINS (microseconds, default "5 20 50 200"),
INPROC_COUNT / TCP_COUNT (roundtrips, default 100000 / 10000, as compare.sh),
ONLY (regex on "kind size"), CARGO_TARGET_DIR, TIMEOUT (per process, s), OUT.
"""

import csv
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import time

PERF_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(PERF_DIR)
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
C_BIN = os.path.join(TARGET, "perf-c")
RUST_BIN = os.path.join(TARGET, "release")
REPEATS = int(os.environ.get("REPEATS", "5"))
SPINS = [int(s) for s in os.environ.get("SPINS", "5 20 50 200").split()]
TIMEOUT = float(os.environ.get("TIMEOUT", "60"))
ONLY = os.environ.get("ONLY", "")
OUT = os.environ.get("OUT", os.path.join(PERF_DIR, "spin_lat.runs.csv"))
# A command prefix for every tool, e.g. PREFIX="chrt -f 10": real-time
# priority for the benchmark's threads (libzmq's I/O threads inherit it), so
# that on a machine busy with other work they get their cores the way they
# would on a quiet one. Every side runs under the same prefix.
PREFIX = os.environ.get("PREFIX", "").split()

INPROC_COUNT = int(os.environ.get("INPROC_COUNT", "100000"))
TCP_COUNT = int(os.environ.get("TCP_COUNT", "10000"))
WORKLOADS = [("inproc_lat", 1, INPROC_COUNT), ("inproc_lat", 1024, INPROC_COUNT),
             ("tcp_lat", 1, TCP_COUNT), ("tcp_lat", 1024, TCP_COUNT)]


def sides():
    out = [("C", C_BIN, []), ("Rust", RUST_BIN, [])]
    out += [(f"Rust-spin{us}", RUST_BIN, [f"--spin={us}"]) for us in SPINS]
    return out


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listen(port):
    """Waits until something listens on the port (asking `ss`, as compare.sh
    does, rather than connecting: no stray peer for the REP socket)."""
    for _ in range(200):
        out = subprocess.run(["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True)
        if out.stdout.strip():
            return
        time.sleep(0.025)
    raise RuntimeError(f"nothing listens on {port}")


def reap(procs):
    """Waits for every process (killing any past TIMEOUT); returns their
    stdout texts and the CPU seconds (user + system) they used in total."""
    cpu, outs = 0.0, []
    deadline = time.monotonic() + TIMEOUT
    for p in procs:
        while True:
            pid, status, usage = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                p.kill()
            time.sleep(0.005)
        p.returncode = os.waitstatus_to_exitcode(status)
        cpu += usage.ru_utime + usage.ru_stime
        outs.append(p.stdout.read())
    return outs, cpu


def run_one(kind, size, count, path, extra):
    if kind == "inproc_lat":
        p = subprocess.Popen([*PREFIX, os.path.join(path, "inproc_lat"), *extra, str(size), str(count)],
                             stdout=subprocess.PIPE, text=True)
        (out,), cpu = reap([p])
    else:
        port = free_port()
        ep = f"tcp://127.0.0.1:{port}"
        local = subprocess.Popen([*PREFIX, os.path.join(path, "local_lat"), *extra, ep, str(size), str(count)],
                                 stdout=subprocess.PIPE, text=True)
        wait_listen(port)
        remote = subprocess.Popen([*PREFIX, os.path.join(path, "remote_lat"), *extra, ep, str(size), str(count)],
                                  stdout=subprocess.PIPE, text=True)
        (_, out), cpu = reap([local, remote])
    m = re.search(r"^average latency: ([0-9.]+) \[us\]$", out, re.M)
    return (float(m.group(1)) if m else None), cpu


def interval(base, side, rng, n=2000):
    if not base or not side:
        return float("nan"), float("nan")
    r = sorted(statistics.median(rng.choices(side, k=len(side)))
               / statistics.median(rng.choices(base, k=len(base))) for _ in range(n))
    return r[int(0.025 * n)], r[int(0.975 * n) - 1]


def main():
    runs = []
    load_before = os.getloadavg()
    for kind, size, count in WORKLOADS:
        if ONLY and not re.search(ONLY, f"{kind} {size}"):
            continue
        for rep in range(1, REPEATS + 1):
            order = sides() if rep % 2 else sides()[::-1]
            for name, path, extra in order:
                lat, cpu = run_one(kind, size, count, path, extra)
                print(f"{kind} {size} {name} #{rep}: {lat} us, cpu {cpu:.3f} s", file=sys.stderr)
                runs.append((kind, size, count, name, rep, lat, cpu))
    load_after = os.getloadavg()
    with open(OUT, "w", newline="") as f:
        csv.writer(f).writerows([("kind", "size", "count", "side", "repeat", "latency_us", "cpu_s")] + runs)

    rng = random.Random(1)
    print(f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after; "
          f"nproc {os.cpu_count()}; {REPEATS} repeats per side; prefix {' '.join(PREFIX) or '(none)'}")
    hdr = (f"{'workload':<16} {'side':<14} {'lat [us]':>9} {'/C':>6} {'95% interval':>13} "
           f"{'cpu/rt [us]':>11} {'cpu /C':>7}")
    print(hdr)
    print("-" * len(hdr))
    for kind, size, count in WORKLOADS:
        rows = [r for r in runs if r[0] == kind and r[1] == size]
        if not rows:
            continue
        lat = {n: [r[5] for r in rows if r[3] == n and r[5] is not None] for n, _, _ in sides()}
        cpu = {n: [r[6] / count * 1e6 for r in rows if r[3] == n] for n, _, _ in sides()}
        c_lat, c_cpu = statistics.median(lat["C"]), statistics.median(cpu["C"])
        for name, _, _ in sides():
            if not lat[name]:
                print(f"{kind + ' ' + str(size) + 'B':<16} {name:<14} FAILED")
                continue
            m, cm = statistics.median(lat[name]), statistics.median(cpu[name])
            lo, hi = interval(lat["C"], lat[name], rng)
            print(f"{kind + ' ' + str(size) + 'B':<16} {name:<14} {m:>9.3f} {m / c_lat:>6.3f} "
                  f"{lo:>6.3f}-{hi:<6.3f} {cm:>11.2f} {cm / c_cpu:>7.2f}")
    print(f"\nruns in {OUT}")


if __name__ == "__main__":
    main()
