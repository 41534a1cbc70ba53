#!/usr/bin/env bash
# Instructions per message of `inproc_thr 1` (C tool vs Rust port, same static
# libzmq), counted by callgrind: (Ir(200000 msgs) - Ir(100000 msgs)) / 100000, so
# that start-up and shutdown cancel out. Unlike wall-clock figures these repeat to
# well under 0.1 %.
#
# Environment: TOOLS (default "inproc_thr"; "inproc_thr inproc_lat" adds the
# instructions per roundtrip of inproc_lat), SIZE (message size, default 1), N1/N2 (message counts, default
# 100000/200000), TIMEOUT per valgrind run in seconds (default 600),
# KEEP=dir to keep the callgrind.out files there (for callgrind_annotate).
set -euo pipefail

PERF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$PERF_DIR/.." && pwd)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
TOOLS=${TOOLS:-inproc_thr}
SIZE=${SIZE:-1}
N1=${N1:-100000}
N2=${N2:-200000}
TIMEOUT=${TIMEOUT:-600}
OUT=${KEEP:-$(mktemp -d)}
mkdir -p "$OUT"
if [ -z "${KEEP:-}" ]; then trap 'rm -rf "$OUT"' EXIT; fi

"$PERF_DIR/compare.sh" --build-only

# ir <binary> <count> <tag>: total instructions executed (all threads).
ir() {
    local file=$OUT/callgrind.out.$3.$2
    timeout "$TIMEOUT" valgrind --tool=callgrind --callgrind-out-file="$file" \
        "$1" "$SIZE" "$2" >/dev/null 2>"$file.log"
    sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$file" | head -n1
}

declare -A PER_MSG
for tool in $TOOLS; do
    for side in C Rust; do
        if [ $side = C ]; then bin=$TARGET_DIR/perf-c/$tool; else bin=$TARGET_DIR/release/$tool; fi
        ir1=$(ir "$bin" "$N1" "$tool.$side")
        ir2=$(ir "$bin" "$N2" "$tool.$side")
        PER_MSG[$side]=$(python3 -c "print(f'{($ir2 - $ir1) / ($N2 - $N1):.2f}')")
        echo "$tool $side: Ir($N1) = $ir1, Ir($N2) = $ir2, per message = ${PER_MSG[$side]}"
    done
    python3 -c "print(f'$tool $SIZE B: instructions per message (roundtrip for _lat): C ${PER_MSG[C]}, Rust ${PER_MSG[Rust]}, Rust/C = {${PER_MSG[Rust]} / ${PER_MSG[C]}:.4f}')"
done
if [ -n "${KEEP:-}" ]; then echo "callgrind files kept in $OUT"; fi
