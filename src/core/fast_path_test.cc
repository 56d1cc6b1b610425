// The local typing, backspace and forward-delete fast paths (text_ops.cc) must leave the
// same document and emit the same updates as the general path. Observing a
// text turns both fast paths off, so an observed doc is the reference: two
// docs with the same client id make the same seeded typing / backspace /
// random edits (and receive the same remote edits), and every transaction's
// update and the final state must be byte-identical. The reference writes
// its updates without the raw-pointer writers (write_update.cc); a third doc
// is observed only from the middle on (the doc's "types observed" flag). gc on and off (the
// backspace path moves deleted text into a tombstone that keeps or drops its
// content). WEFT_FAST_PATH_SEEDS sets the count.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <string>

#include "core/write_update.h"
#include "weft/doc.h"
#include "weft/types.h"
#include "weft/update.h"

namespace weft {
namespace {

struct Side {
  Side(uint64_t client, bool gc, bool observed) : doc(DocOptions{client, "", gc}) {
    doc.get_text("t");
    if (observed) observe();
    doc.on_update([this](const UpdateBytes& u, const Transaction&) { updates.push_back(u); });
  }
  void observe() {
    doc.get_text("t").observe([this](const Event&, Transaction&) { events++; });
  }
  Doc doc;
  std::vector<UpdateBytes> updates;
  int events = 0;
};

const std::u16string kPieces[] = {u"a", u"hello", u"xyz ", u"\u4e16\u754c", u"\U0001F600", u"\n"};

void run_seed(uint64_t seed, bool gc) {
  std::mt19937_64 rng(seed);
  auto pick = [&](uint64_t n) { return rng() % n; };
  Side fast(1000 + seed, gc, false);
  Side slow(1000 + seed, gc, true);
  // Observed only from step 100 on: the doc-wide "types observed" flag must
  // turn the fast paths off and the observer step on from then.
  Side late(1000 + seed, gc, false);
  Doc other(DocOptions{1 + pick(2000), "", gc});
  uint64_t caret = 0;
  for (int step = 0; step < 200; step++) {
    SCOPED_TRACE("seed " + std::to_string(seed) + " gc " + std::to_string(gc) + " step " +
                 std::to_string(step));
    TextRef t = slow.doc.get_text("t");
    const uint64_t len = t.length();
    if (step == 100) {
      late.observe();
      slow.events = 0;
    }
    if (pick(10) == 0) {
      // A remote edit from `other`, applied to both sides.
      auto sv = other.encode_state_vector();
      ASSERT_TRUE(other.apply_update(*slow.doc.encode_state_as_update(sv)).is_ok());
      TextRef ot = other.get_text("t");
      uint64_t at = ot.length() == 0 ? 0 : pick(ot.length() + 1);
      ASSERT_TRUE(ot.insert(at, std::u16string_view(u"r")).is_ok());
      auto u = *other.encode_state_as_update(slow.doc.encode_state_vector());
      ASSERT_TRUE(fast.doc.apply_update(u).is_ok());
      ASSERT_TRUE(slow.doc.apply_update(u).is_ok());
      ASSERT_TRUE(late.doc.apply_update(u).is_ok());
      fast.updates.clear();
      slow.updates.clear();
      late.updates.clear();
      caret = std::min(caret, t.length());
      continue;
    }
    // Mostly typing, backspacing and forward deleting at a caret; sometimes a jump, a range
    // delete, or a transaction with several edits.
    auto edit = [&](Doc& doc) {
      TextRef x = doc.get_text("t");
      return [&, x](uint64_t op, uint64_t at, uint64_t n, const std::u16string& s) {
        if (op == 0) return x.insert(at, std::u16string_view(s));
        return x.remove_range(at, n);
      };
    };
    uint64_t r = pick(10);
    uint64_t op, at, n = 0;
    std::u16string s;
    if (r < 4) {
      op = 0, at = std::min(caret, len), s = kPieces[pick(std::size(kPieces))];
    } else if (r < 7 && caret > 0 && caret <= len) {
      op = 1, n = 1 + pick(std::min<uint64_t>(caret, 3)), at = caret - n;
    } else if (r == 7 && caret < len) {
      // Forward delete: the caret stays.
      op = 1, at = caret, n = 1 + pick(std::min<uint64_t>(len - caret, 2));
    } else if (len > 0 && r == 8) {
      op = 1, at = pick(len), n = 1 + pick(std::min<uint64_t>(len - at, 4));
    } else {
      op = 0, at = pick(len + 1), s = u"j";
    }
    bool twice = pick(8) == 0;
    for (Side* side : {&fast, &slow, &late}) {
      auto apply = edit(side->doc);
      // The reference also writes its updates with the general writers
      // (field by field).
      small_update_writer_enabled = side != &slow;
      fast_v1_writer_enabled = side != &slow;
      side->doc.transact([&](Transaction&) {
        ASSERT_TRUE(apply(op, at, n, s).is_ok());
        if (twice && op == 1 && at > 0) {
          ASSERT_TRUE(apply(1, at - 1, 1, s).is_ok());
        }
        if (twice && op == 0) {
          ASSERT_TRUE(apply(0, at + s.size(), 0, u"t").is_ok());
        }
      });
    }
    small_update_writer_enabled = true;
    fast_v1_writer_enabled = true;
    caret = op == 0 ? at + s.size() + (twice ? 1 : 0) : at - (twice && at > 0 ? 1 : 0);
    ASSERT_EQ(fast.updates, slow.updates);
    ASSERT_EQ(late.updates, slow.updates);
    if (step >= 100) {
      ASSERT_EQ(late.events, slow.events);
    }
    fast.updates.clear();
    slow.updates.clear();
    late.updates.clear();
  }
  EXPECT_EQ(fast.events, 0);
  EXPECT_GT(late.events, 0);
  EXPECT_EQ(fast.doc.get_text("t").to_string(), slow.doc.get_text("t").to_string());
  EXPECT_EQ(*fast.doc.encode_state_as_update(), *slow.doc.encode_state_as_update());
  EXPECT_EQ(*late.doc.encode_state_as_update(), *slow.doc.encode_state_as_update());
}

TEST(FastPaths, TypingAndBackspaceMatchObservedDoc) {
  const char* env = std::getenv("WEFT_FAST_PATH_SEEDS");
  const uint64_t seeds = env != nullptr ? std::strtoull(env, nullptr, 10) : 60;
  for (uint64_t seed = 0; seed < seeds; seed++) {
    for (bool gc : {true, false}) {
      run_seed(seed, gc);
      if (HasFatalFailure()) return;
    }
  }
}

}  // namespace
}  // namespace weft
