// Item: one block of a client's clock range (yjs src/structs/Item.js). A GC
// struct (a range whose content and position are gone) is an Item with
// is_gc set and no links, so the store holds one kind of block.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

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

// Splits `left` at `diff` clocks; returns the new right part (already linked
// and registered for merging at the end of the transaction).
Item* split_item(Transaction& txn, Item* left, uint64_t diff);

Item* make_gc(ID id, uint64_t length);

}  // namespace weft
