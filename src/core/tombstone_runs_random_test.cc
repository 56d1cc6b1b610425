// Tombstone runs, differential over random sessions: A (frozen) and B
// (never frozen) built from the same delete-heavy history, then the same
// random operations on both (tombstone_runs_test_gen.h), compared after every
// step (tombstone_runs_test_util.h); in the end A thaws every run and must
// still equal B. Seeds vary gc, position indexes, deep observers and freezing
// after every transaction.
// WEFT_RUNS_SEEDS sets the seed count (default 60; a failing seed prints how
// to rerun up to it).
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "core/branch.h"
#include "core/tombstone_runs.h"
#include "core/tombstone_runs_test_gen.h"
#include "core/tombstone_runs_test_util.h"
#include "weft/doc.h"
#include "weft/update.h"

namespace weft::runs_testing {
namespace {

// A frozen after a delete-heavy history, then the same random operations
// on A and B. False when they diverged.
bool run_differential(uint64_t seed) {
  const bool gc = seed % 4 != 3;
  // Every third seed with position indexes on lists of a few items already
  // (seq_index.h), so runs forming and thawing go through them.
  const bool indexed = seed % 3 == 1;
  const Scoped<size_t> index_after(Branch::index_after_steps, indexed ? 3 : 128);
  // Every fifth seed freezes A after each of its transactions too
  // (freeze_runs_after_transactions): every edit and update meets runs.
  const bool freeze_after = seed % 5 == 2;
  SCOPED_TRACE(seed_trace("differential", seed, gc, indexed) +
               (freeze_after ? " freeze after transactions" : ""));
  History ha, hb;
  build_history(seed, gc, ha);
  if (testing::Test::HasFatalFailure()) return false;
  build_history(seed, gc, hb);
  if (testing::Test::HasFatalFailure()) return false;
  Twin a(std::move(ha.peers[0]), seed % 2 == 1);
  Twin b(std::move(hb.peers[0]), seed % 2 == 1);
  if (state_of(*a.doc) != state_of(*b.doc)) {
    ADD_FAILURE() << "the two builds of the history differ";
    return false;
  }
  EXPECT_EQ(frozen_tombstones(*b.doc), 0u) << "the reference froze";
  const size_t n = freeze(*a.doc);
  const Bounds bounds = freezable_bounds(*b.doc);
  if (gc) {
    EXPECT_GT(n, 0u) << "a delete-heavy history froze nothing";
  } else {
    EXPECT_EQ(n, 0u) << "gc off keeps deleted content: nothing is freezable";
  }
  EXPECT_LE(n, bounds.upper) << "froze more than the freezable stretches hold";
  EXPECT_GE(n, bounds.lower) << "left freezable stretches unfrozen (" << bounds.upper
                             << " items in stretches)";
  int failed_before = failures();
  expect_same(a, b, {});
  if (failures() != failed_before) return false;
  Gen g(seed * 31 + 5);
  Session s{a, b, g, gc, {hb.peers[1].get(), hb.peers[2].get()}, hb.old_states, {}};
  s.freeze_after = freeze_after;
  add_old_state_vectors(s);
  if (!run_steps(s, 120)) return false;
  failed_before = failures();
  check_runs(*a.doc);
  thaw_all(*a.doc);
  expect_same(a, b, s.old_svs);
  if (failures() != failed_before) {
    ADD_FAILURE() << "thawing every run changed the state";
    return false;
  }
  return true;
}

TEST(TombstoneRuns, RandomDifferential) {
  const uint64_t seeds = env_count("WEFT_RUNS_SEEDS", 60);
  for (uint64_t seed = 0; seed < seeds; seed++) {
    if (!run_differential(seed)) break;  // the first seed where A and B diverged
  }
}

}  // namespace
}  // namespace weft::runs_testing
