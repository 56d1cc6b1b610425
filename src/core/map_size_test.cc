// MapRef::size(): live keys only, and cheap enough to call in a loop.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "weft/doc.h"
#include "weft/types.h"

namespace weft {
namespace {

TEST(MapSize, CountsLiveKeysOnly) {
  Doc doc(1);
  MapRef m = doc.get_map("m");
  EXPECT_EQ(m.size(), 0u);
  m.set("a", Any(1));
  m.set("b", Any(2));
  m.set("a", Any(3));  // overwrite: still one key
  EXPECT_EQ(m.size(), 2u);
  m.remove("b");
  EXPECT_EQ(m.size(), 1u);
  m.set("b", Any(4));  // set again after delete
  EXPECT_EQ(m.size(), 2u);

  // A peer that learns the same history agrees, including a remote delete.
  Doc peer(2);
  ASSERT_TRUE(peer.apply_update(*doc.encode_state_as_update()).is_ok());
  EXPECT_EQ(peer.get_map("m").size(), 2u);
  m.remove("a");
  ASSERT_TRUE(peer.apply_update(*doc.encode_state_as_update(peer.encode_state_vector())).is_ok());
  EXPECT_EQ(peer.get_map("m").size(), 1u);
  EXPECT_EQ(m.size(), 1u);
}

// size() once per set on a 5,000-key map: 25M entry visits when size() walks
// the entries (well under a second, even under ASan); the old sorted copy of
// every key took several seconds.
TEST(MapSize, LoopOverSizeStaysLinearPerCall) {
  Doc doc(1);
  MapRef m = doc.get_map("m");
  constexpr uint64_t kKeys = 5000;
  doc.transact([&](Transaction&) {
    for (uint64_t i = 0; i < kKeys; ++i) m.set("key" + std::to_string(i), Any(static_cast<int64_t>(i)));
  });
  const auto t0 = std::chrono::steady_clock::now();
  uint64_t total = 0;
  for (uint64_t i = 0; i < kKeys; ++i) total += m.size();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(total, kKeys * kKeys);
  EXPECT_LT(seconds, 2.0) << kKeys << " calls of size() on a " << kKeys << "-key map took " << seconds
                          << " s";
}

}  // namespace
}  // namespace weft
