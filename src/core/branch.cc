#include "core/branch.h"

namespace weft {

TypeRef Branch::effective_kind() const {
  if (kind) return *kind;
  // An undeclared root: infer from content, as a dump tool must.
  if (start == nullptr) return TypeRef::kMap;
  bool text_like = false;
  for (const Item* it = start; it != nullptr; it = it->right) {
    if (std::holds_alternative<ContentString>(it->content) || content_is<ContentFormat>(it->content) ||
        content_is<ContentEmbed>(it->content)) {
      text_like = true;
    } else if (const auto* t = content_if<ContentType>(&it->content)) {
      if (t->type_ref == TypeRef::kXmlElement || t->type_ref == TypeRef::kXmlText ||
          t->type_ref == TypeRef::kXmlHook) {
        return TypeRef::kXmlFragment;
      }
    } else if (std::holds_alternative<ContentAny>(it->content) ||
               std::holds_alternative<ContentBinary>(it->content) ||
               std::holds_alternative<ContentJson>(it->content) || content_is<ContentDoc>(it->content)) {
      return TypeRef::kArray;
    }
  }
  return text_like ? TypeRef::kText : TypeRef::kArray;
}

std::pair<Item*, uint64_t> Branch::find_position(uint64_t index) {
  Item* n = start;
  uint64_t pos = 0;  // visible units before n
  if (marker != nullptr && (index >= marker_index || marker_index - index < index)) {
    n = marker;
    pos = marker_index;
    // Walk left when the target lies before the marker.
    while (n != nullptr && pos > index) {
      n = n->left;
      if (n != nullptr && n->visible()) pos -= n->length;
    }
    if (n == nullptr) {
      n = start;
      pos = 0;
    }
  }
  for (; n != nullptr; n = n->right) {
    if (n->visible()) {
      if (index < pos + n->length) {
        marker = n;
        marker_index = pos;
        return {n, index - pos};
      }
      pos += n->length;
    }
  }
  return {nullptr, 0};
}

Item* Branch::map_item(const std::string& key) const {
  auto it = map.find(key);
  if (it == map.end() || it->second->deleted) return nullptr;
  return it->second;
}

}  // namespace weft
