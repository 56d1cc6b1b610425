#!/usr/bin/env python3
"""Weft's scaling table: `weft bench workload NAME N` for each workload and size, minimum CPU ms over runs.

  python3 bench/scaling_min.py WEFT_BINARY RUNS SIZES [WORKLOAD...]   (SIZES like 1000,10000,100000; default: every workload)

Each run is a separate process; each figure is the minimum over the runs of its process CPU time (opsCpuMs,
remoteCpuMs, loadCpuMs). Prints one RESULTS.md row per workload: ops CPU ms at each size, then the growth
exponent k (time ~ N^k) between each pair of neighbouring sizes for ops, and for remote and load over the
largest pair; `-` where the smaller time is under 1 ms (too coarse for an exponent). A size whose run fails
or exits non-zero prints `fail`. The docSha256 of the runs of one size must agree (else `differs`).
"""
import json
import math
import subprocess
import sys


# bench/workloads.cc's workload_names().
ALL = ["b1.1", "b1.2", "b1.3", "b1.4", "b1.5", "b1.6", "b1.7", "b1.8", "b1.9", "b1.10", "b1.11", "b2.1", "b2.2",
       "b2.3", "b2.4", "b3.1", "b3.2", "b3.3", "b3.4", "b3.5", "map.set", "map.overwrite", "array.insert-middle"]


def exponent(n0, t0, n1, t1):
    if t0 is None or t1 is None or t0 < 1.0:
        return "-"
    return f"{math.log(t1 / t0) / math.log(n1 / n0):.2f}"


def main() -> int:
    if len(sys.argv) < 4:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    binary, runs = sys.argv[1], int(sys.argv[2])
    sizes = [int(s) for s in sys.argv[3].split(",")]
    names = sys.argv[4:] or ALL
    for name in names:
        best = {}
        for n in sizes:
            figures, sha, status = {}, None, ""
            for _ in range(runs):
                out = subprocess.run([binary, "bench", "workload", name, str(n)], capture_output=True, text=True)
                lines = out.stdout.strip().splitlines()
                if out.returncode != 0 or not lines:
                    status = "fail"
                    break
                f = json.loads(lines[-1])
                if not f.get("ok", False):
                    status = "fail"
                    break
                if sha is not None and f.get("docSha256") != sha:
                    status = "differs"
                sha = f.get("docSha256")
                for k in ("opsCpuMs", "remoteCpuMs", "loadCpuMs"):
                    if k in f:
                        figures[k] = min(figures.get(k, f[k]), f[k])
            best[n] = (figures, status)
        cells = []
        for n in sizes:
            figures, status = best[n]
            cells.append(status if status and status != "differs" else f"{figures.get('opsCpuMs', 0):,.2f}" +
                         (" (differs)" if status else ""))
        ks = []
        for a, b in zip(sizes, sizes[1:]):
            ks.append(exponent(a, best[a][0].get("opsCpuMs"), b, best[b][0].get("opsCpuMs")))
        a, b = sizes[-2], sizes[-1]
        for k in ("remoteCpuMs", "loadCpuMs"):
            ks.append(exponent(a, best[a][0].get(k), b, best[b][0].get(k)))
        print(f"| {name} | " + " | ".join(cells) + " | " + " | ".join(ks) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
