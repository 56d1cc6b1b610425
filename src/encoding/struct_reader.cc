#include "encoding/struct_reader.h"

#include "encoding/utf.h"

namespace weft {

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

}  // namespace weft
