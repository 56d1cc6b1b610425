#include "sync/update_check.h"

#include <variant>

#include "encoding/wire.h"

namespace weft::sync {

Result<bool> check_update(std::span<const uint8_t> update) {
  WEFT_ASSIGN_OR_RETURN(DecodedUpdate decoded, decode_update(update, UpdateFormat::kV1));
  // The same rule as core's validate_refs (src/core/apply_update.cc), which
  // the core does not export: a struct cannot depend on its own future.
  for (const WireStruct& ws : decoded.structs) {
    if (ws.kind != StructKind::kItem) continue;
    auto earlier = [&](const std::optional<ID>& id) {
      return !id || id->client != ws.id.client || id->clock < ws.id.clock;
    };
    const ID* parent = std::get_if<ID>(&ws.parent);
    if (!earlier(ws.origin) || !earlier(ws.right_origin) ||
        (parent != nullptr && parent->client == ws.id.client && parent->clock >= ws.id.clock)) {
      return Status(ErrorCode::kMalformed, "struct refers to a later clock of its own client");
    }
  }
  return !decoded.structs.empty() || !decoded.delete_set.empty();
}

}  // namespace weft::sync
