#include "sync/update_check.h"

#include <gtest/gtest.h>

#include "sync/test_util.h"
#include "weft/doc.h"

namespace weft::sync {
namespace {

using testing::unhex;

TEST(UpdateCheck, EmptyUpdateCarriesNothing) {
  auto r = check_update(unhex("00 00"));
  ASSERT_TRUE(r);
  EXPECT_FALSE(*r);
}

TEST(UpdateCheck, AcceptsWhatDocsProduce) {
  Doc a(1);
  ASSERT_TRUE(a.get_text("t").insert(0, std::string_view("hello")));
  ASSERT_TRUE(a.get_text("t").remove_range(1, 2));
  a.get_map("m").set("k", Any("v"));
  auto update = a.encode_state_as_update();
  ASSERT_TRUE(update);
  auto r = check_update(*update);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_TRUE(*r);
  Doc b(2);
  EXPECT_TRUE(b.apply_update(*update));
  EXPECT_EQ(b.get_text("t").to_string(), "hlo");
}

TEST(UpdateCheck, RefusesWhatApplyUpdateRefuses) {
  const char* cases[] = {
      // yjs-compat.md 3.8 text "ab", cut short.
      "01 01 01 00 04 01 01 74 02 61",
      // The same with a trailing delete set cut.
      "01 01 01 00 04 01 01 74 02 61 62 01",
      // Client 5's item at clock 0 with origin (5, 3): its own future.
      "01 01 05 00 84 05 03 01 61 00",
      // Unknown content ref 15.
      "01 01 01 00 0f 00",
  };
  for (const char* c : cases) {
    auto r = check_update(unhex(c));
    EXPECT_FALSE(r) << c;
    Doc doc(9);
    EXPECT_FALSE(doc.apply_update(unhex(c))) << c;
  }
}

}  // namespace
}  // namespace weft::sync
