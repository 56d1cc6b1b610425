#include "server/auth.h"

#include <sodium.h>

#include <array>
#include <charconv>
#include <chrono>
#include <vector>

namespace weft::server {

namespace {

constexpr std::string_view kPrefix = "v1.";
constexpr int kB64 = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
// A token is a URL parameter; anything longer is not one of ours.
constexpr size_t kMaxTokenBytes = 4096;

using Mac = std::array<unsigned char, crypto_auth_hmacsha256_BYTES>;

void ensure_sodium() {
  // Idempotent and thread-safe; only fails if the system has no randomness
  // source, which HMAC does not need.
  static const int once = sodium_init();
  (void)once;
}

Mac hmac(std::string_view secret, std::string_view text) {
  ensure_sodium();
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  Mac mac;
  crypto_auth_hmacsha256_final(&state, mac.data());
  sodium_memzero(&state, sizeof state);
  return mac;
}

std::string to_b64(const unsigned char* data, size_t size) {
  std::string out(sodium_base64_ENCODED_LEN(size, kB64), '\0');
  sodium_bin2base64(out.data(), out.size(), data, size, kB64);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

std::optional<std::vector<unsigned char>> from_b64(std::string_view text) {
  ensure_sodium();
  std::vector<unsigned char> out(text.size() * 3 / 4 + 1);
  size_t len = 0;
  // b64_end = nullptr: any character outside the alphabet is an error.
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &len, nullptr, kB64) !=
      0) {
    return std::nullopt;
  }
  out.resize(len);
  return out;
}

std::optional<TokenClaims> parse_payload(std::string_view payload) {
  const size_t a = payload.find(':');
  if (a == std::string_view::npos) return std::nullopt;
  const size_t b = payload.find(':', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  TokenClaims claims;
  const std::string_view access = payload.substr(0, a);
  if (access == "r") {
    claims.access = Access::kRead;
  } else if (access == "rw") {
    claims.access = Access::kReadWrite;
  } else {
    return std::nullopt;
  }
  const std::string_view expiry = payload.substr(a + 1, b - a - 1);
  if (expiry.empty() || expiry.size() > 18) return std::nullopt;
  for (char c : expiry) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  std::from_chars(expiry.data(), expiry.data() + expiry.size(), claims.expires_unix);
  claims.pattern = std::string(payload.substr(b + 1));
  if (claims.pattern.empty()) return std::nullopt;
  return claims;
}

}  // namespace

const char* auth_failure_name(AuthFailure failure) {
  switch (failure) {
    case AuthFailure::kMissing:
      return "missing";
    case AuthFailure::kMalformed:
      return "malformed";
    case AuthFailure::kBadMac:
      return "bad_mac";
    case AuthFailure::kExpired:
      return "expired";
    case AuthFailure::kWrongRoom:
      return "wrong_room";
    case AuthFailure::kCount:
      break;
  }
  return "unknown";
}

bool room_matches(std::string_view pattern, std::string_view room) {
  // Greedy glob with one backtrack point (the last '*'): linear in practice,
  // O(|pattern| * |room|) at worst, and both are bounded by the URL size.
  size_t p = 0, r = 0;
  size_t star = std::string_view::npos, star_r = 0;
  while (r < room.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_r = r;
    } else if (p < pattern.size() && pattern[p] == room[r]) {
      ++p;
      ++r;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      r = ++star_r;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

const char* access_name(Access access) { return access == Access::kRead ? "r" : "rw"; }

std::optional<Access> parse_access(std::string_view text) {
  if (text == "r" || text == "read") return Access::kRead;
  if (text == "rw" || text == "read-write") return Access::kReadWrite;
  return std::nullopt;
}

Status check_secret(std::string_view secret) {
  if (secret.size() < kMinSecretBytes) {
    return Status(ErrorCode::kInvalidArgument,
                  "the auth secret must be at least " + std::to_string(kMinSecretBytes) + " bytes");
  }
  return Status::ok();
}

Result<std::string> issue_token(std::string_view secret, const TokenClaims& claims) {
  WEFT_RETURN_IF_ERROR(check_secret(secret));
  if (claims.pattern.empty()) return Status(ErrorCode::kInvalidArgument, "empty room pattern");
  if (claims.expires_unix < 0) return Status(ErrorCode::kInvalidArgument, "negative expiry");
  const std::string payload = std::string(access_name(claims.access)) + ":" +
                              std::to_string(claims.expires_unix) + ":" + claims.pattern;
  std::string signed_part =
      std::string(kPrefix) + to_b64(reinterpret_cast<const unsigned char*>(payload.data()), payload.size());
  const Mac mac = hmac(secret, signed_part);
  return signed_part + "." + to_b64(mac.data(), mac.size());
}

TokenVerifier::Outcome TokenVerifier::verify(std::string_view token, int64_t now_unix) const {
  Outcome out;
  if (token.empty()) return out;
  out.failure = AuthFailure::kMalformed;
  if (token.size() > kMaxTokenBytes || !token.starts_with(kPrefix)) return out;
  const size_t dot = token.rfind('.');
  if (dot < kPrefix.size()) return out;
  const std::string_view signed_part = token.substr(0, dot);
  std::optional<std::vector<unsigned char>> mac = from_b64(token.substr(dot + 1));
  if (!mac || mac->size() != crypto_auth_hmacsha256_BYTES) return out;
  const Mac expected = hmac(secret_, signed_part);
  if (crypto_verify_32(expected.data(), mac->data()) != 0) {
    out.failure = AuthFailure::kBadMac;
    return out;
  }
  std::optional<std::vector<unsigned char>> payload = from_b64(signed_part.substr(kPrefix.size()));
  if (!payload) return out;
  std::optional<TokenClaims> claims =
      parse_payload(std::string_view(reinterpret_cast<const char*>(payload->data()), payload->size()));
  if (!claims) return out;
  if (now_unix >= claims->expires_unix) {
    out.failure = AuthFailure::kExpired;
    return out;
  }
  out.claims = std::move(claims);
  return out;
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace weft::server
