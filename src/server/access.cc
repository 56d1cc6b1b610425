// Who may open a room or read the API when auth is on (docs/server.md, "Auth").
#include <spdlog/spdlog.h>

#include <cctype>

#include "server/server.h"

namespace weft::server {

namespace {

// The token of a request: `?token=` first, else `Authorization: Bearer`.
std::string request_token(const HttpRequest& request) {
  if (std::optional<std::string> t = query_param(request.query, "token")) return std::move(*t);
  std::string_view auth = request.header("Authorization");
  constexpr std::string_view kBearer = "bearer ";
  if (auth.size() > kBearer.size()) {
    bool bearer = true;
    for (size_t i = 0; i < kBearer.size(); ++i) {
      bearer = bearer && std::tolower(static_cast<unsigned char>(auth[i])) == kBearer[i];
    }
    if (bearer) return std::string(auth.substr(kBearer.size()));
  }
  return {};
}

}  // namespace

std::optional<HttpResponse> ServerCore::authorize(const HttpRequest& request, const std::string* room,
                                                  std::optional<TokenClaims>& claims) {
  claims.reset();
  if (!verifier_) return std::nullopt;
  TokenVerifier::Outcome out = verifier_->verify(request_token(request), unix_now());
  AuthFailure failure = out.failure;
  if (out.claims && room && !room_matches(out.claims->pattern, *room)) failure = AuthFailure::kWrongRoom;
  if (out.claims && failure != AuthFailure::kWrongRoom) {
    claims = std::move(out.claims);
    return std::nullopt;
  }
  metrics_.auth_failure(failure);
  // The token itself is a credential (and a forged one is noise): never logged.
  spdlog::warn("refusing {} {}{}{} from {}: {} token", request.websocket_upgrade ? "upgrade" : request.method,
               room ? "of room '" : request.path, room ? *room : "", room ? "'" : "", request.remote,
               auth_failure_name(failure));
  if (failure == AuthFailure::kWrongRoom)
    return HttpResponse::text(403, "the token does not cover this room\n");
  HttpResponse r = HttpResponse::text(401, std::string(auth_failure_name(failure)) + " token\n");
  r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"weft\"");
  return r;
}

}  // namespace weft::server
