// StructStore: per client, its blocks sorted by clock and contiguous from 0
// (yjs src/utils/StructStore.js). Finding the block holding an ID is a binary
// search. The store owns every Item.
#pragma once

#include <cstdint>
#include <optional>
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
  Blocks* blocks(uint64_t client);

  // Next expected clock of a client (0 when unknown).
  uint64_t state(uint64_t client) const;
  StateVector state_vector() const;
  // The same into `out`, reusing its storage.
  template <typename Clocks>
  void fill_state(Clocks& out) const {
    out.assign(ClientStates{this});
  }

  // Appends; the struct must start at state(client). Takes ownership.
  void add(Item* item);
  // Index of the block containing clock; the clock must be below state(client).
  static size_t find_index(const Blocks& blocks, uint64_t clock);
  Item* find(ID id);
  // Splits so that a block starts at / ends at `id` (GC blocks are not split).
  size_t find_index_clean_start(Transaction& txn, Blocks& blocks, uint64_t clock);
  Item* get_item_clean_start(Transaction& txn, ID id);
  Item* get_item_clean_end(Transaction& txn, ID id);
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
  // (client, next clock) of every client with blocks, as an iterable range.
  struct ClientStates {
    const StructStore* store;
    struct iterator {
      std::unordered_map<uint64_t, Blocks>::const_iterator it, end;
      void skip_empty() {
        while (it != end && it->second.empty()) ++it;
      }
      std::pair<uint64_t, uint64_t> operator*() const {
        const Item* last = it->second.back();
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
      iterator i{store->clients_.begin(), store->clients_.end()};
      i.skip_empty();
      return i;
    }
    iterator end() const { return iterator{store->clients_.end(), store->clients_.end()}; }
  };
  std::unordered_map<uint64_t, Blocks> clients_;
};

}  // namespace weft
