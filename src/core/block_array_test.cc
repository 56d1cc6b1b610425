// Seeded randomized check of BlockArray (chunked per-client block storage)
// against a std::vector model: appends, splits at random positions (insert
// after a block), merges (null out and erase runs, as cleanup does), GC-style
// replacement, starts moved, lookups by clock and in-order walks. Enough
// operations that chunks split, shrink and vanish. Blocks billions of clocks
// long make the chunks cut where their 32-bit clock offsets end.
#include "core/block_array.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "core/item.h"

namespace weft {
namespace {

class BlockArrayModel {
 public:
  explicit BlockArrayModel(uint32_t seed) : rng_(seed) {}
  ~BlockArrayModel() {
    for (Item* it : model_) pool_.destroy(it);
  }

  void append(uint64_t len) {
    Item* it = pool_.make();
    it->id = ID{1, next_clock_};
    it->length = len;
    next_clock_ += len;
    model_.push_back(it);
    blocks_.push_back(it);
  }

  // Splits a random block of length >= 2 in two (the right part goes after it).
  void split() { split_at(pick()); }
  void split_at(size_t i) {
    Item* left = model_[i];
    if (left->length < 2) return;
    uint64_t diff = 1 + wide_() % (left->length - 1);
    Item* right = pool_.make();
    right->id = ID{1, left->id.clock + diff};
    right->length = left->length - diff;
    left->length = diff;
    model_.insert(model_.begin() + static_cast<ptrdiff_t>(i) + 1, right);
    blocks_.insert(i + 1, right);
  }

  // Moves a random block's start into its own range, its left neighbour
  // growing to meet it (StructStore::move_start).
  void move_start() {
    size_t i = pick();
    if (i == 0 || model_[i]->length < 2) return;
    const uint64_t by = 1 + wide_() % (model_[i]->length - 1);
    model_[i - 1]->length += by;
    model_[i]->length -= by;
    model_[i]->id.clock += by;
    blocks_.set_clock(i, model_[i]->id.clock);
  }

  // Merges a random run of up to 5 blocks into its first one.
  void merge() {
    size_t i = pick();
    size_t n = std::min<size_t>(1 + rng_() % 5, model_.size() - i);
    Item* first = model_[i];
    for (size_t k = 1; k < n; k++) {
      first->length += model_[i + k]->length;
      pool_.destroy(model_[i + k]);
      blocks_[i + k] = nullptr;
    }
    model_.erase(model_.begin() + static_cast<ptrdiff_t>(i) + 1,
                 model_.begin() + static_cast<ptrdiff_t>(i + n));
    blocks_.erase(i + 1, i + n);
  }

  // Replaces a random block by a copy starting at the same clock (GC).
  void replace() {
    size_t i = pick();
    Item* copy = pool_.make();
    copy->id = model_[i]->id;
    copy->length = model_[i]->length;
    pool_.destroy(model_[i]);
    model_[i] = copy;
    blocks_[i] = copy;
  }

  void check_find() {
    uint64_t clock = wide_() % next_clock_;
    size_t want = 0;
    while (!(model_[want]->id.clock <= clock && clock < model_[want]->id.clock + model_[want]->length))
      want++;
    ASSERT_EQ(blocks_.find(clock), want) << "clock " << clock;
    ASSERT_EQ(blocks_[want], model_[want]);
  }

  void check_all() {
    ASSERT_EQ(blocks_.size(), model_.size());
    size_t i = 0;
    for (Item* it : blocks_) ASSERT_EQ(it, model_[i++]) << "position " << i - 1;
    // Backwards and random access too (the cursor moves both ways).
    for (size_t k = model_.size(); k-- > 0;) {
      ASSERT_EQ(blocks_[k], model_[k]);
      ASSERT_EQ(blocks_.clock_at(k), model_[k]->id.clock);
    }
    for (int k = 0; k < 50; k++) {
      size_t p = rng_() % model_.size();
      ASSERT_EQ(blocks_[p], model_[p]);
    }
    ASSERT_EQ(blocks_.front(), model_.front());
    ASSERT_EQ(blocks_.back(), model_.back());
  }

  size_t size() const { return model_.size(); }

 private:
  size_t pick() { return rng_() % model_.size(); }

  std::mt19937 rng_;
  std::mt19937_64 wide_{rng_()};  // for clocks and lengths past 2^32
  ItemPool pool_;
  std::vector<Item*> model_;
  BlockArray blocks_;
  uint64_t next_clock_ = 0;
};

TEST(BlockArray, MatchesVectorModel) {
  for (uint32_t seed = 1; seed <= 4; seed++) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    BlockArrayModel m(seed);
    std::mt19937 ops(seed * 7919);
    for (int step = 0; step < 20000; step++) {
      uint32_t op = ops() % 100;
      if (m.size() == 0 || op < 15) {
        m.append(1 + ops() % 40);
      } else if (op < 60) {
        m.split();
      } else if (op < (step < 10000 ? 70 : 95)) {  // the second half shrinks the array
        m.merge();
      } else if (op < 96) {
        m.replace();
      } else if (op < 97) {
        m.move_start();
      } else {
        m.check_find();
      }
      if (HasFatalFailure()) return;
      if (step % 997 == 0) m.check_all();
      if (HasFatalFailure()) return;
    }
    m.check_all();
    for (int k = 0; k < 200; k++) m.check_find();
  }
}

// Some blocks are longer than 2^32 clocks (a Skip or GC range can be: clocks
// go up to 2^53), so chunks' clocks cannot all be offsets from one base.
TEST(BlockArray, BlocksLongerThanTwoToThe32) {
  for (uint32_t seed = 1; seed <= 4; seed++) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    BlockArrayModel m(seed);
    std::mt19937_64 ops(seed * 104729);
    for (int step = 0; step < 20000; step++) {
      const uint64_t op = ops() % 100;
      if (m.size() == 0 || op < 15) {
        m.append(op % 4 == 0 ? (uint64_t{1} << 30) + ops() % (uint64_t{1} << 34) : 1 + ops() % 40);
      } else if (op < 55) {
        m.split();
      } else if (op < (step < 10000 ? 65 : 90)) {
        m.merge();
      } else if (op < 95) {
        m.move_start();
      } else {
        m.check_find();
      }
      if (HasFatalFailure()) return;
      if (step % 997 == 0) m.check_all();
      if (HasFatalFailure()) return;
    }
    m.check_all();
    for (int k = 0; k < 200; k++) m.check_find();
  }
}

TEST(BlockArray, AppendOnlyFillsChunks) {
  BlockArrayModel m(99);
  for (int i = 0; i < 3 * static_cast<int>(BlockArray::kMaxChunk) + 7; i++) m.append(3);
  m.check_all();
  for (int k = 0; k < 500; k++) m.check_find();
  // The right part of the first chunk's last block goes to the front of the
  // second chunk (the first is full), below that chunk's first clock.
  m.split_at(BlockArray::kMaxChunk - 1);
  m.check_all();
  for (int k = 0; k < 500; k++) m.check_find();
}

}  // namespace
}  // namespace weft
