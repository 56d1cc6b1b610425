// Switch for the shortcuts apply_update.cc takes when an update brings many
// structs or a delete set repeating ranges already deleted (a document
// loaded from its full state), or is keystroke-sized (read_small_update).
// Each gives the state the general path gives;
// tests switch them off to compare the two.
#pragma once

#include <atomic>
#include <cstdint>

namespace weft {

inline bool load_fast_paths_enabled = true;

// Loads into an empty document that collected and merged their blocks
// themselves (bulk_load.h): tests check that the path they compare ran.
inline std::atomic<uint64_t> bulk_loads_done{0};

}  // namespace weft
