#include "encoding/json.h"

#include <gtest/gtest.h>

#include <cmath>

#include "encoding/test_vectors.h"

namespace weft {
namespace {

TEST(Json, Vectors) {
  int n = 0;
  for (auto& c : testing::load_jsonl("lib0.jsonl")) {
    if (c["op"] == "json") {
      Any v = testing::tagged(c["value"]);
      std::string text = c["text"];
      EXPECT_EQ(json_stringify(v), text) << c["value"].dump();
      n++;
    } else if (c["op"] == "json_parse") {
      Result<Any> v = json_parse(c["text"].get<std::string>());
      ASSERT_TRUE(v) << v.status().to_string();
      Any want = testing::tagged(c["value"]);
      EXPECT_EQ(*v, want) << c["text"];
      // Same key order as JS too.
      EXPECT_EQ(json_stringify(*v), json_stringify(want));
      n++;
    }
  }
  EXPECT_GT(n, 30);
}

TEST(Json, NumberToString) {
  EXPECT_EQ(js_number_to_string(1e21), "1e+21");
  EXPECT_EQ(js_number_to_string(1e20), "100000000000000000000");
  EXPECT_EQ(js_number_to_string(1.5e-7), "1.5e-7");
  EXPECT_EQ(js_number_to_string(1e-7), "1e-7");
  EXPECT_EQ(js_number_to_string(1e-6), "0.000001");
  EXPECT_EQ(js_number_to_string(5e-324), "5e-324");
  EXPECT_EQ(js_number_to_string(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(js_number_to_string(-0.0), "0");
  EXPECT_EQ(js_number_to_string(123456789012345680000.0), "123456789012345680000");
  EXPECT_EQ(js_number_to_string(-1.5), "-1.5");
  EXPECT_EQ(js_number_to_string(1.7976931348623157e308), "1.7976931348623157e+308");
  EXPECT_EQ(js_number_to_string(std::nan("")), "NaN");
}

TEST(Json, RoundTripParse) {
  for (auto& c : testing::load_jsonl("lib0.jsonl")) {
    if (c["op"] != "json") continue;
    std::string text = c["text"];
    if (text == "undefined") continue;
    Result<Any> v = json_parse(text);
    ASSERT_TRUE(v) << text << " " << v.status().to_string();
    EXPECT_EQ(json_stringify(*v), text);
  }
}

TEST(Json, ParseErrors) {
  for (const char* bad : {"", "{", "[1,]", "{\"a\":}", "01", "1.", ".5", "+1", "\"\\x\"", "\"a", "tru",
                          "[1] x", "{\"a\" 1}", "\"\t\"", "\"\\u12\"", "NaN", "undefined "}) {
    EXPECT_FALSE(json_parse(bad)) << bad;
  }
  std::string deep(10000, '[');
  EXPECT_FALSE(json_parse(deep));
  EXPECT_TRUE(json_parse("undefined")->is_undefined());
}

TEST(Json, LoneSurrogates) {
  Result<Any> v = json_parse("\"a\\ud800b\\udc00\\ud83d\\ude00\"");
  ASSERT_TRUE(v);
  EXPECT_EQ(json_stringify(*v), "\"a\\ud800b\\udc00\xf0\x9f\x98\x80\"");
}

}  // namespace
}  // namespace weft
