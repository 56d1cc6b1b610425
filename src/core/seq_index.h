// SeqIndex: an order-statistic index over one branch's sequence items, so
// that visible index -> (item, offset), inserting an item, changing an
// item's visible length and removing one all cost O(log n) for any access
// pattern (random-position edits were O(n) each with the single marker).
//
// A counted B+-tree. Its leaves are chunks: contiguous runs of at most
// max_items items, each knowing its first item and its item count. Inner
// nodes hold up to max_children children in document order with the visible
// length of each child's subtree beside it, so a lookup descends from the
// root summing at most max_children numbers per level and then walks at most
// max_items items. Every item knows its leaf (Item::seq_chunk, a slot id
// that stays put while leaves are added and removed around it) and every
// node knows its parent and its slot there, so a length change walks up one
// path. A leaf that grows past max_items splits in two, an inner node past
// max_children likewise (the root split adds a level); a small leaf joins a
// sibling, an empty node leaves its parent, and a root with one inner child
// gives way to it.
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
  // Largest leaf; a leaf that grows past it splits in two. Tests lower it
  // (and max_children) to make the tree deep.
  static inline uint32_t max_items = 32;
  // Most children of an inner node, 2..kMaxChildren.
  static constexpr uint32_t kMaxChildren = 16;
  static inline uint32_t max_children = kMaxChildren;

  // Indexes the list that starts at `start` (may be null).
  explicit SeqIndex(Item* start);

  // The item holding visible index `index` and the offset into it; {nullptr,
  // 0} when index >= the visible length.
  std::pair<Item*, uint64_t> find(uint64_t index);

  // `item` was just linked into the list (left/right set); adds it with its
  // current visible length.
  void on_insert(Item* item);
  // `now` took `old`'s place in the list (same visible length): a tombstone
  // run and its first member trading places (tombstone_runs.cc).
  void on_replace(const Item* old, Item* now) {
    now->seq_chunk = old->seq_chunk;
    if (leaves_[now->seq_chunk].first == old) leaves_[now->seq_chunk].first = now;
  }
  // `right` was just split off `left` and linked after it.
  void on_split(const Item* left, Item* right) {
    const uint32_t id = left->seq_chunk;
    right->seq_chunk = id;
    if (++leaves_[id].count > max_items) split_leaf(id);
  }
  // `r`, the right neighbour of `l`, is about to be merged into `l` and
  // unlinked (both still hold their lengths and flags).
  void on_merge(const Item* l, const Item* r) {
    uint32_t id = r->seq_chunk;
    if (l->seq_chunk == id && leaves_[id].count > max_items / 4 + 1) {
      leaves_[id].count--;  // the common case: inside one leaf, which stays large
      return;
    }
    merge_slow(l, r);
  }
  // The visible length of `item` changed by `delta`. Typing and deleting
  // at one caret change one leaf again and again: the change waits in a
  // per-leaf delta, added to the sums on the leaf's path when another
  // leaf changes or anything reads or restructures the tree (flush).
  void on_visible_change(const Item* item, int64_t delta) {
    const uint32_t leaf = item->seq_chunk;
    if (leaf != pending_leaf_) {
      flush();
      pending_leaf_ = leaf;
    }
    pending_delta_ += static_cast<uint64_t>(delta);
  }

  // Checks the tree against a walk from `start` (tests).
  bool check(const Item* start);
  size_t chunk_count() const { return leaves_.size() - free_leaves_.size(); }
  // Levels of inner nodes (1: the root's children are leaves).
  size_t depth() const;

 private:
  static constexpr uint32_t kNone = UINT32_MAX;
  struct Leaf {
    Item* first = nullptr;
    uint32_t count = 0;       // items in the leaf
    uint32_t parent = kNone;  // inner node holding it
    uint32_t slot = 0;        // its index among the parent's children
  };
  struct Node {
    // One spare slot: a node is split right after it overflows.
    uint64_t sum[kMaxChildren + 1];  // visible length under child i
    uint32_t child[kMaxChildren + 1];
    uint32_t parent = kNone;
    uint32_t slot = 0;
    uint32_t n = 0;             // children
    bool leaf_children = true;  // children are leaves (else inner nodes)
  };

  // Adds the pending delta to the sums (see on_visible_change).
  void flush() {
    if (pending_delta_ != 0) add_len(pending_leaf_, pending_delta_);
    pending_delta_ = 0;
    pending_leaf_ = kNone;
  }
  // The sums on the path above `leaf` += delta (modulo 2^64).
  void add_len(uint32_t leaf, uint64_t delta) {
    const Leaf& l = leaves_[leaf];
    uint32_t slot = l.slot;
    for (uint32_t p = l.parent; p != kNone;) {
      Node& node = nodes_[p];
      node.sum[slot] += delta;
      slot = node.slot;
      p = node.parent;
    }
  }
  uint64_t leaf_len(uint32_t leaf) const { return nodes_[leaves_[leaf].parent].sum[leaves_[leaf].slot]; }
  uint64_t node_total(uint32_t node) const;
  void set_parent(uint32_t node, uint32_t slot);
  // Puts `child` (a leaf or node per `node`'s kind) at `slot` of `node` with
  // subtree length `len`; splits `node` when it overflows.
  void insert_child(uint32_t node, uint32_t slot, uint32_t child, uint64_t len);
  // Takes the child at `slot` out of `node` (its length must be 0); removes
  // nodes left empty and a root with a single inner child.
  void remove_child(uint32_t node, uint32_t slot);
  void split_node(uint32_t node);
  void split_leaf(uint32_t id);
  void merge_slow(const Item* l, const Item* r);
  // Moves leaf `from`'s items (all but `skip`, which is counted out already)
  // into its neighbouring sibling `to` and removes `from`.
  void join_leaf(uint32_t from, uint32_t to, const Item* skip);
  uint32_t new_leaf();
  uint32_t new_node();
  bool check_node(uint32_t node, const Item*& it, size_t& leaves) const;

  std::vector<Leaf> leaves_;  // by slot id (Item::seq_chunk)
  std::vector<uint32_t> free_leaves_;
  std::vector<Node> nodes_;
  std::vector<uint32_t> free_nodes_;
  uint32_t root_ = kNone;
  // A visible-length change of leaf pending_leaf_ not yet in the sums.
  uint32_t pending_leaf_ = kNone;
  uint64_t pending_delta_ = 0;  // modulo 2^64, like the sums
};

}  // namespace weft
