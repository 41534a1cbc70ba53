#!/usr/bin/env bash
# Instructions per message of `inproc_thr <size>` (C tool vs Rust port, same static
# libzmq), counted by callgrind: (Ir(N2 msgs) - Ir(N1 msgs)) / (N2 - N1), so that
# start-up and shutdown cancel out. Unlike wall-clock figures these repeat to
# ~0.5 % (the two threads' sleep/wake pattern varies a little).
#
# For inproc_thr three binaries are counted: the C tool (which never writes its
# payload: zmq_msg_init_size leaves it uninitialised), C "filled" (the same
# source built with -DZMQ_MAKE_VALGRIND_HAPPY: memset of the payload, as any real
# sender and the safe Rust port do), and the Rust port. The summary prints
# Rust/C and Rust/C-filled.
#
# TOOLS=inproc_thr_shared counts the same three and the Rust sender that shares
# one payload written once (perf/src/bin/inproc_thr_shared.rs: Message::clone,
# zmq_msg_copy, per message; "arc" as SHARE=arc: Message::from(&Arc<[u8]>)), and
# prints Rust-shared/C: the comparison with C's tool, which never writes its
# payloads either.
#
# The async API (perf/src/bin/async_perf.rs) against the blocking one: TOOLS
# "async_inproc_thr" and "async_inproc_lat" count `async_perf inproc_thr|lat`
# and the blocking Rust port on the same sizes, and print Async/Rust.
#
# Environment:
#   TOOLS   default "inproc_thr"; "inproc_thr inproc_lat" adds the instructions
#           per roundtrip of inproc_lat (C vs Rust); async_inproc_thr and
#           async_inproc_lat compare the async API with the blocking one.
#   SIZES   message sizes, default "1" (SIZE=n is the same as SIZES=n).
#   N1/N2   message counts, default 100000/200000, or 10000/20000 for sizes of
#           16 KiB and more (valgrind runs ~50x slower than native).
#   RUST_BIN  directory of the Rust binaries (default $CARGO_TARGET_DIR/release).
#   NO_BUILD=1  skip `compare.sh --build-only` (use the binaries as they are).
#   TIMEOUT per valgrind run in seconds (default 900).
#   KEEP=dir keeps the callgrind.out files there (for callgrind_annotate).
set -euo pipefail

PERF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$PERF_DIR/.." && pwd)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
RUST_BIN=${RUST_BIN:-$TARGET_DIR/release}
C_BIN=$TARGET_DIR/perf-c
TOOLS=${TOOLS:-inproc_thr}
SIZES=${SIZES:-${SIZE:-1}}
TIMEOUT=${TIMEOUT:-900}
OUT=${KEEP:-$(mktemp -d)}
mkdir -p "$OUT"
if [ -z "${KEEP:-}" ]; then trap 'rm -rf "$OUT"' EXIT; fi

if [ "${NO_BUILD:-}" != 1 ]; then
    "$PERF_DIR/compare.sh" --build-only
fi

# ir <command> <size> <count> <tag> [<extra argument>]: total instructions
# executed (all threads). <command> may be several words (e.g. "async_perf
# inproc_thr").
ir() {
    local file=$OUT/callgrind.out.$4.$2.$3
    # shellcheck disable=SC2086 # the command's words split on purpose
    timeout "$TIMEOUT" valgrind --tool=callgrind --callgrind-out-file="$file" \
        $1 "$2" "$3" ${5:+"$5"} >/dev/null 2>"$file.log"
    sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$file" | head -n1
}

# per_msg <binary> <size> <tag> [<extra argument>]: instructions per message
# (or roundtrip).
per_msg() {
    local n1 n2 ir1 ir2
    if [ "$2" -ge 16384 ]; then n1=${N1:-10000} n2=${N2:-20000}; else n1=${N1:-100000} n2=${N2:-200000}; fi
    ir1=$(ir "$1" "$2" "$n1" "$3" "${4:-}")
    ir2=$(ir "$1" "$2" "$n2" "$3" "${4:-}")
    echo "$3 $2 B: Ir($n1) = $ir1, Ir($n2) = $ir2" >&2
    python3 -c "print(f'{($ir2 - $ir1) / ($n2 - $n1):.2f}')"
}

SUMMARY=()
for tool in $TOOLS; do
    for size in $SIZES; do
        if [[ $tool == async_* ]]; then
            plain=${tool#async_}
            blocking=$(per_msg "$RUST_BIN/$plain" "$size" "$plain.Rust")
            async=$(per_msg "$RUST_BIN/async_perf $plain" "$size" "$plain.Async")
            line=$(python3 -c "
b, a = float('$blocking'), float('$async')
print(f'$plain $size B: blocking {b:.2f}, async {a:.2f}, Async/blocking {a / b:.4f} (+{a - b:.0f})')")
            echo "$line"
            SUMMARY+=("$line")
            continue
        fi
        if [ "$tool" = inproc_thr_shared ]; then
            c=$(per_msg "$C_BIN/inproc_thr" "$size" "inproc_thr.C")
            filled=$(per_msg "$C_BIN/inproc_thr_filled" "$size" "inproc_thr.C-filled")
            rust=$(per_msg "$RUST_BIN/inproc_thr" "$size" "inproc_thr.Rust")
            shared=$(per_msg "$RUST_BIN/inproc_thr_shared" "$size" "inproc_thr.Rust-shared" "${SHARE:-clone}")
            line=$(python3 -c "
c, f, r, s = float('$c'), float('$filled'), float('$rust'), float('$shared')
print(f'inproc_thr $size B: C {c:.2f}, C-filled {f:.2f}, Rust-filled {r:.2f}, Rust-shared (${SHARE:-clone}) {s:.2f}, '
      f'Rust-filled/C-filled {r / f:.4f}, Rust-shared/C {s / c:.4f}')")
            echo "$line"
            SUMMARY+=("$line")
            continue
        fi
        c=$(per_msg "$C_BIN/$tool" "$size" "$tool.C")
        rust=$(per_msg "$RUST_BIN/$tool" "$size" "$tool.Rust")
        if [ "$tool" = inproc_thr ]; then
            filled=$(per_msg "$C_BIN/inproc_thr_filled" "$size" "$tool.C-filled")
        else
            filled=nan
        fi
        line=$(python3 -c "
c, f, r = float('$c'), float('$filled'), float('$rust')
print(f'$tool $size B: C {c:.2f}, C-filled {f:.2f}, Rust {r:.2f}, Rust/C {r / c:.4f}, Rust/C-filled {r / f:.4f}')")
        echo "$line"
        SUMMARY+=("$line")
    done
done
echo "== instructions per message (per roundtrip for _lat)"
printf '%s\n' "${SUMMARY[@]}"
if [ -n "${KEEP:-}" ]; then echo "callgrind files kept in $OUT"; fi
