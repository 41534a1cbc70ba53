#!/usr/bin/env bash
# Instructions per call of each micro-benchmark operation of
# perf/benches/overhead.rs (binding vs raw C), counted by callgrind:
# (Ir(N2 calls) - Ir(N1 calls)) / (N2 - N1), so that start-up and shutdown
# cancel out. Deterministic where criterion's wall-clock times are not (a busy
# machine), so this is the table to compare before and after a change.
#
# Environment: FILTER (substring of the operation ids to run, default all),
# IDS (exact operation ids, space-separated; overrides FILTER),
# N1/N2 (iterations, default 20000/40000; 2000/4000 for 64 KiB operations),
# TIMEOUT per valgrind run in seconds (default 600), CARGO_TARGET_DIR,
# CSV (a file to write "id,instructions per call" lines to; callgrind_gate.sh
# reads it).
set -euo pipefail

PERF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$PERF_DIR/.." && pwd)
FILTER=${FILTER:-}
TIMEOUT=${TIMEOUT:-600}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

echo "== building the benches (cargo bench -p zmq-perf --no-run)" >&2
BIN=$(cd "$ROOT" && timeout 1800 cargo bench -p zmq-perf --no-run --message-format=json 2>/dev/null |
    python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "overhead" and m.get("executable"):
        print(m["executable"])
')
[ -x "$BIN" ] || { echo "bench binary not found" >&2; exit 1; }

# ir <id> <n>: total instructions of running operation <id> n times.
ir() {
    local file=$OUT/cg.$RANDOM.$2
    ZMQ_PERF_COUNT="$1:$2" timeout "$TIMEOUT" valgrind --tool=callgrind \
        --callgrind-out-file="$file" "$BIN" >/dev/null 2>"$file.log"
    sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$file" | head -n1
}

RESULTS=$OUT/results.txt
: >"$RESULTS"
ALL_IDS=$(ZMQ_PERF_COUNT=list "$BIN")
for id in ${IDS:-$ALL_IDS}; do
    if [ -n "${IDS:-}" ]; then
        grep -qxF -- "$id" <<<"$ALL_IDS" || { echo "no operation $id in the bench binary" >&2; exit 1; }
    else
        case $id in *"$FILTER"*) ;; *) continue ;; esac
    fi
    if [[ $id == */65536 ]]; then n1=${N1:-2000} n2=${N2:-4000}; else n1=${N1:-20000} n2=${N2:-40000}; fi
    ir1=$(ir "$id" "$n1")
    ir2=$(ir "$id" "$n2")
    per=$(python3 -c "print(f'{($ir2 - $ir1) / ($n2 - $n1):.2f}')")
    echo "$id: $per instructions per call" >&2
    echo "$id $per" >>"$RESULTS"
    if [ -n "${CSV:-}" ]; then echo "$id,$per" >>"$CSV"; fi
done

python3 - "$RESULTS" <<'EOF'
import sys
rows = {}
for line in open(sys.argv[1]):
    ident, per = line.split()
    parts = ident.split("/")
    group, function, param = parts[0], parts[1], (parts[2] if len(parts) > 2 else "")
    rows.setdefault((group, param), {})[function] = float(per)
print(f"{'group':<24} {'param':>6} {'function':<16} {'instr/call':>11} {'/ raw':>7}")
for (group, param), funcs in rows.items():
    for function, per in funcs.items():
        base = funcs.get("raw_c_msg" if function.startswith("binding_msg") else "raw_c")
        ratio = f"{per / base:7.3f}" if base and not function.startswith("raw") else "      -"
        print(f"{group:<24} {param:>6} {function:<16} {per:>11.1f} {ratio}")
EOF
