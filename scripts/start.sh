#!/usr/bin/env bash
# README "Quick start", first command: installs every dependency, builds Weft
# and the web app (web/dist), and starts the main job: `weft serve` with
# embedded SQLite in ./weft-data, on http://127.0.0.1:1234 (the app at `/`,
# y-websocket clients on ws://127.0.0.1:1234/ROOM, y-webrtc signaling on /signaling).
# Extra arguments go to `weft serve` (e.g. --port 4444 --host 0.0.0.0).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release
scripts/build-web.sh
echo "weft serve: open http://127.0.0.1:1234/ (data in ./weft-data), Ctrl-C to stop"
exec build/apps/weft serve "$@"
