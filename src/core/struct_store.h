// StructStore: per client, its blocks sorted by clock and contiguous from 0
// (yjs src/utils/StructStore.js). Finding the block holding an ID is a binary
// search. The store owns every Item.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "core/block_array.h"
#include "core/item.h"
#include "encoding/wire.h"

namespace weft {

class Transaction;

class StructStore {
 public:
  StructStore() = default;
  StructStore(const StructStore&) = delete;
  StructStore& operator=(const StructStore&) = delete;
  ~StructStore();

  using Blocks = BlockArray;
  const std::unordered_map<uint64_t, Blocks>& clients() const { return clients_; }
  Blocks* blocks(uint64_t client) {
    if (last_blocks_ != nullptr && last_client_ == client) return last_blocks_;
    return lookup(client);
  }
  const Blocks* blocks(uint64_t client) const { return const_cast<StructStore*>(this)->blocks(client); }

  // Next expected clock of a client (0 when unknown).
  uint64_t state(uint64_t client) const;
  StateVector state_vector() const;
  // The same into `out`, reusing its storage.
  template <typename Clocks>
  [[gnu::always_inline]] void fill_state(Clocks& out) const {
    if (by_client_sorted_ != by_client_.size()) [[unlikely]]
      sort_by_client();
    out.assign(ClientStates{this}, clients_version_);
  }
  // Changes whenever a client is added (the only way the set of clients
  // with blocks changes: blocks are never all removed).
  uint64_t clients_version() const { return clients_version_; }

  // True once any type of the doc got an observer or deep observer (never
  // reset; kept here rather than in the public Doc): while false, the
  // transaction's observer step and the fast paths' listener checks cost
  // nothing.
  bool types_observed() const { return types_observed_; }
  void mark_types_observed() { types_observed_ = true; }

  // Every item of this store is made and destroyed here.
  ItemPool& pool() { return pool_; }
  // Members of tombstone runs made Items again, ever (tombstone_runs.h): a
  // load in parts stops freezing when the parts keep thawing earlier ones.
  uint64_t members_thawed = 0;

  // Appends; the struct must start at state(client). Takes ownership.
  void add(Item* item);
  // Index of the block containing clock; the clock must be below state(client).
  static size_t find_index(const Blocks& blocks, uint64_t clock);
  Item* find(ID id);
  // Splits so that a block starts at / ends at `id` (GC blocks are not split).
  size_t find_index_clean_start(Transaction& txn, Blocks& blocks, ID id);
  Item* get_item_clean_start(Transaction& txn, ID id);
  Item* get_item_clean_end(Transaction& txn, ID id);
  // get_item_clean_end's split, for a caller that found the block at `index`
  // (blocks[index] contains `clock`) its own way. Inline: origin lookups
  // during a load call it once per struct.
  static Item* clean_end_at(Transaction& txn, Blocks& blocks, size_t index, ID id) {
    const uint64_t clock = id.clock;
    Item* block = blocks[index];
    if (block->is_run) [[unlikely]]
      block = thaw_at(txn, blocks, index, id.client);
    if (clock != block->id.clock + block->length - 1 && !block->is_gc) {
      Item* right = split_item(txn, block, clock - block->id.clock + 1);
      blocks.insert(index + 1, right);
    }
    return block;
  }
  // blocks[index] of `client`, a member of a tombstone run, after thawing
  // it out of the run (tombstone_runs.h thaw_member).
  static Item* thaw_at(Transaction& txn, Blocks& blocks, size_t index, uint64_t client);
  // Moves the start of `item` (in the store) to `clock`: the backspace fast
  // path hands the left neighbour's last units to a tombstone.
  void move_start(Item* item, uint64_t clock);
  // Replaces `item` by a GC block of the same range and destroys it.
  void replace_with_gc(Item* item);
  // Every deleted range (GC included), neighbours joined.
  DeleteSet delete_set() const;

  // Updates that could not be integrated yet (v2 bytes), see Doc::apply_update.
  struct PendingStructs {
    std::map<uint64_t, uint64_t> missing;  // client -> smallest missing clock
    std::vector<uint8_t> update;           // v2
  };
  std::optional<PendingStructs> pending_structs;
  std::optional<std::vector<uint8_t>> pending_ds;  // v2 update with zero structs

 private:
  Blocks* lookup(uint64_t client);
  // blocks(client), which must exist (throws std::out_of_range like map::at).
  Blocks& at(uint64_t client) {
    Blocks* b = blocks(client);
    if (b == nullptr) throw std::out_of_range("StructStore: unknown client");
    return *b;
  }
  // (client, next clock) of every client with blocks, by client, as an iterable range.
  struct ClientStates {
    const StructStore* store;
    struct iterator {
      std::vector<std::pair<uint64_t, Blocks*>>::const_iterator it, end;
      void skip_empty() {
        while (it != end && it->second->empty()) ++it;
      }
      std::pair<uint64_t, uint64_t> operator*() const {
        const Item* last = it->second->back();
        return {it->first, last->id.clock + last->length};
      }
      iterator& operator++() {
        ++it;
        skip_empty();
        return *this;
      }
      bool operator!=(const iterator& o) const { return it != o.it; }
    };
    iterator begin() const {
      iterator i{store->by_client_.begin(), store->by_client_.end()};
      i.skip_empty();
      return i;
    }
    iterator end() const { return iterator{store->by_client_.end(), store->by_client_.end()}; }
  };
  // Owns the items' memory: declared before the blocks, destroyed after them.
  ItemPool pool_;
  // Every client's blocks (entries are never removed, so pointers into it stay valid).
  std::unordered_map<uint64_t, Blocks> clients_;
  // The same clients sorted by id (transactions take the state twice each),
  // but for the ones added since by_client_sorted_: a load adds thousands
  // of clients, and a sorted insertion each would cost a quadratic move.
  mutable std::vector<std::pair<uint64_t, Blocks*>> by_client_;
  mutable size_t by_client_sorted_ = 0;
  [[gnu::noinline]] void sort_by_client() const;
  // The client looked up last (nearly every lookup is of the local client).
  uint64_t last_client_ = 0;
  Blocks* last_blocks_ = nullptr;
  bool types_observed_ = false;
  uint64_t clients_version_ = 0;
};

}  // namespace weft
