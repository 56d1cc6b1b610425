// Checks an incoming v1 update without a Doc, so the server can persist it
// before applying it (architecture.md: persist before broadcast).
#pragma once

#include <cstdint>
#include <span>

#include "weft/status.h"

namespace weft {
class Doc;
}

namespace weft::sync {

// What Doc::apply_update checks before it changes anything: the update
// decodes completely (encoding/wire.h decode_update) and no item refers to
// a later clock of its own client. An update that passes is applied by
// Doc::apply_update without error (update_check_test.cc holds them to it).
//
// Returns whether the update carries anything: false for an update with no
// structs and no deletes (`00 00`, what a peer with nothing new answers to
// SyncStep1), which needs neither storing nor applying.
Result<bool> check_update(std::span<const uint8_t> update);

// Whether applying `update` (one check_update passed) would change `doc`:
// false when every struct lies below the doc's state for its client and
// every deleted range is already deleted there. Reconnecting clients answer
// SyncStep1 with a SyncStep2 holding their whole delete set; this keeps such
// no-op updates out of the log. It walks the doc's whole store (a snapshot),
// so it is meant for sync step 2, not for every live update.
bool changes_doc(const Doc& doc, std::span<const uint8_t> update);

}  // namespace weft::sync
