#include "net/http_types.h"

#include <gtest/gtest.h>

namespace weft {
namespace {

TEST(HttpTypes, HeaderLookupIsCaseInsensitive) {
  HttpRequest r;
  r.headers = {{"Content-Type", "text/plain"}, {"X-A", "1"}, {"x-a", "2"}};
  EXPECT_EQ(r.header("content-type"), "text/plain");
  EXPECT_EQ(r.header("X-a"), "1");
  EXPECT_EQ(r.header("missing"), "");
}

TEST(HttpTypes, PercentDecode) {
  EXPECT_EQ(percent_decode("a%20b%2Fc+d"), "a b/c+d");
  EXPECT_EQ(percent_decode("%e2%82%ac"), "\xe2\x82\xac");
  EXPECT_EQ(percent_decode("bad%2"), std::nullopt);
  EXPECT_EQ(percent_decode("bad%"), std::nullopt);
  EXPECT_EQ(percent_decode("bad%zz"), std::nullopt);
}

TEST(HttpTypes, QueryParam) {
  EXPECT_EQ(query_param("token=a%2Bb&x=1", "token"), "a+b");
  EXPECT_EQ(query_param("x=1&token=hello+world", "token"), "hello world");
  EXPECT_EQ(query_param("flag&x=1", "flag"), "");
  EXPECT_EQ(query_param("tokens=1", "token"), std::nullopt);
  EXPECT_EQ(query_param("", "token"), std::nullopt);
}

}  // namespace
}  // namespace weft
