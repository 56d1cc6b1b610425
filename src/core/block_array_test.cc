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

// The share of random steps (out of 100) each operation takes: a step
// below `append` appends, below `split` splits, and so on; merges take more
// of the second half (the array shrinks); the rest check a find.
struct OpMix {
  uint64_t append, split, merge_growing, merge_shrinking, replace, move_start;
  bool huge_blocks;  // a quarter of appends 2^30..2^34 + 2^30 clocks long
};

// 20,000 random steps on a model of each of seeds 1..4, `Ops` drawn from
// seed * ops_seed, with the array checked against the model along the way.
template <typename Ops>
void run_random_steps(uint32_t ops_seed, const OpMix& mix) {
  for (uint32_t seed = 1; seed <= 4; seed++) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    BlockArrayModel m(seed);
    Ops ops(seed * ops_seed);
    for (int step = 0; step < 20000; step++) {
      const uint64_t op = ops() % 100;
      if (m.size() == 0 || op < mix.append) {
        m.append(mix.huge_blocks && op % 4 == 0 ? (uint64_t{1} << 30) + ops() % (uint64_t{1} << 34)
                                                : 1 + ops() % 40);
      } else if (op < mix.split) {
        m.split();
      } else if (op < (step < 10000 ? mix.merge_growing : mix.merge_shrinking)) {
        m.merge();
      } else if (op < mix.replace) {
        m.replace();
      } else if (op < mix.move_start) {
        m.move_start();
      } else {
        m.check_find();
      }
      if (::testing::Test::HasFatalFailure()) return;
      if (step % 997 == 0) m.check_all();
      if (::testing::Test::HasFatalFailure()) return;
    }
    m.check_all();
    for (int k = 0; k < 200; k++) m.check_find();
  }
}

TEST(BlockArray, MatchesVectorModel) {
  run_random_steps<std::mt19937>(7919, OpMix{15, 60, 70, 95, 96, 97, false});
}

// Some blocks are longer than 2^32 clocks (a Skip or GC range can be: clocks
// go up to 2^53), so chunks' clocks cannot all be offsets from one base.
TEST(BlockArray, BlocksLongerThanTwoToThe32) {
  run_random_steps<std::mt19937_64>(104729, OpMix{15, 55, 65, 90, 0, 95, true});
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
