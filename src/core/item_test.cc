// Item's packed layout: the flags and seq_chunk share Content's tail padding
// ([[no_unique_address]]), and the map key and shared type share one
// pointer. Every way content is replaced must leave the packed fields alone.
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "core/branch.h"
#include "core/item.h"

namespace weft {
namespace {

void set_packed(Item& item) {
  item.is_gc = false;
  item.deleted = true;
  item.keep = true;
  item.countable = true;
  item.seq_chunk = 0xA5A5A5A5u;
}

void expect_packed(const Item& item, const std::string& step) {
  EXPECT_FALSE(item.is_gc) << step;
  EXPECT_TRUE(item.deleted) << step;
  EXPECT_TRUE(item.keep) << step;
  EXPECT_TRUE(item.countable) << step;
  EXPECT_EQ(item.seq_chunk, 0xA5A5A5A5u) << step;
}

TEST(ItemLayout, ReplacingContentKeepsFlagsAndSeqChunk) {
  ItemPool pool;
  Item* item = pool.make();
  set_packed(*item);
  Content text = ContentString{Utf16Text(u"a longer text than fits inline")};
  item->content = text;  // copy
  expect_packed(*item, "copy string");
  item->content = ContentAny{std::vector<Any>{Any(1), Any("x")}};  // move, other kind
  expect_packed(*item, "move any");
  item->content = ContentType{TypeRef::kMap, "name"};  // boxed kind
  expect_packed(*item, "boxed type");
  item->content = ContentDeleted{~uint64_t{0}};  // all bits of the storage set
  expect_packed(*item, "deleted");
  item->content.emplace<ContentString>(ContentString{Utf16Text(u"xyz")});
  expect_packed(*item, "emplace");
  Content right = content_split(item->content, 1);
  expect_packed(*item, "split");
  EXPECT_TRUE(content_merge(item->content, std::move(right)));
  expect_packed(*item, "merge");
  Item* other = pool.make();
  other->content = ContentString{Utf16Text(u"other")};
  std::swap(item->content, other->content);
  expect_packed(*item, "swap");
  EXPECT_FALSE(other->deleted || other->keep || other->countable || other->is_gc);
  EXPECT_EQ(other->seq_chunk, 0u);

  item->is_gc = true;
  item->deleted = false;
  EXPECT_TRUE(item->is_gc && !item->deleted && item->keep && item->countable);
  pool.destroy(item);
  pool.destroy(other);
}

TEST(ItemLayout, MapKeyAndTypeShareOnePointer) {
  ItemPool pool;
  Item* item = pool.make();
  EXPECT_EQ(item->parent_sub(), nullptr);
  EXPECT_EQ(item->type(), nullptr);
  item->set_type(std::make_unique<Branch>(nullptr, TypeRef::kText, ""));
  EXPECT_EQ(item->parent_sub(), nullptr) << "a sequence item holding a type has no key";
  ASSERT_NE(item->type(), nullptr);
  EXPECT_TRUE(item->type()->kind == TypeRef::kText);
  item->set_parent_sub(std::string("key"));
  ASSERT_NE(item->parent_sub(), nullptr);
  EXPECT_EQ(*item->parent_sub(), "key");
  EXPECT_NE(item->type(), nullptr) << "setting the key keeps the type";
  item->set_parent_sub(item->parent_sub());  // copying its own key
  EXPECT_EQ(*item->parent_sub(), "key");
  item->set_parent_sub(static_cast<const std::string*>(nullptr));
  EXPECT_EQ(item->parent_sub(), nullptr);
  EXPECT_NE(item->type(), nullptr);
  pool.destroy(item);
}

}  // namespace
}  // namespace weft
