#!/usr/bin/env bash
# The whole test suite (README "Quick start", second command; CI runs it too).
# Installs dependencies and builds if needed, then runs:
#   1. unit tests, fuzz-corpus replay and the Yjs interop suites (ctest, release build),
#      then three interop suites with tombstone runs frozen after every transaction
#   2. the same unit tests and corpus replay under ASan+UBSan (clang)
#   3. each libFuzzer target briefly (built with stage 2, ASan+UBSan)
#   4. the web app end to end: headless chromium (playwright-core) against `weft serve`
#   5. the Yjs interop suites once more, printed (node's test runner)
# Environment: WEFT_SKIP_ASAN=1 / WEFT_SKIP_FUZZ=1 / WEFT_SKIP_E2E=1 skip stages 2 / 3 / 4;
# FUZZ_SECONDS (default 20) per fuzz target; INTEROP_SEEDS (default 200).
# A failing test stage does not stop the later ones (one run shows every
# failure); the failed stages are listed before the last stage and the script
# exits non-zero. A failed install or build stops at once.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
failed=()
details=()  # what a failed stage found, printed with the list of failed stages

echo "== build (release) == $(date -u +%T)"
scripts/install-deps.sh
scripts/build.sh release

echo "== ctest (release) == $(date -u +%T)"
(cd build && ctest --output-on-failure -j2) || failed+=("ctest (release)")

# The interop suites once more with every transaction of the `weft` command
# and `weft-peer` ending in freeze_tombstone_runs (src/core/tombstone_runs.h):
# every later edit, remote update and encoding meets packed tombstones, and
# must still give yjs's bytes.
echo "== Yjs interop with tombstone runs (node --test) == $(date -u +%T)"
(cd tests/interop && WEFT_TEST_FREEZE_RUNS=1 INTEROP_SEEDS=100 WEFT_BIN="$root/build/apps/weft" \
  WEFT_PEER_BIN="$root/build/tests/interop/weft-peer" \
  node --test yjs_to_weft.test.mjs weft_to_yjs.test.mjs local_edits.test.mjs observers.test.mjs) || failed+=("interop with tombstone runs")

if [ "${WEFT_SKIP_ASAN:-0}" != 1 ]; then
  echo "== ctest (ASan+UBSan) == $(date -u +%T)"
  scripts/build.sh asan
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j2) || failed+=("ctest (ASan+UBSan)")
fi

if [ "${WEFT_SKIP_FUZZ:-0}" != 1 ]; then
  echo "== libFuzzer (${FUZZ_SECONDS:-20}s per target) == $(date -u +%T)"
  scripts/build.sh fuzz  # nothing to do after the ASan stage, which built them
  for t in fuzz_update_v1 fuzz_update_v2 fuzz_any fuzz_sync_message fuzz_ws_frame; do
    work=$(mktemp -d)
    cp fuzz/corpus/$t/* "$work"/ 2>/dev/null || true
    mkdir "$work.found"
    build-asan/fuzz/$t -max_total_time="${FUZZ_SECONDS:-20}" -rss_limit_mb=2048 -timeout=10 \
      -print_final_stats=0 -artifact_prefix="$work.found/" "$work" 2>"$work.log" || {
      tail -40 "$work.log"
      echo "fuzz target $t failed"
      failed+=("libFuzzer $t")
      # Repeated before the last stage (this stage's lines scroll out of a
      # CI log's tail): the error, and the input that caused it, to replay
      # with build-asan/fuzz/${t}_replay FILE.
      details+=("libFuzzer $t: $(grep -m3 -E '^==[0-9]+==ERROR|^SUMMARY|ERROR: libFuzzer' "$work.log" | tr '\n' ' ')")
      for found in "$work.found"/*; do
        [ -f "$found" ] && details+=("  $(basename "$found") (base64): $(head -c 4096 "$found" | base64 -w0)")
      done
      rm -rf "$work" "$work.log" "$work.found"
      continue
    }
    echo "$t: $(grep -c . "$work.log") log lines, no crash"
    rm -rf "$work" "$work.log" "$work.found"
  done
fi

if [ "${WEFT_SKIP_E2E:-0}" != 1 ]; then
  echo "== web app end to end (headless chromium) == $(date -u +%T)"
  scripts/build-web.sh
  (cd tests/e2e && WEFT_BIN="$root/build/apps/weft" node --test --test-concurrency=1 notes_caret.test.mjs app.test.mjs) \
    || failed+=("web app end to end")
fi

if [ ${#failed[@]} -gt 0 ]; then
  [ ${#details[@]} -gt 0 ] && printf '%s\n' "${details[@]}"
  printf 'FAILED stage: %s\n' "${failed[@]}"
fi
echo "== Yjs interop (node --test) == $(date -u +%T)"
cd tests/interop
status=0
WEFT_BIN="$root/build/apps/weft" WEFT_PEER_BIN="$root/build/tests/interop/weft-peer" \
  node --test yjs_to_weft.test.mjs merge_many.test.mjs crowd.test.mjs weft_to_yjs.test.mjs local_edits.test.mjs observers.test.mjs serve.test.mjs kill9.test.mjs signaling.test.mjs auth.test.mjs deflate.test.mjs || status=$?
if [ ${#failed[@]} -gt 0 ] && [ $status -eq 0 ]; then status=1; fi
exit $status
