#!/usr/bin/env bash
# README "Quick start", first command: installs every dependency, builds, and
# starts the main job: `weft serve` with embedded SQLite in ./weft-data, on
# http://127.0.0.1:1234 (y-websocket clients connect to ws://127.0.0.1:1234/ROOM).
# Extra arguments go to `weft serve` (e.g. --port 4444 --host 0.0.0.0).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release
echo "weft serve: data in ./weft-data, Ctrl-C to stop"
exec build/apps/weft serve "$@"
