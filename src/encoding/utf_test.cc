#include "encoding/utf.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace weft {
namespace {

// The pieces a random UTF-8 string is made of: ASCII, 2-, 3- and 4-byte
// characters (é, 中, 😀 as a surrogate pair in UTF-16), with their UTF-16.
struct Piece {
  std::string utf8;
  std::u16string utf16;
};
const Piece kPieces[] = {{"a", u"a"},
                         {"Z", u"Z"},
                         {"\t", u"\t"},
                         {"\xC3\xA9", u"\u00E9"},
                         {"\xE4\xB8\xAD", u"\u4E2D"},
                         {"\xF0\x9F\x98\x80", u"\U0001F600"}};
// Byte sequences TextDecoder({fatal: true}) rejects.
const char* const kInvalid[] = {"\x80",     "\xC3",         "\xE4\xB8",     "\xF0\x9F\x98",
                                "\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80",
                                "\xFF"};

// Random strings with ASCII runs of every length around the 16-byte blocks
// the ASCII path widens at once, between other characters.
TEST(Utf8ToUtf16, MatchesPieceByPieceConversion) {
  const uint32_t seed = 20261126;
  std::mt19937 rng(seed);
  for (int round = 0; round < 2000; round++) {
    std::string utf8;
    std::u16string expected;
    const int pieces = static_cast<int>(rng() % 12);
    for (int p = 0; p < pieces; p++) {
      if (rng() % 2 == 0) {
        const size_t run = rng() % 40;
        for (size_t k = 0; k < run; k++) {
          const char c = static_cast<char>('!' + rng() % 90);
          utf8 += c;
          expected += static_cast<char16_t>(c);
        }
      } else {
        const Piece& piece = kPieces[rng() % std::size(kPieces)];
        utf8 += piece.utf8;
        expected += piece.utf16;
      }
    }
    auto got = utf8_to_utf16(utf8);
    ASSERT_TRUE(got.has_value()) << "seed " << seed << " round " << round;
    EXPECT_EQ(*got, expected) << "seed " << seed << " round " << round;
    EXPECT_EQ(utf16_to_utf8(*got), utf8) << "seed " << seed << " round " << round;
    // The same text with an invalid sequence anywhere (inside a character
    // too: its other bytes are then stray) is refused.
    std::string bad = utf8;
    bad.insert(rng() % (utf8.size() + 1), kInvalid[rng() % std::size(kInvalid)]);
    EXPECT_FALSE(utf8_to_utf16(bad).has_value()) << "seed " << seed << " round " << round;
  }
}

TEST(Utf8ToUtf16, EdgeCases) {
  EXPECT_EQ(utf8_to_utf16(""), std::u16string());
  EXPECT_EQ(utf8_to_utf16(std::string(100, 'x')), std::u16string(100, u'x'));
  EXPECT_EQ(utf8_to_utf16("\xF4\x8F\xBF\xBF"), std::u16string(u"\U0010FFFF"));
  EXPECT_EQ(utf8_to_utf16(std::string(31, 'x') + "\xF0\x9F\x98\x80"),
            std::u16string(31, u'x') + u"\U0001F600");
  EXPECT_FALSE(utf8_to_utf16(std::string(17, 'x') + "\xF0\x9F").has_value());
}

}  // namespace
}  // namespace weft
