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

namespace {

// Walks from `from` (visible units before it: `pos`) to visible index
// `index`, left or right, giving up after `max_steps` items. Returns the
// item and the units before it, or a null item.
std::pair<Item*, uint64_t> walk_to(Item* from, uint64_t pos, uint64_t index, size_t max_steps) {
  Item* n = from;
  size_t steps = 0;
  while (pos > index) {
    n = n->left;
    if (n == nullptr || ++steps > max_steps) return {nullptr, 0};
    if (n->visible()) pos -= n->length;
  }
  for (; n != nullptr; n = n->right) {
    if (++steps > max_steps) return {nullptr, 0};
    if (n->visible()) {
      if (index < pos + n->length) return {n, pos};
      pos += n->length;
    }
  }
  return {nullptr, 0};
}

// With an index, the marker is tried only for targets within kMarkerUnits
// of it, and walks at most kMarkerSteps items: near the marker (typing) a
// walk is cheaper than an index lookup, far from it a wasted walk.
constexpr uint64_t kMarkerUnits = 64;
constexpr size_t kMarkerSteps = 24;

}  // namespace

std::pair<Item*, uint64_t> Branch::find_position(uint64_t index) {
  if (index >= length) return {nullptr, 0};
  if (seq_index == nullptr) {
    // No index yet: walk from the marker (or, when that is far, from the
    // start), and build the index when the walk was long, since more such
    // walks are likely to come.
    Item* n = start;
    uint64_t pos = 0;
    if (marker != nullptr && (index >= marker_index || marker_index - index < index)) {
      auto [m, m_pos] = walk_to(marker, marker_index, index, index_after_steps);
      if (m != nullptr) {
        n = m;
        pos = m_pos;
      }
    }
    size_t steps = 0;
    for (; n != nullptr; n = n->right, steps++) {
      if (n->visible()) {
        if (index < pos + n->length) break;
        pos += n->length;
      }
    }
    if (n == nullptr) return {nullptr, 0};  // unreachable while length is right
    if (steps > index_after_steps) seq_index = std::make_unique<SeqIndex>(start);
    marker = n;
    marker_index = pos;
    return {n, index - pos};
  }
  uint64_t distance = index > marker_index ? index - marker_index : marker_index - index;
  if (marker != nullptr && distance < kMarkerUnits) {
    auto [n, pos] = walk_to(marker, marker_index, index, kMarkerSteps);
    if (n != nullptr) {
      marker = n;
      marker_index = pos;
      return {n, index - pos};
    }
  }
  auto [n, offset] = seq_index->find(index);
  if (n != nullptr) {
    marker = n;
    marker_index = index - offset;
  }
  return {n, offset};
}

Item* Branch::map_item(const std::string& key) const {
  auto it = map.find(key);
  if (it == map.end() || it->second->deleted) return nullptr;
  return it->second;
}

}  // namespace weft
