#include "server/awareness_table.h"

#include <gtest/gtest.h>

#include "encoding/lib0.h"

namespace weft::server {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes update(std::initializer_list<std::tuple<uint64_t, uint64_t, std::string>> entries) {
  lib0::Encoder enc;
  enc.write_var_uint(entries.size());
  for (const auto& [client, clock, state] : entries) {
    enc.write_var_uint(client);
    enc.write_var_uint(clock);
    enc.write_var_string(state);
  }
  return enc.take();
}

TEST(AwarenessTable, MatchesTheCheckedBytes) {
  // yjs-compat.md 8.2: `01 01 01 16 {"user":{"name":"Bo"}}`.
  const Bytes bo = update({{1, 1, R"({"user":{"name":"Bo"}})"}});
  EXPECT_EQ(bo[0], 1);
  EXPECT_EQ(bo[3], 0x16);
  AwarenessTable t;
  auto a = t.apply(bo, 0);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->added, std::vector<uint64_t>{1});
  EXPECT_EQ(a->update, bo);
  EXPECT_EQ(t.encode_all(), bo);
  // Removal at the same clock: `01 01 02 04 null` with clock unchanged here.
  EXPECT_EQ(t.remove(std::vector<uint64_t>{1}), update({{1, 1, "null"}}));
  EXPECT_EQ(t.size(), 0u);
  EXPECT_TRUE(t.encode_all().empty());
}

TEST(AwarenessTable, ClockRules) {
  AwarenessTable t;
  ASSERT_TRUE(t.apply(update({{5, 3, "{\"a\":1}"}}), 0));
  // Older and equal clocks with a state are ignored.
  auto a = t.apply(update({{5, 2, "{\"a\":2}"}, {5, 3, "{\"a\":3}"}}), 0);
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->update.empty());
  // Newer clock updates.
  a = t.apply(update({{5, 4, "{\"a\":4}"}}), 0);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->updated, std::vector<uint64_t>{5});
  // Equal clock with null removes.
  a = t.apply(update({{5, 4, "null"}}), 0);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->removed, std::vector<uint64_t>{5});
  EXPECT_FALSE(t.has_state(5));
  // A second equal-clock null is not accepted (nothing to remove).
  a = t.apply(update({{5, 4, "null"}}), 0);
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->update.empty());
}

TEST(AwarenessTable, ExpiresOldStates) {
  AwarenessTable t;
  ASSERT_TRUE(t.apply(update({{1, 1, "{}"}}), 0));
  ASSERT_TRUE(t.apply(update({{2, 1, "{}"}}), 20000));
  EXPECT_EQ(t.expired(30000, 30000), std::vector<uint64_t>{1});
  EXPECT_TRUE(t.has_state(2));
  EXPECT_EQ(t.encode(std::vector<uint64_t>{1}), update({{1, 1, "null"}}));
}

TEST(AwarenessTable, MalformedChangesNothing) {
  AwarenessTable t;
  Bytes good = update({{1, 1, "{}"}, {2, 1, "{}"}});
  Bytes cut(good.begin(), good.end() - 1);
  EXPECT_FALSE(t.apply(cut, 0));
  EXPECT_EQ(t.size(), 0u);
  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_FALSE(t.apply(trailing, 0));
  EXPECT_FALSE(t.apply(Bytes{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, 0));
  EXPECT_EQ(t.size(), 0u);
}

}  // namespace
}  // namespace weft::server
