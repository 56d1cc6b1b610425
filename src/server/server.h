// Server: `weft serve` as a library. A drop-in y-websocket server (rooms,
// persist before broadcast, awareness relay) plus an HTTP API on the same
// port (http_api.cc):
//
//   GET /healthz                    "ok"
//   GET /metrics                    Prometheus text (metrics.h)
//   GET /api/rooms                  [{"room", "bytes", "log_count", "snapshot_bytes", "last_seq"}]
//   GET /api/rooms/ROOM             canonical JSON of the stored doc (?type=NAME:map,...)
//   GET /api/rooms/ROOM/update      the stored state as one v1 update (?sv=hex|base64: the diff)
//   GET /anything-else              static files from options.static_dir
//
// A WebSocket upgrade on any other path joins the room named by the raw
// path after the leading '/' up to '?' (not percent-decoded, as the
// reference server does). `/api/` is reserved; `/signaling` is the y-webrtc
// signaling server (signaling.h).
//
// The HTTP API reads the store, not the rooms in memory: it shows exactly
// what is durable, and never waits on a room's strand.
//
//   SqliteDocStore store = ...;
//   Server server(options, *store);
//   if (Status s = server.start(); !s) ...;
//   ... server.port() ...
//   server.stop();   // also closes the store
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "net/http_handler.h"
#include "net/net_server.h"
#include "net/static_files.h"
#include "server/auth.h"
#include "server/metrics.h"
#include "server/room.h"
#include "server/server_options.h"
#include "server/signaling.h"
#include "store/doc_store.h"

namespace weft::server {

// The shared part: handler of every request, owner of the rooms. Held by
// the NetServer (as its HttpHandler) and by every connection's handler.
class ServerCore : public HttpHandler, public std::enable_shared_from_this<ServerCore> {
 public:
  ServerCore(ServerOptions options, DocStore& store);
  ~ServerCore() override;

  HttpReply on_request(const HttpRequest& request) override;

  // Before start: where room strands run.
  void set_io_context(boost::asio::io_context* ioc) { ioc_ = ioc; }

  // The room for a connection that just opened (created and loading if
  // new); its refs already counts the connection.
  std::shared_ptr<Room> acquire_room(const std::string& name);
  // Drops `room` from the map if it is still there with no connection.
  void try_evict(const std::shared_ptr<Room>& room);
  // Posts upkeep to every room (awareness expiry, idle eviction).
  void tick_rooms();
  // After the transport stopped: forget every room.
  void clear_rooms();
  size_t room_count() const;

  Metrics& metrics() { return metrics_; }
  SignalingHub& signaling() { return *signaling_; }
  const ServerOptions& options() const { return options_; }

 private:
  HttpResponse handle_http(const HttpRequest& request);
  // A /signaling upgrade: auth (server.cc), then a SignalingHub handler.
  HttpReply accept_signaling(const HttpRequest& request);
  // access.cc. With auth off: nullopt, `claims` empty. With auth on:
  // nullopt and the token's claims when the request's token is valid and
  // (if `room` is given) covers *room; else the 401/403 answer, after one
  // warning line and a count.
  std::optional<HttpResponse> authorize(const HttpRequest& request, const std::string* room,
                                        std::optional<TokenClaims>& claims);
  HttpResponse api_rooms(const std::optional<TokenClaims>& claims);
  HttpResponse api_room(const std::string& room, const HttpRequest& request);
  HttpResponse api_room_update(const std::string& room, const HttpRequest& request);

  const ServerOptions options_;
  DocStore& store_;
  Metrics metrics_;
  std::optional<StaticFiles> static_files_;
  std::optional<TokenVerifier> verifier_;  // set when options_.auth_secret is
  boost::asio::io_context* ioc_ = nullptr;
  boost::asio::thread_pool loader_{1};
  RoomContext room_ctx_;
  // y-webrtc signaling on `/signaling` (signaling.h).
  std::shared_ptr<SignalingHub> signaling_;

  mutable std::mutex rooms_mu_;
  std::unordered_map<std::string, std::shared_ptr<Room>> rooms_;
};

class Server {
 public:
  // `store` must outlive the Server.
  Server(ServerOptions options, DocStore& store);
  ~Server();  // stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts serving; kIo when the address cannot be bound.
  Status start();
  uint16_t port() const { return net_->port(); }
  // Stops accepting, closes connections (1001), then closes the store
  // (every queued write is committed; store callbacks must not outlive the
  // io_context they post to) and drops the rooms. Blocking; idempotent.
  void stop();

  ServerCore& core() { return *core_; }

 private:
  void schedule_tick();

  DocStore& store_;
  std::shared_ptr<ServerCore> core_;
  std::unique_ptr<NetServer> net_;
  std::optional<boost::asio::steady_timer> tick_timer_;
  bool stopped_ = false;
};

}  // namespace weft::server
