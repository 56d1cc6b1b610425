// BlockArray: one client's blocks in clock order, stored in chunks.
//
// Splits and merges insert into and erase from the middle of a client's
// block list, at positions spread over the whole list when many edits run
// concurrently (a plain vector or a single gap buffer moved the tail on
// every such edit: quadratic). The blocks live in chunks of at most
// kMaxChunk pointers: an insert moves at most one chunk's worth, and a full
// chunk splits in two. A Fenwick tree over the chunk sizes maps a position
// to its chunk in O(log chunks), and each chunk keeps the clock of its first
// block so that find() searches a small contiguous array of chunk bounds
// before searching the clocks of one chunk (kept beside its pointers, as
// 32-bit offsets from a base of the chunk's: 12 bytes a block, not 16; a
// chunk whose clocks would span 2^32 or more, which only blocks billions of
// clocks long make, is cut where they do not fit).
//
// Positions are plain indices 0..size()-1 as with a vector. A cursor
// remembers the chunk accessed last, so walking positions in order costs
// O(1) per step.
//
// Contract: a block stored at a position may be replaced (operator[]) only
// by a block starting at the same clock (GC replacement), or by nullptr in
// slots about to be erased; a block's id.clock changes only through
// set_clock (StructStore::move_start).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "core/item.h"

namespace weft {

class BlockArray {
 public:
  // Most blocks a chunk holds. An insert moves at most this many pointers;
  // positions search log2(kMaxChunk) blocks inside a chunk.
  static constexpr uint32_t kMaxChunk = 256;

  BlockArray() = default;
  BlockArray(const BlockArray&) = delete;
  BlockArray& operator=(const BlockArray&) = delete;
  BlockArray(BlockArray&&) noexcept = default;
  BlockArray& operator=(BlockArray&&) noexcept = default;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  Item*& operator[](size_t i) {
    locate(i);
    return chunks_[cur_chunk_].items[i - cur_start_];
  }
  Item* operator[](size_t i) const { return const_cast<BlockArray&>(*this)[i]; }
  // operator[](i)->id.clock, read from the chunk's clock array.
  uint64_t clock_at(size_t i) const {
    locate(i);
    const Chunk& c = chunks_[cur_chunk_];
    return c.base + c.clocks[i - cur_start_];
  }
  // Records that the block at position i now starts at `clock` (its id was
  // moved; it must still sort between its neighbours).
  void set_clock(size_t i, uint64_t clock) {
    locate(i);
    Chunk& c = chunks_[cur_chunk_];
    if (!c.fits(clock)) return set_clock_slow(i, clock);
    c.clocks[i - cur_start_] = static_cast<uint32_t>(clock - c.base);
    if (i == cur_start_) c.first_clock = clock;
  }
  Item* front() const { return chunks_.front().items[0]; }
  // clock_at(0), without moving the cursor.
  uint64_t front_clock() const { return chunks_.front().first_clock; }
  Item* back() const {
    const Chunk& c = chunks_.back();
    return c.items[c.size - 1];
  }

  // The index StructStore::find_index found last. Lookups cluster (cleanup
  // re-finds blocks a transaction just split or touched), so the search
  // checks here first. Only a guess: edits may have moved it.
  size_t hint() const { return hint_; }
  void set_hint(size_t i) const { hint_ = i; }

  // Position of the block whose clock range holds `clock`, given the first
  // block's clock <= clock (blocks are contiguous, so any clock below the
  // end of the last block is held by exactly one).
  size_t find(uint64_t clock) const;

  void push_back(Item* item) { push_back(item, item->id.clock); }
  // push_back of a block starting at `clock`: a tombstone run, whose own id
  // is not its members' (tombstone_runs.h), stands for the member at `clock`.
  void push_back(Item* item, uint64_t clock) {
    // Fast path: room in the last chunk. Only the tree's last node covers
    // the last chunk.
    if (!chunks_.empty()) {
      Chunk& c = chunks_.back();
      const uint64_t offset = clock - c.base;  // c.fits(clock), computed once
      if (c.size < c.cap && offset <= UINT32_MAX) {
        c.clocks[c.size] = static_cast<uint32_t>(offset);
        c.items[c.size++] = item;
        tree_.back()++;
        size_++;
        return;
      }
    }
    push_back_slow(item, clock);
  }
  // Replaces the content with `items` (in clock order, contiguous), in full
  // chunks: one allocation per kMaxChunk blocks instead of push_back's growth.
  void assign(std::span<Item* const> items);
  // Inserts before position `index` (index <= size()).
  void insert(size_t index, Item* item) { insert(index, item, item->id.clock); }
  // Removes positions [first, last).
  void erase(size_t first, size_t last) {
    // Fast path: the tail of the last chunk (a transaction's new blocks
    // merging back into their left neighbour).
    if (last == size_ && first < last && !chunks_.empty() && last - first < chunks_.back().size) {
      const size_t n = last - first;
      chunks_.back().size -= static_cast<uint32_t>(n);
      tree_.back() -= n;
      size_ -= n;
      return;
    }
    erase_slow(first, last);
  }

  // The blocks chunk by chunk, for walks over all of them without a
  // position lookup per block: chunk c (< chunk_count()) holds a run of
  // consecutive positions. Valid until the next insert, erase or assign;
  // a slot may be replaced as operator[] allows.
  size_t chunk_count() const { return chunks_.size(); }
  std::span<Item*> chunk(size_t c) { return {chunks_[c].items.get(), chunks_[c].size}; }
  std::span<Item* const> chunk(size_t c) const { return {chunks_[c].items.get(), chunks_[c].size}; }

  class const_iterator {
   public:
    const_iterator(const BlockArray* a, size_t i) : a_(a), i_(i) {}
    Item* operator*() const { return (*a_)[i_]; }
    const_iterator& operator++() {
      i_++;
      return *this;
    }
    bool operator!=(const const_iterator& o) const { return i_ != o.i_; }

   private:
    const BlockArray* a_;
    size_t i_;
  };
  const_iterator begin() const { return const_iterator(this, 0); }
  const_iterator end() const { return const_iterator(this, size()); }

  // StructStore's journal of client states (struct_store.h): the generation
  // this client was last logged in and that entry's index.
  uint64_t journal_generation = 0;
  uint32_t journal_last = 0;

 private:
  struct Chunk {
    uint64_t first_clock = 0;  // items[0]->id.clock
    uint64_t base = 0;         // <= every clock of the chunk, within 2^32 of each
    std::unique_ptr<Item*[]> items;
    // base + clocks[k] == items[k]->id.clock: the search inside a chunk
    // reads this contiguous array instead of one cache line per probed block.
    std::unique_ptr<uint32_t[]> clocks;
    uint32_t size = 0;
    uint32_t cap = 0;

    // (A clock below the base wraps around to far above it.)
    bool fits(uint64_t clock) const { return clock - base <= UINT32_MAX; }
  };
  // An empty chunk with room for kMaxChunk blocks (its base and first clock to be set).
  static Chunk full_chunk();
  // Moves positions [keep, c.size) of `c` into a full chunk of their own, returned.
  static Chunk cut_tail(Chunk& c, uint32_t keep);

  // Points the cursor (cur_chunk_, cur_start_) at the chunk holding position i < size().
  void locate(size_t i) const {
    if (i - cur_start_ < chunks_[cur_chunk_].size) return;  // also false when i < cur_start_
    size_t next_start = cur_start_ + chunks_[cur_chunk_].size;
    if (i >= next_start && cur_chunk_ + 1 < chunks_.size() && i - next_start < chunks_[cur_chunk_ + 1].size) {
      cur_chunk_++;
      cur_start_ = next_start;
      return;
    }
    seek(i);
  }
  void seek(size_t i) const;
  void push_back_slow(Item* item, uint64_t clock);
  void insert(size_t index, Item* item, uint64_t clock);
  // set_clock where `clock` is outside the range its chunk's base allows.
  void set_clock_slow(size_t i, uint64_t clock);
  // Whether chunk c can take `clock`, lowering its base if that makes it fit.
  bool make_fit(Chunk& c, uint64_t clock);
  // Inserts `item` at `offset` of chunk c in a chunk of its own, cutting c
  // there (its clock does not fit c).
  void insert_alone(size_t c, size_t offset, Item* item, uint64_t clock);
  void erase_slow(size_t first, size_t last);
  // Sum of the sizes of chunks [0, c).
  size_t prefix(size_t c) const;
  // Adds delta to chunk c's size in the tree.
  void tree_add(size_t c, int64_t delta);
  // Recomputes the tree from the chunk sizes and resets the cursor.
  void rebuild_tree();
  // Makes room for one more block in chunk c (which is full).
  void grow(Chunk& c);
  // Splits the full chunk c into two halves (c and c + 1).
  void split_chunk(size_t c);

  std::vector<Chunk> chunks_;  // none empty
  // Fenwick tree over chunks_[k].size: tree_[k - 1] is the sum over chunks (k - lowbit(k), k].
  std::vector<size_t> tree_;
  size_t size_ = 0;
  // The chunk positions were last looked up in, and the position of its first block.
  mutable size_t cur_chunk_ = 0;
  mutable size_t cur_start_ = 0;
  mutable size_t hint_ = 0;
};

}  // namespace weft
