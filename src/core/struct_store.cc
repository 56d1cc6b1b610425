#include "core/struct_store.h"

#include <algorithm>
#include <cassert>
#include <stdexcept>

#include "core/branch.h"
#include "core/transaction.h"

namespace weft {

StructStore::~StructStore() {
  for (auto& [client, blocks] : clients_) {
    for (Item* it : blocks) pool_.destroy(it);
  }
}

StructStore::Blocks* StructStore::lookup(uint64_t client) {
  auto it = clients_.find(client);
  if (it == clients_.end()) return nullptr;
  last_client_ = client;
  last_blocks_ = &it->second;
  return last_blocks_;
}

uint64_t StructStore::state(uint64_t client) const {
  const Blocks* b = blocks(client);
  if (b == nullptr || b->empty()) return 0;
  const Item* last = b->back();
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
  uint64_t client = item->id.client;
  Blocks* found = this->blocks(client);
  if (found == nullptr) {
    found = &clients_[client];
    auto pos = std::lower_bound(by_client_.begin(), by_client_.end(), client,
                                [](const auto& e, uint64_t c) { return e.first < c; });
    by_client_.emplace(pos, client, found);
    clients_version_++;
  }
  Blocks& blocks = *found;
  assert(blocks.empty() || blocks.back()->id.clock + blocks.back()->length == item->id.clock);
  blocks.push_back(item);
}

size_t StructStore::find_index(const Blocks& blocks, uint64_t clock) {
  // The remembered position and its neighbours, then the last block, then a
  // search of the chunk bounds and of one chunk. Reads only block clocks
  // (blocks are contiguous: block i ends where block i + 1 starts), which
  // the array keeps apart from the items.
  const size_t last = blocks.size() - 1;
  const size_t h = blocks.hint();
  if (h <= last) {
    if (blocks.clock_at(h) <= clock) {
      if (h == last || clock < blocks.clock_at(h + 1)) return h;
      if (h + 1 == last || clock < blocks.clock_at(h + 2)) {
        blocks.set_hint(h + 1);
        return h + 1;
      }
    } else if (h > 0 && blocks.clock_at(h - 1) <= clock) {
      blocks.set_hint(h - 1);
      return h - 1;
    }
  }
  // The last block's clock through the item: clock_at(last) would move the
  // array's cursor to the last chunk (and the caller's next access back).
  if (blocks.back()->id.clock <= clock) {
    blocks.set_hint(last);
    return last;
  }
  const size_t index = blocks.find(clock);
  blocks.set_hint(index);
  return index;
}

Item* StructStore::find(ID id) {
  Blocks& blocks = at(id.client);
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
  Blocks& blocks = at(id.client);
  return blocks[find_index_clean_start(txn, blocks, id.clock)];
}

Item* StructStore::get_item_clean_end(Transaction& txn, ID id) {
  Blocks& blocks = at(id.client);
  return clean_end_at(txn, blocks, find_index(blocks, id.clock), id.clock);
}

void StructStore::move_start(Item* item, uint64_t clock) {
  Blocks& blocks = at(item->id.client);
  const size_t index = find_index(blocks, item->id.clock);
  item->id.clock = clock;
  blocks.set_clock(index, clock);
}

void StructStore::replace_with_gc(Item* item) {
  Blocks& blocks = at(item->id.client);
  size_t index = find_index(blocks, item->id.clock);
  blocks[index] = make_gc(pool_, item->id, item->length);
  pool_.destroy(item);
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
