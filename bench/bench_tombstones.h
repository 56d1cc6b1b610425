// `weft bench tombstones-gen N FILE` / `weft bench tombstones FILE`: a
// document of N deleted items that can never merge (two clients, each item
// following the other client's previous one), loaded and re-encoded in a
// process of its own so that the peak RSS (getrusage) is the load's.
// yjs on the same file: bench/tombstones_yjs.mjs.
#pragma once

#include <cstdint>
#include <string>

namespace weft::bench {

// Writes testdata::make_tombstone_update(count) (shape "alternating") or
// testdata::make_edited_tombstone_update(count, 1) (shape "edits"; both in
// src/testdata/tombstone_updates.h) to `path`; prints one JSON line.
int run_tombstones_gen(uint64_t count, const std::string& path, const std::string& shape);
// Loads `path` into a fresh doc (gc on or off), reads the text, re-encodes
// the state (v1); prints one JSON line with times and peak RSS.
int run_tombstones_load(const std::string& path, bool gc);

}  // namespace weft::bench
