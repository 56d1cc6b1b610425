// Local edits of the list and map parts of a type (yjs AbstractType.js:
// typeListInsertGenerics, typeListDelete, typeMapSet, typeMapDelete).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "encoding/content.h"
#include "weft/status.h"

namespace weft {

class Branch;
class Transaction;
struct Item;

// A detached item with the next clock of this doc's client, between `left`
// and `right` (origins taken from them); integrate_item() links it.
Item* new_local_item(Transaction& txn, Branch* parent, Item* left, Item* right, Content&& content);
// The item after which an insert at `index` goes (nullptr: at the start),
// splitting the item that holds index-1 if needed. Requires index <= length.
Item* list_insert_ref(Transaction& txn, Branch* parent, uint64_t index);
// Creates and integrates one item per content after `ref`; returns the last.
Item* list_insert_contents_after(Transaction& txn, Branch* parent, Item* ref,
                                 std::vector<Content>&& contents);
// Inserts at index and keeps the position cache pointing at the inserted run.
Status list_insert(Transaction& txn, Branch* parent, uint64_t index, std::vector<Content>&& contents);
Status list_delete(Transaction& txn, Branch* parent, uint64_t index, uint64_t length);

Item* map_set(Transaction& txn, Branch* parent, const std::string& key, Content&& content);
void map_delete(Transaction& txn, Branch* parent, const std::string& key);

// Plain values are packed into Any items; bytes become Binary items.
std::vector<Content> contents_from_values(const std::vector<Any>& values);

}  // namespace weft
