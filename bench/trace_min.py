#!/usr/bin/env python3
"""Minimum over repeated runs of `weft bench trace` per trace, as a RESULTS.md table row.

  python3 bench/trace_min.py WEFT_BINARY RUNS TRACE.json.gz...

Each run is a separate process; every figure is the minimum over the runs (ok: all runs byte-identical to
yjs). Columns: apply ms, apply + emit ms, fresh peer ms, encode ms, load ms, memory after apply MB, ok.
"""
import json
import subprocess
import sys


def main() -> int:
    if len(sys.argv) < 4:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    binary, runs, traces = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    keys = ["applyMs", "applyEmitMs", "updateApplyMs", "encodeMs", "loadMs", "memBytes"]
    for trace in traces:
        best, ok = {}, True
        for _ in range(runs):
            out = subprocess.run([binary, "bench", "trace", trace], capture_output=True, text=True, check=True)
            figures = json.loads(out.stdout.strip().splitlines()[-1])
            ok = ok and figures["ok"]
            for k in keys:
                best[k] = min(best.get(k, figures[k]), figures[k])
        name = trace.split("/")[-1].removesuffix(".json.gz")
        print(f"| {name} | {best['applyMs']:.1f} | {best['applyEmitMs']:.1f} | {best['updateApplyMs']:.1f} "
              f"| {best['encodeMs']:.2f} | {best['loadMs']:.2f} | {best['memBytes'] / 1e6:.2f} | {ok} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
