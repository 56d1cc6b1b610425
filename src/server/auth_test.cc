#include "server/auth.h"

#include <gtest/gtest.h>

namespace weft::server {
namespace {

const std::string kSecret = "0123456789abcdef-test-secret";
constexpr int64_t kNow = 1'700'000'000;

TokenClaims claims(Access access, std::string pattern, int64_t expires = kNow + 60) {
  return TokenClaims{access, expires, std::move(pattern)};
}

std::string token(const TokenClaims& c, const std::string& secret = kSecret) {
  Result<std::string> t = issue_token(secret, c);
  EXPECT_TRUE(t.is_ok()) << t.status().to_string();
  return t.is_ok() ? *t : std::string();
}

TEST(Auth, RoundTripKeepsEveryClaim) {
  TokenVerifier v(kSecret);
  for (const TokenClaims& c : {claims(Access::kRead, "doc-1"), claims(Access::kReadWrite, "team/*:x"),
                               claims(Access::kReadWrite, "*", kNow + 1)}) {
    const std::string t = token(c);
    EXPECT_TRUE(t.starts_with("v1.")) << t;
    EXPECT_EQ(t.find_first_of("+/= ?&"), std::string::npos) << "not URL-safe: " << t;
    TokenVerifier::Outcome out = v.verify(t, kNow);
    ASSERT_TRUE(out.claims) << auth_failure_name(out.failure);
    EXPECT_EQ(*out.claims, c);
  }
}

TEST(Auth, ExpiredFromTheExpirySecondOn) {
  TokenVerifier v(kSecret);
  const std::string t = token(claims(Access::kRead, "a", kNow + 10));
  EXPECT_TRUE(v.verify(t, kNow + 9).claims);
  for (int64_t now : {kNow + 10, kNow + 11, kNow + 100000}) {
    TokenVerifier::Outcome out = v.verify(t, now);
    EXPECT_FALSE(out.claims);
    EXPECT_EQ(out.failure, AuthFailure::kExpired);
  }
}

TEST(Auth, OtherSecretIsABadMac) {
  const std::string t = token(claims(Access::kReadWrite, "*"), "another-secret-of-16+bytes");
  TokenVerifier::Outcome out = TokenVerifier(kSecret).verify(t, kNow);
  EXPECT_FALSE(out.claims);
  EXPECT_EQ(out.failure, AuthFailure::kBadMac);
}

TEST(Auth, TamperedPayloadOrMacIsRefused) {
  TokenVerifier v(kSecret);
  const std::string t = token(claims(Access::kRead, "room"));
  const size_t dot = t.rfind('.');
  // Swap the payload for a read-write one, keeping the original MAC.
  const std::string rw = token(claims(Access::kReadWrite, "room"));
  const std::string spliced = rw.substr(0, rw.rfind('.')) + t.substr(dot);
  EXPECT_EQ(v.verify(spliced, kNow).failure, AuthFailure::kBadMac);
  // Flip one character of the payload, then of the MAC.
  for (size_t at : {size_t{4}, dot - 1, dot + 1, t.size() - 2}) {
    std::string bad = t;
    bad[at] = bad[at] == 'A' ? 'B' : 'A';
    TokenVerifier::Outcome out = v.verify(bad, kNow);
    EXPECT_FALSE(out.claims) << "position " << at;
    EXPECT_TRUE(out.failure == AuthFailure::kBadMac || out.failure == AuthFailure::kMalformed)
        << auth_failure_name(out.failure);
  }
}

TEST(Auth, MalformedTokens) {
  TokenVerifier v(kSecret);
  const std::string good = token(claims(Access::kRead, "room"));
  const std::string mac = good.substr(good.rfind('.'));
  EXPECT_EQ(v.verify("", kNow).failure, AuthFailure::kMissing);
  for (const std::string& t : {
           std::string("v1"), std::string("v1."), std::string("v2") + good.substr(2),
           good.substr(0, good.rfind('.')),                    // no MAC
           good + "=",                                         // padding
           good.substr(0, good.size() - 1) + "*",              // outside the alphabet
           good.substr(0, good.size() - 3),                    // MAC too short
           good + "AAAA",                                      // MAC too long
           std::string("v1.") + std::string(5000, 'A') + mac,  // oversized
       }) {
    TokenVerifier::Outcome out = v.verify(t, kNow);
    EXPECT_FALSE(out.claims) << t;
    EXPECT_EQ(out.failure, AuthFailure::kMalformed) << t;
  }
}

TEST(Auth, IssueRefusesShortSecretsAndEmptyPatterns) {
  EXPECT_FALSE(issue_token(kSecret, claims(Access::kRead, "")).is_ok());
  EXPECT_FALSE(issue_token("short", claims(Access::kRead, "a")).is_ok());
  EXPECT_FALSE(check_secret("fifteen-bytes!!").is_ok());
  EXPECT_TRUE(check_secret("sixteen-bytes!!!").is_ok());
}

TEST(Auth, RoomPatterns) {
  EXPECT_TRUE(room_matches("doc", "doc"));
  EXPECT_FALSE(room_matches("doc", "doc2"));
  EXPECT_FALSE(room_matches("doc", "do"));
  EXPECT_FALSE(room_matches("doc", ""));
  EXPECT_TRUE(room_matches("*", ""));
  EXPECT_TRUE(room_matches("*", "any/thing?"));
  EXPECT_TRUE(room_matches("team/*", "team/"));
  EXPECT_TRUE(room_matches("team/*", "team/a/b"));
  EXPECT_FALSE(room_matches("team/*", "team"));
  EXPECT_FALSE(room_matches("team/*", "teams/a"));
  EXPECT_TRUE(room_matches("*-draft", "x-draft"));
  EXPECT_FALSE(room_matches("*-draft", "x-draft2"));
  EXPECT_TRUE(room_matches("a*b*c", "aXbYbZc"));
  EXPECT_FALSE(room_matches("a*b*c", "aXbYbZ"));
  EXPECT_TRUE(room_matches("a**c", "ac"));
  EXPECT_FALSE(room_matches("DOC", "doc"));  // room names are case-sensitive
  EXPECT_TRUE(room_matches(std::string(100, '*') + "x", std::string(1000, 'a') + "x"));
  EXPECT_FALSE(room_matches(std::string(50, 'a') + "*" + std::string(50, 'a') + "b", std::string(3000, 'a')));
}

TEST(Auth, AccessNames) {
  EXPECT_EQ(parse_access("read"), Access::kRead);
  EXPECT_EQ(parse_access("r"), Access::kRead);
  EXPECT_EQ(parse_access("read-write"), Access::kReadWrite);
  EXPECT_EQ(parse_access("rw"), Access::kReadWrite);
  EXPECT_FALSE(parse_access("write"));
  EXPECT_FALSE(parse_access(""));
}

}  // namespace
}  // namespace weft::server
