// Item: one block of a client's clock range (yjs src/structs/Item.js). A GC
// struct (a range whose content and position are gone) is an Item with
// is_gc set and no links, so the store holds one kind of block.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "encoding/content.h"
#include "encoding/id.h"

namespace weft {

class Branch;
class Transaction;
class StructStore;

struct Item {
  ID id;
  uint64_t length = 0;
  Item* left = nullptr;  // document order inside the parent
  Item* right = nullptr;
  OptionalID origin;
  OptionalID right_origin;
  Branch* parent = nullptr;  // null only for GC
  // parent_sub and type: below, behind rare_.
  // The flags and seq_chunk live in Content's tail padding: a std::variant of
  // 16-byte kinds is 17 bytes of data padded to 24, and [[no_unique_address]]
  // lets the next members use the other 7 (Itanium C++ ABI, GCC and Clang),
  // 8 bytes less per item. Three bytes before the aligned seq_chunk: the
  // rarer is_gc and keep share one as one-bit fields; deleted and countable,
  // read together on every step of a position walk (visible()), stay whole
  // bytes, which costs one instruction less per step than two bits of one.
  [[no_unique_address]] Content content;
  bool is_gc : 1 = false;
  bool keep : 1 = false;  // protected from GC (undo)
  // A tombstone run (core/tombstone_runs.h): a placeholder whose members
  // are packed behind it. Its own fields are poison (see there).
  bool is_run : 1 = false;
  bool deleted = false;
  bool countable = false;
  // The parent's SeqIndex chunk holding this sequence item (meaningful only
  // while the parent has an index).
  uint32_t seq_chunk = 0;

  Item();
  ~Item();

  // The map key (Item.parentSub), or null for sequence items.
  const std::string* parent_sub() const { return rare_ != nullptr && rare_->has_key ? &rare_->key : nullptr; }
  void set_parent_sub(const std::string& key);
  // Copies another item's key (or its absence): nothing to do for a
  // sequence item copying a sequence item's, the loader's common case.
  void set_parent_sub(const std::string* key) {
    if (key != nullptr || rare_ != nullptr) copy_parent_sub(key);
  }
  // The shared type when content is ContentType (kept after the item is
  // collected, for handles), else null.
  Branch* type() const { return rare_ != nullptr ? rare_->type.get() : nullptr; }
  void set_type(std::unique_ptr<Branch> type);

  ID last_id() const { return ID{id.client, id.clock + length - 1}; }
  bool visible() const { return countable && !deleted; }

  // Marks deleted, updates the parent's length, records the range in the
  // transaction's delete set and runs the content's delete hook.
  void mark_deleted(Transaction& txn);
  // Replaces deleted content by Deleted(len); with parent_gcd the item is
  // replaced in the store by a GC struct and destroyed. Children of a type
  // are collected recursively.
  void gc(StructStore& store, bool parent_gcd);
  // Item.mergeWith: appends `right` (its right neighbour in the store) if
  // allowed; the caller then destroys `right`.
  bool try_merge(Item& right);

 private:
  // The parts most items lack (a map key, a shared type) behind one pointer:
  // sequence items of text and arrays, nearly all blocks, pay 8 bytes for
  // both instead of 16.
  struct Rare {
    ~Rare();
    std::string key;
    bool has_key = false;
    std::unique_ptr<Branch> type;
  };
  Rare& rare();
  void copy_parent_sub(const std::string* key);
  std::unique_ptr<Rare> rare_;
};

// Where a document's items live: slots carved from chunks (growing to 256
// items), freed slots reused. One malloc per chunk instead of one per item
// saves the allocator's 16-byte header per item and most of the allocation
// time. Not thread-safe (a document is used by one thread at a time). Every
// item must be destroyed before the pool; the pool never gives chunks back.
class ItemPool {
 public:
  ItemPool() = default;
  ItemPool(const ItemPool&) = delete;
  ItemPool& operator=(const ItemPool&) = delete;
  ~ItemPool();

  // A default-constructed item.
  Item* make();
  // Runs the destructor and keeps the slot for reuse; null is ignored.
  void destroy(Item* item);

 private:
  union Slot {
    Slot* next;
    alignas(Item) unsigned char bytes[sizeof(Item)];
  };
  void grow();
  std::vector<Slot*> chunks_;
  Slot* free_ = nullptr;  // freed slots, linked through `next`
  Slot* bump_ = nullptr;  // [bump_, bump_end_): never used slots of the last chunk
  Slot* bump_end_ = nullptr;
};

// Splits `left` at `diff` clocks; returns the new right part (already linked
// and registered for merging at the end of the transaction).
Item* split_item(Transaction& txn, Item* left, uint64_t diff);

Item* make_gc(ItemPool& pool, ID id, uint64_t length);

}  // namespace weft
