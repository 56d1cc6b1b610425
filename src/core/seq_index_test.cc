// Seeded randomized check of the sequence position index (SeqIndex) and
// Branch::find_position against a naive walk over the item list: random
// local inserts and deletes at random positions (single edits and several
// in one transaction, so splits and cleanup merges happen), concurrent
// edits of three peers synced in random order (remote integration with
// conflict resolution), GC on and off, surrogate pairs, nested types that
// get deleted. WEFT_SEQ_INDEX_SEEDS sets the number of seeds. The tree
// itself is also driven directly through its hooks against a vector model
// (SeqIndexTree), with tiny leaves and fan-outs so that it grows deep.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <random>

#include "core/branch.h"
#include "core/seq_index.h"
#include "weft/doc.h"
#include "weft/update.h"

namespace weft {
namespace {

// The item and offset at visible index `index`, walking from the start.
std::pair<const Item*, uint64_t> naive_position(const Branch& b, uint64_t index) {
  uint64_t pos = 0;
  for (const Item* it = b.start; it != nullptr; it = it->right) {
    if (!it->visible()) continue;
    if (index < pos + it->length) return {it, index - pos};
    pos += it->length;
  }
  return {nullptr, 0};
}

uint64_t naive_length(const Branch& b) {
  uint64_t n = 0;
  for (const Item* it = b.start; it != nullptr; it = it->right) n += it->visible() ? it->length : 0;
  return n;
}

// Lookups checked on a branch that had an index (the tests assert that the
// index was exercised at all).
int indexed_checks = 0;

// Checks the index structure and `samples` random lookups (plus both ends).
void check_branch(Branch& b, std::mt19937_64& rng, int samples, const std::string& what) {
  ASSERT_EQ(b.length, naive_length(b)) << what;
  if (b.seq_index) {
    indexed_checks++;
    ASSERT_TRUE(b.seq_index->check(b.start)) << what << ": index chunks out of step";
  }
  if (b.length == 0) return;
  for (int s = 0; s < samples + 2; s++) {
    uint64_t i = s == 0 ? 0 : s == 1 ? b.length - 1 : rng() % b.length;
    auto want = naive_position(b, i);
    if (b.seq_index) {
      auto got = b.seq_index->find(i);
      ASSERT_EQ(got.first, want.first) << what << ": index at " << i;
      ASSERT_EQ(got.second, want.second) << what << ": index at " << i;
    }
    auto got = b.find_position(i);
    ASSERT_EQ(got.first, want.first) << what << ": find_position at " << i;
    ASSERT_EQ(got.second, want.second) << what << ": find_position at " << i;
  }
  ASSERT_EQ(b.find_position(b.length).first, nullptr) << what;
}

std::u16string text_of(const TextRef& t) {
  std::u16string s;
  for (const DeltaOp& op : t.to_delta()) s += op.text;
  return s;
}

struct Peer {
  Peer(uint64_t id, bool gc) : doc(DocOptions{id, "", gc}) {
    doc.on_update([this](const UpdateBytes& u, const Transaction&) { outbox.push_back(u); });
  }
  Doc doc;
  std::vector<UpdateBytes> outbox;  // emitted since the last sync
};

class Editor {
 public:
  explicit Editor(std::mt19937_64& rng) : rng_(rng) {}
  uint64_t pick(uint64_t n) { return rng_() % n; }

  // A random position not inside a surrogate pair.
  uint64_t text_index(const std::u16string& s) {
    uint64_t i = pick(s.size() + 1);
    while (i > 0 && i < s.size() && s[i] >= 0xDC00 && s[i] <= 0xDFFF) i--;
    return i;
  }
  void edit_text(const TextRef& t) {
    static const char16_t* pieces[] = {u"a", u"xy", u"世界", u"\U0001F600", u"q\U0001F44D\U0001F3FDz"};
    std::u16string s = text_of(t);
    uint64_t a = text_index(s);
    if (s.empty() || pick(3) != 0) {
      ASSERT_TRUE(t.insert(a, std::u16string_view(pieces[pick(5)])));
    } else {
      uint64_t b = text_index(s);
      if (a > b) std::swap(a, b);
      ASSERT_TRUE(t.remove_range(a, std::min<uint64_t>(b - a, 1 + pick(6))));
    }
  }
  void edit_array(const ArrayRef& arr) {
    uint64_t n = arr.length();
    uint64_t a = pick(n + 1);
    int op = static_cast<int>(pick(10));
    if (n == 0 || op < 6) {
      std::vector<Any> values;
      for (uint64_t k = 1 + pick(3); k > 0; k--) values.emplace_back(static_cast<double>(pick(1000)));
      ASSERT_TRUE(arr.insert(a, values));
    } else if (op < 9) {
      a = std::min(a, n - 1);
      ASSERT_TRUE(arr.remove_range(a, std::min<uint64_t>(n - a, 1 + pick(4))));
    } else {
      auto nested = arr.insert_text(a);
      ASSERT_TRUE(nested.is_ok());
    }
  }
  // Edits a nested text a lot (so it gets an index of its own), if there is one.
  void edit_nested(const ArrayRef& arr) {
    for (uint64_t i = 0; i < arr.length(); i++) {
      auto v = arr.get(i);
      if (!v || !v->is_type()) continue;
      TextRef t = v->as_text();
      for (int k = 0; k < 40; k++) edit_text(t);
      return;
    }
  }

 private:
  std::mt19937_64& rng_;
};

void check_peer(Peer& p, std::mt19937_64& rng, const std::string& what) {
  check_branch(*p.doc.get_text("t").branch(), rng, 8, what + " text");
  ArrayRef arr = p.doc.get_array("a");
  check_branch(*arr.branch(), rng, 8, what + " array");
  for (uint64_t i = 0; i < arr.length(); i++) {
    auto v = arr.get(i);
    if (v && v->is_type()) check_branch(*v->type(), rng, 4, what + " nested text");
  }
}

void run_seed(uint64_t seed, int rounds) {
  std::mt19937_64 rng(seed);
  Editor ed(rng);
  std::vector<std::unique_ptr<Peer>> peers;
  for (uint64_t id = 1; id <= 3; id++) peers.push_back(std::make_unique<Peer>(id, id != 3));
  for (int round = 0; round < rounds; round++) {
    for (size_t pi = 0; pi < peers.size(); pi++) {
      Peer& p = *peers[pi];
      int edits = 1 + static_cast<int>(ed.pick(12));
      auto body = [&] {
        for (int e = 0; e < edits; e++) {
          if (ed.pick(2) == 0) {
            ed.edit_text(p.doc.get_text("t"));
          } else {
            ed.edit_array(p.doc.get_array("a"));
          }
        }
        if (ed.pick(4) == 0) ed.edit_nested(p.doc.get_array("a"));
      };
      if (ed.pick(2) == 0) {
        p.doc.transact([&](Transaction&) { body(); });  // splits, merges at cleanup
      } else {
        body();
      }
      check_peer(p, rng,
                 "seed " + std::to_string(seed) + " round " + std::to_string(round) + " peer " +
                     std::to_string(pi) + " after local edits");
      if (::testing::Test::HasFatalFailure()) return;
    }
    // Deliver every outbox to the others, in random order (concurrent inserts).
    if (ed.pick(3) != 0) {
      std::vector<std::pair<size_t, UpdateBytes>> mail;
      for (size_t pi = 0; pi < peers.size(); pi++) {
        for (auto& u : peers[pi]->outbox) mail.emplace_back(pi, std::move(u));
        peers[pi]->outbox.clear();
      }
      std::shuffle(mail.begin(), mail.end(), rng);
      for (auto& [from, u] : mail) {
        for (size_t pi = 0; pi < peers.size(); pi++) {
          if (pi != from) {
            ASSERT_TRUE(peers[pi]->doc.apply_update(u));
          }
        }
      }
      for (size_t pi = 0; pi < peers.size(); pi++) {
        peers[pi]->outbox.clear();  // the updates applied above, echoed
        check_peer(*peers[pi], rng,
                   "seed " + std::to_string(seed) + " round " + std::to_string(round) + " peer " +
                       std::to_string(pi) + " after sync");
        if (::testing::Test::HasFatalFailure()) return;
      }
    }
  }
  // Converged: full sync, then the same text everywhere.
  for (auto& from : peers) {
    auto state = from->doc.encode_state_as_update();
    ASSERT_TRUE(state.is_ok());
    for (auto& to : peers) ASSERT_TRUE(to->doc.apply_update(*state));
  }
  for (auto& p : peers) {
    ASSERT_EQ(p->doc.get_text("t").to_string(), peers[0]->doc.get_text("t").to_string()) << "seed " << seed;
    check_peer(*p, rng, "seed " + std::to_string(seed) + " final");
  }
}

// Small chunks and an index on every list longer than a few items, so that
// chunk splits, cross-chunk merges and chunk removals all happen.
class SeqIndexSmallChunks : public ::testing::Test {
 protected:
  void SetUp() override {
    SeqIndex::max_items = 4;
    Branch::index_after_steps = 3;
  }
  void TearDown() override {
    SeqIndex::max_items = 32;
    Branch::index_after_steps = 128;
  }
};

TEST_F(SeqIndexSmallChunks, RandomEditsMatchNaiveWalk) {
  int seeds = 6;
  if (const char* env = std::getenv("WEFT_SEQ_INDEX_SEEDS")) seeds = std::atoi(env);
  indexed_checks = 0;
  for (int s = 0; s < seeds; s++) {
    uint64_t seed = 0x5E91D0 + static_cast<uint64_t>(s);
    // 8-item chunks coalesce chunks of two items and more.
    SeqIndex::max_items = s % 2 == 0 ? 4 : 8;
    run_seed(seed, 120);
    if (HasFatalFailure()) FAIL() << "failing seed: " << seed << " (max_items " << SeqIndex::max_items << ")";
  }
  EXPECT_GT(indexed_checks, 100) << "no branch grew an index: the test checks nothing";
}

// A long text edited at random positions by one client: the index is built
// and must survive many splits, deletions and cleanup merges.
TEST(SeqIndex, LongTextRandomPositions) {
  const uint64_t seed = 0xB14;
  std::mt19937_64 rng(seed);
  Doc doc(DocOptions{7, "", true});
  TextRef t = doc.get_text("t");
  ASSERT_TRUE(t.insert(0, std::u16string(3000, u'x')));
  std::u16string model(3000, u'x');
  for (int i = 0; i < 4000; i++) {
    uint64_t a = rng() % (model.size() + 1);
    if (rng() % 3 == 0 && a < model.size()) {
      uint64_t len = std::min<uint64_t>(model.size() - a, 1 + rng() % 5);
      ASSERT_TRUE(t.remove_range(a, len));
      model.erase(a, len);
    } else {
      char16_t c = static_cast<char16_t>(u'a' + rng() % 26);
      ASSERT_TRUE(t.insert(a, std::u16string_view(&c, 1)));
      model.insert(model.begin() + static_cast<ptrdiff_t>(a), c);
    }
    if (i % 97 == 0) {
      check_branch(*t.branch(), rng, 16, "seed " + std::to_string(seed) + " op " + std::to_string(i));
      if (HasFatalFailure()) return;
    }
  }
  EXPECT_NE(t.branch()->seq_index, nullptr) << "random positions should have built the index";
  EXPECT_EQ(text_of(t), model) << "seed " << seed;
  check_branch(*t.branch(), rng, 64, "seed " + std::to_string(seed) + " end");
}

// A list of bare items driven through the SeqIndex hooks the way the engine
// drives them, beside a vector model of the list in document order.
class TreeModel {
 public:
  TreeModel(uint64_t seed, size_t initial) : rng_(seed) {
    for (size_t i = 0; i < initial; i++) model_.push_back(make_item());
    relink_all();
    index_ = std::make_unique<SeqIndex>(start());
  }

  uint64_t pick(uint64_t n) { return rng_() % n; }

  // One random hook call; returns false (with a gtest failure) on a mismatch.
  void step() {
    const size_t n = model_.size();
    const uint64_t op = pick(100);
    if (n == 0 || op < 40) {  // insert a new item at a random place
      size_t at = pick(n + 1);
      Item* item = make_item();
      model_.insert(model_.begin() + static_cast<ptrdiff_t>(at), item);
      link_at(at);
      index_->on_insert(item);
    } else if (op < 55) {  // split an item of length >= 2
      size_t at = pick(n);
      Item* left = model_[at];
      if (left->length < 2) return;
      Item* right = make_item();
      uint64_t diff = 1 + pick(left->length - 1);
      right->countable = left->countable;
      right->deleted = left->deleted;
      right->length = left->length - diff;
      left->length = diff;
      model_.insert(model_.begin() + static_cast<ptrdiff_t>(at + 1), right);
      link_at(at + 1);
      index_->on_split(left, right);
    } else if (op < 75) {  // merge two neighbours with the same flags
      if (n < 2) return;
      size_t at = pick(n - 1);
      Item* l = model_[at];
      Item* r = model_[at + 1];
      if (l->deleted != r->deleted || l->countable != r->countable) return;
      index_->on_merge(l, r);  // told before the links and lengths change
      l->right = r->right;
      if (l->right != nullptr) l->right->left = l;
      l->length += r->length;
      model_.erase(model_.begin() + static_cast<ptrdiff_t>(at + 1));
    } else if (op < 88) {  // delete a visible item
      Item* item = model_[pick(n)];
      if (!item->visible()) return;
      index_->on_visible_change(item, -static_cast<int64_t>(item->length));
      item->deleted = true;
    } else {  // a visible item grows in place (typing) or shrinks
      Item* item = model_[pick(n)];
      if (!item->visible()) return;
      int64_t delta = pick(3) == 0 && item->length > 1 ? -static_cast<int64_t>(pick(item->length - 1) + 1)
                                                       : static_cast<int64_t>(1 + pick(4));
      item->length = static_cast<uint64_t>(static_cast<int64_t>(item->length) + delta);
      index_->on_visible_change(item, delta);
    }
  }

  // The index's structure and `samples` lookups (plus both ends and one past
  // the end) against the model.
  void verify(int samples, const std::string& what) {
    ASSERT_TRUE(index_->check(start())) << what << ": tree out of step";
    std::vector<uint64_t> prefix;  // visible units before model_[i]
    uint64_t total = 0;
    for (const Item* it : model_) {
      prefix.push_back(total);
      total += it->visible() ? it->length : 0;
    }
    ASSERT_EQ(index_->find(total).first, nullptr) << what;
    if (total == 0) return;
    for (int s = 0; s < samples + 2; s++) {
      uint64_t i = s == 0 ? 0 : s == 1 ? total - 1 : rng_() % total;
      // The last item starting at or before i: the visible one covering it
      // (the invisible ones around it start before it or after i).
      size_t k = static_cast<size_t>(std::upper_bound(prefix.begin(), prefix.end(), i) - prefix.begin()) - 1;
      auto got = index_->find(i);
      ASSERT_EQ(got.first, model_[k]) << what << ": item at " << i;
      ASSERT_EQ(got.second, i - prefix[k]) << what << ": offset at " << i;
    }
  }

  size_t size() const { return model_.size(); }
  const SeqIndex& index() const { return *index_; }

 private:
  Item* make_item() {
    items_.push_back(std::make_unique<Item>());
    Item* item = items_.back().get();
    item->length = 1 + pick(5);
    item->countable = pick(10) != 0;  // some format-like items count 0
    return item;
  }
  Item* start() const { return model_.empty() ? nullptr : model_[0]; }
  void relink_all() {
    for (size_t i = 0; i < model_.size(); i++) {
      model_[i]->left = i > 0 ? model_[i - 1] : nullptr;
      model_[i]->right = i + 1 < model_.size() ? model_[i + 1] : nullptr;
    }
  }
  // Links model_[at] between its model neighbours.
  void link_at(size_t at) {
    Item* item = model_[at];
    item->left = at > 0 ? model_[at - 1] : nullptr;
    item->right = at + 1 < model_.size() ? model_[at + 1] : nullptr;
    if (item->left != nullptr) item->left->right = item;
    if (item->right != nullptr) item->right->left = item;
  }

  std::mt19937_64 rng_;
  std::vector<std::unique_ptr<Item>> items_;  // owns every item ever made
  std::vector<Item*> model_;                  // the list in document order
  std::unique_ptr<SeqIndex> index_;
};

class SeqIndexTree : public ::testing::Test {
 protected:
  void TearDown() override {
    SeqIndex::max_items = 32;
    SeqIndex::max_children = SeqIndex::kMaxChildren;
  }
};

TEST_F(SeqIndexTree, RandomHooksMatchVectorModel) {
  const uint32_t leaf_sizes[] = {1, 2, 4, 5, 32};
  const uint32_t fanouts[] = {2, 3, 4, 16};
  for (uint64_t s = 0; s < 40; s++) {
    const uint64_t seed = 0x7EE0 + s;
    SeqIndex::max_items = leaf_sizes[s % 5];
    SeqIndex::max_children = fanouts[(s / 5) % 4];
    TreeModel m(seed, static_cast<size_t>(s % 3 == 0 ? 0 : seed % 300));
    for (int op = 0; op < 3000; op++) {
      m.step();
      if (op % 50 == 0) {
        m.verify(8, "seed " + std::to_string(seed) + " op " + std::to_string(op));
        if (HasFatalFailure()) {
          FAIL() << "failing seed: " << seed << " (max_items " << SeqIndex::max_items << ", max_children "
                 << SeqIndex::max_children << ")";
        }
      }
    }
    m.verify(32, "seed " + std::to_string(seed) + " end");
    if (HasFatalFailure()) FAIL() << "failing seed: " << seed;
  }
}

// Large n: a deep tree (leaves of 4, fan-out 3) built from 60,000 items, then
// 8,000 random hooks on it (few: the vector model moves O(n) per insert); also
// the default shape.
TEST_F(SeqIndexTree, LargeListStaysExact) {
  for (int shape = 0; shape < 2; shape++) {
    const uint64_t seed = 0x1A46E + static_cast<uint64_t>(shape);
    SeqIndex::max_items = shape == 0 ? 4 : 32;
    SeqIndex::max_children = shape == 0 ? 3 : SeqIndex::kMaxChildren;
    TreeModel m(seed, 60000);
    m.verify(64, "seed " + std::to_string(seed) + " built");
    for (int op = 1; op <= 8000; op++) {
      m.step();
      if (op % 2000 == 0) {
        m.verify(256, "seed " + std::to_string(seed) + " op " + std::to_string(op));
        if (HasFatalFailure()) FAIL() << "failing seed: " << seed;
      }
    }
    EXPECT_GT(m.size(), 60000u) << "seed " << seed;
    if (shape == 0) {
      EXPECT_GE(m.index().depth(), 8u) << "seed " << seed << ": the tree should be deep";
    }
  }
}

}  // namespace
}  // namespace weft
