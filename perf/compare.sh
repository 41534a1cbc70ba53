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
# Besides C and Rust (the blocking ports), more sides run on the workloads they
# support, in the same run and the same interleaving: "Async" (the async API,
# perf/src/bin/async_perf.rs, on tcp_thr_filled, tcp_lat, inproc_thr_filled and
# inproc_lat; its rows compare it with Rust, the blocking API: target >= 0.95
# for throughput, <= 1.10 for latency); "Rust-spin" (the latency tools with
# --spin=$SPIN_US, default 50 microseconds: Socket::recv_msg_spin; compared with
# C, no target); "Async-spin" (async_perf's latency tools with the same
# --spin: AsyncSocket::set_recv_spin; compared with C, no target); and the
# other crates of perf/peers, compared with C, no target: the pure-Rust
# engines zmq.rs and rzmq, and rust-zmq (`zmq` 0.10, on its own libzmq
# 4.3.4). SIDES lists the extra sides to run (default "Async Rust-spin
# Async-spin zmq.rs rzmq rust-zmq"; SIDES= runs C and Rust only). To add a peer:
# a binary in perf/peers (see its Cargo.toml) and a line in side_cmd() and
# side_supports() below.
#
# The _shared rows (tcp_thr_shared, inproc_thr_shared) put C's tools as they
# are (payloads never written) beside the Rust senders that write one payload
# once and send it many times by reference (remote_thr_shared,
# inproc_thr_shared: Message::clone, zmq_msg_copy); the receivers are the same.
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
PEERS_BIN=$TARGET_DIR/peers/release
SIDES=${SIDES-Async Rust-spin Async-spin zmq.rs rzmq rust-zmq}
SPIN_US=${SPIN_US:-50}
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
    runs.setdefault(key, {})
    runs[key].setdefault(side, [])
    if value:
        runs[key][side].append(float(value))
        by_rep.setdefault(key, {}).setdefault(rep, {})[side] = float(value)

# (subject, baseline, throughput target, latency target): None = no target,
# the interval then only says faster / slower / noise against 1.0.
COMPARISONS = [
    ("Rust", "C", 0.98, 1.02),
    ("Async", "Rust", 0.95, 1.10),
    ("Rust-spin", "C", None, None),
    ("Async-spin", "C", None, None),
    ("zmq.rs", "C", None, None),
    ("rzmq", "C", None, None),
    ("rust-zmq", "C", None, None),
]

rows = []
for (kind, size, count), sides in runs.items():
    lat = kind.endswith("_lat")
    for subject, base, thr_target, lat_target in COMPARISONS:
        bs, ss = sides.get(base, []), sides.get(subject, [])
        if subject not in sides:
            continue
        b = statistics.median(bs) if bs else float("nan")
        r = statistics.median(ss) if ss else float("nan")
        ratio = r / b if b else float("nan")
        # The same ratio taken within each repeat (the two sides' runs next to
        # each other), then the median: a drift of the machine's speed over the
        # run cancels out of it.
        pairs = [v[subject] / v[base] for v in by_rep.get((kind, size, count), {}).values()
                 if v.get(base) and subject in v]
        paired = statistics.median(pairs) if pairs else float("nan")
        target = lat_target if lat else thr_target
        def meets(value, target=target):
            t = 1.0 if target is None else target
            return value <= t if lat else value >= t
        # What the runs can tell: the target is met (or missed) only when the
        # whole interval is on that side of it; otherwise the difference is
        # within what this machine's noise allows.
        lo, hi = interval(bs, ss)
        worst, best = (hi, lo) if lat else (lo, hi)
        if target is None:
            says = "faster" if meets(worst) else "slower" if not meets(best) else "noise"
            target_text, ok = "(none)", ""
        else:
            says = "meets" if meets(worst) else "misses" if not meets(best) else "noise"
            target_text = f"{'<=' if lat else '>='} {target:.2f}"
            ok = "ok" if meets(ratio) else "MISS"
        rows.append({
            "workload": f"{kind} {size}B",
            "compare": f"{subject}/{base}",
            "count": count,
            "unit": "us" if lat else "msg/s",
            "c": b, "rust": r, "ratio": ratio, "paired": paired, "lo": lo, "hi": hi,
            "says": says,
            "target": target_text,
            "ok": ok,
            "runs": len(ss),
        })

hdr = (f"{'workload':<24} {'compared':<12} {'unit':<5} {'base (median)':>13} {'side (median)':>13} "
       f"{'ratio':>6} {'paired':>6} {'95% interval':>12}  target        the interval")
print(hdr)
print("-" * len(hdr))
for x in rows:
    fmt = ".3f" if x["unit"] == "us" else ".0f"
    print(f"{x['workload']:<24} {x['compare']:<12} {x['unit']:<5} {x['c']:>13{fmt}} {x['rust']:>13{fmt}} "
          f"{x['ratio']:>6.3f} {x['paired']:>6.3f} {x['lo']:>5.3f}-{x['hi']:<6.3f}  "
          f"{x['target']:<8} {x['ok']:<4} {x['says']}")

with open(csv_path, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["workload", "compared", "message_count", "unit", "base_median", "side_median",
                "ratio", "paired_ratio", "interval_low", "interval_high",
                "target", "status", "interval_says", "repeats"])
    for x in rows:
        w.writerow([x["workload"], x["compare"], x["count"], x["unit"], f"{x['c']:.3f}",
                    f"{x['rust']:.3f}", f"{x['ratio']:.4f}", f"{x['paired']:.4f}",
                    f"{x['lo']:.4f}", f"{x['hi']:.4f}", x["target"], x["ok"], x["says"],
                    x["runs"]])

# A horizontal bar per workload: the ratio Rust/C, a reference line at 1.0.
bar_h, gap, left, width, top = 18, 8, 290, 420, 40
vmax = min(1.5, max([1.2] + [v for x in rows for v in (x["ratio"], x["hi"]) if v == v]))
scale = width / vmax
height = top + len(rows) * (bar_h + gap) + 56
out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 140}" '
       f'height="{height}" font-family="sans-serif" font-size="12">',
       f'<text x="10" y="20" font-size="13">Each side against its baseline (Rust/C, Async/Rust, '
       f'peers/C) and the 95 % interval (throughput: higher is better; latency: lower)</text>',
       f'<text x="10" y="{height - 8}" font-size="11">green: the interval meets the '
       f'target (peers: faster than C); red: it misses it (slower); yellow: it spans it (noise)</text>']
for i, x in enumerate(rows):
    y = top + i * (bar_h + gap)
    ratio = x["ratio"] if x["ratio"] == x["ratio"] else 0.0
    colour = {"meets": "#4a8", "faster": "#4a8", "misses": "#d64", "slower": "#d64"}.get(x["says"], "#db3")
    out.append(f'<text x="{left - 6}" y="{y + 13}" text-anchor="end">{x["workload"]} {x["compare"]}</text>')
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
echo "== building the Rust tools (cargo build --release -p zmq-perf --features tokio)" >&2
(cd "$ROOT" && timeout 1800 cargo build --release -p zmq-perf --features tokio \
    --message-format=json >"$WORK/cargo.json")
if grep -Eq 'zmq\.rs|rzmq|rust-zmq' <<<"$SIDES"; then
    # The peers' crate (its own lock file and target dir; never built by CI's tests).
    echo "== building the peers (perf/peers: zmq.rs, rzmq, rust-zmq)" >&2
    CARGO_TARGET_DIR=$TARGET_DIR/peers timeout 1800 cargo build --release \
        --manifest-path "$PERF_DIR/peers/Cargo.toml" >&2
fi

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

# side_cmd <side> <tool>: the command (words) that runs <tool> for <side>.
side_cmd() {
    case $1 in
        C) echo "$C_BIN/$2" ;;
        Rust) echo "$RUST_BIN/$2" ;;
        Async) echo "$RUST_BIN/async_perf $2" ;;
        Rust-spin) echo "$RUST_BIN/$2 --spin=$SPIN_US" ;;
        Async-spin) echo "$RUST_BIN/async_perf $2 --spin=$SPIN_US" ;;
        zmq.rs) echo "$PEERS_BIN/zmqrs $2" ;;
        rzmq) echo "$PEERS_BIN/rzmq $2" ;;
        rust-zmq) echo "$PEERS_BIN/rustzmq $2" ;;
    esac
}

# side_supports <side> <kind>: whether the side runs that workload kind. The
# extra sides run the rows where every side writes its payload (the _filled
# throughput rows) and the latency rows; zmq.rs has no inproc transport.
side_supports() {
    case $1 in
        C | Rust) return 0 ;;
        Async | rzmq | rust-zmq) [[ $2 =~ ^(tcp_thr_filled|tcp_lat|inproc_thr_filled|inproc_lat)$ ]] ;;
        Rust-spin | Async-spin) [[ $2 =~ ^(tcp_lat|inproc_lat)$ ]] ;;
        zmq.rs) [[ $2 =~ ^(tcp_thr_filled|tcp_lat)$ ]] ;;
        *) return 1 ;;
    esac
}

# run_one <side> <workload kind> <size> <count>: prints the figure.
run_one() {
    local side=$1 kind=$2 size=$3 count=$4 out=$WORK/out port
    case $kind in
        tcp_thr | tcp_lat | tcp_thr_filled | tcp_thr_shared)
            local suffix=${kind#tcp_} remote
            suffix=${suffix%_filled}
            suffix=${suffix%_shared}
            remote=remote_$suffix
            # The C sender of tcp_thr_filled is remote_thr with a memset added;
            # the Rust sender of tcp_thr_shared shares one payload.
            if [ "$kind" = tcp_thr_filled ] && [ "$side" = C ]; then
                remote=remote_thr_filled
            elif [ "$kind" = tcp_thr_shared ] && [ "$side" = Rust ]; then
                remote=remote_thr_shared
            fi
            port=$(free_port)
            # shellcheck disable=SC2046 # side_cmd gives words on purpose
            timeout "$TIMEOUT" $(side_cmd "$side" "local_$suffix") "tcp://127.0.0.1:$port" \
                "$size" "$count" >"$out.local" &
            local pid=$!
            wait_listen "$port" || { echo "local_$suffix did not listen" >&2; }
            # shellcheck disable=SC2046
            timeout "$TIMEOUT" $(side_cmd "$side" "$remote") "tcp://127.0.0.1:$port" \
                "$size" "$count" >"$out.remote" &
            local rpid=$!
            if [ "$suffix" = thr ]; then
                # The receiver's figure is the result; a sender that cannot tell
                # when everything arrived (zmq.rs has no linger) is stopped once
                # the receiver is done.
                wait "$pid" || true
                for _ in $(seq 50); do kill -0 "$rpid" 2>/dev/null || break; sleep 0.1; done
                kill "$rpid" 2>/dev/null || true
                wait "$rpid" 2>/dev/null || true
                figure "$out.local" thr
            else
                wait "$rpid" || true
                wait "$pid" || true
                figure "$out.remote" lat
            fi
            ;;
        inproc_thr | proxy_thr)
            # shellcheck disable=SC2046
            timeout "$TIMEOUT" $(side_cmd "$side" "$kind") "$size" "$count" >"$out"
            figure "$out" thr
            ;;
        inproc_thr_filled | inproc_thr_shared)
            # The C side of _filled is inproc_thr built with
            # ZMQ_MAKE_VALGRIND_HAPPY (the others always write their payload);
            # of _shared, inproc_thr as it is beside Rust's inproc_thr_shared.
            local tool=inproc_thr
            if [ "$kind" = inproc_thr_filled ] && [ "$side" = C ]; then tool=inproc_thr_filled; fi
            if [ "$kind" = inproc_thr_shared ] && [ "$side" = Rust ]; then tool=inproc_thr_shared; fi
            # shellcheck disable=SC2046
            timeout "$TIMEOUT" $(side_cmd "$side" "$tool") "$size" "$count" >"$out"
            figure "$out" thr
            ;;
        inproc_lat)
            # shellcheck disable=SC2046
            timeout "$TIMEOUT" $(side_cmd "$side" "$kind") "$size" "$count" >"$out"
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
    "tcp_thr_shared 1024 500000"
    "tcp_thr_shared 65536 30000"
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
    "inproc_thr_shared 1024 2000000"
    "inproc_thr_shared 65536 50000"
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
        # (The extra sides follow in the same alternation: reversed every other
        # repeat.)
        sides=(C Rust)
        for extra in $SIDES; do
            if side_supports "$extra" "$kind"; then sides+=("$extra"); fi
        done
        if [ $((rep % 2)) = 0 ]; then
            reversed=()
            for ((i = ${#sides[@]} - 1; i >= 0; i--)); do reversed+=("${sides[i]}"); done
            sides=("${reversed[@]}")
        fi
        for side in "${sides[@]}"; do
            value=$(run_one "$side" "$kind" "$size" "$count" || true)
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
if grep -q 'rust-zmq' <<<"$SIDES" && [ -x "$PEERS_BIN/rustzmq" ]; then
    echo "note: the rust-zmq rows run on the libzmq $("$PEERS_BIN/rustzmq" libzmq-version) that its zmq-sys builds (zeromq-src), not on the libzmq of C and Rust"
fi
