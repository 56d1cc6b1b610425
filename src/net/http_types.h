// Plain HTTP request and response values passed between the transport and
// the handlers above it; no Boost types, so handlers stay testable without
// sockets.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weft {

struct HttpRequest {
  std::string method;  // "GET", "HEAD", "POST", ...
  std::string target;  // as sent: "/room-1?token=abc"
  std::string path;    // target up to '?', not percent-decoded: "/room-1"
  std::string query;   // after '?', without it: "token=abc"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string remote;  // "127.0.0.1:53412"
  bool websocket_upgrade = false;

  // The first header named `name` (case-insensitive), or "" if missing.
  std::string_view header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  // Extra headers (Cache-Control, WWW-Authenticate, ...). Content-Type and
  // Content-Length come from the fields above.
  std::vector<std::pair<std::string, std::string>> headers;

  static HttpResponse text(int status, std::string body);
  static HttpResponse json(int status, std::string body);
};

// Percent-decodes `s` ('+' stays '+'); nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view s);
// The value of the first `name=value` pair of a query string, percent-decoded
// ('+' read as a space, as in HTML forms); nullopt when absent or malformed.
std::optional<std::string> query_param(std::string_view query, std::string_view name);

}  // namespace weft
