#!/usr/bin/env python3
"""The binding/raw-C ratio of each group of the last `cargo bench -p zmq-perf` run.

Reads criterion's estimates (<target>/criterion/<group>/<function>[/<param>]/new/
estimates.json) and prints, per group and parameter, the median time of every
function and its ratio to `raw_c` (or `raw_c_msg` for `binding_msg`).

Usage: python3 perf/bench_ratios.py [<target dir>]   (default: $CARGO_TARGET_DIR
or ./target)
"""
import json
import os
import sys
from pathlib import Path

target = Path(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("CARGO_TARGET_DIR", "target"))
root = target / "criterion"
if not root.is_dir():
    sys.exit(f"no criterion results in {root}: run `cargo bench -p zmq-perf` first")

# (group, param) -> {function: median ns}
rows = {}
for est in sorted(root.glob("**/new/estimates.json")):
    parts = est.relative_to(root).parts[:-2]  # drop "new", "estimates.json"
    if len(parts) == 2:
        group, function, param = parts[0], parts[1], ""
    elif len(parts) == 3:
        group, function, param = parts
    else:
        continue
    median = json.loads(est.read_text())["median"]["point_estimate"]
    rows.setdefault((group, param), {})[function] = median


def param_key(p):
    return (0, int(p)) if p.isdigit() else (1, p)


def baseline(function):
    return "raw_c_msg" if function == "binding_msg" else "raw_c"


print(f"{'group':<24} {'param':>6} {'function':<12} {'median':>11} {'/ raw':>7}")
for (group, param) in sorted(rows, key=lambda k: (k[0], param_key(k[1]))):
    funcs = rows[(group, param)]
    for function in sorted(funcs, key=lambda f: (f.startswith("raw"), f)):
        if function.startswith("raw"):
            continue
        base = funcs.get(baseline(function))
        ratio = f"{funcs[function] / base:7.3f}" if base else "      -"
        print(f"{group:<24} {param:>6} {function:<12} {funcs[function]:>9.1f}ns {ratio}")
    for function in sorted(f for f in funcs if f.startswith("raw")):
        print(f"{group:<24} {param:>6} {function:<12} {funcs[function]:>9.1f}ns   1.000")
