#include "encoding/struct_reader.h"

#include "encoding/utf.h"

namespace weft {

namespace {

// Bytes of valid UTF-8 `s` that hold its first `units` UTF-16 units; SIZE_MAX
// if unit `units` - 1 is the high half of a pair (the cut splits a character).
size_t utf8_prefix_bytes(std::string_view s, uint64_t units) {
  size_t p = 0;
  while (units > 0 && p < s.size()) {
    const uint8_t b = static_cast<uint8_t>(s[p]);
    if (b < 0x80) {
      p++;
      units--;
    } else if (b < 0xF0) {
      p += b < 0xE0 ? 2 : 3;
      units--;
    } else {
      if (units == 1) return SIZE_MAX;
      p += 4;
      units -= 2;
    }
  }
  return p;
}

}  // namespace

bool read_lazy_struct(UpdateDecoder& dec, uint8_t info, ID id, LazyStruct& out) {
  out.id = id;
  if (info == 10) {
    out.kind = StructKind::kSkip;
    out.length = dec.rest().read_var_uint();
  } else if ((info & 0x1f) != 0) {
    out.kind = StructKind::kItem;
    out.ref = static_cast<ContentRef>(info & 0x1f);
    out.owned.reset();
    out.has_origin = (info & 0x80) != 0;
    out.has_right_origin = (info & 0x40) != 0;
    if (out.has_origin) out.origin = dec.read_left_id();
    if (out.has_right_origin) out.right_origin = dec.read_right_id();
    out.has_parent = (info & 0xc0) == 0;
    out.has_parent_sub = false;
    if (out.has_parent) {
      out.parent_is_name = dec.read_parent_info();
      if (out.parent_is_name) {
        uint64_t units = 0;
        if (!dec.read_string_view(out.parent_name, units)) return false;
      } else {
        out.parent_id = dec.read_left_id();
      }
      if (info & 0x20) {
        uint64_t units = 0;
        out.has_parent_sub = true;
        if (!dec.read_string_view(out.parent_sub, units)) return false;
      }
    }
    if (out.ref == ContentRef::kString) {
      if (!dec.read_string_view(out.text, out.length)) return false;
    } else if (out.ref == ContentRef::kDeleted) {
      out.length = dec.read_len();
    } else {
      out.other = read_content(dec, info);
      out.length = content_length(out.other);
    }
  } else {
    // Any byte with ref 0 is a GC struct, whatever its other bits say (as in JS).
    out.kind = StructKind::kGC;
    out.length = dec.read_len();
  }
  if (out.length > kMaxClockEnd - id.clock && dec.ok()) {
    dec.fail(ErrorCode::kOutOfRange, "struct clock beyond 2^53");
  }
  return true;
}

LazyStruct LazyStruct::slice(uint64_t diff) const {
  LazyStruct out;
  out.kind = kind;
  out.id = ID{id.client, id.clock + diff};
  out.length = length - diff;
  if (kind != StructKind::kItem) return out;
  out.ref = ref;
  out.has_origin = true;
  out.origin = ID{id.client, id.clock + diff - 1};
  out.has_right_origin = has_right_origin;
  out.right_origin = right_origin;
  out.has_parent = has_parent;
  out.parent_is_name = parent_is_name;
  out.parent_id = parent_id;
  out.parent_name = parent_name;
  out.has_parent_sub = has_parent_sub;
  out.parent_sub = parent_sub;
  out.owned = owned;
  if (ref == ContentRef::kString) {
    const size_t cut = utf8_prefix_bytes(text, diff);
    if (cut != SIZE_MAX) {
      out.text = text.substr(cut);
    } else {
      // ContentString.splice: both halves of the split pair become U+FFFD.
      auto s = std::make_shared<std::string>("\xEF\xBF\xBD");
      s->append(text.substr(utf8_prefix_bytes(text, diff + 1)));
      out.owned = s;
      out.text = *s;
    }
  } else if (ref != ContentRef::kDeleted) {
    Content left = other;
    out.other = content_split(left, diff);
    out.length = content_length(out.other);
  }
  return out;
}

bool LazyStruct::write(UpdateEncoder& enc, uint64_t offset) const {
  switch (kind) {
    case StructKind::kGC:
      enc.write_info(0);
      enc.write_len(length - offset);
      return true;
    case StructKind::kSkip:
      enc.write_info(10);
      enc.rest().write_var_uint(length - offset);  // always in the rest stream, also in v2
      return true;
    case StructKind::kItem:
      break;
  }
  const bool o = offset > 0 || has_origin;
  const uint8_t info = static_cast<uint8_t>((static_cast<uint8_t>(ref) & 0x1f) | (o ? 0x80 : 0) |
                                            (has_right_origin ? 0x40 : 0) | (has_parent_sub ? 0x20 : 0));
  enc.write_info(info);
  if (o) enc.write_left_id(offset > 0 ? ID{id.client, id.clock + offset - 1} : origin);
  if (has_right_origin) enc.write_right_id(right_origin);
  if (!o && !has_right_origin) {
    if (!has_parent) {
      enc.fail(ErrorCode::kInvalidArgument, "item without origins has no parent");
    } else if (parent_is_name) {
      enc.write_parent_info(true);
      enc.write_string_view(parent_name, utf16_length(parent_name));
    } else {
      enc.write_parent_info(false);
      enc.write_left_id(parent_id);
    }
    if (has_parent_sub) enc.write_string_view(parent_sub, utf16_length(parent_sub));
  }
  if (ref == ContentRef::kString) {
    if (offset == 0) {
      enc.write_string_view(text, length);
    } else {
      // ContentString.write slices without the U+FFFD rule: a cut inside a
      // pair leaves a lone surrogate, which only the generic path reproduces.
      const size_t cut = utf8_prefix_bytes(text, offset);
      if (cut == SIZE_MAX) return false;
      enc.write_string_view(text.substr(cut), length - offset);
    }
  } else if (ref == ContentRef::kDeleted) {
    enc.write_len(length - offset);
  } else {
    write_content(enc, other, offset);
  }
  return true;
}

}  // namespace weft
