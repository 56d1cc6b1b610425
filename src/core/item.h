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

// The map key of an item (Item.parentSub), or none for sequence items: a
// single pointer (std::optional<std::string> takes 40 bytes in every item,
// and most items are sequence items). Reads like std::optional<std::string>.
class MapKey {
 public:
  MapKey() = default;
  MapKey(std::nullopt_t) {}  // NOLINT: implicit like std::optional
  MapKey(std::string key) : key_(std::make_unique<std::string>(std::move(key))) {}  // NOLINT
  MapKey(const std::optional<std::string>& key)                                     // NOLINT
      : key_(key ? std::make_unique<std::string>(*key) : nullptr) {}
  MapKey(const MapKey& o) : key_(o.key_ ? std::make_unique<std::string>(*o.key_) : nullptr) {}
  MapKey(MapKey&&) noexcept = default;
  MapKey& operator=(const MapKey& o) {
    if (this != &o) key_ = o.key_ ? std::make_unique<std::string>(*o.key_) : nullptr;
    return *this;
  }
  MapKey& operator=(MapKey&&) noexcept = default;

  bool has_value() const { return key_ != nullptr; }
  explicit operator bool() const { return has_value(); }
  const std::string& operator*() const { return *key_; }
  const std::string* operator->() const { return key_.get(); }
  // The key or nullptr.
  const std::string* get() const { return key_.get(); }

 private:
  std::unique_ptr<std::string> key_;
};

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
  MapKey parent_sub;
  Content content;
  std::unique_ptr<Branch> type;  // the shared type when content is ContentType
  bool is_gc = false;
  bool deleted = false;
  bool keep = false;  // protected from GC (undo)
  bool countable = false;
  // The parent's SeqIndex chunk holding this sequence item (meaningful only
  // while the parent has an index). Sits in what was tail padding after
  // the flags, so Item does not grow.
  uint32_t seq_chunk = 0;

  Item();
  ~Item();

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
