#include "encoding/compact.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "weft/any.h"

namespace weft {
namespace {

TEST(Compact, SizesAre16Bytes) {
  EXPECT_EQ(sizeof(Utf16Text), 16u);
  EXPECT_EQ(sizeof(CompactVector<Any>), 16u);
}

TEST(Utf16Text, InlineAndHeapTextsBehaveLikeU16String) {
  Utf16Text t;
  EXPECT_TRUE(t.empty());
  t += u"abc";
  EXPECT_EQ(t, u"abc");
  t += u"defgh";  // leaves the inline buffer
  EXPECT_EQ(t, u"abcdefgh");
  EXPECT_EQ(t.substr(6), u"gh");
  t.insert(0, t.view(), 2, 3);  // a view of itself
  EXPECT_EQ(t, u"cdeabcdefgh");
  t.resize(2);
  EXPECT_EQ(t, u"cd");
  t.assign(3, u'\uFFFD');
  EXPECT_EQ(t, u"\uFFFD\uFFFD\uFFFD");
  Utf16Text moved(std::move(t));
  EXPECT_EQ(moved, u"\uFFFD\uFFFD\uFFFD");
  EXPECT_TRUE(t.empty());  // NOLINT: a moved-from text is empty
  Utf16Text copy = moved;
  copy += u'x';
  EXPECT_EQ(copy, u"\uFFFD\uFFFD\uFFFDx");
  EXPECT_EQ(moved.size(), 3u);
  std::u16string out = u"<";
  out += copy;
  EXPECT_EQ(out, u"<\uFFFD\uFFFD\uFFFDx");
}

// Random appends, inserts, resizes, copies and moves against std::u16string.
TEST(Utf16Text, RandomOperationsMatchU16String) {
  const uint32_t seed = 20261126;
  std::mt19937 rng(seed);
  Utf16Text t;
  std::u16string ref;
  for (int step = 0; step < 20000; step++) {
    SCOPED_TRACE("seed " + std::to_string(seed) + " step " + std::to_string(step));
    std::u16string piece(rng() % 7, u'a' + static_cast<char16_t>(rng() % 26));
    switch (rng() % 7) {
      case 0:
        t += piece;
        ref += piece;
        break;
      case 1: {
        size_t at = rng() % (ref.size() + 1);
        t.insert(at, piece);
        ref.insert(at, piece);
        break;
      }
      case 2: {
        size_t n = rng() % (ref.size() + 3);
        t.resize(n);
        ref.resize(n);
        break;
      }
      case 3: {
        Utf16Text c(t);
        t = std::move(c);
        break;
      }
      case 4: {
        size_t at = rng() % (ref.size() + 1);
        t = t.substr(at);
        ref = ref.substr(at);
        break;
      }
      case 5:
        if (rng() % 2 == 0) {
          t.trim();
        } else {
          t.shrink_to_fit();
        }
        break;
      default:
        if (ref.size() > 64) {
          t.clear();
          ref.clear();
        }
    }
    ASSERT_EQ(t.view(), std::u16string_view(ref));
  }
}

// trim (and truncate) give back capacity past 2 * size + kTrimSlack (a split's left part,
// a backspaced text), and only that; shrink_to_fit goes back inline.
TEST(Utf16Text, TrimGivesBackOnlyLargeSlack) {
  Utf16Text t(std::u16string(1000, u'x'));
  EXPECT_EQ(t.capacity(), 1000u);
  t.resize(600);
  t.trim();
  EXPECT_EQ(t.capacity(), 1000u);  // within 2x: kept
  t.truncate(400);                 // resize + trim
  EXPECT_EQ(t.capacity(), 400u);
  EXPECT_EQ(t, std::u16string(400, u'x'));
  Utf16Text small(u"abcdefgh");
  small.resize(3);
  small.trim();
  EXPECT_EQ(small.capacity(), 8u);  // slack under kTrimSlack: kept
  small.shrink_to_fit();
  EXPECT_EQ(small.capacity(), Utf16Text::kInline);
  EXPECT_EQ(small, u"abc");
  small += u"defgh";
  EXPECT_EQ(small, u"abcdefgh");
}

// Texts whose units live in slabs behave as heap texts through every
// operation (growing leaves the slab, and so do trim and shrink_to_fit;
// resize down stays), and each slab is
// freed with the last of its texts, before or after the writer lets go of
// it (ASan's leak and use-after-free checks watch this test).
TEST(Utf16Text, TextsInSlabsBehaveLikeU16String) {
  const uint32_t seed = 20261127;
  std::mt19937 rng(seed);
  std::vector<Utf16Text> texts;
  std::vector<std::u16string> refs;
  {
    TextSlabWriter writer;
    for (int step = 0; step < 20000; step++) {
      SCOPED_TRACE("seed " + std::to_string(seed) + " step " + std::to_string(step));
      const size_t k = texts.empty() ? 0 : rng() % texts.size();
      switch (rng() % 9) {
        case 0:
        case 1: {  // a new text (some inline, some too long for a slab)
          size_t n = rng() % 3 == 0 ? rng() % 8 : rng() % 300;
          if (rng() % 50 == 0) n = TextSlabWriter::kMaxUnits + 1 + rng() % 8;
          std::u16string ref(n, u'a' + static_cast<char16_t>(rng() % 26));
          Utf16Text t;
          char16_t* units = writer.resize_for_overwrite(t, n);
          for (size_t i = 0; i < n; i++) units[i] = ref[i];
          texts.push_back(std::move(t));
          refs.push_back(std::move(ref));
          break;
        }
        case 2:
          if (!texts.empty()) {
            std::u16string piece(rng() % 6, u'x');
            texts[k] += piece;
            refs[k] += piece;
          }
          break;
        case 3:
          if (!texts.empty()) {
            const size_t n = rng() % (refs[k].size() + 2);
            if (n <= refs[k].size() && rng() % 2 == 0) {
              texts[k].truncate(n);  // trims: may leave the slab
            } else {
              texts[k].resize(n);
            }
            refs[k].resize(n);
            if (rng() % 8 == 0) texts[k].shrink_to_fit();
          }
          break;
        case 4:
          if (!texts.empty()) {  // a split: the right part copied out, the left one shrunk
            const size_t at = rng() % (refs[k].size() + 1);
            texts.push_back(texts[k].substr(at));
            refs.push_back(refs[k].substr(at));
            texts[k].resize(at);
            refs[k].resize(at);
          }
          break;
        case 5:
          if (!texts.empty()) {  // destroyed, in any order
            texts.erase(texts.begin() + static_cast<ptrdiff_t>(k));
            refs.erase(refs.begin() + static_cast<ptrdiff_t>(k));
          }
          break;
        case 6:
          if (!texts.empty()) {  // copied over another
            const size_t j = rng() % texts.size();
            texts[j] = texts[k];
            refs[j] = refs[k];
          }
          break;
        case 7:
          if (rng() % 20 == 0) writer.reset();  // a later text starts a new slab
          break;
        default:
          if (!texts.empty()) {  // moved out and back
            Utf16Text moved(std::move(texts[k]));
            texts[k] = std::move(moved);
          }
      }
      for (size_t i = 0; i < texts.size(); i += 1 + texts.size() / 8)
        ASSERT_EQ(texts[i].view(), std::u16string_view(refs[i]));
    }
  }  // the writer lets go of its slab while texts still use it
  for (size_t i = 0; i < texts.size(); i++) ASSERT_EQ(texts[i].view(), std::u16string_view(refs[i]));
  texts.clear();
}

TEST(CompactVector, BehavesLikeVector) {
  CompactVector<Any> v{1, "two"};
  v.push_back(v[1]);  // an element of itself, across a reallocation
  v.push_back(v[0]);
  v.push_back(v[0]);  // 5 > the first capacity of 4
  EXPECT_EQ(v, (std::vector<Any>{1, "two", "two", 1, 1}));
  CompactVector<Any> tail(v.begin() + 3, v.end());
  v.erase(v.begin() + 3, v.end());
  EXPECT_EQ(v, (std::vector<Any>{1, "two", "two"}));
  EXPECT_EQ(tail, (std::vector<Any>{1, 1}));
  v.insert(v.end(), std::make_move_iterator(tail.begin()), std::make_move_iterator(tail.end()));
  EXPECT_EQ(v.size(), 5u);
  const CompactVector<Any> head{0};
  v.insert(v.begin(), head.begin(), head.end());
  EXPECT_EQ(v.front(), Any(0));
  EXPECT_EQ(v.size(), 6u);
  CompactVector<Any> moved(std::move(v));
  EXPECT_TRUE(v.empty());  // NOLINT: a moved-from vector is empty
  CompactVector<Any> copy;
  copy = moved;
  EXPECT_EQ(copy, moved);
  CompactVector<Any> from_vector(std::vector<Any>{"a", 2.5});
  EXPECT_EQ(from_vector, (std::vector<Any>{"a", 2.5}));
}

}  // namespace
}  // namespace weft
