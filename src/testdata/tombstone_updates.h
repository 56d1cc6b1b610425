// Tombstone-heavy documents, made the same way by the benchmarks
// (`weft bench tombstones-gen`, bench/bench_tombstones.cc) and the tombstone
// runs tests in src/core. The benchmark files depend on the exact bytes: a
// change here changes what the published figures measured.
#pragma once

#include <cstdint>
#include <string_view>

#include "weft/update.h"

namespace weft::testdata {

struct TombstoneUpdateOptions {
  std::string_view root = "text";  // name of the root text holding the items
  bool deleted = true;             // every item in the delete set; false: an empty one
  // Malformed on purpose: client 1's last item names as its origin a later
  // clock of its own client (needs count >= 2). For tests of failing loads.
  bool bad_origin = false;
};

// The v1 update of a text of `count` one-unit string items that can never
// merge, deleted or not: item k belongs to client 1 + k % 2 at clock k / 2
// and follows item k - 1, so each client's neighbouring blocks have the other
// client's item as origin. Deleted, as a doc with gc off holds them (string
// content kept).
UpdateBytes make_tombstone_update(uint64_t count, const TombstoneUpdateOptions& options = {});

// A long-edited text in the root "text" instead: `count` pieces typed at
// random places by 64 clients, then ~98% of the text deleted in ranges
// (deterministic for `seed`). Its tombstones have origins and right origins
// all over the document.
UpdateBytes make_edited_tombstone_update(uint64_t count, uint64_t seed);

// Many short sessions instead, each a new client (as every page load of a
// y-websocket app is): a session types 1,000 one-character items at one
// random place, each before the last (none merge); at the end all but the
// first 1,000 units are deleted. count / 1000 clients, each with its blocks
// at consecutive clocks, all with one origin in an older session's text
// (deterministic for `seed`).
UpdateBytes make_sessions_tombstone_update(uint64_t count, uint64_t seed);

}  // namespace weft::testdata
