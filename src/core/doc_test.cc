#include "weft/doc.h"

#include <gtest/gtest.h>

#include "core/branch.h"

namespace weft {
namespace {

std::string hex(const std::vector<uint8_t>& b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < b.size(); i++) {
    if (i) s += ' ';
    s += d[b[i] >> 4];
    s += d[b[i] & 15];
  }
  return s;
}

// A struct of length 0 (yjs never writes one) is refused and changes
// nothing. Several at one clock once left a client's blocks ambiguous by
// clock: a collected type's child was replaced in the wrong slot and freed
// while still listed (found by fuzz_sync_message).
TEST(Doc, StructsOfLengthZeroAreRefused) {
  Doc doc(DocOptions{.client_id = 1, .guid = {}, .gc = true});
  ASSERT_TRUE(doc.get_text("t").insert(0, std::string_view("héllo")).is_ok());
  const UpdateBytes before = *doc.encode_state_as_update();
  // client 9, clock 0: Any[] (no values) into root "t"; a GC of length 0.
  const std::vector<std::vector<uint8_t>> updates = {{1, 1, 9, 0, 8, 1, 1, 't', 0, 0}, {1, 1, 9, 0, 0, 0, 0}};
  for (const auto& update : updates) {
    const Status st = doc.apply_update(update);
    EXPECT_FALSE(st.is_ok());
    EXPECT_NE(st.message().find("length 0"), std::string::npos) << st.message();
    EXPECT_EQ(*doc.encode_state_as_update(), before);
  }
}

TEST(Doc, TextInsertEncodesAsYjs) {
  Doc doc(1);
  ASSERT_TRUE(doc.get_text("t").insert(0, std::string_view("ab")));
  auto update = doc.encode_state_as_update();
  ASSERT_TRUE(update);
  // yjs-compat.md 3.8
  EXPECT_EQ(hex(*update), "01 01 01 00 04 01 01 74 02 61 62 00");
}

// to_string converts item by item; lone surrogates at item edges that pair
// up across the boundary must read as the one character the UTF-16 text holds.
TEST(Doc, TextToStringJoinsSurrogatesAcrossItems) {
  const std::u16string high_then_b{u'a', char16_t{0xD83D}};
  const std::u16string low_then_b{char16_t{0xDE00}, u'b'};
  // Inserting in front makes a second item (no typing extension).
  Doc b(2);
  ASSERT_TRUE(b.get_text("t").insert(0, std::u16string_view(low_then_b)));
  ASSERT_TRUE(b.get_text("t").insert(0, std::u16string_view(high_then_b)));
  EXPECT_EQ(b.get_text("t").to_u16string(), high_then_b + low_then_b);
  EXPECT_EQ(b.get_text("t").to_string(), std::string("a\xF0\x9F\x98\x80") + "b");  // U+1F600
  // A lone surrogate inside an item reads as U+FFFD, as the whole-text conversion does.
  Doc c(3);
  ASSERT_TRUE(c.get_text("t").insert(0, std::u16string_view(std::u16string{u'x', char16_t{0xDE00}, u'y'})));
  EXPECT_EQ(c.get_text("t").to_string(), std::string("x\xEF\xBF\xBD") + "y");
}

TEST(Doc, MapOverwriteEncodesAsYjs) {
  Doc doc(2);
  MapRef m = doc.get_map("m");
  m.set("k", Any(1));
  m.set("k", Any("x"));
  auto update = doc.encode_state_as_update();
  ASSERT_TRUE(update);
  EXPECT_EQ(hex(*update), "01 02 02 00 21 01 01 6d 01 6b 01 a8 02 00 01 77 01 78 01 02 01 00 01");
}

TEST(Doc, FormatEncodesAsYjs) {
  Doc doc(7);
  TextRef t = doc.get_text("t");
  ASSERT_TRUE(t.insert(0, std::string_view("hello")));
  ASSERT_TRUE(t.format(1, 2, {{"bold", Any(true)}}));
  auto update = doc.encode_state_as_update();
  ASSERT_TRUE(update);
  EXPECT_EQ(hex(*update),
            "01 05 07 00 04 01 01 74 01 68 84 07 00 02 65 6c 84 07 02 02 6c 6f "
            "c6 07 00 07 01 04 62 6f 6c 64 04 74 72 75 65 c6 07 02 07 03 04 62 6f 6c 64 04 6e 75 6c 6c 00");
}

TEST(Doc, XmlEncodesAsYjs) {
  Doc doc(9);
  auto f = doc.get_xml_fragment("f");
  auto p = f.insert_element(0, "p");
  ASSERT_TRUE(p);
  p->set_attribute("class", Any("c"));
  auto text = p->insert_text(0);
  ASSERT_TRUE(text);
  ASSERT_TRUE(text->insert(0, std::string_view("hi")));
  auto update = doc.encode_state_as_update();
  ASSERT_TRUE(update);
  EXPECT_EQ(hex(*update),
            "01 04 09 00 07 01 01 66 03 01 70 28 00 09 00 05 63 6c 61 73 73 01 77 01 63 "
            "07 00 09 00 06 04 00 09 02 02 68 69 00");
  EXPECT_EQ(f.to_string(), "<p class=\"c\">hi</p>");
}

TEST(Doc, ApplyRoundTripAndConcurrentInsertOrder) {
  Doc a(1);
  Doc b(2);
  ASSERT_TRUE(a.get_text("t").insert(0, std::string_view("A")));
  ASSERT_TRUE(b.get_text("t").insert(0, std::string_view("B")));
  auto ua = a.encode_state_as_update();
  auto ub = b.encode_state_as_update();
  ASSERT_TRUE(a.apply_update(*ub));
  ASSERT_TRUE(b.apply_update(*ua));
  EXPECT_EQ(a.get_text("t").to_string(), "AB");
  EXPECT_EQ(b.get_text("t").to_string(), "AB");
  EXPECT_EQ(*a.encode_state_as_update(), *b.encode_state_as_update());
}

TEST(Doc, OutOfOrderUpdatesWaitAsPending) {
  Doc a(1);
  std::vector<std::vector<uint8_t>> updates;
  a.on_update([&](const UpdateBytes& u, const Transaction&) { updates.push_back(u); });
  TextRef t = a.get_text("t");
  ASSERT_TRUE(t.insert(0, std::string_view("ab")));
  ASSERT_TRUE(t.insert(2, std::string_view("cd")));
  ASSERT_TRUE(t.remove_range(1, 2));
  ASSERT_EQ(updates.size(), 3u);
  Doc b(5);
  ASSERT_TRUE(b.apply_update(updates[2]));
  ASSERT_TRUE(b.apply_update(updates[1]));
  EXPECT_TRUE(b.has_pending());
  ASSERT_TRUE(b.apply_update(updates[0]));
  EXPECT_FALSE(b.has_pending());
  EXPECT_EQ(b.get_text("t").to_string(), "ad");
  EXPECT_EQ(*a.encode_state_as_update(), *b.encode_state_as_update());
}

TEST(Doc, MalformedUpdateChangesNothing) {
  Doc a(1);
  ASSERT_TRUE(a.get_text("t").insert(0, std::string_view("ab")));
  auto before = *a.encode_state_as_update();
  std::vector<uint8_t> bad = {0x01, 0x01, 0x01, 0x00, 0x04, 0x01, 0x01, 0x74, 0x09};
  EXPECT_FALSE(a.apply_update(bad));
  EXPECT_EQ(*a.encode_state_as_update(), before);
}

}  // namespace
}  // namespace weft
