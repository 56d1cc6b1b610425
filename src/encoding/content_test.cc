#include "encoding/content.h"

#include <gtest/gtest.h>

namespace weft {
namespace {

TEST(Content, RefsAndLengths) {
  EXPECT_EQ(content_ref(ContentDeleted{3}), ContentRef::kDeleted);
  EXPECT_EQ(content_ref(ContentDoc{}), ContentRef::kDoc);
  EXPECT_EQ(content_ref(ContentAny{}), ContentRef::kAny);
  EXPECT_EQ(content_length(ContentString{u"a\U0001F600"}), 3u);  // UTF-16 units
  EXPECT_EQ(content_length(ContentAny{{1, 2}}), 2u);
  EXPECT_EQ(content_length(ContentDeleted{7}), 7u);
  EXPECT_EQ(content_length(ContentFormat{"b", true}), 1u);
  EXPECT_FALSE(content_countable(ContentDeleted{1}));
  EXPECT_FALSE(content_countable(ContentFormat{"b", true}));
  EXPECT_TRUE(content_countable(ContentEmbed{Any::null()}));
}

TEST(Content, SplitString) {
  Content c = ContentString{u"abc"};
  Content r = content_split(c, 1);
  EXPECT_EQ(std::get<ContentString>(c).text, u"a");
  EXPECT_EQ(std::get<ContentString>(r).text, u"bc");
}

// The left part of a long string split near its start does not keep the
// whole buffer (a paste cut up by later edits).
TEST(Content, SplitStringGivesBackTheLeftPartsSlack) {
  Content c = ContentString{std::u16string(1000, u'a')};
  Content r = content_split(c, 10);
  EXPECT_EQ(std::get<ContentString>(c).text, std::u16string(10, u'a'));
  EXPECT_EQ(std::get<ContentString>(c).text.capacity(), 10u);
  EXPECT_EQ(std::get<ContentString>(r).text.size(), 990u);
  EXPECT_TRUE(content_merge(c, std::move(r)));
  EXPECT_EQ(std::get<ContentString>(c).text, std::u16string(1000, u'a'));
}

TEST(Content, SplitSurrogatePairBecomesReplacementChars) {
  Content c = ContentString{u"x\U0001F600y"};
  Content r = content_split(c, 2);  // between the halves of the emoji
  EXPECT_EQ(std::get<ContentString>(c).text, u"x\uFFFD");
  EXPECT_EQ(std::get<ContentString>(r).text, u"\uFFFDy");
  // Slicing (writing from an offset) does not apply the rule.
  Content s = content_slice(ContentString{u"x\U0001F600y"}, 2);
  EXPECT_EQ(std::get<ContentString>(s).text, std::u16string(1, char16_t(0xDE00)) + u"y");
}

TEST(Content, SplitAndMergeValues) {
  Content a = ContentAny{{1, "two", 3}};
  Content r = content_split(a, 2);
  EXPECT_EQ(std::get<ContentAny>(a).values.size(), 2u);
  EXPECT_EQ(std::get<ContentAny>(r).values.size(), 1u);
  EXPECT_TRUE(content_merge(a, std::move(r)));
  EXPECT_EQ(std::get<ContentAny>(a).values, (std::vector<Any>{1, "two", 3}));
  Content d = ContentDeleted{5};
  Content dr = content_split(d, 3);
  EXPECT_EQ(std::get<ContentDeleted>(d).len, 3u);
  EXPECT_EQ(std::get<ContentDeleted>(dr).len, 2u);
  EXPECT_FALSE(content_merge(d, ContentAny{{1}}));
  Content f = ContentFormat{"b", true};
  EXPECT_FALSE(content_merge(f, ContentFormat{"b", true}));
  Content j = ContentJson{{Any::undefined(), 1}};
  EXPECT_EQ(content_if<ContentJson>(&static_cast<const Content&>(content_slice(j, 1)))->values,
            (std::vector<Any>{1}));
}

}  // namespace
}  // namespace weft
