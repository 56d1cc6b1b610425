// SeqIndex: an order-statistic index over one branch's sequence items, so
// that visible index -> (item, offset) costs O(sqrt n) for any access
// pattern (random-position edits were O(n) each with the single marker).
//
// The item list is cut into chunks: contiguous runs of at most max_items
// items. A chunk knows its first item and its item count; the visible
// lengths of all chunks sit in one contiguous array in document order, so a
// lookup sums that array (a few thousand adds at 10^5 items) and then walks
// at most max_items items. Every item knows its chunk (Item::seq_chunk, a
// slot id that stays put while chunks are added and removed around it), so
// the hooks that change the list or a visible length are O(1), except a
// chunk split (every ~max_items/2 insertions into a chunk) and a chunk
// removal, which renumber the chunks after it.
//
// Contract: once a branch has an index, every change to its sequence list
// goes through a hook (integrate_item, split_item, Item::try_merge,
// Item::mark_deleted, an in-place extension of an item's visible length).
// Map entries (items with parent_sub) are not in the index.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "core/item.h"

namespace weft {

class SeqIndex {
 public:
  // Largest chunk; a chunk that grows past it splits in two. Tests lower it
  // to put chunk boundaries everywhere.
  static inline uint32_t max_items = 32;

  // Indexes the list that starts at `start` (may be null).
  explicit SeqIndex(Item* start);

  // The item holding visible index `index` and the offset into it; {nullptr,
  // 0} when index >= the visible length.
  std::pair<Item*, uint64_t> find(uint64_t index) const;

  // `item` was just linked into the list (left/right set); adds it with its
  // current visible length.
  void on_insert(Item* item);
  // `right` was just split off `left` and linked after it.
  void on_split(const Item* left, Item* right) {
    uint32_t id = left->seq_chunk;
    right->seq_chunk = id;
    if (++chunks_[id].count > max_items) split_chunk(id);
  }
  // `r`, the right neighbour of `l`, is about to be merged into `l` and
  // unlinked (both still hold their lengths and flags).
  void on_merge(const Item* l, const Item* r) {
    uint32_t id = r->seq_chunk;
    if (l->seq_chunk == id && chunks_[id].count > max_items / 4 + 1) {
      chunks_[id].count--;  // the common case: inside one chunk, which stays large
      return;
    }
    merge_slow(l, r);
  }
  // The visible length of `item` changed by `delta`.
  void on_visible_change(const Item* item, int64_t delta) {
    add_len(chunks_[item_chunk(item)].pos, static_cast<uint64_t>(delta));
  }

  // Checks the chunk structure against a walk from `start` (tests).
  bool check(const Item* start) const;
  size_t chunk_count() const { return order_.size(); }

 private:
  struct Chunk {
    Item* first = nullptr;
    uint32_t count = 0;  // items in the chunk
    uint32_t pos = 0;    // position in order_ / lens_
  };

  static uint32_t item_chunk(const Item* item) { return item->seq_chunk; }
  void merge_slow(const Item* l, const Item* r);
  // lens_[pos] += delta (modulo 2^64), keeping the finger's sum.
  void add_len(size_t pos, uint64_t delta) {
    lens_[pos] += delta;
    groups_[pos / kGroup] += delta;
    if (pos < finger_pos_) finger_base_ += delta;
  }
  // Recomputes groups_ from the group holding chunk position `from` on.
  void regroup(size_t from);
  uint32_t new_chunk();
  // Inserts chunk `id` at position `pos` of the order and renumbers after it.
  void place_chunk(uint32_t id, uint32_t pos);
  void remove_chunk(uint32_t id);
  void split_chunk(uint32_t id);
  void renumber(uint32_t from);

  std::vector<Chunk> chunks_;    // by slot id
  std::vector<uint32_t> free_;   // unused slot ids
  std::vector<uint32_t> order_;  // slot ids in document order
  std::vector<uint64_t> lens_;   // visible length of order_[i]
  // Sums of lens_ over runs of kGroup chunks: a far lookup sums these first,
  // so it adds about n / (kGroup * max_items) + kGroup numbers.
  static constexpr size_t kGroup = 64;
  std::vector<uint64_t> groups_;
  // Where the last lookup ended: finger_base_ is the sum of lens_ before
  // finger_pos_. Lookups start there, so nearby lookups sum few chunks.
  mutable size_t finger_pos_ = 0;
  mutable uint64_t finger_base_ = 0;
};

}  // namespace weft
