#include "sync/update_check.h"

#include <algorithm>

#include "encoding/wire.h"
#include "weft/doc.h"
#include "weft/snapshot.h"

namespace weft::sync {

Result<bool> check_update(std::span<const uint8_t> update) {
  WEFT_ASSIGN_OR_RETURN(DecodedUpdate decoded, decode_update(update, UpdateFormat::kV1));
  WEFT_RETURN_IF_ERROR(validate_struct_refs(decoded.structs));
  return !decoded.structs.empty() || !decoded.delete_set.empty();
}

bool changes_doc(const Doc& doc, std::span<const uint8_t> update) {
  Result<DecodedUpdate> decoded = decode_update(update, UpdateFormat::kV1);
  if (!decoded) return true;  // not for this function to judge: apply reports it
  const Snapshot have = snapshot(doc);
  for (const WireStruct& s : decoded->structs) {
    if (s.kind == StructKind::kSkip) continue;
    auto state = have.state_vector.find(s.id.client);
    if (state == have.state_vector.end() || s.id.clock + s.length > state->second) return true;
  }
  for (const auto& [client, ranges] : decoded->delete_set.clients()) {
    auto deleted = have.deleted.find(client);
    if (deleted == have.deleted.end()) {
      if (std::any_of(ranges.begin(), ranges.end(), [](const DeleteRange& r) { return r.len > 0; }))
        return true;
      continue;
    }
    // The doc's ranges are sorted and merged: the one starting at or before
    // r.clock must reach r.end().
    const auto& doc_ranges = deleted->second;
    for (const DeleteRange& r : ranges) {
      if (r.len == 0) continue;
      auto after = std::upper_bound(doc_ranges.begin(), doc_ranges.end(), r.clock,
                                    [](uint64_t clock, const auto& range) { return clock < range.first; });
      if (after == doc_ranges.begin()) return true;
      const auto& [start, len] = *std::prev(after);
      if (r.end() > start + len) return true;
    }
  }
  return false;
}

}  // namespace weft::sync
