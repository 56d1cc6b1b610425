// Structs on the wire: Item.write / GC.write / Skip.write and the struct
// part of lazyStructReaderGenerator (yjs src/utils/updates.js).
#include "encoding/wire.h"

namespace weft {

void WireStruct::write(UpdateEncoder& enc, uint64_t offset) const {
  switch (kind) {
    case StructKind::kGC:
      enc.write_info(0);
      enc.write_len(length - offset);
      return;
    case StructKind::kSkip:
      enc.write_info(10);
      enc.rest().write_var_uint(length - offset);  // always in the rest stream, also in v2
      return;
    case StructKind::kItem:
      break;
  }
  std::optional<ID> o = offset > 0 ? std::optional<ID>(ID{id.client, id.clock + offset - 1}) : origin;
  uint8_t info = static_cast<uint8_t>((static_cast<uint8_t>(content_ref(content)) & 0x1f) | (o ? 0x80 : 0) |
                                      (right_origin ? 0x40 : 0) | (parent_sub ? 0x20 : 0));
  enc.write_info(info);
  if (o) enc.write_left_id(*o);
  if (right_origin) enc.write_right_id(*right_origin);
  if (!o && !right_origin) {
    if (const auto* name = std::get_if<std::string>(&parent)) {
      enc.write_parent_info(true);
      enc.write_string(std::string_view(*name));
    } else if (const auto* pid = std::get_if<ID>(&parent)) {
      enc.write_parent_info(false);
      enc.write_left_id(*pid);
    } else {
      enc.fail(ErrorCode::kInvalidArgument, "item without origins has no parent");
    }
    if (parent_sub) enc.write_string(std::string_view(*parent_sub));
  }
  write_content(enc, content, offset);
}

void read_wire_struct(UpdateDecoder& dec, uint8_t info, ID id, WireStruct& out) {
  out = WireStruct{};
  out.id = id;
  if (info == 10) {
    out.kind = StructKind::kSkip;
    out.length = dec.rest().read_var_uint();
  } else if ((info & 0x1f) != 0) {
    out.kind = StructKind::kItem;
    const bool cant_copy_parent = (info & 0xc0) == 0;
    if (info & 0x80) out.origin = dec.read_left_id();
    if (info & 0x40) out.right_origin = dec.read_right_id();
    if (cant_copy_parent) {
      if (dec.read_parent_info()) {
        out.parent = dec.read_string_utf8();
      } else {
        out.parent = dec.read_left_id();
      }
      if (info & 0x20) out.parent_sub = dec.read_string_utf8();
    }
    out.content = read_content(dec, info);
    out.length = content_length(out.content);
  } else {
    // Any byte with ref 0 is a GC struct, whatever its other bits say (as in JS).
    out.kind = StructKind::kGC;
    out.length = dec.read_len();
  }
  if (dec.ok() && out.length > kMaxClockEnd - id.clock) {
    dec.fail(ErrorCode::kOutOfRange, "struct clock beyond 2^53");
  }
}

}  // namespace weft
