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
    } else if (std::holds_alternative<ContentAny>(it->content) || content_is<ContentBinary>(it->content) ||
               content_is<ContentJson>(it->content) || content_is<ContentDoc>(it->content)) {
      return TypeRef::kArray;
    }
  }
  return text_like ? TypeRef::kText : TypeRef::kArray;
}

namespace {

// With an index, the marker is tried only for targets within kMarkerUnits
// of it, and walks at most kMarkerSteps items: near the marker (typing) a
// walk is cheaper than an index lookup, far from it a wasted walk.
constexpr uint64_t kMarkerUnits = 256;
constexpr size_t kMarkerSteps = 96;

std::pair<Item*, uint64_t> find_with_index(Branch& b, uint64_t index) {
  auto [n, offset] = b.seq_index->find(index);
  if (n != nullptr) {
    b.marker = n;
    b.marker_index = index - offset;
  }
  return {n, offset};
}

}  // namespace

std::pair<Item*, uint64_t> Branch::find_position(uint64_t index) {
  if (index >= length) return {nullptr, 0};
  const bool indexed = seq_index != nullptr;
  Item* n = start;
  uint64_t pos = 0;  // visible units before n
  size_t max_steps = index_after_steps;
  if (indexed) {
    uint64_t distance = index > marker_index ? index - marker_index : marker_index - index;
    if (marker == nullptr || distance >= kMarkerUnits) return find_with_index(*this, index);
    n = marker;
    pos = marker_index;
    max_steps = kMarkerSteps;
  } else if (marker != nullptr && (index >= marker_index || marker_index - index < index)) {
    n = marker;
    pos = marker_index;
  }
  // Without an index a long walk builds one, since more such walks are
  // likely to come; with one, a long walk gives way to it.
  size_t steps = 0;
  while (pos > index) {  // the target lies before the marker
    n = n->left;
    if (n == nullptr) {
      // Only with a marker_index too large (the walk from the start, as
      // before the index, stays the safe answer).
      if (indexed) return find_with_index(*this, index);
      n = start;
      pos = 0;
      break;
    }
    if (n->visible()) pos -= n->length;
    if (++steps > max_steps && indexed) return find_with_index(*this, index);
  }
  for (; n != nullptr; n = n->right) {
    if (n->visible()) {
      if (index < pos + n->length) break;
      pos += n->length;
    }
    if (++steps > max_steps && indexed) return find_with_index(*this, index);
  }
  if (n == nullptr) return {nullptr, 0};  // unreachable while length is right
  if (steps > index_after_steps && !indexed) seq_index = std::make_unique<SeqIndex>(start);
  marker = n;
  marker_index = pos;
  return {n, index - pos};
}

Item* Branch::map_item(const std::string& key) const {
  auto it = map.find(key);
  if (it == map.end() || it->second->deleted) return nullptr;
  return it->second;
}

}  // namespace weft
