#include "server/http_params.h"

#include <gtest/gtest.h>

namespace weft::server {
namespace {

using Bytes = std::vector<uint8_t>;

TEST(HttpParams, HexAndBase64) {
  EXPECT_EQ(*decode_binary_param("0101ff"), (Bytes{1, 1, 0xff}));
  EXPECT_EQ(*decode_binary_param(""), Bytes{});
  EXPECT_EQ(*decode_binary_param("AQH/"), (Bytes{1, 1, 0xff}));
  EXPECT_EQ(*decode_binary_param("AQH_"), (Bytes{1, 1, 0xff}));
  EXPECT_EQ(*decode_binary_param("AA=="), (Bytes{0}));
  EXPECT_EQ(*decode_binary_param("AA"), (Bytes{0xaa}));  // hex wins when both read it
  EXPECT_EQ(*decode_binary_param("+/8="), (Bytes{0xfb, 0xff}));
  EXPECT_EQ(*decode_binary_param(" /8="), (Bytes{0xfb, 0xff}));  // '+' decoded to a space
  EXPECT_FALSE(decode_binary_param("A"));
  EXPECT_FALSE(decode_binary_param("!!"));
}

TEST(HttpParams, TypeSpec) {
  auto t = parse_type_param("m:map,t:text,a:array,x:xml");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->size(), 4u);
  EXPECT_EQ(t->at("m"), TypeRef::kMap);
  EXPECT_EQ(t->at("x"), TypeRef::kXmlFragment);
  auto colon = parse_type_param("a:b:text");
  ASSERT_TRUE(colon);
  EXPECT_EQ(colon->at("a:b"), TypeRef::kText);
  EXPECT_FALSE(parse_type_param("m:set"));
  EXPECT_FALSE(parse_type_param("m"));
}

}  // namespace
}  // namespace weft::server
