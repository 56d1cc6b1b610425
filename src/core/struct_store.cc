#include "core/struct_store.h"

#include <cassert>

#include "core/branch.h"
#include "core/transaction.h"

namespace weft {

StructStore::~StructStore() {
  for (auto& [client, blocks] : clients_) {
    for (Item* it : blocks) delete it;
  }
}

StructStore::Blocks* StructStore::blocks(uint64_t client) {
  auto it = clients_.find(client);
  return it == clients_.end() ? nullptr : &it->second;
}

uint64_t StructStore::state(uint64_t client) const {
  auto it = clients_.find(client);
  if (it == clients_.end() || it->second.empty()) return 0;
  const Item* last = it->second.back();
  return last->id.clock + last->length;
}

StateVector StructStore::state_vector() const {
  StateVector sv;
  for (const auto& [client, blocks] : clients_) {
    if (!blocks.empty()) sv[client] = blocks.back()->id.clock + blocks.back()->length;
  }
  return sv;
}

void StructStore::add(Item* item) {
  Blocks& blocks = clients_[item->id.client];
  assert(blocks.empty() || blocks.back()->id.clock + blocks.back()->length == item->id.clock);
  blocks.push_back(item);
}

size_t StructStore::find_index(const Blocks& blocks, uint64_t clock) {
  size_t left = 0;
  size_t right = blocks.size() - 1;
  const Item* mid = blocks[right];
  if (mid->id.clock == clock) return right;
  // Pivot on the expected position: clocks grow roughly linearly with the index.
  size_t mid_index = static_cast<size_t>(
      (static_cast<double>(clock) / static_cast<double>(mid->id.clock + mid->length - 1)) * right);
  if (mid_index > right) mid_index = right;
  while (left <= right) {
    mid = blocks[mid_index];
    if (mid->id.clock <= clock) {
      if (clock < mid->id.clock + mid->length) return mid_index;
      left = mid_index + 1;
    } else {
      if (mid_index == 0) break;
      right = mid_index - 1;
    }
    mid_index = (left + right) / 2;
  }
  assert(false && "clock not in store");
  return 0;
}

Item* StructStore::find(ID id) {
  Blocks& blocks = clients_.at(id.client);
  return blocks[find_index(blocks, id.clock)];
}

size_t StructStore::find_index_clean_start(Transaction& txn, Blocks& blocks, uint64_t clock) {
  size_t index = find_index(blocks, clock);
  Item* block = blocks[index];
  if (block->id.clock < clock && !block->is_gc) {
    Item* right = split_item(txn, block, clock - block->id.clock);
    blocks.insert(index + 1, right);
    return index + 1;
  }
  return index;
}

Item* StructStore::get_item_clean_start(Transaction& txn, ID id) {
  Blocks& blocks = clients_.at(id.client);
  return blocks[find_index_clean_start(txn, blocks, id.clock)];
}

Item* StructStore::get_item_clean_end(Transaction& txn, ID id) {
  Blocks& blocks = clients_.at(id.client);
  size_t index = find_index(blocks, id.clock);
  Item* block = blocks[index];
  if (id.clock != block->id.clock + block->length - 1 && !block->is_gc) {
    Item* right = split_item(txn, block, id.clock - block->id.clock + 1);
    blocks.insert(index + 1, right);
  }
  return block;
}

void StructStore::replace_with_gc(Item* item) {
  Blocks& blocks = clients_.at(item->id.client);
  size_t index = find_index(blocks, item->id.clock);
  blocks[index] = make_gc(item->id, item->length);
  delete item;
}

DeleteSet StructStore::delete_set() const {
  DeleteSet ds;
  for (const auto& [client, blocks] : clients_) {
    for (size_t i = 0; i < blocks.size(); i++) {
      if (!blocks[i]->deleted) continue;
      uint64_t clock = blocks[i]->id.clock;
      uint64_t len = blocks[i]->length;
      while (i + 1 < blocks.size() && blocks[i + 1]->deleted) len += blocks[++i]->length;
      ds.add(client, clock, len);
    }
  }
  return ds;
}

}  // namespace weft
