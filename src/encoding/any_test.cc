#include "weft/any.h"

#include <gtest/gtest.h>

#include <cmath>

#include "encoding/lib0.h"

namespace weft {
namespace {

std::vector<std::string> keys(const Any& a) {
  std::vector<std::string> out;
  for (auto& [k, v] : a.as_object()) out.push_back(k);
  return out;
}

TEST(Any, ObjectKeyOrder) {
  Any o = Any::object({{"b", 1}, {"1", 2}, {"a", 3}});
  EXPECT_EQ(keys(o), (std::vector<std::string>{"1", "b", "a"}));
  Any p = Any::object(
      {{"10", 1}, {"2", 2}, {"02", 3}, {"-1", 4}, {"4294967295", 5}, {"4294967294", 6}, {"0", 7}});
  EXPECT_EQ(keys(p), (std::vector<std::string>{"0", "2", "10", "4294967294", "02", "-1", "4294967295"}));
  lib0::Encoder e;
  e.write_any(o);
  // {b:1,"1":2,a:3} encodes keys "1","b","a" (yjs-compat 1.5).
  EXPECT_EQ(e.bytes(), (std::vector<uint8_t>{118, 3, 1, '1', 125, 2, 1, 'b', 125, 1, 1, 'a', 125, 3}));
}

TEST(Any, DuplicateKeys) {
  Any o = Any::object({{"a", 1}, {"b", 2}, {"a", 3}});
  EXPECT_EQ(keys(o), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(o.get("a")->as_number(), 3);
  AnyObject many;
  for (int i = 0; i < 40; i++) many.emplace_back("k" + std::to_string(i % 20), i);
  Any m = Any::object(many);
  EXPECT_EQ(m.as_object().size(), 20u);
  EXPECT_EQ(m.get("k3")->as_number(), 23);
  EXPECT_EQ(m.as_object()[3].first, "k3");
}

TEST(Any, ArrayIndexKey) {
  EXPECT_TRUE(is_array_index_key("0"));
  EXPECT_TRUE(is_array_index_key("4294967294"));
  EXPECT_FALSE(is_array_index_key("4294967295"));
  EXPECT_FALSE(is_array_index_key("01"));
  EXPECT_FALSE(is_array_index_key(""));
  EXPECT_FALSE(is_array_index_key("1a"));
  EXPECT_FALSE(is_array_index_key("99999999999"));
}

TEST(Any, Equality) {
  EXPECT_EQ(Any(std::nan("")), Any(std::nan("")));
  EXPECT_NE(Any(0.0), Any(-0.0));
  EXPECT_NE(Any(1), Any(Any::BigInt{1}));
  EXPECT_NE(Any::null(), Any::undefined());
  EXPECT_EQ(Any::object({{"a", 1}, {"b", AnyArray{1, "x"}}}),
            Any::object({{"b", AnyArray{1, "x"}}, {"a", 1}}));
  EXPECT_NE(Any::object({{"a", 1}}), Any::object({{"a", 1}, {"b", 1}}));
  EXPECT_EQ(Any(Bytes{1, 2}), Any(Bytes{1, 2}));
  EXPECT_NE(Any(Bytes{1, 2}), Any(AnyArray{1, 2}));
}

TEST(Status, Names) {
  EXPECT_EQ(Status(ErrorCode::kMalformed, "unknown content ref 12").to_string(),
            "malformed: unknown content ref 12");
  EXPECT_EQ(Status().to_string(), "ok");
  EXPECT_STREQ(error_code_name(ErrorCode::kTruncated), "truncated");
}

}  // namespace
}  // namespace weft
