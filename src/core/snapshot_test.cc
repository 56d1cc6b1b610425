#include "weft/snapshot.h"

#include <gtest/gtest.h>

#include "weft/doc.h"

namespace weft {
namespace {

TEST(Snapshot, EncodesAsYjs) {
  // yjs-compat.md 5.4: client 300, "abc" with "b" deleted.
  Doc doc(300, /*gc=*/false);
  TextRef t = doc.get_text("t");
  ASSERT_TRUE(t.insert(0, std::string_view("abc")));
  ASSERT_TRUE(t.remove_range(1, 1));
  std::vector<uint8_t> expected = {0x01, 0xac, 0x02, 0x01, 0x01, 0x01, 0x01, 0xac, 0x02, 0x03};
  EXPECT_EQ(encode_snapshot(snapshot(doc)), expected);
  auto decoded = decode_snapshot(expected);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, snapshot(doc));
  EXPECT_TRUE(is_visible_in(*decoded, 300, 0));
  EXPECT_FALSE(is_visible_in(*decoded, 300, 1));
  EXPECT_FALSE(is_visible_in(*decoded, 300, 3));
}

TEST(Snapshot, RestoresPastVersion) {
  Doc doc(7, /*gc=*/false);
  TextRef t = doc.get_text("t");
  MapRef m = doc.get_map("m");
  ASSERT_TRUE(t.insert(0, std::string_view("hello world")));
  m.set("k", Any(1));
  Snapshot v1 = snapshot(doc);
  ASSERT_TRUE(t.remove_range(0, 6));
  ASSERT_TRUE(t.insert(5, std::string_view("!")));
  m.set("k", Any(2));
  auto past = restore_snapshot(doc, v1);
  ASSERT_TRUE(past);
  EXPECT_EQ((*past)->get_text("t").to_string(), "hello world");
  EXPECT_EQ((*past)->get_map("m").get("k")->any(), Any(1));
  EXPECT_EQ(doc.get_text("t").to_string(), "world!");
}

TEST(Snapshot, RestoreNeedsGcOff) {
  Doc doc(7);
  EXPECT_FALSE(restore_snapshot(doc, snapshot(doc)));
}

}  // namespace
}  // namespace weft
