// Where split_update cuts a state in causal order (SplitOrder::kCausal).
#pragma once

#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "weft/status.h"
#include "weft/update.h"

namespace weft {

// From `clock` on, a client's structs go to part `part` (until its next start).
struct PartStart {
  uint64_t clock = 0;
  uint32_t part = 0;
};

struct CausalParts {
  size_t parts = 0;  // at most the number asked for; 0: not planned (below)
  // Per client, ascending in clock and part; every client of the update.
  std::unordered_map<uint64_t, std::vector<PartStart>> starts;
  // Per client, the clock after its last struct.
  std::unordered_map<uint64_t, uint64_t> ends;
  // With stop_if_mostly_visible: SplitStats' clocks and deleted_clocks, and
  // whether the plan stopped there (parts 0).
  uint64_t clocks = 0;
  uint64_t deleted_clocks = 0;
  bool mostly_visible = false;
  // With stop_if_scattered: the walk stopped (parts 0) where the state
  // looked scattered (SplitStats::stop_if_scattered).
  bool scattered = false;
};

// Cuts the structs of a v1 `update` into at most `parts` parts of about
// equal numbers of structs, in the order Doc::apply_update integrates them
// (every struct after its client's previous one, its origins and its parent
// item), so that applying the parts in order leaves nothing waiting. Reads
// the update twice; keeps a cursor per client, nothing per struct.
// `parts` is 0 (not planned) for an update naming a client twice (two
// sections, which no encoder writes) and for malformed bytes (split_update reads
// the update again and reports them): the caller cuts by clock bands instead.
// With stop_if_mostly_visible, it also counts the update's clocks and the
// deleted ones after its first read, and stops there (mostly_visible) when
// fewer than half are deleted. With stop_if_scattered, the walk stops as
// SplitStats::stop_if_scattered says.
Result<CausalParts> plan_causal_parts(std::span<const uint8_t> update, size_t parts,
                                      bool stop_if_mostly_visible = false, bool stop_if_scattered = false);

}  // namespace weft
