// Snapshots: a document's state vector and delete set (yjs Snapshot.js).
// A snapshot names a past version; a doc with GC off can be restored to it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <vector>

#include "weft/status.h"
#include "weft/update.h"

namespace weft {

class Doc;
class DeleteSet;

struct Snapshot {
  std::map<uint64_t, uint64_t> state_vector;  // client -> clock
  // Deleted ranges per client: (clock, length), sorted and merged.
  std::map<uint64_t, std::vector<std::pair<uint64_t, uint64_t>>> deleted;
  bool operator==(const Snapshot&) const = default;
};

// The doc's current snapshot (Y.snapshot).
Snapshot snapshot(const Doc& doc);
// Y.encodeSnapshot / encodeSnapshotV2: delete set, then state vector.
std::vector<uint8_t> encode_snapshot(const Snapshot& snap, UpdateFormat format = UpdateFormat::kV1);
Result<Snapshot> decode_snapshot(std::span<const uint8_t> bytes, UpdateFormat format = UpdateFormat::kV1);
// Whether `id` was inserted and not deleted as of the snapshot (Y.isVisible).
bool is_visible_in(const Snapshot& snap, uint64_t client, uint64_t clock);

// Y.createDocFromSnapshot: a new doc (GC off) holding the state as of `snap`.
// `origin` must have GC off (else deleted content is gone): an error otherwise,
// and for a snapshot that refers to clocks the doc does not have.
Result<std::unique_ptr<Doc>> restore_snapshot(Doc& origin, const Snapshot& snap);

}  // namespace weft
