#!/usr/bin/env bash
# README "Quick start", first command: installs every dependency, builds, and
# runs the main job. Until `weft serve` lands, the main job replays a real
# editing trace through the engine and checks the result against Yjs's bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release
trace=${1:-bench/traces/automerge-paper.json.gz}
echo "weft bench trace $trace"
build/apps/weft bench trace "$trace"
