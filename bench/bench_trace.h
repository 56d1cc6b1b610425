// `weft bench trace TRACE`: the external engine protocol of
// shared/bench/peers/BENCHMARKS.md section 5, for Weft.
#pragma once

#include <string>

#include "trace.h"
#include "weft/doc.h"

namespace weft::bench {

// Client id every peer in the benchmark uses (so sizes are reproducible).
inline constexpr uint64_t kBenchClientId = 1234567890;

// Applies every patch of `trace` to `text`, one transaction per patch (delete,
// then insert), as the protocol's apply phase does. Stops at the first error.
Status apply_trace(Doc& doc, const TextRef& text, const Trace& trace);

// Runs the protocol on the trace at `path` (.json or .json.gz): apply, verify,
// encode (update v1), load into a fresh doc; then, untimed by the harness,
// the same apply with an on_update listener and the one-by-one remote apply
// of those updates. Prints one JSON line on stdout (and a summary on
// stderr). Environment: WEFT_BENCH_NO_UPDATES=1 skips the update-listener
// pass; WEFT_BENCH_DUMP_UPDATE=FILE writes the encoded v1 state to FILE (for
// bench/compare_yjs.mjs). Returns 0 when the line was printed (even with "ok": false, as
// the protocol asks), 2 when the trace could not be read.
int run_bench_trace(const std::string& path);

// Hex SHA-256 (libsodium).
std::string sha256_hex(const void* data, size_t size);

}  // namespace weft::bench
