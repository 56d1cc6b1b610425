#include "encoding/lib0.h"

#include <gtest/gtest.h>

#include <cmath>

#include "encoding/rle.h"
#include "encoding/test_vectors.h"
#include "encoding/utf.h"

namespace weft {
namespace {

using testing::from_hex;
using testing::to_hex;

class Lib0Vectors : public ::testing::Test {
 protected:
  static std::vector<nlohmann::json> cases(const std::string& op) {
    std::vector<nlohmann::json> out;
    for (auto& c : testing::load_jsonl("lib0.jsonl")) {
      if (c["op"] == op) out.push_back(c);
    }
    EXPECT_FALSE(out.empty()) << op;
    return out;
  }
};

TEST_F(Lib0Vectors, VarUint) {
  for (auto& c : cases("varUint")) {
    uint64_t n = std::stoull(c["n"].get<std::string>());
    lib0::Encoder e;
    e.write_var_uint(n);
    EXPECT_EQ(to_hex(e.bytes()), c["hex"]) << n;
    auto b = from_hex(c["hex"]);
    lib0::Decoder d(b);
    EXPECT_EQ(d.read_var_uint(), n);
    EXPECT_TRUE(d.ok());
    EXPECT_FALSE(d.has_content());
  }
}

TEST_F(Lib0Vectors, VarInt) {
  for (auto& c : cases("varInt")) {
    std::string s = c["n"];
    lib0::VarInt v{s[0] == '-', std::stoull(s[0] == '-' ? s.substr(1) : s)};
    lib0::Encoder e;
    e.write_var_int(v);
    EXPECT_EQ(to_hex(e.bytes()), c["hex"]) << s;
    auto b = from_hex(c["hex"]);
    lib0::Decoder d(b);
    lib0::VarInt r = d.read_var_int();
    EXPECT_TRUE(d.ok());
    EXPECT_EQ(r.negative, v.negative) << s;
    EXPECT_EQ(r.magnitude, v.magnitude) << s;
  }
}

TEST_F(Lib0Vectors, VarString) {
  for (auto& c : cases("varString")) {
    std::u16string s = testing::units(c["s"]);
    lib0::Encoder e;
    e.write_var_string(std::u16string_view(s));
    EXPECT_EQ(to_hex(e.bytes()), c["hex"]);
    // The WTF-8 form of the same JS string must give the same bytes.
    lib0::Encoder e2;
    e2.write_var_string(std::string_view(utf16_to_wtf8(s)));
    EXPECT_EQ(to_hex(e2.bytes()), c["hex"]);
    auto b = from_hex(c["hex"]);
    lib0::Decoder d(b);
    std::u16string back = d.read_var_string_utf16();
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(utf16_to_utf8(back), utf16_to_utf8(s));  // lone surrogates come back as U+FFFD
  }
}

TEST_F(Lib0Vectors, Any) {
  for (auto& c : cases("any")) {
    Any v = testing::tagged(c["value"]);
    lib0::Encoder e;
    e.write_any(v);
    EXPECT_EQ(to_hex(e.bytes()), c["hex"]) << c["value"].dump();
    auto b = from_hex(c["hex"]);
    lib0::Decoder d(b);
    Any back = d.read_any();
    ASSERT_TRUE(d.ok()) << d.status().to_string();
    EXPECT_FALSE(d.has_content());
    lib0::Encoder e2;
    e2.write_any(back);
    EXPECT_EQ(to_hex(e2.bytes()), c["hex"]);
  }
}

TEST_F(Lib0Vectors, Columns) {
  for (auto& c : cases("uint_opt_rle")) {
    lib0::UintOptRleEncoder e;
    std::vector<uint64_t> vals;
    for (auto& v : c["values"]) vals.push_back(std::stoull(v.get<std::string>()));
    for (auto v : vals) e.write(v);
    auto bytes = e.finish();
    EXPECT_EQ(to_hex(bytes), c["hex"]);
    lib0::UintOptRleDecoder d(bytes);
    for (auto v : vals) EXPECT_EQ(d.read(), v);
    EXPECT_TRUE(d.status().is_ok());
  }
  for (auto& c : cases("int_diff_opt_rle")) {
    lib0::IntDiffOptRleEncoder e;
    std::vector<uint64_t> vals;
    for (auto& v : c["values"]) vals.push_back(std::stoull(v.get<std::string>()));
    for (auto v : vals) e.write(static_cast<int64_t>(v));
    auto bytes = e.finish();
    EXPECT_EQ(to_hex(bytes), c["hex"]);
    lib0::IntDiffOptRleDecoder d(bytes);
    for (auto v : vals) EXPECT_EQ(d.read(), v);
    EXPECT_TRUE(d.status().is_ok());
  }
  for (auto& c : cases("rle_u8")) {
    lib0::RleU8Encoder e;
    std::vector<uint8_t> vals;
    for (auto& v : c["values"]) vals.push_back(static_cast<uint8_t>(std::stoul(v.get<std::string>())));
    for (auto v : vals) e.write(v);
    auto bytes = e.finish();
    EXPECT_EQ(to_hex(bytes), c["hex"]);
    lib0::RleU8Decoder d(bytes);
    for (auto v : vals) EXPECT_EQ(d.read(), v);
    EXPECT_TRUE(d.status().is_ok());
  }
  for (auto& c : cases("string_column")) {
    lib0::StringColumnEncoder e;
    std::vector<std::u16string> vals;
    for (auto& v : c["values"]) vals.push_back(testing::units(v));
    for (auto& v : vals) e.write(v);
    auto bytes = e.finish();
    EXPECT_EQ(to_hex(bytes), c["hex"]);
    lib0::StringColumnDecoder d(bytes);
    std::u16string all, got;
    for (auto& v : vals) {
      all += v;
      got += d.read();
    }
    EXPECT_TRUE(d.status().is_ok());
    EXPECT_EQ(utf16_to_utf8(got), utf16_to_utf8(all));
  }
}

// The ASCII blocks of 8 units in utf16_as_utf8_length / write_utf16_as_utf8
// must give what the unit-by-unit conversion gives, whatever the offset of
// non-ASCII units, surrogate pairs (also split across a block edge) and lone
// surrogates.
TEST(Lib0, Utf16ToUtf8AsciiBlocks) {
  const std::u16string pieces[] = {u"a",
                                   u"\u00e9",
                                   u"\u4e2d",
                                   u"\U0001F600",
                                   std::u16string(1, char16_t{0xD800}),
                                   std::u16string(1, char16_t{0xDC00})};
  uint64_t seed = 7;
  for (int round = 0; round < 2000; round++) {
    std::u16string s;
    std::string expected;
    const int n = static_cast<int>(seed % 40);
    for (int k = 0; k < n; k++) {
      seed = seed * 6364136223846793005ull + 1442695040888963407ull;
      const int pick = static_cast<int>((seed >> 33) % 12);
      const std::u16string& piece = pieces[pick < 7 ? 0 : pick - 6];
      s += piece;
    }
    for (size_t i = 0; i < s.size(); i++) {  // reference: one unit (or pair) at a time
      const char16_t c = s[i];
      if (c >= 0xD800 && c <= 0xDBFF && i + 1 < s.size() && s[i + 1] >= 0xDC00 && s[i + 1] <= 0xDFFF) {
        expected += utf16_to_utf8(s.substr(i, 2));
        i++;
      } else {
        expected += utf16_to_utf8(std::u16string(1, c));
      }
    }
    std::string got;
    append_utf16_as_utf8(s, got);
    ASSERT_EQ(got, expected) << "round " << round << " seed " << seed;
    ASSERT_EQ(utf16_as_utf8_length(s), expected.size()) << "round " << round;
  }
}

TEST(Lib0, VarUintLimits) {
  std::vector<uint8_t> max = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f};  // 2^53-1
  lib0::Decoder d(max);
  EXPECT_EQ(d.read_var_uint(), lib0::kMaxSafeInteger);
  EXPECT_TRUE(d.ok());
  std::vector<uint8_t> over = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10};  // 2^53
  lib0::Decoder d2(over);
  d2.read_var_uint();
  EXPECT_EQ(d2.status().code(), ErrorCode::kOutOfRange);
  std::vector<uint8_t> long_zero = {0x80, 0x80, 0x00};  // non-minimal 0 is accepted
  lib0::Decoder d3(long_zero);
  EXPECT_EQ(d3.read_var_uint(), 0u);
  EXPECT_TRUE(d3.ok());
  std::vector<uint8_t> eleven(11, 0x80);
  eleven.back() = 0;
  lib0::Decoder d4(eleven);
  d4.read_var_uint();
  EXPECT_FALSE(d4.ok());
  std::vector<uint8_t> trunc = {0x80};
  lib0::Decoder d5(trunc);
  d5.read_var_uint();
  EXPECT_EQ(d5.status().code(), ErrorCode::kTruncated);
}

TEST(Lib0, StickyErrors) {
  std::vector<uint8_t> b = {0x05, 0x61};
  lib0::Decoder d(b);
  d.read_var_string();  // length 5, only one byte
  EXPECT_EQ(d.status().code(), ErrorCode::kTruncated);
  EXPECT_EQ(d.read_u8(), 0);
  EXPECT_EQ(d.read_var_uint(), 0u);
  EXPECT_EQ(d.status().code(), ErrorCode::kTruncated);
}

TEST(Lib0, BadUtf8) {
  for (std::vector<uint8_t> b : std::vector<std::vector<uint8_t>>{{0x01, 0x80},
                                                                  {0x02, 0xc0, 0x80},
                                                                  {0x03, 0xed, 0xa0, 0x80},
                                                                  {0x04, 0xf4, 0x90, 0x80, 0x80},
                                                                  {0x02, 0xe2, 0x82}}) {
    lib0::Decoder d(b);
    d.read_var_string();
    EXPECT_EQ(d.status().code(), ErrorCode::kMalformed) << to_hex(b);
  }
  std::vector<uint8_t> bom = {0x03, 0xef, 0xbb, 0xbf};
  lib0::Decoder d(bom);
  EXPECT_EQ(d.read_var_string_utf16(), u"\uFEFF");  // the BOM is kept
}

TEST(Lib0, AnyErrors) {
  for (uint8_t tag : {0, 1, 100, 115, 128, 255}) {
    std::vector<uint8_t> b = {tag};
    lib0::Decoder d(b);
    d.read_any();
    EXPECT_EQ(d.status().code(), ErrorCode::kMalformed) << int(tag);
  }
  // A huge count with no data behind it fails cleanly without allocating.
  std::vector<uint8_t> huge = {117, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, 126};
  lib0::Decoder d(huge);
  d.read_any();
  EXPECT_EQ(d.status().code(), ErrorCode::kTruncated);
  std::vector<uint8_t> deep(1000, 117);
  lib0::Decoder d2(deep);
  d2.read_any();
  EXPECT_FALSE(d2.ok());
  std::vector<uint8_t> nested;
  for (int i = 0; i < 100; i++) nested.insert(nested.end(), {117, 1});
  nested.push_back(126);
  lib0::Decoder d3(nested);
  d3.read_any();
  EXPECT_TRUE(d3.ok());
}

TEST(Lib0, AnyNumbers) {
  auto enc = [](Any v) {
    lib0::Encoder e;
    e.write_any(v);
    return to_hex(e.bytes());
  };
  EXPECT_EQ(enc(Any(-0.0)), "7d40");
  EXPECT_EQ(enc(Any(2147483648.0)), "7c4f000000");
  EXPECT_EQ(enc(Any(std::nan(""))), "7b7ff8000000000000");
  EXPECT_EQ(enc(Any(-std::nan(""))), "7b7ff8000000000000");
  EXPECT_EQ(enc(Any(HUGE_VAL)), "7c7f800000");
  // Tag 125 may carry more than 31 bits on read.
  std::vector<uint8_t> b = {125, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f};
  lib0::Decoder d(b);
  Any v = d.read_any();
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(v.as_number(), -9007199254740991.0);
  // __proto__ never becomes an own key (JS assigns the prototype instead).
  std::vector<uint8_t> proto = {118, 2,   9,   '_', '_', 'p', 'r', 'o', 't',
                                'o', '_', '_', 125, 1,   1,   'a', 125, 2};
  lib0::Decoder d2(proto);
  Any o = d2.read_any();
  ASSERT_TRUE(d2.ok());
  EXPECT_EQ(o.as_object().size(), 1u);
}

}  // namespace
}  // namespace weft
