#!/usr/bin/env bash
# Weft beside yjs, ywasm, loro and json-joy (bench/README.md, "Peers"). Installs this
# folder's pinned npm packages on first use, then runs run.mjs with all arguments:
#   bench/peers/run.sh traces --quick          # smoke test (seconds)
#   bench/peers/run.sh traces                  # every trace, 3 runs each
#   bench/peers/run.sh workloads --markdown /tmp/workloads.md
# Needs build/apps/weft (scripts/build.sh release) or WEFT_BIN / --weft.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# Reinstall only when the lockfile's content changed (a checkout or rebase touches its mtime, and
# npm ci under a running benchmark would pull its packages away).
lock_sha=$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$here/node_modules/.weft-lock-sha256" 2>/dev/null)" != "$lock_sha" ]; then
  (cd "$here" && npm ci --no-audit --no-fund >&2) && echo "$lock_sha" > "$here/node_modules/.weft-lock-sha256"
fi
exec node "$here/run.mjs" "$@"
