#include "core/integrate.h"

#include <unordered_map>
#include <vector>

#include "core/branch.h"
#include "core/item.h"
#include "core/struct_store.h"
#include "core/tombstone_runs.h"
#include "core/transaction.h"
#include "weft/doc.h"

namespace weft {

namespace {

void integrate_content(Transaction& txn, Item* item) {
  content_visit(
      [&](auto& c) {
        using C = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<C, ContentDeleted>) {
          append_range(txn.deleted_ranges(item->id.client), item->id.clock, c.len);
          item->deleted = true;
        } else if constexpr (std::is_same_v<C, ContentFormat>) {
          item->parent->clear_marker();
          item->parent->has_formatting = true;
        } else if constexpr (std::is_same_v<C, ContentType>) {
          if (item->type() == nullptr) item->set_type(std::make_unique<Branch>(&txn.doc, c.type_ref, c.name));
          item->type()->item = item;
        } else if constexpr (std::is_same_v<C, ContentDoc>) {
          txn.subdocs_added.push_back(c.guid);
        }
      },
      item->content);
}

// The items a conflict scan has passed, in order. Yjs keeps them in two Sets
// (itemsBeforeOrigin, and conflictingItems: those since the last new left)
// and inserts into both at every step, but reads them only when a passed
// item's origin is not the new item's own; so they are one list here, plus
// where the conflicting part starts, and a hash index is built only when that
// case meets a long list. Many concurrent inserts at one place (or sets of
// one map key) no longer pay two hash insertions per item passed: the scan
// is quadratic in them, in Yjs too, and the sets made it 14-26x slower
// (bench workloads b3.1-b3.5 at 1e5).
class PassedItems {
 public:
  void reset() {
    items_.clear();
    if (!index_.empty()) index_.clear();
    conflicting_from_ = 0;
  }
  void add(Item* o) {
    if (!index_.empty()) index_.emplace(o, items_.size());
    items_.push_back(o);
  }
  // Only the items passed from now on conflict (conflictingItems.clear()).
  void clear_conflicting() { conflicting_from_ = items_.size(); }
  // Where `x` was passed, or npos.
  size_t position(Item* x) {
    if (items_.size() <= kLinearUpTo) {
      for (size_t i = 0; i < items_.size(); i++) {
        if (items_[i] == x) return i;
      }
      return kNpos;
    }
    if (index_.empty()) {
      for (size_t i = 0; i < items_.size(); i++) index_.emplace(items_[i], i);
    }
    auto found = index_.find(x);
    return found == index_.end() ? kNpos : found->second;
  }
  size_t conflicting_from() const { return conflicting_from_; }
  static constexpr size_t kNpos = ~size_t{0};

 private:
  static constexpr size_t kLinearUpTo = 32;
  std::vector<Item*> items_;
  std::unordered_map<Item*, size_t> index_;
  size_t conflicting_from_ = 0;
};

// The YATA conflict scan (yjs Item.integrate): returns the item after which
// `item` goes.
Item* resolve_left(Transaction& txn, Item* item) {
  StructStore& store = txn.doc.store();
  Item* left = item->left;
  Item* o;
  if (left != nullptr) {
    o = left->right;
  } else if (item->parent_sub()) {
    auto found = item->parent->map.find(*item->parent_sub());
    o = found == item->parent->map.end() ? nullptr : found->second;
    while (o != nullptr && o->left != nullptr) o = o->left;
  } else {
    o = item->parent->start;
  }
  // Reused across calls (a document is used by one thread at a time; a
  // thread may hold several documents, but a scan never nests).
  thread_local PassedItems passed;
  passed.reset();
  while (o != nullptr && o != item->right) {
    if (o->is_run) o = thaw_run(store, o).first;  // the scan reads each item's origins
    passed.add(o);
    if (item->origin == o->origin) {
      if (o->id.client < item->id.client) {
        left = o;
        passed.clear_conflicting();
      } else if (item->right_origin == o->right_origin) {
        break;
      }
    } else if (o->origin) {
      const size_t at = passed.position(store.find(*o->origin));
      if (at == PassedItems::kNpos) break;   // not in itemsBeforeOrigin
      if (at < passed.conflicting_from()) {  // not in conflictingItems
        left = o;
        passed.clear_conflicting();
      }
    } else {
      break;
    }
    o = o->right;
  }
  return left;
}

}  // namespace

void integrate_item(Transaction& txn, Item* item, uint64_t offset) {
  StructStore& store = txn.doc.store();
  if (offset > 0) {
    item->id.clock += offset;
    item->left = store.get_item_clean_end(txn, ID{item->id.client, item->id.clock - 1});
    item->origin = item->left->last_id();
    item->content = content_slice(item->content, offset);
    item->length -= offset;
  }
  if (item->parent == nullptr) {
    Item* gc = make_gc(store.pool(), item->id, item->length);
    store.pool().destroy(item);
    store.add(gc);
    return;
  }
  Branch* parent = item->parent;
  if ((item->left == nullptr && (item->right == nullptr || item->right->left != nullptr)) ||
      (item->left != nullptr && item->left->right != item->right)) {
    item->left = resolve_left(txn, item);
  }
  if (item->left != nullptr) {
    item->right = item->left->right;
    item->left->right = item;
  } else {
    Item* r;
    if (item->parent_sub()) {
      auto found = parent->map.find(*item->parent_sub());
      r = found == parent->map.end() ? nullptr : found->second;
      while (r != nullptr && r->left != nullptr) r = r->left;
    } else {
      r = parent->start;
      parent->start = item;
    }
    item->right = r;
  }
  if (item->right != nullptr) {
    item->right->left = item;
  } else if (item->parent_sub()) {
    parent->map[*item->parent_sub()] = item;
    if (item->left != nullptr) item->left->mark_deleted(txn);
  }
  if (!item->parent_sub()) {
    if (item->countable && !item->deleted) parent->length += item->length;
    if (parent->seq_index) parent->seq_index->on_insert(item);
  }
  parent->clear_marker();
  store.add(item);
  integrate_content(txn, item);
  txn.add_changed_type(parent, item->parent_sub());
  if ((parent->item != nullptr && parent->item->deleted) || (item->parent_sub() && item->right != nullptr)) {
    item->mark_deleted(txn);
  }
}

}  // namespace weft
