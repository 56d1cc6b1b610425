// The remote typing fast path (integrate_update.cc, apply_update.cc: a received string item that
// continues its client's last block is appended in place) must leave the same
// document and emit the same updates as the general path (integrate, then the
// cleanup merges). Observing the text turns the fast path off, so an observed
// receiver is the reference: two receivers apply the same seeded stream of
// one-transaction updates from two concurrent writers (typing, backspacing,
// jumps, non-ASCII: CJK, emoji as surrogate pairs, lone halves typed one at a
// time), sometimes out of order (pending structs) or two at a time merged,
// and every update they emit and their final state must be byte-identical.
// The remote backspace fast path (a deletion of a block's last units handed
// to the tombstone after it) is checked the same way. A third receiver is
// observed from the middle of the stream on: same updates, and the same
// events as the reference from then. gc on and off. WEFT_REMOTE_FAST_PATH_SEEDS sets the count.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <string>

#include "core/load_paths.h"
#include "weft/doc.h"
#include "weft/types.h"
#include "weft/update.h"

namespace weft {
namespace {

struct Receiver {
  Receiver(bool gc, bool observed, bool listened = true) : doc(DocOptions{7, "", gc}) {
    if (observed) observe();
    if (listened) doc.on_update([this](const UpdateBytes& u, const Transaction&) { updates.push_back(u); });
  }
  void observe() {
    doc.get_text("t").observe([this](const Event& ev, Transaction&) {
      events++;
      deltas += ev.delta.size();
    });
  }
  Doc doc;
  std::vector<UpdateBytes> updates;
  int events = 0;
  size_t deltas = 0;
};

struct Writer {
  Writer(uint64_t client, bool gc) : doc(DocOptions{client, "", gc}) {
    doc.on_update([this](const UpdateBytes& u, const Transaction&) { out.push_back(u); });
  }
  Doc doc;
  uint64_t caret = 0;
  std::vector<UpdateBytes> out;
};

// Typed one UTF-16 unit or one piece at a time; the emoji's halves also
// arrive in separate transactions (a high surrogate at a block's end).
const std::u16string kPieces[] = {u"a",          u"hello",  u"xyz ",   u"\u4e16\u754c",
                                  u"\U0001F600", u"\xD83D", u"\xDE00", u"\n"};

void run_seed(uint64_t seed, bool gc) {
  std::mt19937_64 rng(seed);
  auto pick = [&](uint64_t n) { return rng() % n; };
  // A 32-bit client id takes 5 bytes as a varUint, a small one 1 or 2.
  Writer writers[2] = {Writer(4'000'000'000 + seed, gc), Writer(100 + seed, gc)};
  Receiver fast(gc, false);
  Receiver slow(gc, true);
  // Nobody listens: keystrokes extending a block skip the transaction.
  Receiver quiet(gc, false, false);
  // Observed only from the middle of the stream on: the fast paths (typing
  // and backspace) must stop and its events match the reference's.
  Receiver late(gc, false);
  std::vector<UpdateBytes> stream;
  for (int step = 0; step < 300; step++) {
    // Writer 0 types most of the time; writer 1 now and then, sometimes
    // before it has seen writer 0's latest edits (concurrent inserts).
    Writer& w = writers[pick(6) == 0 ? 1 : 0];
    Writer& peer = &w == &writers[0] ? writers[1] : writers[0];
    if (pick(3) == 0) {
      auto u = peer.doc.encode_state_as_update(w.doc.encode_state_vector());
      ASSERT_TRUE(u.is_ok());
      w.out.clear();
      ASSERT_TRUE(w.doc.apply_update(*u).is_ok());
      w.out.clear();  // a writer re-emits what it received: not part of the stream
    }
    TextRef t = w.doc.get_text("t");
    const uint64_t len = t.length();
    w.caret = std::min(w.caret, len);
    uint64_t r = pick(11);
    Status st;
    if (r == 10) {
      // The delete key, a few times at the caret (a run of forward deletes).
      for (int k = 0; k < 3 && st.is_ok() && w.caret < t.length(); k++) {
        st = t.remove_range(w.caret, 1 + pick(std::min<uint64_t>(t.length() - w.caret, 2)));
        for (auto& u : w.out) stream.push_back(std::move(u));
        w.out.clear();
      }
    } else if (r < 5) {
      const std::u16string& s = kPieces[pick(std::size(kPieces))];
      st = t.insert(w.caret, std::u16string_view(s));
      w.caret += s.size();
    } else if (r < 7 && w.caret > 0) {
      uint64_t n = 1 + pick(std::min<uint64_t>(w.caret, 3));
      st = t.remove_range(w.caret - n, n);
      w.caret -= n;
    } else if (r < 8 && len > 0) {
      uint64_t at = pick(len);
      st = t.remove_range(at, 1 + pick(std::min<uint64_t>(len - at, 4)));
    } else {
      w.caret = pick(len + 1);
      continue;
    }
    ASSERT_TRUE(st.is_ok()) << st.message();
    for (auto& u : w.out) stream.push_back(std::move(u));
    w.out.clear();
  }
  // Deliver: mostly in order, sometimes two swapped (the later one waits as
  // pending) or two merged into one update.
  bool late_observed = false;
  for (size_t i = 0; i < stream.size(); i++) {
    if (!late_observed && i >= stream.size() / 2) {
      late_observed = true;
      late.observe();
      slow.events = 0;
      slow.deltas = 0;
    }
    SCOPED_TRACE("seed " + std::to_string(seed) + " gc " + std::to_string(gc) + " update " +
                 std::to_string(i));
    std::vector<UpdateBytes> batch;
    uint64_t r = pick(10);
    if (r == 0 && i + 1 < stream.size()) {
      batch = {stream[i + 1], stream[i]};
      i++;
    } else if (r == 1 && i + 1 < stream.size()) {
      std::span<const uint8_t> parts[2] = {stream[i], stream[i + 1]};
      auto merged = merge_updates(parts, UpdateFormat::kV1);
      ASSERT_TRUE(merged.is_ok());
      batch = {*merged};
      i++;
    } else {
      batch = {stream[i]};
    }
    for (const UpdateBytes& u : batch) {
      ASSERT_TRUE(fast.doc.apply_update(u).is_ok());
      ASSERT_TRUE(slow.doc.apply_update(u).is_ok());
      ASSERT_TRUE(late.doc.apply_update(u).is_ok());
      ASSERT_TRUE(quiet.doc.apply_update(u).is_ok());
      ASSERT_EQ(fast.updates, slow.updates);
      ASSERT_EQ(late.updates, slow.updates);
      if (late_observed) {
        ASSERT_EQ(late.events, slow.events);
        ASSERT_EQ(late.deltas, slow.deltas);
      }
      fast.updates.clear();
      slow.updates.clear();
      late.updates.clear();
    }
    ASSERT_EQ(fast.doc.get_text("t").to_string(), slow.doc.get_text("t").to_string());
    ASSERT_EQ(quiet.doc.get_text("t").to_string(), slow.doc.get_text("t").to_string());
    ASSERT_EQ(*quiet.doc.encode_state_as_update(), *slow.doc.encode_state_as_update());
  }
  EXPECT_EQ(*fast.doc.encode_state_as_update(), *slow.doc.encode_state_as_update());
  EXPECT_EQ(*late.doc.encode_state_as_update(), *slow.doc.encode_state_as_update());
  EXPECT_EQ(*quiet.doc.encode_state_as_update(), *slow.doc.encode_state_as_update());
  EXPECT_GT(late.events, 0);
  // Every update arrived: the stream merged into one update and applied to
  // a fresh doc gives the same text. (Not the writers' own text: a lone
  // surrogate half travels as U+FFFD, so halves typed apart stay apart.)
  std::vector<std::span<const uint8_t>> parts(stream.begin(), stream.end());
  auto merged = merge_updates(parts, UpdateFormat::kV1);
  ASSERT_TRUE(merged.is_ok());
  Doc whole(DocOptions{9, "", gc});
  ASSERT_TRUE(whole.apply_update(*merged).is_ok());
  EXPECT_EQ(fast.doc.get_text("t").to_string(), whole.get_text("t").to_string());
  EXPECT_FALSE(fast.doc.has_pending());
}

TEST(RemoteFastPath, OneUpdatePerTransactionMatchesObservedDoc) {
  int seeds = 40;
  if (const char* env = std::getenv("WEFT_REMOTE_FAST_PATH_SEEDS")) seeds = std::atoi(env);
  for (int seed = 1; seed <= seeds; seed++) {
    for (bool gc : {true, false}) {
      run_seed(static_cast<uint64_t>(seed), gc);
      if (testing::Test::HasFatalFailure()) return;
    }
  }
}

// apply_update reads a keystroke-sized v1 update (one string item, or one
// delete range) with a reader of its own and applies it without the general
// reader's lists. Every update of a seeded two-writer stream, its
// truncations and its single-byte corruptions reach two docs, one with the
// fast paths and one without (load_fast_paths_enabled): same status (code
// and message), same state and pending parts after each.
TEST(RemoteFastPath, SmallUpdateReaderMatchesGeneralReader) {
  for (uint64_t seed = 1; seed <= 3; seed++) {
    std::mt19937_64 rng(seed);
    auto pick = [&](uint64_t n) { return rng() % n; };
    Writer writers[2] = {Writer(4'294'967'295 - seed, true), Writer(3 + seed, true)};
    std::vector<UpdateBytes> stream;
    if (seed >= 2) {
      // Clocks past 2^14 (seed 2) and 2^21 (seed 3): varUints of two to four bytes.
      const uint64_t n = seed == 2 ? 30'000 : 2'100'000;
      ASSERT_TRUE(writers[0].doc.get_text("t").insert(0, std::u16string(n, u'x')).is_ok());
      ASSERT_TRUE(writers[0].doc.get_text("t").remove_range(0, n - 20'000).is_ok());
      writers[0].caret = 20'000;
      for (auto& u : writers[0].out) stream.push_back(std::move(u));
      writers[0].out.clear();
    }
    for (int step = 0; step < 120; step++) {
      Writer& w = writers[pick(4) == 0 ? 1 : 0];
      Writer& peer = &w == &writers[0] ? writers[1] : writers[0];
      if (pick(3) == 0) {
        auto u = peer.doc.encode_state_as_update(w.doc.encode_state_vector());
        ASSERT_TRUE(u.is_ok());
        ASSERT_TRUE(w.doc.apply_update(*u).is_ok());
        w.out.clear();
      }
      TextRef t = w.doc.get_text("t");
      const uint64_t len = t.length();
      w.caret = std::min(w.caret, len);
      if (pick(3) != 0 || w.caret == 0) {
        const std::u16string& s = kPieces[pick(std::size(kPieces))];
        ASSERT_TRUE(t.insert(w.caret, std::u16string_view(s)).is_ok());
        w.caret += s.size();
      } else {
        uint64_t n = 1 + pick(std::min<uint64_t>(w.caret, 2));
        ASSERT_TRUE(t.remove_range(w.caret - n, n).is_ok());
        w.caret -= n;
      }
      if (pick(5) == 0) w.caret = pick(t.length() + 1);
      for (auto& u : w.out) stream.push_back(std::move(u));
      w.out.clear();
    }
    Doc fast(DocOptions{11, "", true});
    Doc general(DocOptions{11, "", true});
    auto apply_both = [&](const UpdateBytes& u) {
      Status a = fast.apply_update(u);
      load_fast_paths_enabled = false;
      Status b = general.apply_update(u);
      load_fast_paths_enabled = true;
      ASSERT_EQ(a.code(), b.code());
      ASSERT_EQ(a.message(), b.message());
      ASSERT_EQ(fast.has_pending(), general.has_pending());
      auto fast_state = fast.encode_state_as_update();
      auto general_state = general.encode_state_as_update();
      ASSERT_EQ(fast_state.is_ok(), general_state.is_ok());
      if (fast_state.is_ok()) {
        ASSERT_EQ(*fast_state, *general_state);
      } else {
        ASSERT_EQ(fast_state.status().message(), general_state.status().message());
      }
      ASSERT_EQ(fast.get_text("t").to_string(), general.get_text("t").to_string());
    };
    for (size_t i = 0; i < stream.size(); i++) {
      SCOPED_TRACE("seed " + std::to_string(seed) + " update " + std::to_string(i));
      const UpdateBytes& u = stream[i];
      // Every fourth update: its corruptions first (they may apply, leave
      // something pending or fail; both docs must agree), then the update.
      if (i % 4 == 0 && u.size() < 100) {
        for (size_t k = 0; k < u.size(); k++) {
          apply_both(UpdateBytes(u.begin(), u.begin() + static_cast<ptrdiff_t>(k)));
          for (uint8_t flip : {uint8_t{0x80}, uint8_t{0x01}, uint8_t{0x7f}}) {
            UpdateBytes bad = u;
            bad[k] ^= flip;
            apply_both(bad);
          }
          UpdateBytes longer = u;
          longer.push_back(static_cast<uint8_t>(pick(256)));
          apply_both(longer);
        }
      }
      apply_both(u);
      if (testing::Test::HasFatalFailure()) return;
    }
  }
}

// A keystroke from a peer using this doc's own client id (both typed "ab"
// as client 77, then the peer "c"): the doc takes a new id, with and without
// a transaction (nobody listening skips it).
TEST(RemoteFastPath, OwnClientIdInKeystrokeChangesId) {
  for (bool listened : {false, true}) {
    Doc writer(DocOptions{77, "", true});
    Doc receiver(DocOptions{77, "", true});
    ASSERT_TRUE(writer.get_text("t").insert(0, u"ab").is_ok());
    ASSERT_TRUE(receiver.get_text("t").insert(0, u"ab").is_ok());
    std::vector<UpdateBytes> out;
    writer.on_update([&](const UpdateBytes& u, const Transaction&) { out.push_back(u); });
    ASSERT_TRUE(writer.get_text("t").insert(2, u"c").is_ok());
    ASSERT_EQ(out.size(), 1u);
    if (listened) receiver.on_update([](const UpdateBytes&, const Transaction&) {});
    ASSERT_TRUE(receiver.apply_update(out[0]).is_ok());
    EXPECT_EQ(receiver.get_text("t").to_string(), "abc");
    EXPECT_NE(receiver.client_id(), 77u);
    EXPECT_EQ(*receiver.encode_state_as_update(), *writer.encode_state_as_update());
  }
}

}  // namespace
}  // namespace weft
