// Editing traces (josephg/editing-traces format, see bench/traces/README.md).
//
// A trace is {"startContent", "endContent", "txns": [{"time", "patches":
// [[pos, del, ins], ...]}]}. Positions and delete counts are Unicode code
// points; none of our traces contains a code point above U+FFFF, so they are
// also UTF-16 units, the index unit of weft::TextRef. load_trace() checks
// that and converts every insert to UTF-16 up front, so replaying a trace
// costs nothing but the engine calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace weft::bench {

struct Patch {
  uint64_t pos = 0;  // UTF-16 units (= code points for these traces)
  uint64_t del = 0;  // UTF-16 units
  std::u16string ins;
};

struct Trace {
  std::string name;            // file name without .json / .json.gz
  std::string start_content;   // UTF-8
  std::string end_content;     // UTF-8
  std::vector<Patch> patches;  // all patches of all transactions, in order
  // txn_ends[i]: one past the last patch of trace transaction i.
  std::vector<size_t> txn_ends;
};

// Reads a .json or .json.gz trace (zlib reads plain files transparently).
// Throws std::runtime_error on I/O, JSON or format errors, and when a patch
// holds a code point above U+FFFF (positions would then need conversion).
Trace load_trace(const std::string& path);

// Reads a whole file, gunzipping it when it is gzip data.
std::string read_maybe_gzipped(const std::string& path);

// Replays the trace on a plain UTF-16 string (no CRDT): a reference result.
std::u16string replay_plain(const Trace& trace);

}  // namespace weft::bench
