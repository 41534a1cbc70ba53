#!/usr/bin/env bash
# Regression gate for the binding's hot paths: instructions per call of a few
# operations of perf/benches/overhead.rs (counted by callgrind through
# callgrind_micro.sh), against the baseline committed in
# perf/callgrind_baseline.csv. Fails (exit 1) when any grows by more than
# TOLERANCE percent (default 2) over its baseline.
#
# Why instructions and not time: on a shared 2-core machine wall-clock figures
# of the same binary move by 10-30 %, while these counts repeat to < 0.01 %
# (the operations are single-threaded: a PAIR of inproc sockets in one thread,
# so no thread ever sleeps).
#
#   perf/callgrind_gate.sh            # check against the baseline
#   perf/callgrind_gate.sh --update   # measure and rewrite the baseline
#
# The baseline holds, per operation, the binding's count and the same libzmq
# calls made raw through zmq::sys ("raw_c"). Only the binding rows gate; the raw
# rows say where a change came from: if raw_c moved as much as the binding, the
# cause is libzmq, the compiler or valgrind, not the binding (update the
# baseline in the commit that changes them, and say why). The counts belong to
# the vendored libzmq and to the rustc/valgrind named in the baseline's header;
# with another toolchain the gate still runs but says so.
#
# Environment: TOLERANCE (percent, default 2), BASELINE (file), and those of
# callgrind_micro.sh (CARGO_TARGET_DIR, TIMEOUT).
set -euo pipefail

PERF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BASELINE=${BASELINE:-$PERF_DIR/callgrind_baseline.csv}
TOLERANCE=${TOLERANCE:-2}
UPDATE=0
if [ "${1:-}" = --update ]; then UPDATE=1; fi
if [ "${LIBZMQ_NO_VENDOR:-0}" != 0 ]; then
    echo "the baseline is for the vendored libzmq; unset LIBZMQ_NO_VENDOR" >&2
    exit 2
fi

# The operations: the hot paths (inproc send + receive, also through the
# spinning receive when the message is already there, message construction,
# an option get and set), binding and raw C.
GATED=(
    send_recv_inproc_pair/binding_msg/1
    send_recv_inproc_pair/binding_msg/1024
    send_recv_inproc_pair/binding/1
    send_recv_inproc_pair/binding_msg_spin/1
    msg_new/binding
    msg_from_slice/binding/8
    msg_from_writer/binding/1
    msg_from_writer/binding_rebuild/1
    msg_from_writer/binding_rebuild/1024
    msg_from_vec/binding/1024
    opt_get_rcvmore/binding
    opt_get_events/binding
    opt_set_sndhwm/binding
)
RAW=(
    send_recv_inproc_pair/raw_c_msg/1
    send_recv_inproc_pair/raw_c_msg/1024
    send_recv_inproc_pair/raw_c/1
    msg_new/raw_c
    msg_from_slice/raw_c/8
    msg_from_writer/raw_c/1
    msg_from_writer/raw_c/1024
    msg_from_vec/raw_c/1024
    opt_get_rcvmore/raw_c
    opt_get_events/raw_c
    opt_set_sndhwm/raw_c
)

MEASURED=$(mktemp)
trap 'rm -f "$MEASURED"' EXIT
started=$(date +%s)
IDS="${GATED[*]} ${RAW[*]}" CSV=$MEASURED "$PERF_DIR/callgrind_micro.sh" >/dev/null
elapsed=$(($(date +%s) - started))
echo "(callgrind runs took ${elapsed}s)"
TOOLCHAIN="rustc $(rustc --version | cut -d' ' -f2), $(valgrind --version)"

python3 - "$BASELINE" "$MEASURED" "$TOLERANCE" "$UPDATE" "$TOOLCHAIN" "${GATED[*]}" <<'PY'
import csv, datetime, sys

baseline_path, measured_path, tolerance, update, toolchain, gated = sys.argv[1:7]
tolerance = float(tolerance)
gated = set(gated.split())
measured = {row[0]: float(row[1]) for row in csv.reader(open(measured_path))}

if update == "1":
    with open(baseline_path, "w") as f:
        f.write("# Instructions per call of perf/benches/overhead.rs operations under callgrind\n")
        f.write("# (perf/callgrind_gate.sh --update). Rows whose function is binding* are\n")
        f.write("# gated (fail at > +2 %); raw_c* rows are the same libzmq calls made raw.\n")
        f.write(f"# measured {datetime.date.today()}, vendored libzmq 4.3.5, {toolchain}\n")
        f.write("operation,instructions_per_call\n")
        for op, per in measured.items():
            f.write(f"{op},{per:.2f}\n")
    print(f"wrote {baseline_path} ({len(measured)} operations)")
    sys.exit(0)

base, base_toolchain = {}, ""
for line in open(baseline_path):
    if line.startswith("# measured"):
        base_toolchain = line.split(", ", 1)[1].strip()
    if line.startswith("#") or line.startswith("operation,"):
        continue
    op, per = line.strip().split(",")
    base[op] = float(per)

if base_toolchain and base_toolchain != toolchain:
    print(f"note: baseline measured with {base_toolchain}; this is {toolchain}")

failed = []
print(f"{'operation':<42} {'baseline':>10} {'now':>10} {'change':>8}")
for op, per in measured.items():
    if op not in base:
        print(f"{op:<42} {'-':>10} {per:>10.2f}   (not in the baseline)")
        if op in gated:
            failed.append(op)
        continue
    change = (per / base[op] - 1) * 100
    verdict = ""
    if op in gated and change > tolerance:
        verdict = "  REGRESSION"
        failed.append(op)
    elif op in gated and change < -tolerance:
        verdict = "  better: update the baseline (--update)"
    elif op not in gated:
        verdict = "  (raw C, not gated)"
    print(f"{op:<42} {base[op]:>10.2f} {per:>10.2f} {change:>+7.2f}%{verdict}")
missing = sorted(gated - set(measured))
if missing:
    print("not measured:", ", ".join(missing))
    failed += missing
if failed:
    print(f"\nFAIL: {len(failed)} operation(s) grew more than {tolerance} % over "
          f"{baseline_path}: {', '.join(failed)}")
    sys.exit(1)
print(f"\nok: no gated operation grew more than {tolerance} %")
PY
