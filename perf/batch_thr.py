#!/usr/bin/env python3
"""tcp throughput against libzmq's batch sizes and I/O threads (issue 14,
item 3): ZMQ_IN_BATCH_SIZE / ZMQ_OUT_BATCH_SIZE (draft options of libzmq
4.3.5, default 8 KiB: how much the I/O thread reads or writes at once) and
ZMQ_IO_THREADS, on local_thr / remote_thr, against C's tools at libzmq's
defaults.

Builds the Rust tools with the draft API (`cargo build --release -p zmq-perf
--features draft`, into $CARGO_TARGET_DIR/draft: the draft API rebuilds
libzmq) unless NO_BUILD=1; the C tools come from `perf/compare.sh
--build-only` (target/perf-c). For each message size it runs C, Rust at the
defaults, and Rust with each batch size of BATCHES and each I/O thread count
of IO_THREADS (both sides of the connection set the same), interleaved, the
order reversed every other repeat, REPEATS times; prints the median msg/s of
each, its ratio to C with a 95 % bootstrap interval, and writes every run to
OUT (default perf/batch_thr.runs.csv).

Environment: REPEATS (default 3), SIZES (default "64 1024 65536"), BATCHES
(bytes, default "8192 65536 262144 1048576"), IO_THREADS (default "2"),
CARGO_TARGET_DIR, TIMEOUT (per process, s, default 60), NO_BUILD, OUT.
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
DRAFT_TARGET = os.path.join(TARGET, "draft")
RUST_BIN = os.path.join(DRAFT_TARGET, "release")
REPEATS = int(os.environ.get("REPEATS", "3"))
SIZES = [int(s) for s in os.environ.get("SIZES", "64 1024 65536").split()]
BATCHES = [int(s) for s in os.environ.get("BATCHES", "8192 65536 262144 1048576").split()]
IO_THREADS = [int(s) for s in os.environ.get("IO_THREADS", "2").split()]
TIMEOUT = float(os.environ.get("TIMEOUT", "60"))
OUT = os.environ.get("OUT", os.path.join(PERF_DIR, "batch_thr.runs.csv"))
# Messages per run, as compare.sh (one run ~0.5-2 s on 2 cores).
COUNTS = {1: 2000000, 64: 1500000, 1024: 500000, 65536: 30000}


def sides():
    out = [("C", C_BIN, []), ("Rust", RUST_BIN, [])]
    out += [(f"batch {b}", RUST_BIN, [f"--batch={b}"]) for b in BATCHES]
    out += [(f"io-threads {n}", RUST_BIN, [f"--io-threads={n}"]) for n in IO_THREADS]
    return out


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listen(port):
    for _ in range(200):
        out = subprocess.run(["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True)
        if out.stdout.strip():
            return
        time.sleep(0.025)
    raise RuntimeError(f"nothing listens on {port}")


def run_one(size, count, path, extra):
    ep = f"tcp://127.0.0.1:{free_port()}"
    local = subprocess.Popen([os.path.join(path, "local_thr"), *extra, ep, str(size), str(count)],
                             stdout=subprocess.PIPE, text=True)
    wait_listen(int(ep.rsplit(":", 1)[1]))
    remote = subprocess.Popen([os.path.join(path, "remote_thr"), *extra, ep, str(size), str(count)],
                              stdout=subprocess.PIPE, text=True)
    try:
        out, _ = local.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        local.kill()
        out, _ = local.communicate()
    try:
        remote.wait(timeout=10)
    except subprocess.TimeoutExpired:
        remote.kill()
        remote.wait()
    m = re.search(r"^mean throughput: (\d+) \[msg/s\]$", out, re.M)
    return float(m.group(1)) if m else None


def interval(base, side, rng, n=2000):
    if not base or not side:
        return float("nan"), float("nan")
    r = sorted(statistics.median(rng.choices(side, k=len(side)))
               / statistics.median(rng.choices(base, k=len(base))) for _ in range(n))
    return r[int(0.025 * n)], r[int(0.975 * n) - 1]


def main():
    if os.environ.get("NO_BUILD") != "1":
        print("== cargo build --release -p zmq-perf --features draft (target: draft/)", file=sys.stderr)
        subprocess.run(["cargo", "build", "--release", "-p", "zmq-perf", "--features", "draft",
                        "--bin", "local_thr", "--bin", "remote_thr"],
                       cwd=ROOT, env={**os.environ, "CARGO_TARGET_DIR": DRAFT_TARGET}, check=True)
    if not os.path.exists(os.path.join(C_BIN, "local_thr")):
        sys.exit("no C tools: run perf/compare.sh --build-only first")
    runs = []
    load_before = os.getloadavg()
    for size in SIZES:
        count = COUNTS.get(size, 100000)
        for rep in range(1, REPEATS + 1):
            for name, path, extra in (sides() if rep % 2 else sides()[::-1]):
                v = run_one(size, count, path, extra)
                print(f"tcp_thr {size} {name} #{rep}: {v}", file=sys.stderr)
                runs.append((size, count, name, rep, v))
    load_after = os.getloadavg()
    with open(OUT, "w", newline="") as f:
        csv.writer(f).writerows([("size", "count", "side", "repeat", "msg_per_s")] + runs)

    rng = random.Random(1)
    print(f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after; "
          f"nproc {os.cpu_count()}; {REPEATS} repeats per side")
    hdr = f"{'size':>6} {'side':<18} {'msg/s':>10} {'/C':>6} {'95% interval':>13}"
    print(hdr)
    print("-" * len(hdr))
    for size in SIZES:
        vals = {n: [r[4] for r in runs if r[0] == size and r[2] == n and r[4]] for n, _, _ in sides()}
        c = statistics.median(vals["C"]) if vals["C"] else float("nan")
        for name, _, _ in sides():
            if not vals[name]:
                print(f"{size:>6} {name:<18} FAILED")
                continue
            m = statistics.median(vals[name])
            lo, hi = interval(vals["C"], vals[name], rng)
            print(f"{size:>6} {name:<18} {m:>10.0f} {m / c:>6.3f} {lo:>6.3f}-{hi:<6.3f}")
    print(f"\nruns in {OUT}")


if __name__ == "__main__":
    main()
