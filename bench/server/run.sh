#!/usr/bin/env bash
# Server load benchmark: weft serve beside the reference y-websocket server.
#   bench/server/run.sh [bench.mjs options]     e.g. --servers weft,y-websocket,y-websocket-leveldb
# Uses build/apps/weft (scripts/build.sh release) unless WEFT_BIN is set.
# Not part of the test suite.
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd ../.. && pwd)
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
export WEFT_BIN=${WEFT_BIN:-$root/build/apps/weft}
[ -x "$WEFT_BIN" ] || { echo "no weft binary at $WEFT_BIN: run scripts/build.sh release (or set WEFT_BIN)" >&2; exit 1; }
# Thousands of idle connections need as many file descriptors in this process.
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
exec node bench.mjs "$@"
