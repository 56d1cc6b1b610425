#!/usr/bin/env bash
# Configures and builds one flavour of Weft into build/ (release) or build-asan/
# (asan: clang, ASan+UBSan, tests and libFuzzer targets; fuzz: only the latter).
#   scripts/build.sh [release|asan|fuzz]
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-release}
targets=()
jobs=$(nproc)
case "$flavour" in
  # Line tables only (-g1): perf, callgrind and sanitizer traces keep file:line,
  # and the build is about a quarter faster than with full -g.
  release) dir=build; flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG") ;;
  # One clang build for the ASan+UBSan tests and the libFuzzer targets (each
  # used to rebuild the libraries); -O1 keeps asserts and runs the tests and
  # fuzzers several times faster than -O0. `fuzz` builds only the fuzzers.
  asan | fuzz)
    dir=build-asan
    flags=(-DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1" -DWEFT_SANITIZE=ON -DWEFT_FUZZ=ON
      -DWEFT_BENCH=OFF -DCMAKE_CXX_COMPILER=clang++-14)
    if [ "$flavour" = fuzz ]; then
      targets=(fuzz_update_v1 fuzz_update_v2 fuzz_any fuzz_sync_message fuzz_ws_frame)
    fi
    # A build-asan/ configured with g++ before this change: CMake cannot switch compilers in place.
    if [ -f "$dir/CMakeCache.txt" ] && ! grep -q '^CMAKE_CXX_COMPILER:.*clang++-14' "$dir/CMakeCache.txt"; then
      rm -rf "$dir"
    fi
    ;;
  *) echo "usage: scripts/build.sh [release|asan|fuzz]" >&2; exit 2 ;;
esac
cmake -S . -B "$dir" -G Ninja "${flags[@]}" >/dev/null
ninja -C "$dir" -j"$jobs" "${targets[@]}"
