#!/usr/bin/env bash
# Weft beside yjs, ywasm, loro and json-joy (bench/README.md, "Peers"). Installs this
# folder's pinned npm packages on first use, then runs run.mjs with all arguments:
#   bench/peers/run.sh traces --quick          # smoke test (seconds)
#   bench/peers/run.sh traces                  # every trace, 3 runs each
#   bench/peers/run.sh workloads --markdown /tmp/workloads.md
# Needs build/apps/weft (scripts/build.sh release) or WEFT_BIN / --weft.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -d "$here/node_modules" ] || [ "$here/package-lock.json" -nt "$here/node_modules" ]; then
  (cd "$here" && npm ci --no-audit --no-fund >&2) && touch "$here/node_modules"
fi
exec node "$here/run.mjs" "$@"
