// MapRef::size(): live keys only. Its cost is measured in bench/ (the map
// workloads read it after loading), not asserted with a timer here.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace weft
