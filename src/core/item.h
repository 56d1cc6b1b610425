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

class Branch;
class Transaction;
class StructStore;

struct Item {
  ID id;
  uint64_t length = 0;
  Item* left = nullptr;  // document order inside the parent
  Item* right = nullptr;
  std::optional<ID> origin;
  std::optional<ID> right_origin;
  Branch* parent = nullptr;               // null only for GC
  std::optional<std::string> parent_sub;  // map key
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
