#include "core/struct_store.h"

#include <algorithm>
#include <cassert>
#include <stdexcept>

#include "core/branch.h"
#include "core/tombstone_runs.h"
#include "core/transaction.h"
#include "weft/doc.h"

namespace weft {

StructStore::~StructStore() {
  // Every member of a tombstone run points at the run: the run goes with
  // the last of them. Blocks lie all over memory (runs built in list
  // order): each is asked for a few blocks ahead.
  constexpr size_t kAhead = 8;
  for (auto& [client, blocks] : clients_) {
    for (size_t c = 0; c < blocks.chunk_count(); c++) {
      const std::span<Item*> chunk = blocks.chunk(c);
      for (size_t k = 0; k < chunk.size(); k++) {
        if (k + kAhead < chunk.size()) __builtin_prefetch(chunk[k + kAhead]);
        Item* it = chunk[k];
        if (!it->is_run) {
          pool_.destroy(it);
        } else {
          release_member(it);
        }
      }
    }
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

void StructStore::log_state_change(Blocks& blocks, uint64_t client, uint64_t state_before) {
  const uint32_t prev = blocks.journal_generation > journal_base_ ? blocks.journal_last : kNoEntry;
  blocks.journal_generation = journal_generation_;
  blocks.journal_last = static_cast<uint32_t>(journal_.size());
  journal_.push_back({client, state_before, prev});
}

void StructStore::add(Item* item) {
  uint64_t client = item->id.client;
  Blocks* found = this->blocks(client);
  Blocks& blocks = found != nullptr ? *found : clients_[client];
  assert(blocks.empty() || blocks.back()->id.clock + blocks.back()->length == item->id.clock);
  note_state_change(blocks, client, blocks.empty() ? 0 : item->id.clock);
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
  const size_t index = find_index(blocks, id.clock);
  Item* block = blocks[index];
  if (block->is_run) [[unlikely]]
    block = thaw_member(*this, block, ID{id.client, blocks.clock_at(index)});
  return block;
}

Item* StructStore::thaw_at(Transaction& txn, Blocks& blocks, size_t index, uint64_t client) {
  return thaw_member(txn.doc.store(), blocks[index], ID{client, blocks.clock_at(index)});
}

size_t StructStore::find_index_clean_start(Transaction& txn, Blocks& blocks, ID id) {
  const uint64_t clock = id.clock;
  size_t index = find_index(blocks, clock);
  Item* block = blocks[index];
  if (block->is_run) [[unlikely]]
    block = thaw_at(txn, blocks, index, id.client);
  if (block->id.clock < clock && !block->is_gc) {
    Item* right = split_item(txn, block, clock - block->id.clock);
    blocks.insert(index + 1, right);
    return index + 1;
  }
  return index;
}

Item* StructStore::get_item_clean_start(Transaction& txn, ID id) {
  Blocks& blocks = at(id.client);
  return blocks[find_index_clean_start(txn, blocks, id)];
}

Item* StructStore::get_item_clean_end(Transaction& txn, ID id) {
  Blocks& blocks = at(id.client);
  return clean_end_at(txn, blocks, find_index(blocks, id.clock), id);
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

namespace {
uint64_t clock_end(const Item* last) { return last->id.clock + last->length; }
}  // namespace

DeleteSet StructStore::delete_set() const {
  DeleteSet ds;
  // Clocks and lengths from the clock array: a tombstone run's members
  // (deleted, never a client's last block) point at the run.
  for (const auto& [client, blocks] : clients_) {
    const size_t n = blocks.size();
    for (size_t i = 0; i < n; i++) {
      if (!blocks[i]->deleted) continue;
      const uint64_t clock = blocks.clock_at(i);
      while (i + 1 < n && blocks[i + 1]->deleted) i++;
      const uint64_t end = i + 1 < n ? blocks.clock_at(i + 1) : clock_end(blocks[i]);
      ds.add(client, clock, end - clock);
    }
  }
  return ds;
}

}  // namespace weft
