#include "core/item.h"

#include "core/branch.h"
#include "core/struct_store.h"
#include "core/tombstone_runs.h"
#include "core/transaction.h"
#include "weft/doc.h"

// Under AddressSanitizer a freed slot is poisoned until it is handed out
// again, so that a use of a destroyed item is reported where it happens
// (the pool would otherwise hide it from ASan: its memory stays allocated).
#if defined(__SANITIZE_ADDRESS__)
#define WEFT_POOL_POISON 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WEFT_POOL_POISON 1
#endif
#endif
#ifdef WEFT_POOL_POISON
#include <sanitizer/asan_interface.h>
#define WEFT_SLOT_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define WEFT_SLOT_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define WEFT_SLOT_POISON(p, n) ((void)(p), (void)(n))
#define WEFT_SLOT_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace weft {

// 112 bytes (was 128): see the layout note on Item::content.
static_assert(sizeof(Item) == 112, "Item is one per block: keep the flags in Content's tail padding");

Item::Item() = default;
Item::~Item() = default;
Item::Rare::~Rare() = default;

Item::Rare& Item::rare() {
  if (rare_ == nullptr) rare_ = std::make_unique<Rare>();
  return *rare_;
}

void Item::set_parent_sub(const std::string& key) {
  Rare& r = rare();
  r.key = key;
  r.has_key = true;
}

void Item::copy_parent_sub(const std::string* key) {
  if (key != nullptr) {
    set_parent_sub(*key);
  } else if (rare_ != nullptr) {
    rare_->key.clear();
    rare_->has_key = false;
  }
}

void Item::set_type(std::unique_ptr<Branch> type) { rare().type = std::move(type); }

ItemPool::~ItemPool() {
  for (Slot* chunk : chunks_) ::operator delete(chunk);  // poisoned slots included: ASan allows it
}

void ItemPool::grow() {
  // 16, 32, ... then 256 items a chunk: a small document wastes little, a
  // large one wastes at most a chunk (36 KiB).
  constexpr size_t kFirstChunkItems = 16, kMaxChunkItems = 256;
  size_t n = chunks_.size() >= 4 ? kMaxChunkItems : kFirstChunkItems << chunks_.size();
  auto* chunk = static_cast<Slot*>(::operator new(n * sizeof(Slot)));
  chunks_.push_back(chunk);
  bump_ = chunk;
  bump_end_ = chunk + n;
}

Item* ItemPool::make() {
  Slot* slot;
  if (free_ != nullptr) {
    slot = free_;
    WEFT_SLOT_UNPOISON(slot, sizeof(Slot));
    free_ = slot->next;
  } else {
    if (bump_ == bump_end_) grow();
    slot = bump_++;
  }
  return new (slot->bytes) Item();
}

void ItemPool::destroy(Item* item) {
  if (item == nullptr) return;
  item->~Item();
  auto* slot = reinterpret_cast<Slot*>(item);
  slot->next = free_;
  free_ = slot;
  WEFT_SLOT_POISON(slot, sizeof(Slot));
}

Item* make_gc(ItemPool& pool, ID id, uint64_t length) {
  Item* gc = pool.make();
  gc->id = id;
  gc->length = length;
  gc->is_gc = true;
  gc->deleted = true;
  gc->content = ContentDeleted{length};
  return gc;
}

namespace {

// ContentType.delete: deleting a type deletes its children.
void delete_type_children(Transaction& txn, Branch& type) {
  auto before = [&](const Item* it) { return it->id.clock < txn.before(it->id.client); };
  for (Item* it = type.start; it != nullptr; it = it->right) {
    // Each earlier tombstone is queued for merging: a run's members too.
    if (it->is_run) it = thaw_run(txn.doc.store(), it).first;
    if (!it->deleted) {
      it->mark_deleted(txn);
    } else if (before(it)) {
      txn.merge_structs.push_back(it->id);
    }
  }
  for (auto& [key, it] : type.map) {
    if (!it->deleted) {
      it->mark_deleted(txn);
    } else if (before(it)) {
      txn.merge_structs.push_back(it->id);
    }
  }
  txn.changed.erase(&type);
}

}  // namespace

void Item::mark_deleted(Transaction& txn) {
  if (deleted) return;
  const std::string* key = parent_sub();
  if (countable && key == nullptr) {
    parent->length -= length;
    if (parent->seq_index) parent->seq_index->on_visible_change(this, -static_cast<int64_t>(length));
  }
  deleted = true;
  parent->clear_marker();
  append_range(txn.deleted_ranges(id.client), id.clock, length);
  txn.add_changed_type(parent, key);
  if (Branch* t = type()) {
    delete_type_children(txn, *t);
  } else if (auto* doc = content_if<ContentDoc>(&content)) {
    txn.subdocs_removed.push_back(doc->guid);
  }
}

void Item::gc(StructStore& store, bool parent_gcd) {
  if (type() != nullptr) {
    Branch& t = *type();
    for (Item* it = t.start; it != nullptr;) {
      if (it->is_run) it = thaw_run(store, it).first;  // every member becomes a GC block
      Item* next = it->right;
      it->gc(store, true);
      it = next;
    }
    t.start = nullptr;
    t.seq_index.reset();
    for (auto& [key, chain] : t.map) {
      for (Item* it = chain; it != nullptr;) {
        Item* prev = it->left;
        it->gc(store, true);
        it = prev;
      }
    }
    t.map.clear();
    t.clear_marker();
  }
  if (parent_gcd) {
    store.replace_with_gc(this);  // destroys this
  } else {
    content = ContentDeleted{length};
  }
}

bool Item::try_merge(Item& r) {
  if (is_run || r.is_run) return false;  // runs never merge (a member is not the run's fields)
  if (is_gc || r.is_gc) {
    if (is_gc && r.is_gc) {
      length += r.length;
      std::get<ContentDeleted>(content).len = length;
      return true;
    }
    return false;
  }
  if (r.origin && *r.origin == last_id() && right == &r && right_origin == r.right_origin &&
      id.client == r.id.client && id.clock + length == r.id.clock && deleted == r.deleted &&
      content.index() == r.content.index()) {
    // content_merge takes the right content only when the kinds merge.
    // Told before the lengths and links change.
    SeqIndex* index = Branch::seq_index_of(this);
    if (!content_merge(content, std::move(r.content))) return false;
    if (index != nullptr) index->on_merge(this, &r);
    if (parent->marker == &r) {
      parent->marker = this;
      if (!deleted && countable) parent->marker_index -= length;
    }
    if (r.keep) keep = true;
    right = r.right;
    if (right != nullptr) right->left = this;
    length += r.length;
    return true;
  }
  return false;
}

Item* split_item(Transaction& txn, Item* left, uint64_t diff) {
  Item* right = txn.doc.store().pool().make();
  right->id = ID{left->id.client, left->id.clock + diff};
  right->left = left;
  right->origin = ID{left->id.client, left->id.clock + diff - 1};
  right->right = left->right;
  right->right_origin = left->right_origin;
  right->parent = left->parent;
  right->set_parent_sub(left->parent_sub());
  right->content = content_split(left->content, diff);
  right->countable = left->countable;
  right->deleted = left->deleted;
  right->keep = left->keep;
  right->length = left->length - diff;
  left->right = right;
  if (right->right != nullptr) right->right->left = right;
  txn.merge_structs.push_back(right->id);
  if (right->parent_sub() && right->right == nullptr) right->parent->map[*right->parent_sub()] = right;
  left->length = diff;
  if (SeqIndex* index = Branch::seq_index_of(left)) index->on_split(left, right);
  return right;
}

}  // namespace weft
