// Switch for the shortcuts Doc::apply_update takes (apply_update.cc,
// read_update.cc, integrate_update.cc) when an update brings many
// structs or a delete set repeating ranges already deleted (a document
// loaded from its full state), or is keystroke-sized (read_small_update).
// Each gives the state the general path gives;
// tests switch them off to compare the two.
#pragma once

#include <atomic>
#include <cstdint>

#include "weft/update.h"

namespace weft {

inline bool load_fast_paths_enabled = true;

// A state of load_in_parts_from_bytes or more applied to an empty document
// (gc on, nobody watching) is split (split_update) into parts of about
// load_part_bytes and applied part by part, its tombstones frozen into runs
// after each (tombstone_runs.h): the Items a part needs reuse the slots the
// previous part's tombstones left, so memory stays near the final
// document's instead of one Item per struct of the whole state. A state
// whose delete set covers fewer than half its clocks loads whole instead,
// found after the split's first read (SplitStats::stop_if_mostly_visible):
// nearly all of it stays Items either way. Small parts
// (at most 4096 of them) keep a part's Items in the cache while they are
// frozen and their slots reused: 10M tombstones loaded in 3.1-3.9 s of CPU
// with 64 KB parts, 7.8-8.9 s with 4 MB ones. Tests lower both.
// The parts are cut in causal order (split_update, SplitOrder::kCausal):
// each part's structs depend only on structs of its own or earlier parts,
// so nothing waits for a later part, and a state of many short sessions
// loads part by part like one client's typing. Tests set kClockBands to
// reach the fallback for structs waiting on later parts.
inline size_t load_in_parts_from_bytes = size_t{16} << 20;
inline size_t load_part_bytes = size_t{64} << 10;
inline SplitOrder load_in_parts_order = SplitOrder::kCausal;
// Where the parts give up (below), a v1 state goes to load_in_list_order
// (list_order_load.h) before the whole load. Tests switch it off to compare.
inline bool list_order_load_enabled = true;
// Whether the plan of the parts stops where it finds the state scattered
// (SplitStats::stop_if_scattered), before any part is applied; the parts'
// own check (a part thawing what earlier ones froze) stays behind it. Tests
// switch it off to reach that check.
inline bool scattered_plan_check_enabled = true;
// Test hook: part number k (0-based) of a load in parts fails as if its
// bytes were malformed (the split checks the structure, so a real failure
// there is rare): the doc must be left as it was.
inline size_t load_in_parts_fail_at = ~size_t{0};

// Loads into an empty document that collected and merged their blocks
// themselves (bulk_load.h): tests check that the path they compare ran.
inline std::atomic<uint64_t> bulk_loads_done{0};
// Passes integrate_loaded made over a bulk load's clients, ever (tests:
// a state whose clients build on each other in any order of ids takes one).
inline std::atomic<uint64_t> bulk_load_passes{0};
// Loads made by load_in_list_order (list_order_load.h).
inline std::atomic<uint64_t> list_order_loads_done{0};
// Loads that began applying parts (whether they finished in parts or not).
inline std::atomic<uint64_t> loads_in_parts_begun{0};

}  // namespace weft
