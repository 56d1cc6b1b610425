#include "core/seq_index.h"

#include <algorithm>

#include "core/item.h"

namespace weft {

namespace {

uint64_t visible_length(const Item* item) { return item->visible() ? item->length : 0; }

}  // namespace

SeqIndex::SeqIndex(Item* start) {
  // Chunks start half full so that the next insertions split none.
  const uint32_t fill = max_items / 2;
  for (Item* it = start; it != nullptr;) {
    uint32_t id = new_chunk();
    uint32_t pos = static_cast<uint32_t>(order_.size());
    chunks_[id].first = it;
    chunks_[id].pos = pos;
    order_.push_back(id);
    uint64_t len = 0;
    uint32_t count = 0;
    for (; it != nullptr && count < fill; it = it->right, count++) {
      it->seq_chunk = id;
      len += visible_length(it);
    }
    chunks_[id].count = count;
    lens_.push_back(len);
  }
  regroup(0);
}

void SeqIndex::regroup(size_t from) {
  size_t g = from / kGroup;
  groups_.resize((lens_.size() + kGroup - 1) / kGroup);
  for (; g < groups_.size(); g++) {
    uint64_t sum = 0;
    size_t end = std::min(lens_.size(), (g + 1) * kGroup);
    for (size_t p = g * kGroup; p < end; p++) sum += lens_[p];
    groups_[g] = sum;
  }
}

std::pair<Item*, uint64_t> SeqIndex::find(uint64_t index) const {
  const size_t n = lens_.size();
  size_t p = finger_pos_;
  uint64_t base = finger_base_;  // visible units before chunk p
  // Near the last lookup: step a few chunks from there.
  int steps = 0;
  while (p > 0 && index < base && steps++ < 8) base -= lens_[--p];
  while (p < n && index >= base && index - base >= lens_[p] && steps++ < 8) base += lens_[p++];
  if (index < base || (p < n && index - base >= lens_[p])) {
    // Far: sum whole groups, then the chunks of one group.
    p = 0;
    base = 0;
    size_t g = 0;
    while (g < groups_.size() && index - base >= groups_[g]) base += groups_[g++];
    p = std::min(g * kGroup, n);
    while (p < n && index - base >= lens_[p]) base += lens_[p++];
  }
  finger_pos_ = p;
  finger_base_ = base;
  if (p == n) return {nullptr, 0};
  uint64_t rest = index - base;
  for (Item* it = chunks_[order_[p]].first;; it = it->right) {
    if (it->visible()) {
      if (rest < it->length) return {it, rest};
      rest -= it->length;
    }
  }
}

void SeqIndex::on_insert(Item* item) {
  uint32_t id;
  if (item->left != nullptr) {
    id = item->left->seq_chunk;
  } else if (item->right != nullptr) {
    id = item->right->seq_chunk;  // the new first item of the first chunk
    chunks_[id].first = item;
  } else {
    id = new_chunk();  // the list was empty
    chunks_[id].first = item;
    place_chunk(id, 0);
  }
  item->seq_chunk = id;
  Chunk& c = chunks_[id];
  c.count++;
  add_len(c.pos, visible_length(item));
  if (c.count > max_items) split_chunk(id);
}

void SeqIndex::merge_slow(const Item* l, const Item* r) {
  uint32_t left_id = l->seq_chunk;
  uint32_t id = r->seq_chunk;
  if (left_id != id) {
    // r opens its chunk; its units move to l's chunk with it.
    uint64_t v = visible_length(r);
    add_len(chunks_[left_id].pos, v);
    add_len(chunks_[id].pos, -v);
    chunks_[id].first = r->right;
  }
  if (--chunks_[id].count == 0) {
    remove_chunk(id);
    return;
  }
  // Cleanup merges shrink chunks; join a small one to its left neighbour so
  // the chunk count stays proportional to the item count.
  const Chunk& c = chunks_[id];
  if (c.count > max_items / 4 || c.pos == 0) return;
  uint32_t prev = order_[c.pos - 1];
  if (chunks_[prev].count + c.count > max_items / 2) return;
  uint64_t len = lens_[c.pos];
  // r is still linked (inside this chunk when l is too) but no longer counted.
  uint32_t moved = 0;
  for (Item* it = c.first; moved < c.count; it = it->right) {
    if (it == r) continue;
    it->seq_chunk = prev;
    moved++;
  }
  chunks_[prev].count += c.count;
  add_len(chunks_[prev].pos, len);
  add_len(c.pos, -len);
  remove_chunk(id);
}

uint32_t SeqIndex::new_chunk() {
  if (!free_.empty()) {
    uint32_t id = free_.back();
    free_.pop_back();
    chunks_[id] = Chunk{};
    return id;
  }
  chunks_.emplace_back();
  return static_cast<uint32_t>(chunks_.size() - 1);
}

void SeqIndex::place_chunk(uint32_t id, uint32_t pos) {
  if (pos < finger_pos_) finger_pos_++;  // an empty chunk: the sum stays
  order_.insert(order_.begin() + pos, id);
  lens_.insert(lens_.begin() + pos, 0);
  renumber(pos);
  regroup(pos);
}

void SeqIndex::remove_chunk(uint32_t id) {
  uint32_t pos = chunks_[id].pos;  // its length is 0 by now
  if (pos < finger_pos_) finger_pos_--;
  order_.erase(order_.begin() + pos);
  lens_.erase(lens_.begin() + pos);
  renumber(pos);
  regroup(pos);
  chunks_[id] = Chunk{};
  free_.push_back(id);
}

void SeqIndex::renumber(uint32_t from) {
  for (size_t p = from; p < order_.size(); p++) chunks_[order_[p]].pos = static_cast<uint32_t>(p);
}

void SeqIndex::split_chunk(uint32_t id) {
  uint32_t keep = chunks_[id].count / 2;
  Item* it = chunks_[id].first;
  for (uint32_t i = 0; i < keep; i++) it = it->right;
  uint32_t moved_id = new_chunk();  // may reallocate chunks_
  Chunk& c = chunks_[id];
  Chunk& moved = chunks_[moved_id];
  moved.first = it;
  moved.count = c.count - keep;
  c.count = keep;
  uint64_t len = 0;
  for (uint32_t i = 0; i < moved.count; i++, it = it->right) {
    it->seq_chunk = moved_id;
    len += visible_length(it);
  }
  place_chunk(moved_id, chunks_[id].pos + 1);
  add_len(chunks_[id].pos, -len);
  add_len(chunks_[moved_id].pos, len);
}

bool SeqIndex::check(const Item* start) const {
  const Item* it = start;
  for (size_t p = 0; p < order_.size(); p++) {
    const Chunk& c = chunks_[order_[p]];
    if (c.pos != p || c.first != it || c.count == 0 || c.count > max_items) return false;
    uint64_t len = 0;
    for (uint32_t i = 0; i < c.count; i++, it = it->right) {
      if (it == nullptr || it->seq_chunk != order_[p]) return false;
      len += visible_length(it);
    }
    if (len != lens_[p]) return false;
  }
  for (size_t g = 0; g < groups_.size(); g++) {
    uint64_t sum = 0;
    for (size_t p = g * kGroup; p < std::min(lens_.size(), (g + 1) * kGroup); p++) sum += lens_[p];
    if (sum != groups_[g]) return false;
  }
  if (groups_.size() != (lens_.size() + kGroup - 1) / kGroup) return false;
  uint64_t base = 0;
  for (size_t p = 0; p < finger_pos_; p++) base += lens_[p];
  return it == nullptr && finger_pos_ <= order_.size() && base == finger_base_;
}

}  // namespace weft
