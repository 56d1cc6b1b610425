// The HTTP side of ServerCore: health, metrics, the rooms API, static files.
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "server/http_params.h"
#include "server/server.h"

namespace weft::server {

namespace {

constexpr std::string_view kRoomsPrefix = "/api/rooms/";
constexpr std::string_view kUpdateSuffix = "/update";

HttpResponse error_response(const Status& s) {
  const int code = s.code() == ErrorCode::kIo ? 500 : 400;
  return HttpResponse::text(code, s.to_string() + "\n");
}

}  // namespace

HttpResponse ServerCore::handle_http(const HttpRequest& request) {
  const bool get = request.method == "GET" || request.method == "HEAD";
  const std::string& path = request.path;
  if (path == "/healthz" || path == "/metrics" || path == "/api" || path.starts_with("/api/")) {
    if (!get) {
      HttpResponse r = HttpResponse::text(405, "method not allowed\n");
      r.headers.emplace_back("Allow", "GET, HEAD");
      return r;
    }
    if (path == "/healthz") return HttpResponse::text(200, "ok");
    if (path == "/metrics") {
      HttpResponse r =
          HttpResponse::text(200, metrics_.render(store_.stats()) + signaling_->render_metrics());
      r.content_type = "text/plain; version=0.0.4; charset=utf-8";
      return r;
    }
    // With auth on, the API reveals documents: it needs a token like the
    // rooms themselves (read access is enough; the API only reads).
    std::optional<TokenClaims> claims;
    if (path == "/api/rooms") {
      if (std::optional<HttpResponse> refused = authorize(request, nullptr, claims))
        return std::move(*refused);
      return api_rooms(claims);
    }
    if (path.starts_with(kRoomsPrefix) && path.size() > kRoomsPrefix.size()) {
      std::string room = path.substr(kRoomsPrefix.size());
      const bool update = room.ends_with(kUpdateSuffix) && room.size() > kUpdateSuffix.size();
      if (update) room.resize(room.size() - kUpdateSuffix.size());
      if (std::optional<HttpResponse> refused = authorize(request, &room, claims)) return std::move(*refused);
      return update ? api_room_update(room, request) : api_room(room, request);
    }
    return HttpResponse::text(404, "not found\n");
  }
  if (static_files_) {
    if (std::optional<HttpResponse> r = static_files_->serve(request)) return std::move(*r);
  }
  return HttpResponse::text(404, "not found\n");
}

HttpResponse ServerCore::api_rooms(const std::optional<TokenClaims>& claims) {
  Result<std::vector<RoomInfo>> rooms = store_.list_rooms();
  if (!rooms) return error_response(rooms.status());
  nlohmann::json out = nlohmann::json::array();
  for (const RoomInfo& info : *rooms) {
    // A token lists only the rooms its pattern covers.
    if (claims && !room_matches(claims->pattern, info.room)) continue;
    out.push_back({{"room", info.room},
                   {"bytes", info.total_bytes()},
                   {"log_count", info.log_count},
                   {"log_bytes", info.log_bytes},
                   {"snapshot_bytes", info.snapshot_bytes},
                   {"last_seq", info.last_seq}});
  }
  return HttpResponse::json(200, out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

HttpResponse ServerCore::api_room(const std::string& room, const HttpRequest& request) {
  std::map<std::string, TypeRef> types;
  if (std::optional<std::string> spec = query_param(request.query, "type")) {
    Result<std::map<std::string, TypeRef>> parsed = parse_type_param(*spec);
    if (!parsed) return error_response(parsed.status());
    types = std::move(*parsed);
  }
  if (Result<RoomInfo> info = store_.room_size(room); !info) {
    if (info.status().code() == ErrorCode::kInvalidArgument) return HttpResponse::text(404, "no such room\n");
    return error_response(info.status());
  }
  Result<Room::Loaded> loaded = Room::load(store_, room);
  if (!loaded) return error_response(loaded.status());
  return HttpResponse::json(200, loaded->doc->to_canonical_json(types) + "\n");
}

HttpResponse ServerCore::api_room_update(const std::string& room, const HttpRequest& request) {
  std::vector<uint8_t> sv;
  if (std::optional<std::string> text = query_param(request.query, "sv")) {
    Result<std::vector<uint8_t>> decoded = decode_binary_param(*text);
    if (!decoded) return HttpResponse::text(400, "sv: " + decoded.status().to_string() + "\n");
    sv = std::move(*decoded);
  }
  if (Result<RoomInfo> info = store_.room_size(room); !info) {
    if (info.status().code() == ErrorCode::kInvalidArgument) return HttpResponse::text(404, "no such room\n");
    return error_response(info.status());
  }
  Result<Room::Loaded> loaded = Room::load(store_, room);
  if (!loaded) return error_response(loaded.status());
  Result<UpdateBytes> update = loaded->doc->encode_state_as_update(sv);
  if (!update) return HttpResponse::text(400, "sv: " + update.status().to_string() + "\n");
  HttpResponse r;
  r.status = 200;
  r.content_type = "application/octet-stream";
  r.body.assign(update->begin(), update->end());
  return r;
}

}  // namespace weft::server
