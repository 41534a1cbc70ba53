#!/usr/bin/env bash
# The receiver's instructions per message of tcp throughput against
# ZMQ_IN_BATCH_SIZE / ZMQ_OUT_BATCH_SIZE (both sides set the same): local_thr
# under callgrind, remote_thr native, (Ir(N2) - Ir(N1)) / (N2 - N1). Under
# valgrind the receiver is the slow side, so the sender keeps the socket full
# and every read fills the batch: the count says how much work per message a
# bigger read saves, without depending on the machine's load.
#
# Needs the draft build of the tools: python3 perf/batch_thr.py builds it (or
# CARGO_TARGET_DIR=target/draft cargo build --release -p zmq-perf --features draft).
# Environment: SIZE (default 64), BATCHES (default "default 8192 65536 262144
# 1048576"), N1/N2 (default 200000/400000), CARGO_TARGET_DIR.
set -euo pipefail
PERF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TARGET_DIR=${CARGO_TARGET_DIR:-$PERF_DIR/../target}
B=$TARGET_DIR/draft/release
SIZE=${SIZE:-64}
N1=${N1:-200000}
N2=${N2:-400000}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
ir() { # batch n
    local port; port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    local opt=(); [ "$1" != default ] && opt=("--batch=$1")
    valgrind --tool=callgrind --callgrind-out-file=$OUT/cgb.$1.$2 "$B/local_thr" "${opt[@]}" tcp://127.0.0.1:$port "$SIZE" "$2" >/dev/null 2>&1 &
    local pid=$!
    for _ in $(seq 200); do ss -Hltn "sport = :$port" | grep -q . && break; sleep 0.05; done
    "$B/remote_thr" "${opt[@]}" tcp://127.0.0.1:$port "$SIZE" "$2" >/dev/null
    wait $pid
    sed -n 's/^summary: *\([0-9]*\).*/\1/p' $OUT/cgb.$1.$2 | head -n1
}
for b in ${BATCHES:-default 8192 65536 262144 1048576}; do
    a=$(ir "$b" "$N1")
    c=$(ir "$b" "$N2")
    echo "$SIZE B, batch $b: $(python3 -c "print(f'{($c - $a) / ($N2 - $N1):.1f}')") instructions per message (receiver)"
done
