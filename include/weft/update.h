// Operations on raw update bytes, without a Doc (yjs src/utils/updates.js).
// Each returns exactly the bytes Yjs 13.6 returns for the same input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "weft/status.h"

namespace weft {

enum class UpdateFormat { kV1, kV2 };
using UpdateBytes = std::vector<uint8_t>;

// Y.mergeUpdates / mergeUpdatesV2. A single input is returned unchanged.
Result<UpdateBytes> merge_updates(std::span<const std::span<const uint8_t>> updates, UpdateFormat format);
// Y.diffUpdate / diffUpdateV2: what `update` holds beyond the state vector `sv`.
Result<UpdateBytes> diff_update(std::span<const uint8_t> update, std::span<const uint8_t> sv,
                                UpdateFormat format);
// Splits `update` into updates that, applied in order, give a document the
// same state as `update` does. Not a Yjs operation: Doc::apply_update loads a
// huge state part by part with it. Each struct goes whole to one part, and
// each deleted range to the parts of the structs it covers, cut only where a
// part's structs start.
// - kClockBands: exactly `parts` parts (some may be empty), every client's
//   clocks cut in `parts` equal bands. A struct whose origin is in another
//   client's later band waits (pending) until that part is applied.
// - kCausal: at most `parts` parts of about equal numbers of structs, in
//   the order Doc::apply_update integrates them: every struct after the
//   structs it depends on, so nothing waits for a later part. Costs two more
//   reads of the update (and a conversion to v1 for v2). An update naming a
//   client twice is cut by kClockBands.
// With `stats`, also counts the clocks the update holds and those its
// delete set covers among them, and lists where each part's structs start.
// With stats->stop_if_mostly_visible (kCausal only), an update whose delete
// set covers fewer than half its clocks is not split: after one read it
// returns no parts, with the clocks counted and stopped_mostly_visible set
// (Doc::apply_update loads such a state whole, and the split would be waste).
// With stats->stop_if_scattered (kCausal, v1 or v2), the walk that plans the
// parts stops, returning no parts with stopped_scattered set, once past the
// first part more than an eighth of the structs (and at least 64) have their
// origin in an earlier part, other than the end of their client's previous
// struct: random edits all over a long text, whose parts would each thaw
// the tombstones earlier parts froze (Doc::apply_update loads them in list
// order instead, v2 through its v1 form, and goes on with the parts where
// that load does not take them).
enum class SplitOrder { kClockBands, kCausal };
inline constexpr size_t kMaxSplitParts = 4096;
struct SplitStats {
  bool stop_if_mostly_visible = false;  // in
  bool stopped_mostly_visible = false;
  bool stop_if_scattered = false;  // in
  bool stopped_scattered = false;
  uint64_t clocks = 0;
  uint64_t deleted_clocks = 0;
  // Per part, each client it holds structs of and the clock of its first:
  // (client, clock).
  std::vector<std::vector<std::pair<uint64_t, uint64_t>>> part_starts;
};
Result<std::vector<UpdateBytes>> split_update(std::span<const uint8_t> update, UpdateFormat format,
                                              size_t parts, SplitStats* stats = nullptr,
                                              SplitOrder order = SplitOrder::kClockBands);
// Y.encodeStateVectorFromUpdate(V2).
Result<UpdateBytes> encode_state_vector_from_update(std::span<const uint8_t> update, UpdateFormat format);
// Y.convertUpdateFormatV1ToV2 / V2ToV1 (and the identity for from == to).
Result<UpdateBytes> convert_update(std::span<const uint8_t> update, UpdateFormat from, UpdateFormat to);
// A human-readable listing of structs and the delete set (weft update inspect).
Result<std::string> describe_update(std::span<const uint8_t> update, UpdateFormat format);

}  // namespace weft
