#!/usr/bin/env bash
# Configures and builds one flavour of Weft into build/ (or build-asan/, build-fuzz/).
#   scripts/build.sh [release|asan|fuzz]
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-release}
targets=()
jobs=$(nproc)
case "$flavour" in
  release) dir=build; flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  asan) dir=build-asan; flags=(-DCMAKE_BUILD_TYPE=Debug -DWEFT_SANITIZE=ON -DWEFT_BENCH=OFF) ;;
  fuzz) dir=build-fuzz; targets=(fuzz_update_v1 fuzz_update_v2 fuzz_any fuzz_sync_message fuzz_ws_frame)
        flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEFT_FUZZ=ON -DWEFT_BENCH=OFF -DWEFT_TESTS=OFF
          -DCMAKE_CXX_COMPILER=clang++-14) ;;
  *) echo "usage: scripts/build.sh [release|asan|fuzz]" >&2; exit 2 ;;
esac
cmake -S . -B "$dir" -G Ninja "${flags[@]}" >/dev/null
ninja -C "$dir" -j"$jobs" "${targets[@]}"
