#include "core/seq_index.h"

#include <algorithm>

#include "core/item.h"

namespace weft {

namespace {

uint64_t visible_length(const Item* item) { return item->visible() ? item->length : 0; }

}  // namespace

SeqIndex::SeqIndex(Item* start) {
  // Leaves start half full so that the next insertions split none; inner
  // nodes three quarters full (they split rarely).
  const uint32_t fill = std::max<uint32_t>(1, max_items / 2);
  std::vector<uint32_t> level;
  std::vector<uint64_t> lens;
  for (Item* it = start; it != nullptr;) {
    uint32_t id = new_leaf();
    leaves_[id].first = it;
    uint64_t len = 0;
    uint32_t count = 0;
    for (; it != nullptr && count < fill; it = it->right, count++) {
      it->seq_chunk = id;
      len += visible_length(it);
    }
    leaves_[id].count = count;
    level.push_back(id);
    lens.push_back(len);
  }
  // Groups each level under new nodes until one node (the root) holds it.
  auto group = [&](size_t begin, size_t end, bool leaf_children) {
    uint32_t p = new_node();
    Node& node = nodes_[p];
    node.leaf_children = leaf_children;
    uint64_t total = 0;
    for (size_t j = begin; j < end; j++) {
      node.child[node.n] = level[j];
      node.sum[node.n] = lens[j];
      total += lens[j];
      set_parent(p, node.n++);
    }
    return std::pair{p, total};
  };
  const uint32_t node_fill = std::max<uint32_t>(2, max_children * 3 / 4);
  bool leaf_children = true;
  while (level.size() > max_children) {
    std::vector<uint32_t> up;
    std::vector<uint64_t> up_lens;
    for (size_t i = 0; i < level.size(); i += node_fill) {
      auto [p, total] = group(i, std::min(level.size(), i + node_fill), leaf_children);
      up.push_back(p);
      up_lens.push_back(total);
    }
    level.swap(up);
    lens.swap(up_lens);
    leaf_children = false;
  }
  root_ = group(0, level.size(), leaf_children).first;
}

namespace {

// A fresh (value-initialized) slot of `slots`: a freed one if any, else a new one.
template <typename T>
uint32_t take_slot(std::vector<T>& slots, std::vector<uint32_t>& free) {
  if (!free.empty()) {
    const uint32_t id = free.back();
    free.pop_back();
    slots[id] = T{};
    return id;
  }
  slots.emplace_back();
  return static_cast<uint32_t>(slots.size() - 1);
}

}  // namespace

uint32_t SeqIndex::new_leaf() { return take_slot(leaves_, free_leaves_); }

uint32_t SeqIndex::new_node() { return take_slot(nodes_, free_nodes_); }

uint64_t SeqIndex::node_total(uint32_t node) const {
  const Node& n = nodes_[node];
  uint64_t total = 0;
  for (uint32_t i = 0; i < n.n; i++) total += n.sum[i];
  return total;
}

void SeqIndex::set_parent(uint32_t node, uint32_t slot) {
  const Node& n = nodes_[node];
  uint32_t c = n.child[slot];
  if (n.leaf_children) {
    leaves_[c].parent = node;
    leaves_[c].slot = slot;
  } else {
    nodes_[c].parent = node;
    nodes_[c].slot = slot;
  }
}

size_t SeqIndex::depth() const {
  size_t d = 1;
  for (uint32_t p = root_; !nodes_[p].leaf_children; p = nodes_[p].child[0]) d++;
  return d;
}

std::pair<Item*, uint64_t> SeqIndex::find(uint64_t index) {
  flush();
  uint64_t rest = index;
  uint64_t len = 0;  // the leaf's visible length
  // The lowest node with a subtree after the path, and that subtree's slot:
  // the next leaf's first item ends the walk from the back.
  uint32_t next_node = kNone;
  uint32_t next_slot = 0;
  uint32_t p = root_;
  for (;;) {
    const Node& n = nodes_[p];
    uint32_t i = 0;
    while (i < n.n && rest >= n.sum[i]) rest -= n.sum[i++];
    if (i == n.n) return {nullptr, 0};  // only at the root: index >= the length
    if (i + 1 < n.n) {
      next_node = p;
      next_slot = i + 1;
    }
    p = n.child[i];
    if (n.leaf_children) {
      len = n.sum[i];
      break;
    }
  }
  // Items are scattered in memory, so every step is a likely cache miss:
  // walk from the nearer end of the leaf.
  if (rest >= len / 2 && next_node != kNone) {
    uint32_t q = next_node;
    uint32_t c = nodes_[q].child[next_slot];
    while (!nodes_[q].leaf_children) {
      q = c;
      c = nodes_[q].child[0];
    }
    uint64_t back = len - rest;  // units from the target to the leaf's end, >= 1
    for (Item* it = leaves_[c].first->left;; it = it->left) {
      if (it->visible()) {
        if (back <= it->length) return {it, it->length - back};
        back -= it->length;
      }
    }
  }
  for (Item* it = leaves_[p].first;; it = it->right) {
    if (it->visible()) {
      if (rest < it->length) return {it, rest};
      rest -= it->length;
    }
  }
}

void SeqIndex::insert_child(uint32_t node, uint32_t slot, uint32_t child, uint64_t len) {
  Node& n = nodes_[node];
  for (uint32_t i = n.n; i > slot; i--) {
    n.child[i] = n.child[i - 1];
    n.sum[i] = n.sum[i - 1];
  }
  n.child[slot] = child;
  n.sum[slot] = len;
  n.n++;
  for (uint32_t i = slot; i < n.n; i++) set_parent(node, i);
  if (n.n > max_children) split_node(node);
}

void SeqIndex::split_node(uint32_t node) {
  uint32_t q = new_node();  // may reallocate nodes_
  Node& a = nodes_[node];
  Node& b = nodes_[q];
  const uint32_t keep = a.n / 2;
  b.leaf_children = a.leaf_children;
  uint64_t moved = 0;
  for (uint32_t i = keep; i < a.n; i++) {
    b.child[b.n] = a.child[i];
    b.sum[b.n] = a.sum[i];
    moved += a.sum[i];
    set_parent(q, b.n++);
  }
  a.n = keep;
  if (a.parent != kNone) {
    uint32_t parent = a.parent;
    uint32_t slot = a.slot;
    nodes_[parent].sum[slot] -= moved;
    insert_child(parent, slot + 1, q, moved);
    return;
  }
  // The root split: a new root above the two halves.
  const uint64_t kept = node_total(node);
  uint32_t r = new_node();
  Node& root = nodes_[r];
  root.leaf_children = false;
  root.child[0] = node;
  root.sum[0] = kept;
  root.child[1] = q;
  root.sum[1] = moved;
  root.n = 2;
  set_parent(r, 0);
  set_parent(r, 1);
  root_ = r;
}

void SeqIndex::remove_child(uint32_t node, uint32_t slot) {
  Node& n = nodes_[node];
  for (uint32_t i = slot; i + 1 < n.n; i++) {
    n.child[i] = n.child[i + 1];
    n.sum[i] = n.sum[i + 1];
  }
  n.n--;
  for (uint32_t i = slot; i < n.n; i++) set_parent(node, i);
  if (node != root_) {
    if (n.n > 0) return;
    uint32_t parent = n.parent;
    uint32_t parent_slot = n.slot;
    free_nodes_.push_back(node);
    remove_child(parent, parent_slot);
    return;
  }
  if (n.n == 0) {
    n.leaf_children = true;  // empty: the next insertion adds a leaf here
    return;
  }
  // A root with one inner child: the child is the root.
  while (nodes_[root_].n == 1 && !nodes_[root_].leaf_children) {
    uint32_t c = nodes_[root_].child[0];
    free_nodes_.push_back(root_);
    root_ = c;
    nodes_[c].parent = kNone;
    nodes_[c].slot = 0;
  }
}

void SeqIndex::on_insert(Item* item) {
  flush();
  const uint64_t v = visible_length(item);
  uint32_t id;
  if (item->left != nullptr) {
    id = item->left->seq_chunk;
  } else if (item->right != nullptr) {
    id = item->right->seq_chunk;  // the new first item of the first leaf
    leaves_[id].first = item;
  } else {
    id = new_leaf();  // the list was empty
    leaves_[id].first = item;
    leaves_[id].count = 1;
    item->seq_chunk = id;
    insert_child(root_, 0, id, v);
    return;
  }
  item->seq_chunk = id;
  if (v != 0) add_len(id, v);
  if (++leaves_[id].count > max_items) split_leaf(id);
}

void SeqIndex::split_leaf(uint32_t id) {
  flush();
  const uint32_t keep = leaves_[id].count / 2;
  Item* it = leaves_[id].first;
  for (uint32_t i = 0; i < keep; i++) it = it->right;
  uint32_t moved_id = new_leaf();  // may reallocate leaves_
  Leaf& c = leaves_[id];
  Leaf& moved = leaves_[moved_id];
  moved.first = it;
  moved.count = c.count - keep;
  c.count = keep;
  uint64_t len = 0;
  for (uint32_t i = 0; i < moved.count; i++, it = it->right) {
    it->seq_chunk = moved_id;
    len += visible_length(it);
  }
  nodes_[c.parent].sum[c.slot] -= len;
  insert_child(c.parent, c.slot + 1, moved_id, len);
}

void SeqIndex::merge_slow(const Item* l, const Item* r) {
  flush();
  const uint32_t left_id = l->seq_chunk;
  const uint32_t id = r->seq_chunk;
  if (left_id != id) {
    // r opens its leaf; its units move to l's leaf with it.
    if (uint64_t v = visible_length(r); v != 0) {
      add_len(left_id, v);
      add_len(id, -v);
    }
    leaves_[id].first = r->right;
  }
  if (--leaves_[id].count == 0) {
    remove_child(leaves_[id].parent, leaves_[id].slot);
    leaves_[id] = Leaf{};
    free_leaves_.push_back(id);
    return;
  }
  // Cleanup merges shrink leaves; join a small one to a sibling so that the
  // leaf count stays proportional to the item count.
  const Leaf& c = leaves_[id];
  if (c.count > max_items / 4) return;
  const Node& parent = nodes_[c.parent];
  if (c.slot > 0 && leaves_[parent.child[c.slot - 1]].count + c.count <= max_items / 2) {
    join_leaf(id, parent.child[c.slot - 1], r);
  } else if (c.slot + 1 < parent.n && leaves_[parent.child[c.slot + 1]].count + c.count <= max_items / 2) {
    join_leaf(id, parent.child[c.slot + 1], r);
  }
}

void SeqIndex::join_leaf(uint32_t from, uint32_t to, const Item* skip) {
  Leaf& f = leaves_[from];
  Leaf& t = leaves_[to];
  // skip is still linked (inside `from` when l is too) but no longer
  // counted; it never opens `from` (merge_slow moved `first` past it).
  uint32_t moved = 0;
  for (Item* it = f.first; moved < f.count; it = it->right) {
    if (it == skip) continue;
    it->seq_chunk = to;
    moved++;
  }
  if (t.slot > f.slot) t.first = f.first;
  t.count += f.count;
  const uint32_t parent = f.parent;
  const uint32_t slot = f.slot;
  Node& p = nodes_[parent];
  p.sum[t.slot] += p.sum[slot];  // same parent: the sums above stay
  p.sum[slot] = 0;
  leaves_[from] = Leaf{};
  free_leaves_.push_back(from);
  remove_child(parent, slot);
}

bool SeqIndex::check_node(uint32_t node, const Item*& it, size_t& leaves) const {
  const Node& n = nodes_[node];
  if (n.n > max_children || (n.n == 0 && node != root_)) return false;
  for (uint32_t i = 0; i < n.n; i++) {
    const uint32_t c = n.child[i];
    if (!n.leaf_children) {
      if (nodes_[c].parent != node || nodes_[c].slot != i || !check_node(c, it, leaves)) return false;
      if (node_total(c) != n.sum[i]) return false;
      continue;
    }
    const Leaf& leaf = leaves_[c];
    if (leaf.parent != node || leaf.slot != i || leaf.first != it || leaf.count == 0 ||
        leaf.count > max_items) {
      return false;
    }
    uint64_t len = 0;
    for (uint32_t k = 0; k < leaf.count; k++, it = it->right) {
      if (it == nullptr || it->seq_chunk != c) return false;
      len += visible_length(it);
    }
    if (len != n.sum[i]) return false;
    leaves++;
  }
  return true;
}

bool SeqIndex::check(const Item* start) {
  flush();
  if (root_ == kNone || nodes_[root_].parent != kNone) return false;
  if (nodes_[root_].n == 1 && !nodes_[root_].leaf_children) return false;
  // Every leaf at the same depth.
  const size_t d = depth();
  const Item* it = start;
  size_t leaves = 0;
  if (!check_node(root_, it, leaves)) return false;
  std::vector<std::pair<uint32_t, size_t>> stack{{root_, 1}};
  while (!stack.empty()) {
    auto [p, level] = stack.back();
    stack.pop_back();
    const Node& n = nodes_[p];
    if (n.leaf_children != (level == d)) return false;
    if (!n.leaf_children) {
      for (uint32_t i = 0; i < n.n; i++) stack.emplace_back(n.child[i], level + 1);
    }
  }
  return it == nullptr && leaves == chunk_count();
}

}  // namespace weft
