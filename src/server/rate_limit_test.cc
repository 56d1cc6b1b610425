#include "server/rate_limit.h"

#include <gtest/gtest.h>

namespace weft::server {
namespace {

using std::chrono::milliseconds;

TEST(TokenBucket, BurstThenRate) {
  const auto t0 = TokenBucket::Clock::time_point{} + std::chrono::hours(1);
  TokenBucket bucket(100, 10, t0);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(bucket.take(t0)) << i;
  EXPECT_FALSE(bucket.take(t0));
  // 100/s: one token per 10 ms.
  EXPECT_FALSE(bucket.take(t0 + milliseconds(5)));
  EXPECT_TRUE(bucket.take(t0 + milliseconds(10)));
  EXPECT_FALSE(bucket.take(t0 + milliseconds(10)));
  // A long pause refills to the burst, not beyond.
  const auto later = t0 + std::chrono::seconds(60);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(bucket.take(later)) << i;
  EXPECT_FALSE(bucket.take(later));
}

TEST(TokenBucket, SteadyRateBelowTheLimitNeverRunsOut) {
  auto t = TokenBucket::Clock::time_point{};
  TokenBucket bucket(200, 5, t);
  for (int i = 0; i < 10000; ++i) {
    t += milliseconds(6);  // ~166/s
    ASSERT_TRUE(bucket.take(t)) << i;
  }
}

TEST(TokenBucket, ZeroRateIsUnlimited) {
  const auto t = TokenBucket::Clock::time_point{};
  TokenBucket bucket(0, 1, t);
  for (int i = 0; i < 100000; ++i) ASSERT_TRUE(bucket.take(t));
}

}  // namespace
}  // namespace weft::server
