// StructStore: per client, its blocks sorted by clock and contiguous from 0
// (yjs src/utils/StructStore.js). Finding the block holding an ID is a binary
// search. The store owns every Item.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
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
  // The blocks of a client the store has none of, made empty, its state
  // change from 0 noted: the caller appends them all (a load in list order).
  Blocks& new_client_blocks(uint64_t client) {
    Blocks& blocks = clients_[client];
    note_state_change(blocks, client, 0);
    return blocks;
  }
  // add() for a client whose blocks the caller holds (and has seen before).
  void append(Blocks& blocks, Item* item) {
    note_state_change(blocks, item->id.client, item->id.clock);
    blocks.push_back(item);
  }

  // The journal of client states, from which transactions read their
  // before and after states in O(clients changed) rather than O(clients).
  // While it is open, the first change of a client's state after each mark
  // logs the client and the state it had; state_at(client, mark) undoes
  // the logged changes back to the mark. A transaction marks when it
  // starts (its constructor, reset); Doc::transact closes the journal once
  // the last open transaction is cleaned up.
  struct JournalEntry {
    uint64_t client = 0;
    uint64_t before = 0;  // the state before the change
    uint32_t prev = 0;    // the client's previous entry, kNoEntry if none
  };
  static constexpr uint32_t kNoEntry = UINT32_MAX;
  uint32_t mark() {
    journal_generation_++;
    journal_open_ = true;
    return static_cast<uint32_t>(journal_.size());
  }
  // True if the journal was long (a transaction of many clients) and gave
  // its memory back.
  bool close_journal() {
    journal_.clear();
    journal_base_ = ++journal_generation_;
    journal_open_ = false;
    if (journal_.capacity() <= 4096) [[likely]]
      return false;
    release_journal();
    return true;
  }
  // To be called before a change of `client`'s state (a new last block, or
  // a longer last block), `state_before` the state until then.
  [[gnu::always_inline]] void note_state_change(Blocks& blocks, uint64_t client, uint64_t state_before) {
    if (journal_open_ && blocks.journal_generation != journal_generation_) [[unlikely]]
      log_state_change(blocks, client, state_before);
  }
  // The state `client` had at `mark` (taken while the journal stayed open).
  uint64_t state_at(uint64_t client, uint32_t mark) const {
    const Blocks* b = blocks(client);
    if (b == nullptr || b->empty()) return 0;
    uint64_t state = b->back()->id.clock + b->back()->length;
    if (b->journal_generation > journal_base_) {
      for (uint32_t i = b->journal_last; i != kNoEntry && i >= mark; i = journal_[i].prev)
        state = journal_[i].before;
    }
    return state;
  }
  // The entries logged since `mark`: every client whose state changed since
  // (once per mark in between, in no order).
  std::span<const JournalEntry> journal_since(uint32_t mark) const {
    return std::span<const JournalEntry>(journal_).subspan(std::min<size_t>(mark, journal_.size()));
  }
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
  // Owns the items' memory: declared before the blocks, destroyed after them.
  ItemPool pool_;
  // Every client's blocks (entries are never removed, so pointers into it stay valid).
  std::unordered_map<uint64_t, Blocks> clients_;
  // The client looked up last (nearly every lookup is of the local client).
  uint64_t last_client_ = 0;
  Blocks* last_blocks_ = nullptr;
  [[gnu::noinline]] void log_state_change(Blocks& blocks, uint64_t client, uint64_t state_before);
  [[gnu::noinline]] void release_journal() { std::vector<JournalEntry>().swap(journal_); }
  std::vector<JournalEntry> journal_;
  uint64_t journal_generation_ = 1;
  uint64_t journal_base_ = 1;  // entries of generations up to this one were cleared
  bool journal_open_ = false;
  bool types_observed_ = false;
};

}  // namespace weft
