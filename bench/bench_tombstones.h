// `weft bench tombstones-gen N FILE` / `weft bench tombstones FILE`: a
// document of N deleted items that can never merge (two clients, each item
// following the other client's previous one), loaded and re-encoded in a
// process of its own so that the peak RSS (getrusage) is the load's.
// yjs on the same file: bench/tombstones_yjs.mjs.
#pragma once

#include <cstdint>
#include <string>

#include "weft/update.h"

namespace weft::bench {

// The v1 update of such a document (string items, all in the delete set, as a
// doc with gc off holds them).
UpdateBytes make_tombstone_update(uint64_t count);

// A long-edited text instead: `count` pieces typed at random places by 64
// clients, then ~98% of the text deleted in ranges (fixed seed). Its
// tombstones have origins and right origins all over the document.
UpdateBytes make_edited_tombstone_update(uint64_t count, uint64_t seed);

// Writes make_tombstone_update(count) (shape "alternating") or
// make_edited_tombstone_update(count, 1) (shape "edits") to `path`; prints one JSON line.
int run_tombstones_gen(uint64_t count, const std::string& path, const std::string& shape);
// Loads `path` into a fresh doc (gc on or off), reads the text, re-encodes
// the state (v1); prints one JSON line with times and peak RSS.
int run_tombstones_load(const std::string& path, bool gc);

}  // namespace weft::bench
