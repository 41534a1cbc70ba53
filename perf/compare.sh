#!/usr/bin/env bash
# Compares libzmq's C perf tools with their Rust ports (perf/src/bin/*), both
# linked against the SAME libzmq: the static vendored build zmq-sys made (or, with
# LIBZMQ_NO_VENDOR=1, the system libzmq).
#
# C and Rust runs are interleaved (C, Rust, Rust, C, C, Rust ...: the side that
# goes first alternates), REPEATS times each (default 5); the table shows the
# median of each side, their ratio Rust/C (which the targets apply to) and, as
# "paired", the median of the ratios within each repeat.
# Outputs: the table on stdout, perf/results.csv, perf/results.svg and every
# run's figure in perf/results.runs.csv (kind,size,count,side,repeat,figure).
#
# `perf/compare.sh --build-only` just builds both sets of tools (callgrind.sh uses
# that).
#
# Environment: REPEATS (default 5), TIMEOUT per process in seconds (default 60),
# LIBZMQ_NO_VENDOR=1 (system libzmq), CARGO_TARGET_DIR (as for cargo), ONLY (an
# extended regex: run only the workloads whose "kind size" matches, e.g.
# ONLY='^inproc_thr(_filled)? 1$'; the CSV and SVG of such a partial run go to
# a temporary directory, leaving perf/results.* alone).
set -euo pipefail

PERF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$PERF_DIR/.." && pwd)
REPEATS=${REPEATS:-5}
TIMEOUT=${TIMEOUT:-60}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
RUST_BIN=$TARGET_DIR/release
C_BIN=$TARGET_DIR/perf-c
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# ---------------------------------------------------------------- report --
# report <runs.csv> <prefix>: the table on stdout, <prefix>.csv and <prefix>.svg.
report() {
python3 - "$1" "$2.csv" "$2.svg" <<'EOF'
import csv, random, statistics, sys
from collections import OrderedDict

# A fixed seed: the same runs always give the same intervals.
rng = random.Random(1)


def interval(cs, rs, n=2000):
    """95 % bootstrap interval of median(Rust) / median(C): both sides'
    runs resampled with replacement, n times."""
    if not cs or not rs:
        return float("nan"), float("nan")
    ratios = sorted(statistics.median(rng.choices(rs, k=len(rs)))
                    / statistics.median(rng.choices(cs, k=len(cs))) for _ in range(n))
    return ratios[int(0.025 * n)], ratios[int(0.975 * n) - 1]

raw, csv_path, svg_path = sys.argv[1:4]
runs = OrderedDict()
by_rep = {}
for kind, size, count, side, rep, value in csv.reader(open(raw)):
    key = (kind, int(size), int(count))
    runs.setdefault(key, {"C": [], "Rust": []})
    if value:
        runs[key][side].append(float(value))
        by_rep.setdefault(key, {}).setdefault(rep, {})[side] = float(value)

rows = []
for (kind, size, count), sides in runs.items():
    lat = kind.endswith("_lat")
    c = statistics.median(sides["C"]) if sides["C"] else float("nan")
    r = statistics.median(sides["Rust"]) if sides["Rust"] else float("nan")
    ratio = r / c if c else float("nan")
    # The same ratio taken within each repeat (the C and Rust runs next to each
    # other), then the median: a drift of the machine's speed over the run
    # cancels out of it.
    pairs = [v["Rust"] / v["C"] for v in by_rep.get((kind, size, count), {}).values()
             if v.get("C") and "Rust" in v]
    paired = statistics.median(pairs) if pairs else float("nan")
    def meets(value):
        return value <= 1.02 if lat else value >= 0.98
    # What the runs can tell: the target is met (or missed) only when the
    # whole interval is on that side of it; otherwise the difference is
    # within what this machine's noise allows.
    lo, hi = interval(sides["C"], sides["Rust"])
    worst, best = (hi, lo) if lat else (lo, hi)
    says = "meets" if meets(worst) else "misses" if not meets(best) else "noise"
    rows.append({
        "workload": f"{kind} {size}B",
        "count": count,
        "unit": "us" if lat else "msg/s",
        "c": c, "rust": r, "ratio": ratio, "paired": paired, "lo": lo, "hi": hi,
        "says": says,
        "target": "<= 1.02" if lat else ">= 0.98",
        "ok": "ok" if meets(ratio) else "MISS",
        "runs": len(sides["C"]),
    })

hdr = (f"{'workload':<24} {'unit':<5} {'C (median)':>11} {'Rust (median)':>13} {'Rust/C':>6} "
       f"{'paired':>6} {'95% interval':>12}  target       the interval")
print(hdr)
print("-" * len(hdr))
for x in rows:
    fmt = ".3f" if x["unit"] == "us" else ".0f"
    print(f"{x['workload']:<24} {x['unit']:<5} {x['c']:>11{fmt}} {x['rust']:>13{fmt}} "
          f"{x['ratio']:>6.3f} {x['paired']:>6.3f} {x['lo']:>5.3f}-{x['hi']:<6.3f}  "
          f"{x['target']} {x['ok']:<4} {x['says']}")

with open(csv_path, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["workload", "message_count", "unit", "c_median", "rust_median",
                "rust_over_c", "paired_rust_over_c", "interval_low", "interval_high",
                "target", "status", "interval_says", "repeats"])
    for x in rows:
        w.writerow([x["workload"], x["count"], x["unit"], f"{x['c']:.3f}",
                    f"{x['rust']:.3f}", f"{x['ratio']:.4f}", f"{x['paired']:.4f}",
                    f"{x['lo']:.4f}", f"{x['hi']:.4f}", x["target"], x["ok"], x["says"],
                    x["runs"]])

# A horizontal bar per workload: the ratio Rust/C, a reference line at 1.0.
bar_h, gap, left, width, top = 18, 8, 170, 420, 40
vmax = min(1.5, max([1.2] + [v for x in rows for v in (x["ratio"], x["hi"]) if v == v]))
scale = width / vmax
height = top + len(rows) * (bar_h + gap) + 56
out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 140}" '
       f'height="{height}" font-family="sans-serif" font-size="12">',
       f'<text x="10" y="20" font-size="13">Rust/C per workload and its 95 % interval '
       f'(throughput: higher is better; latency: lower)</text>',
       f'<text x="10" y="{height - 8}" font-size="11">green: the interval meets the '
       f'target; red: it misses it; yellow: it spans it (noise)</text>']
for i, x in enumerate(rows):
    y = top + i * (bar_h + gap)
    ratio = x["ratio"] if x["ratio"] == x["ratio"] else 0.0
    colour = {"meets": "#4a8", "misses": "#d64"}.get(x["says"], "#db3")
    out.append(f'<text x="{left - 6}" y="{y + 13}" text-anchor="end">{x["workload"]}</text>')
    out.append(f'<rect x="{left}" y="{y}" width="{ratio * scale:.1f}" height="{bar_h}" fill="{colour}"/>')
    # The 95 % interval as a whisker across the bar's end.
    if x["lo"] == x["lo"] and x["hi"] == x["hi"]:
        lo, hi = min(x["lo"], vmax) * scale, min(x["hi"], vmax) * scale
        out.append(f'<line x1="{left + lo:.1f}" y1="{y + bar_h / 2}" x2="{left + hi:.1f}" '
                   f'y2="{y + bar_h / 2}" stroke="black"/>')
    out.append(f'<text x="{left + width + 4:.1f}" y="{y + 13}">{ratio:.3f}</text>')
x1 = left + scale
out.append(f'<line x1="{x1:.1f}" y1="{top - 6}" x2="{x1:.1f}" y2="{height - 46}" '
           f'stroke="black" stroke-dasharray="4 3"/>')
out.append(f'<text x="{x1:.1f}" y="{height - 30}" text-anchor="middle">1.0</text>')
out.append("</svg>")
open(svg_path, "w").write("\n".join(out) + "\n")
print(f"\nwrote {csv_path} and {svg_path}")
EOF
}

if [ "${1:-}" = --report ]; then
    # Only the report, from the runs of an earlier run (its results.runs.csv).
    report "${2:?usage: compare.sh --report RUNS.csv [PREFIX]}" "${3:-$(mktemp -d)/results}"
    exit 0
fi

# ---------------------------------------------------------------- build ---
echo "== building the Rust tools (cargo build --release -p zmq-perf)" >&2
(cd "$ROOT" && timeout 1800 cargo build --release -p zmq-perf --message-format=json \
    >"$WORK/cargo.json")

mkdir -p "$C_BIN" "$WORK/include"
# The tools include "platform.hpp" (libzmq's generated config header) only to
# test ZMQ_HAVE_WINDOWS; an empty one is enough on Linux.
: >"$WORK/include/platform.hpp"

if [ "${LIBZMQ_NO_VENDOR:-}" = 1 ]; then
    LINK=(-lzmq -lpthread)
    echo "== linking the C tools against the system libzmq (-lzmq)" >&2
else
    # The directory zmq-sys told cargo to link from (its libzmq.a holds the bundled
    # libsodium; a separate libsodium.a is linked too if a build reports one).
    read -r ZMQ_LIB SODIUM_LIB < <(python3 - "$WORK/cargo.json" <<'EOF'
import json, sys
zmq = sodium = ""
for line in open(sys.argv[1]):
    m = json.loads(line)
    if m.get("reason") != "build-script-executed":
        continue
    paths = [p.split("=", 1)[-1] for p in m.get("linked_paths", [])]
    if "zmq-sys" in m["package_id"] and "static=zmq" in m.get("linked_libs", []):
        zmq = paths[0]
    if "libsodium-sys" in m["package_id"]:
        sodium = paths[0]
print(zmq or "-", sodium or "-")
EOF
)
    if [ ! -f "$ZMQ_LIB/libzmq.a" ]; then
        echo "no vendored libzmq.a found in the zmq-sys build output" >&2
        exit 1
    fi
    LINK=("$ZMQ_LIB/libzmq.a")
    if [ -f "$SODIUM_LIB/libsodium.a" ]; then
        LINK+=(-L"$SODIUM_LIB" -lsodium)
    fi
    LINK+=(-lpthread)
    echo "== linking the C tools against $ZMQ_LIB/libzmq.a" >&2
fi

TOOLS=(local_thr remote_thr local_lat remote_lat inproc_thr inproc_lat proxy_thr)
for t in "${TOOLS[@]}"; do
    timeout 600 g++ -O2 -I"$ROOT/vendor/libzmq/include" -I"$WORK/include" \
        "$ROOT/vendor/libzmq/perf/$t.cpp" -o "$C_BIN/$t" "${LINK[@]}"
done
# inproc_thr.cpp sends its payload uninitialised unless ZMQ_MAKE_VALGRIND_HAPPY;
# this variant writes it, as any real sender (and the Rust port) does.
timeout 600 g++ -O2 -DZMQ_MAKE_VALGRIND_HAPPY -I"$ROOT/vendor/libzmq/include" -I"$WORK/include" \
    "$ROOT/vendor/libzmq/perf/inproc_thr.cpp" -o "$C_BIN/inproc_thr_filled" "${LINK[@]}"
# remote_thr.cpp has no such switch: a generated copy (outside vendor/, which is
# never edited) gets the same memset before each zmq_sendmsg.
mkdir -p "$C_BIN/src"
python3 - "$ROOT/vendor/libzmq/perf/remote_thr.cpp" "$C_BIN/src/remote_thr_filled.cpp" <<'EOF'
import sys
src = open(sys.argv[1]).read()
send = "        rc = zmq_sendmsg (s, &msg, 0);\n"
if src.count(send) != 1:
    sys.exit("remote_thr.cpp: zmq_sendmsg line not found; update compare.sh")
fill = "        memset (zmq_msg_data (&msg), 0, message_size); /* added by compare.sh */\n"
src = src.replace(send, fill + send)
open(sys.argv[2], "w").write("#include <string.h>\n" + src)
EOF
timeout 600 g++ -O2 -I"$ROOT/vendor/libzmq/include" -I"$WORK/include" \
    "$C_BIN/src/remote_thr_filled.cpp" -o "$C_BIN/remote_thr_filled" "${LINK[@]}"
echo "== C tools in $C_BIN, Rust tools in $RUST_BIN" >&2
if [ "${1:-}" = --build-only ]; then
    exit 0
fi

# ---------------------------------------------------------------- runs ----
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits (at most ~5 s) until something listens on 127.0.0.1:$1.
wait_listen() {
    for _ in $(seq 100); do
        if ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; then return 0; fi
        sleep 0.05
    done
    return 1
}

# figure <file> <thr|lat>: the msg/s or the latency figure of a tool's output.
figure() {
    case $2 in
        thr) sed -n 's/^mean throughput: \([0-9]*\) \[msg\/s\]$/\1/p' "$1" ;;
        lat) sed -n 's/^average latency: \([0-9.]*\) \[us\]$/\1/p' "$1" ;;
    esac
}

# run_one <bin dir> <workload kind> <size> <count>: prints the figure.
run_one() {
    local dir=$1 kind=$2 size=$3 count=$4 out=$WORK/out port
    case $kind in
        tcp_thr | tcp_lat | tcp_thr_filled)
            local suffix=${kind#tcp_} remote
            suffix=${suffix%_filled}
            remote=$dir/remote_$suffix
            # The C sender of tcp_thr_filled is remote_thr with a memset added.
            if [ "$kind" = tcp_thr_filled ] && [ "$dir" = "$C_BIN" ]; then
                remote=$dir/remote_thr_filled
            fi
            port=$(free_port)
            timeout "$TIMEOUT" "$dir/local_$suffix" "tcp://127.0.0.1:$port" "$size" "$count" \
                >"$out.local" &
            local pid=$!
            wait_listen "$port" || { echo "local_$suffix did not listen" >&2; }
            timeout "$TIMEOUT" "$remote" "tcp://127.0.0.1:$port" "$size" "$count" \
                >"$out.remote"
            wait "$pid"
            if [ "$suffix" = thr ]; then figure "$out.local" thr; else figure "$out.remote" lat; fi
            ;;
        inproc_thr | proxy_thr)
            timeout "$TIMEOUT" "$dir/$kind" "$size" "$count" >"$out"
            figure "$out" thr
            ;;
        inproc_thr_filled)
            # The C side is inproc_thr built with ZMQ_MAKE_VALGRIND_HAPPY.
            local bin=$dir/inproc_thr_filled
            if [ "$dir" = "$RUST_BIN" ]; then bin=$dir/inproc_thr; fi
            timeout "$TIMEOUT" "$bin" "$size" "$count" >"$out"
            figure "$out" thr
            ;;
        inproc_lat)
            timeout "$TIMEOUT" "$dir/$kind" "$size" "$count" >"$out"
            figure "$out" lat
            ;;
    esac
}

# kind size count: counts chosen so one run takes ~0.5-2 s on the 2-core machine
# the README's figures come from.
WORKLOADS=(
    "tcp_thr 1 2000000"
    "tcp_thr 64 1500000"
    "tcp_thr 1024 500000"
    "tcp_thr 65536 30000"
    "tcp_thr_filled 1 2000000"
    "tcp_thr_filled 64 1500000"
    "tcp_thr_filled 1024 500000"
    "tcp_thr_filled 65536 30000"
    "tcp_lat 1 10000"
    "tcp_lat 1024 10000"
    "inproc_thr 1 5000000"
    "inproc_thr 64 3000000"
    "inproc_thr 1024 2000000"
    "inproc_thr 65536 50000"
    "inproc_thr_filled 1 5000000"
    "inproc_thr_filled 64 3000000"
    "inproc_thr_filled 1024 2000000"
    "inproc_thr_filled 65536 50000"
    "inproc_lat 1 100000"
    "inproc_lat 1024 100000"
    "proxy_thr 64 1000000"
)

RAW=$WORK/raw.csv
: >"$RAW"
for w in "${WORKLOADS[@]}"; do
    read -r kind size count <<<"$w"
    # ONLY=<extended regex> runs the workloads whose "kind size" matches it.
    if [ -n "${ONLY:-}" ] && ! grep -Eq -- "$ONLY" <<<"$kind $size"; then continue; fi
    for rep in $(seq "$REPEATS"); do
        # Which side runs first alternates, so that an effect of going first (or
        # of following the other) does not fall on one side only.
        if [ $((rep % 2)) = 1 ]; then order="C Rust"; else order="Rust C"; fi
        for side in $order; do
            if [ $side = C ]; then dir=$C_BIN; else dir=$RUST_BIN; fi
            value=$(run_one "$dir" "$kind" "$size" "$count" || true)
            echo "$kind $size ($count) $side #$rep: ${value:-FAILED}" >&2
            echo "$kind,$size,$count,$side,$rep,${value:-}" >>"$RAW"
        done
    done
done

# Every run's figure, for whoever wants to look past the medians.
RESULTS=$PERF_DIR/results
if [ -n "${ONLY:-}" ]; then
    RESULTS=$(mktemp -d)/results
    echo "== partial run (ONLY=$ONLY): CSV and SVG in $RESULTS.*" >&2
fi
cp "$RAW" "$RESULTS.runs.csv"
report "$RAW" "$RESULTS"
