#!/usr/bin/env bash
# fdatasync latency of `weft serve` under one bench workload: runs
#   bench/server/run.sh --servers weft --workloads WORKLOAD
# and attaches `strace -T` to the weft process for the run, then prints the
# count and p50/p90/p99/max of the server's fdatasync calls (ms), per file
# kind (update journal segment, SQLite WAL, database file).
#   bench/server/fsync_trace.sh [latency]      WEFT_BIN / WEFT_ARGS as for run.sh
# strace slows the server: compare its figures with each other, not with
# the bench's latency figures. Not part of the test suite.
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd ../.. && pwd)
workload=${1:-latency}
bin=${WEFT_BIN:-$root/build/apps/weft}
out=$(mktemp -d)
WEFT_BIN=$bin ./run.sh --servers weft --workloads "$workload" > "$out/bench.txt" 2>&1 &
bench=$!
pid=""
for _ in $(seq 1 100); do
  pid=$(pgrep -n -f "^$bin serve" || true)
  [ -n "$pid" ] && break
  sleep 0.1
done
[ -n "$pid" ] || { echo "weft serve did not start" >&2; cat "$out/bench.txt" >&2; exit 1; }
strace -f -y -T -e trace=fdatasync,fsync -p "$pid" -o "$out/strace.txt" 2>/dev/null &
tracer=$!
wait "$bench" || true
kill "$tracer" 2>/dev/null || true
wait "$tracer" 2>/dev/null || true
grep -E "p50|p99|commit" "$out/bench.txt" || true
python3 - "$out/strace.txt" <<'PY'
import re, sys
# With several threads strace splits a call: "PID fdatasync(FD</path> <unfinished ...>"
# then "PID <... fdatasync resumed>) = 0 <secs>".
kinds, open_calls = {}, {}
def kind_of(path):
    return 'journal' if path.endswith('.wj') else 'wal' if path.endswith('-wal') else 'db' if path.endswith('.db') else 'other'
for line in open(sys.argv[1]):
    pid = line.split(' ', 1)[0]
    m = re.search(r'f(?:data)?sync\(\d+<([^>]*)>\)\s*=\s*0 <([\d.]+)>', line)
    if m:
        kinds.setdefault(kind_of(m.group(1)), []).append(float(m.group(2)) * 1000)
        continue
    m = re.search(r'f(?:data)?sync\(\d+<([^>]*)> <unfinished', line)
    if m:
        open_calls[pid] = m.group(1)
        continue
    m = re.search(r'<\.\.\. f(?:data)?sync resumed>\)\s*=\s*0 <([\d.]+)>', line)
    if m and pid in open_calls:
        kinds.setdefault(kind_of(open_calls.pop(pid)), []).append(float(m.group(1)) * 1000)
for kind, v in sorted(kinds.items()):
    v.sort()
    q = lambda p: v[min(len(v) - 1, int(p * len(v)))]
    print(f'{kind:8} n={len(v):6} p50 {q(0.5):.3f}  p90 {q(0.9):.3f}  p99 {q(0.99):.3f}  max {v[-1]:.3f} ms')
PY
rm -rf "$out"
