// Access tokens for `weft serve --auth-secret` (docs/server.md, "Auth").
//
//   token   = "v1." base64url(payload) "." base64url(mac)     (no padding)
//   payload = access ":" expiry ":" pattern                    (UTF-8 text)
//   access  = "r" (read) | "rw" (read-write)
//   expiry  = unix seconds, decimal; the token is refused from that second on
//   pattern = a room name, exact, or a glob where '*' matches any run of
//             characters ('/' included); compared with the raw room name
//   mac     = HMAC-SHA256(secret, "v1." base64url(payload))    (32 bytes)
//
// The MAC covers the exact text the client sends, so there is nothing to
// canonicalize; the version prefix is inside it. The secret may have any
// length (HMAC hashes long keys); issue_token and TokenVerifier want at
// least kMinSecretBytes so a guessable secret is refused up front.
//
//   TokenVerifier v(secret);
//   Result<TokenClaims> claims = v.verify(token, now_unix);
//   if (!claims) ...401...; if (!room_matches(claims->pattern, room)) ...403...
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "weft/status.h"

namespace weft::server {

inline constexpr size_t kMinSecretBytes = 16;

enum class Access : uint8_t { kRead, kReadWrite };

struct TokenClaims {
  Access access = Access::kRead;
  int64_t expires_unix = 0;
  std::string pattern;
  bool operator==(const TokenClaims&) const = default;
};

// Why a token was refused; the label of weft_auth_failures_total.
enum class AuthFailure : uint8_t {
  kMissing,    // no token (401)
  kMalformed,  // not v1.<b64>.<b64>, bad base64, bad payload (401)
  kBadMac,     // signed with another secret, or altered (401)
  kExpired,    // (401)
  kWrongRoom,  // valid, but its pattern does not cover the room (403)
  kCount,
};
const char* auth_failure_name(AuthFailure failure);

// True if `room` matches `pattern`: equal, or '*' in the pattern matching
// any (possibly empty) run of characters.
bool room_matches(std::string_view pattern, std::string_view room);

// "r" / "rw" and back; nullopt for anything else ("read" and "read-write"
// are also accepted by parse_access, for the command line).
const char* access_name(Access access);
std::optional<Access> parse_access(std::string_view text);

// A signed token for `claims`. kInvalidArgument if the secret is shorter
// than kMinSecretBytes or the pattern is empty.
Result<std::string> issue_token(std::string_view secret, const TokenClaims& claims);

class TokenVerifier {
 public:
  // `secret` must be at least kMinSecretBytes (checked by the caller, see
  // check_secret); it is copied.
  explicit TokenVerifier(std::string secret) : secret_(std::move(secret)) {}

  // The claims of a well-formed, correctly signed, unexpired token; the
  // failure otherwise. The MAC is checked (in constant time) before the
  // payload is read, so a forged token's payload is never parsed.
  struct Outcome {
    std::optional<TokenClaims> claims;
    AuthFailure failure = AuthFailure::kMissing;  // when !claims
  };
  Outcome verify(std::string_view token, int64_t now_unix) const;

 private:
  std::string secret_;
};

// kInvalidArgument when `secret` is too short to be a secret.
Status check_secret(std::string_view secret);

// The expiry of a connection opened without a token (auth off).
inline constexpr int64_t kNoExpiry = INT64_MAX;
// The clock tokens are checked against (system clock, unix seconds).
int64_t unix_now();

}  // namespace weft::server
