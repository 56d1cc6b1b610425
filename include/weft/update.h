// Operations on raw update bytes, without a Doc (yjs src/utils/updates.js).
// Each returns exactly the bytes Yjs 13.6 returns for the same input.
#pragma once

#include <cstdint>
#include <span>
#include <string>
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
// Splits `update` into `parts` updates (some may be empty) that, applied in
// order, give a document the same state as `update` does: each struct goes
// whole to the part its start clock falls in (clocks cut in `parts` equal
// bands per client), each deleted range to the parts of the structs it
// covers, cut only where a part's structs start. Not a Yjs operation:
// Doc::apply_update loads a huge state part by part with it.
// With `stats`, also counts the clocks the update holds and those its
// delete set covers among them.
struct SplitStats {
  uint64_t clocks = 0;
  uint64_t deleted_clocks = 0;
};
Result<std::vector<UpdateBytes>> split_update(std::span<const uint8_t> update, UpdateFormat format,
                                              size_t parts, SplitStats* stats = nullptr);
// Y.encodeStateVectorFromUpdate(V2).
Result<UpdateBytes> encode_state_vector_from_update(std::span<const uint8_t> update, UpdateFormat format);
// Y.convertUpdateFormatV1ToV2 / V2ToV1 (and the identity for from == to).
Result<UpdateBytes> convert_update(std::span<const uint8_t> update, UpdateFormat from, UpdateFormat to);
// A human-readable listing of structs and the delete set (weft update inspect).
Result<std::string> describe_update(std::span<const uint8_t> update, UpdateFormat format);

}  // namespace weft
