// Tombstone runs formed by loads: a state loaded into an empty document on
// the bulk path or in parts (load_in_parts.cc) freezes its tombstones and
// then behaves as the same state loaded on the general path, under the random
// steps of tombstone_runs_test_gen.h; split_update's parts give the whole
// update's state; a load in parts that fails leaves the document empty; a
// million tombstones (testdata/tombstone_updates.h, the bench's document).
// WEFT_RUNS_SEEDS sets the seed count of the random load test (half of it,
// default 60); WEFT_RUNS_BIG=1 runs the million-tombstone test.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/branch.h"
#include "core/load_paths.h"
#include "core/tombstone_runs.h"
#include "core/tombstone_runs_test_gen.h"
#include "core/tombstone_runs_test_util.h"
#include "testdata/tombstone_updates.h"
#include "weft/doc.h"
#include "weft/update.h"

namespace weft::runs_testing {
namespace {

// A whole state with many tombstones loaded into an empty gc doc freezes
// its tombstones, on the bulk path (tombstone_runs_from_structs lowered) or
// part by part (load_in_parts_from_bytes and load_part_bytes lowered; with
// formatting too, which keeps the parts off the bulk path); the loaded doc
// then behaves as one loaded on the general path.
size_t load_froze_total = 0;  // over run_load's seeds in parts modes too

bool run_load(uint64_t seed) {
  const int mode = static_cast<int>(seed % 3);  // 0 bulk, 1 in parts, 2 in parts with formatting
  const bool source_gc = seed % 4 != 3;
  const bool indexed = seed % 2 == 1;
  const Scoped<size_t> index_after(Branch::index_after_steps, indexed ? 3 : 128);
  SCOPED_TRACE(seed_trace(mode == 0   ? "bulk load"
                          : mode == 1 ? "load in parts"
                                      : "load in parts, formatting",
                          seed, source_gc, indexed));
  History h;
  build_history(seed + 5000, source_gc, h, mode == 2);
  if (testing::Test::HasFatalFailure()) return false;
  const UpdateBytes state = state_of(*h.peers[0]);
  const uint64_t bulk_before = bulk_loads_done.load();
  auto a_doc = std::make_unique<Doc>(DocOptions{777, "", true});
  {
    const Scoped<uint64_t> runs_from(tombstone_runs_from_structs, 64);
    const Scoped<size_t> parts_from(load_in_parts_from_bytes, mode == 0 ? size_t{1} << 40 : 1);
    const Scoped<size_t> part_bytes(load_part_bytes, std::max<size_t>(1, state.size() / (2 + seed % 5)));
    if (!a_doc->apply_update(state)) {
      ADD_FAILURE() << "load failed";
      return false;
    }
  }
  if (mode == 0) {
    EXPECT_EQ(bulk_loads_done.load(), bulk_before + 1) << "the load did not take the bulk path";
  }
  auto b_doc = std::make_unique<Doc>(DocOptions{777, "", true});
  {
    const Scoped<bool> general(load_fast_paths_enabled, false);
    if (!b_doc->apply_update(state)) {
      ADD_FAILURE() << "general load failed";
      return false;
    }
  }
  // Listeners after the load: the load in parts is for documents nobody watches.
  Twin a(std::move(a_doc), seed % 2 == 0);
  Twin b(std::move(b_doc), seed % 2 == 0);
  EXPECT_EQ(frozen_tombstones(*b.doc), 0u) << "the general path froze";
  // A load in parts whose parts keep thawing earlier ones is redone whole
  // (load_in_parts.cc): then nothing is frozen.
  if (mode == 0) {
    EXPECT_GT(frozen_tombstones(*a.doc), 0u) << "the load froze nothing";
  }
  load_froze_total += frozen_tombstones(*a.doc);
  const Bounds bounds = freezable_bounds(*b.doc);
  EXPECT_LE(frozen_tombstones(*a.doc), bounds.upper)
      << "the load froze more than the freezable stretches hold";
  if (mode == 0) {
    EXPECT_GE(frozen_tombstones(*a.doc), bounds.lower) << "the bulk load left freezable stretches unfrozen";
  }
  // Not always the source's bytes (a load merges neighbouring GC blocks the
  // source kept apart, as Yjs does), but a fixpoint: loaded again, the same.
  const UpdateBytes loaded_state = state_of(*a.doc);
  Doc again(DocOptions{778, "", true});
  EXPECT_TRUE(again.apply_update(loaded_state));
  EXPECT_EQ(state_of(again), loaded_state) << "a loaded state loads back different (v1)";
  EXPECT_EQ(state_of(again, {}, UpdateFormat::kV2), state_of(*a.doc, {}, UpdateFormat::kV2)) << "(v2)";
  check_runs(*a.doc);
  const int failed_before = failures();
  expect_same(a, b, {});
  if (failures() != failed_before) {
    ADD_FAILURE() << "the loaded docs differ";
    return false;
  }
  Gen g(seed * 131 + 7);
  Session s{a, b, g, true, {h.peers[1].get(), h.peers[2].get()}, h.old_states, {}};
  add_old_state_vectors(s);
  if (!run_steps(s, 50)) return false;
  check_runs(*a.doc);
  return true;
}

TEST(TombstoneRuns, LoadFreezesAndBehavesAsTheGeneralPath) {
  const uint64_t seeds = std::max<uint64_t>(3, env_count("WEFT_RUNS_SEEDS", 60) / 2);
  load_froze_total = 0;
  for (uint64_t seed = 0; seed < seeds; seed++) {
    if (!run_load(seed)) break;
  }
  EXPECT_GT(load_froze_total, 0u) << "no load froze anything";
}

// split_update: the parts applied in order give the whole update's state,
// for v1 and v2, any number of parts.
TEST(TombstoneRuns, SplitUpdateGivesTheSameState) {
  for (uint64_t seed = 0; seed < 6; seed++) {
    const bool gc = seed % 2 == 0;
    History h;
    build_history(seed + 7000, gc, h);
    if (HasFatalFailure()) return;
    for (const UpdateFormat f : {UpdateFormat::kV1, UpdateFormat::kV2}) {
      const UpdateBytes state = state_of(*h.peers[0], {}, f);
      for (const size_t parts : {size_t{1}, size_t{2}, size_t{3}, size_t{7}, size_t{50}}) {
        for (const SplitOrder order : {SplitOrder::kClockBands, SplitOrder::kCausal}) {
          const bool causal = order == SplitOrder::kCausal;
          SCOPED_TRACE("seed " + std::to_string(seed) + (f == UpdateFormat::kV1 ? " v1 " : " v2 ") +
                       std::to_string(parts) + " parts" + (causal ? ", causal" : ""));
          auto split = split_update(state, f, parts, nullptr, order);
          ASSERT_TRUE(split);
          EXPECT_LE(split->size(), parts);
          Doc whole(DocOptions{5, "", gc}), in_parts(DocOptions{5, "", gc});
          const Scoped<bool> general(load_fast_paths_enabled, false);
          ASSERT_TRUE(whole.apply_update(state, f));
          for (const UpdateBytes& part : *split) {
            ASSERT_TRUE(in_parts.apply_update(part, f));
            // In causal order, nothing waits for a later part.
            if (causal) {
              ASSERT_FALSE(in_parts.has_pending()) << "part " << (&part - split->data());
            }
          }
          EXPECT_FALSE(in_parts.has_pending());
          EXPECT_TRUE(state_of(in_parts) == state_of(whole))
              << describe_difference(state_of(in_parts), state_of(whole), "in parts", "whole");
          EXPECT_EQ(in_parts.to_canonical_json(kTypes), whole.to_canonical_json(kTypes));
          if (causal && parts > 1) {
            EXPECT_GT(split->size(), 1u) << "not split";
          }
        }
      }
    }
  }
}

// Regression (found by SplitUpdateGivesTheSameState, odd seeds: gc off): a
// deleted range is cut between parts by clock, here inside a surrogate
// pair; the part that deletes the first half splits the kept string there,
// and both halves become U+FFFD. (Harmless for the load in parts, which
// runs with gc on only: the content is collected.)
TEST(TombstoneRuns, SplitUpdateKeepsDeletedSurrogatePairs) {
  for (const bool gc : {false, true}) {
    SCOPED_TRACE(gc ? "gc" : "no gc");
    Doc src(DocOptions{1, "", gc});
    ASSERT_TRUE(src.get_text("t").insert(0, u"ab\U0001F600cd"));  // 1:0-5, one item
    ASSERT_TRUE(src.get_text("t").remove_range(0, 6));
    const UpdateBytes state = state_of(src);
    // Three parts: the deletes [0,3) and [3,6), cut between the emoji's halves.
    auto split = split_update(state, UpdateFormat::kV1, 3);
    ASSERT_TRUE(split);
    Doc whole(DocOptions{5, "", gc}), in_parts(DocOptions{5, "", gc});
    ASSERT_TRUE(whole.apply_update(state));
    for (const UpdateBytes& part : *split) ASSERT_TRUE(in_parts.apply_update(part));
    EXPECT_TRUE(state_of(in_parts) == state_of(whole))
        << describe_difference(state_of(in_parts), state_of(whole), "in parts", "whole");
  }
}

// ---------------------------------------------------------------------------
// A million tombstones (WEFT_RUNS_BIG=1), and failing loads in parts.

// Alternating items of two clients that never merge, in the root "t" the
// tests read, all deleted when `deleted` (testdata/tombstone_updates.h: the
// bench's document). With `bad`, client 1's last item refers to a later
// clock of its own client (malformed).
UpdateBytes tombstone_update(uint64_t count, bool deleted, bool bad = false) {
  return testdata::make_tombstone_update(count, {.root = "t", .deleted = deleted, .bad_origin = bad});
}

TEST(TombstoneRuns, AMillionTombstones) {
  if (env_count("WEFT_RUNS_BIG", 0) == 0) GTEST_SKIP() << "WEFT_RUNS_BIG=1 runs it";
  constexpr uint64_t kCount = 1000000;
  const UpdateBytes dead = tombstone_update(kCount, true);
  const UpdateBytes alive = tombstone_update(kCount, false);
  // The bulk load freezes from tombstone_runs_from_structs (2^20) structs:
  // a million is just below, so lowered here.
  auto a_doc = std::make_unique<Doc>(DocOptions{7, "", true});
  {
    const Scoped<uint64_t> runs_from(tombstone_runs_from_structs, kCount / 2);
    ASSERT_TRUE(a_doc->apply_update(dead));
  }
  Twin a(std::move(a_doc), false);
  EXPECT_GT(frozen_tombstones(*a.doc), kCount / 2) << "the bulk load froze few";
  auto b_doc = std::make_unique<Doc>(DocOptions{7, "", true});
  {
    const Scoped<bool> general(load_fast_paths_enabled, false);
    ASSERT_TRUE(b_doc->apply_update(dead));
  }
  Twin b(std::move(b_doc), false);
  check_runs(*a.doc);
  expect_same(a, b, {});
  {
    // Loaded in 8 parts, each one's tombstones frozen.
    Doc parts(DocOptions{7, "", true});
    const Scoped<size_t> parts_from(load_in_parts_from_bytes, 1);
    const Scoped<size_t> part_bytes(load_part_bytes, dead.size() / 8);
    ASSERT_TRUE(parts.apply_update(dead));
    EXPECT_GT(frozen_tombstones(parts), kCount / 2) << "the load in parts froze few";
    check_runs(parts);
    EXPECT_EQ(state_of(parts), state_of(*b.doc));
    EXPECT_EQ(state_of(parts, {}, UpdateFormat::kV2), state_of(*b.doc, {}, UpdateFormat::kV2));
  }
  Doc frozen_later(DocOptions{7, "", true});
  load_fast_paths_enabled = false;
  ASSERT_TRUE(frozen_later.apply_update(dead));
  load_fast_paths_enabled = true;
  const UpdateBytes before = state_of(frozen_later);
  const size_t n = freeze(frozen_later);
  const Bounds bounds = freezable_bounds(*b.doc);
  EXPECT_GE(n, bounds.lower) << bounds.upper << " in stretches";
  EXPECT_LE(n, bounds.upper);
  EXPECT_EQ(state_of(frozen_later), before);
  EXPECT_EQ(state_of(frozen_later), state_of(*b.doc));
  // A peer that has them alive inserts in the middle and at the end.
  Doc stale(DocOptions{9, "", true});
  ASSERT_TRUE(stale.apply_update(alive));
  std::vector<UpdateBytes> out;
  stale.on_update([&](const UpdateBytes& u, const Transaction&) { out.push_back(u); });
  ASSERT_TRUE(stale.get_text("t").insert(kCount / 2, "m"));
  ASSERT_TRUE(stale.get_text("t").insert(kCount + 1, "e"));
  ASSERT_TRUE(stale.get_text("t").insert(1, "s"));
  for (const UpdateBytes& u : out) {
    EXPECT_TRUE(a.doc->apply_update(u));
    EXPECT_TRUE(b.doc->apply_update(u));
  }
  expect_same(a, b, {});
  for (Twin* t : {&a, &b}) {
    ASSERT_TRUE(t->doc->get_text("t").insert(0, "0", Attributes{{"bold", Any(true)}}));
    ASSERT_TRUE(t->doc->get_text("t").insert(2, "2"));
  }
  expect_same(a, b, {});
  EXPECT_EQ(a.doc->get_text("t").to_string(), "0s2me");
}

// Without the load in list order (list_order_load_test.cc covers it): a
// state whose items have their origins all over the text (random edits)
// starts in parts, finds its second part thawing the first one's runs, and
// is loaded whole instead: nothing frozen, the same state. Typing in runs
// (each item after the previous one) stays in parts.
// Loads `update` into `doc` (empty) in `parts` parts: the load must start in
// parts and end whole (nothing frozen), with the update's state.
void expect_parts_given_up(Doc& doc, const UpdateBytes& update, size_t parts) {
  const Scoped<size_t> parts_from(load_in_parts_from_bytes, 1);
  const Scoped<size_t> part_bytes(load_part_bytes, update.size() / parts);
  const uint64_t begun = loads_in_parts_begun.load();
  ASSERT_TRUE(doc.apply_update(update));
  EXPECT_EQ(loads_in_parts_begun.load(), begun + 1) << "the state did not start in parts";
  EXPECT_EQ(frozen_tombstones(doc), 0u) << "the state stayed in parts";
  EXPECT_EQ(state_of(doc), update);
}

TEST(TombstoneRuns, ScatteredStatesLoadWhole) {
  const Scoped<bool> parts_only(list_order_load_enabled, false);          // these test the parts
  const Scoped<bool> no_plan_check(scattered_plan_check_enabled, false);  // the parts' own check
  Doc whole(DocOptions{3, "", true});
  expect_parts_given_up(whole, testdata::make_edited_tombstone_update(3000, 1), 8);
  const UpdateBytes typed = tombstone_update(3000, true);
  const Scoped<size_t> parts_from(load_in_parts_from_bytes, 1);
  Doc typed_doc(DocOptions{3, "", true});
  const Scoped<size_t> typed_part_bytes(load_part_bytes, typed.size() / 8);
  ASSERT_TRUE(typed_doc.apply_update(typed));
  EXPECT_GT(frozen_tombstones(typed_doc), 1000u) << "typed text did not stay in parts";
  check_runs(typed_doc);
}

// split_update with stop_if_scattered (what apply_in_parts asks): random
// edits all over a long text stop the plan, in v1 and v2, with no parts;
// short sessions typed backwards at one place (one origin each) and two
// clients typing in turn (each struct's origin the other's last) give the
// parts they give without the flag.
TEST(TombstoneRuns, SplitStopsOnScatteredStates) {
  const std::pair<const char*, UpdateBytes> states[] = {
      {"scattered", testdata::make_edited_tombstone_update(3000, 1)},
      {"scattered, other seed", testdata::make_edited_tombstone_update(5000, 2)},
      {"sessions", testdata::make_sessions_tombstone_update(30000, 1)},
      {"alternating", tombstone_update(3000, true)},
  };
  for (const auto& [what, v1] : states) {
    SCOPED_TRACE(what);
    const bool scattered = std::string_view(what).starts_with("scattered");
    const Result<UpdateBytes> v2 = convert_update(v1, UpdateFormat::kV1, UpdateFormat::kV2);
    ASSERT_TRUE(v2.is_ok());
    for (const auto& [format, update] :
         {std::pair{UpdateFormat::kV1, &v1}, std::pair{UpdateFormat::kV2, &*v2}}) {
      SplitStats plain, asked;
      asked.stop_if_mostly_visible = asked.stop_if_scattered = true;
      auto whole = split_update(*update, format, 64, &plain, SplitOrder::kCausal);
      auto cut = split_update(*update, format, 64, &asked, SplitOrder::kCausal);
      ASSERT_TRUE(whole.is_ok() && cut.is_ok());
      EXPECT_FALSE(plain.stopped_scattered);
      EXPECT_EQ(asked.stopped_scattered, scattered);
      EXPECT_FALSE(asked.stopped_mostly_visible);
      if (scattered) {
        EXPECT_TRUE(cut->empty());
      } else {
        EXPECT_EQ(*cut, *whole);
      }
    }
  }
}

// Many clients whose origins lie in other clients' later clock bands (short
// sessions typing into each other's text), cut by clock bands (the causal
// split never leaves structs waiting): parts leave structs waiting for later
// ones, and every later part would apply them again. Past four parts' worth
// waiting, the state is loaded whole instead, nothing left pending.
TEST(TombstoneRuns, StatesWaitingOnLaterPartsLoadWhole) {
  const Scoped<bool> parts_only(list_order_load_enabled, false);  // these test the parts
  const Scoped<SplitOrder> bands(load_in_parts_order, SplitOrder::kClockBands);
  Doc doc(DocOptions{3, "", true});
  expect_parts_given_up(doc, testdata::make_sessions_tombstone_update(30000, 1), 64);
  EXPECT_FALSE(doc.has_pending());
  EXPECT_EQ(doc.get_text("text").length(), 1000u);
}

// The same states of short sessions, cut in causal order: they load part
// by part, their tombstones frozen, with the update's state.
TEST(TombstoneRuns, SessionStatesLoadInParts) {
  const Scoped<bool> parts_only(list_order_load_enabled, false);  // these test the parts
  for (uint64_t seed = 1; seed <= 3; seed++) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const UpdateBytes update = testdata::make_sessions_tombstone_update(30000, seed);
    const Scoped<size_t> parts_from(load_in_parts_from_bytes, 1);
    const Scoped<size_t> part_bytes(load_part_bytes, update.size() / 64);
    const uint64_t begun = loads_in_parts_begun.load();
    Doc doc(DocOptions{3, "", true});
    ASSERT_TRUE(doc.apply_update(update));
    EXPECT_EQ(loads_in_parts_begun.load(), begun + 1);
    EXPECT_GT(frozen_tombstones(doc), 25000u) << "the state was not loaded in parts";
    check_runs(doc);
    EXPECT_FALSE(doc.has_pending());
    EXPECT_EQ(doc.get_text("text").length(), 1000u);
    EXPECT_EQ(state_of(doc), update);
    Doc whole(DocOptions{3, "", true});
    {
      const Scoped<bool> general(load_fast_paths_enabled, false);
      ASSERT_TRUE(whole.apply_update(update));
    }
    EXPECT_EQ(state_of(doc, {}, UpdateFormat::kV2), state_of(whole, {}, UpdateFormat::kV2));
  }
}

// A load in parts whose later part fails (an item refers to a later clock
// of its own client: read per part, so after earlier parts were applied)
// leaves the document as it was: empty, its declared root still usable;
// the general path rejects the update too. A truncated update fails before
// any part; a part made to fail (load_in_parts_fail_at) does as the bad one.
TEST(TombstoneRuns, LoadInPartsFailureLeavesTheDocEmpty) {
  const Scoped<bool> parts_only(list_order_load_enabled, false);  // these test the parts
  const UpdateBytes good = tombstone_update(2000, true), bad = tombstone_update(2000, true, true);
  const UpdateBytes truncated(good.begin(), good.begin() + static_cast<ptrdiff_t>(good.size() / 2));
  Doc general(DocOptions{3, "", true});
  {
    const Scoped<bool> off(load_fast_paths_enabled, false);
    EXPECT_FALSE(Doc(DocOptions{3, "", true}).apply_update(bad)) << "the general path takes the bad update";
    ASSERT_TRUE(general.apply_update(good));
  }
  const Scoped<size_t> parts_from(load_in_parts_from_bytes, 1);
  const Scoped<size_t> part_bytes(load_part_bytes, good.size() / 5);
  for (const UpdateBytes* u : {&bad, &truncated}) {
    SCOPED_TRACE(u == &bad ? "bad reference in the last part" : "truncated");
    Doc d(DocOptions{3, "", true});
    TextRef t = d.get_text("t");
    const UpdateBytes empty = state_of(d);
    EXPECT_FALSE(d.apply_update(*u));
    EXPECT_EQ(state_of(d), empty);
    EXPECT_EQ(t.length(), 0u);
    EXPECT_EQ(frozen_tombstones(d), 0u);
    EXPECT_EQ(d.root_names(), std::vector<std::string>{"t"});
    ASSERT_TRUE(d.apply_update(good));
    EXPECT_GT(frozen_tombstones(d), 0u);
    check_runs(d);
    EXPECT_EQ(state_of(d), state_of(general));
    ASSERT_TRUE(t.insert(0, "y"));
    EXPECT_EQ(t.to_string(), "y");
  }  // A part failing on purpose (load_in_parts_fail_at): the first, a middle
  // one, the last.
  for (const size_t fail_at : {size_t{0}, size_t{2}, size_t{4}}) {
    SCOPED_TRACE("part " + std::to_string(fail_at) + " fails");
    Doc d(DocOptions{3, "", true});
    TextRef t = d.get_text("t");
    const UpdateBytes empty = state_of(d);
    {
      const Scoped<size_t> fail(load_in_parts_fail_at, fail_at);
      EXPECT_FALSE(d.apply_update(good));
    }
    EXPECT_EQ(state_of(d), empty);
    EXPECT_EQ(frozen_tombstones(d), 0u);
    EXPECT_FALSE(d.has_pending());
    ASSERT_TRUE(d.apply_update(good));
    EXPECT_EQ(state_of(d), state_of(general));
    check_runs(d);
    ASSERT_TRUE(t.insert(0, "y"));
    EXPECT_EQ(t.to_string(), "y");
  }
}

}  // namespace
}  // namespace weft::runs_testing
