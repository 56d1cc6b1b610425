#include "encoding/struct_reader.h"
#include "encoding/wire.h"

namespace weft {

Result<DecodedUpdate> decode_update(std::span<const uint8_t> update, UpdateFormat format) {
  WEFT_ASSIGN_OR_RETURN(auto dec, make_update_decoder(format, update));
  DecodedUpdate out;
  StructReader reader(*dec, update.size(), /*filter_skips=*/false);
  for (WireStruct* s = reader.curr(); s != nullptr; s = reader.next()) out.structs.push_back(std::move(*s));
  if (!dec->ok()) return dec->status();
  out.delete_set = DeleteSet::read(*dec);
  if (!dec->ok()) return dec->status();
  return out;
}

Status validate_struct_refs(const std::vector<WireStruct>& structs) {
  for (const WireStruct& ws : structs) {
    // Doc::apply_update refuses these too (read_update.cc).
    if (ws.length == 0) return Status(ErrorCode::kMalformed, "struct of length 0");
    if (ws.kind != StructKind::kItem) continue;
    auto earlier = [&](const ID* id) {
      return id == nullptr || id->client != ws.id.client || id->clock < ws.id.clock;
    };
    if (!earlier(ws.origin ? &*ws.origin : nullptr) ||
        !earlier(ws.right_origin ? &*ws.right_origin : nullptr) || !earlier(std::get_if<ID>(&ws.parent))) {
      return Status(ErrorCode::kMalformed, "struct refers to a later clock of its own client");
    }
  }
  return Status::ok();
}

}  // namespace weft
