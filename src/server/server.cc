#include "server/server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "server/rate_limit.h"
#include "server/slow_consumer.h"
#include "weft/update.h"

namespace weft::server {

namespace asio = boost::asio;

namespace {

bool reserved_path(std::string_view path) {
  return path == "/api" || path.starts_with("/api/") || path == "/signaling" ||
         path.starts_with("/signaling/");
}

// One per WebSocket connection: routes its callbacks to its room, after
// the connection's message rate limit.
class ConnHandler final : public WsHandler {
 public:
  ConnHandler(std::shared_ptr<ServerCore> core, std::string room, bool read_only, int64_t expires_unix)
      : core_(std::move(core)),
        room_name_(std::move(room)),
        read_only_(read_only),
        expires_unix_(expires_unix),
        bucket_(core_->options().message_rate, core_->options().message_burst, TokenBucket::Clock::now()) {}

  void on_open(const std::shared_ptr<WsConnection>& conn) override {
    core_->metrics().connections.fetch_add(1);
    core_->metrics().connections_total.fetch_add(1);
    room_ = core_->acquire_room(room_name_);
    spdlog::debug("connection {} from {} joined room '{}'", conn->id(), conn->remote(), room_name_);
    room_->post_attach(conn, read_only_, expires_unix_);
  }

  void on_message(WsConnection& conn, FrameKind kind, std::span<const uint8_t> data) override {
    core_->metrics().messages_in.fetch_add(1);
    core_->metrics().bytes_in.fetch_add(data.size());
    if (rate_limited_) return;  // closing: nothing more reaches the room
    if (!bucket_.take(TokenBucket::Clock::now())) {
      rate_limited_ = true;
      core_->metrics().reject(RejectReason::kRateLimited);
      spdlog::warn("room '{}': closing connection {} from {}: rate_limited: over {} messages/s (burst {})",
                   room_name_, conn.id(), conn.remote(), core_->options().message_rate,
                   core_->options().message_burst);
      conn.close(kClosePolicy, "rate limit");
      return;
    }
    room_->post_message(conn.id(), kind, std::vector<uint8_t>(data.begin(), data.end()));
  }

  void on_send_queue_high(WsConnection& conn, size_t pending_bytes) override {
    bool merged = false;
    conn.edit_pending([&merged](std::deque<OutMessage>& queue) { merged = merge_queued_updates(queue); });
    if (merged) core_->metrics().slow_consumer_merges.fetch_add(1);
    spdlog::debug("connection {}: {} bytes queued{}", conn.id(), pending_bytes,
                  merged ? ", updates merged" : "");
  }

  void on_close(WsConnection& conn, const CloseInfo& info) override {
    spdlog::debug("connection {} left room '{}' ({} {})", conn.id(), room_name_, info.code, info.reason);
    core_->metrics().connections.fetch_sub(1);
    if (room_) {
      room_->post_detach(conn.id());
      room_->refs.fetch_sub(1);
      room_.reset();
    }
  }

 private:
  std::shared_ptr<ServerCore> core_;
  const std::string room_name_;
  const bool read_only_;
  const int64_t expires_unix_;
  TokenBucket bucket_;
  bool rate_limited_ = false;
  std::shared_ptr<Room> room_;
};

}  // namespace

ServerCore::ServerCore(ServerOptions options, DocStore& store)
    : options_(std::move(options)),
      store_(store),
      room_ctx_{options_, store_, metrics_, loader_.get_executor()},
      signaling_(std::make_shared<SignalingHub>(SignalingLimits{.max_connections = options_.max_connections,
                                                                .message_rate = options_.message_rate,
                                                                .message_burst = options_.message_burst})) {
  if (!options_.static_dir.empty()) static_files_.emplace(options_.static_dir);
  if (!options_.auth_secret.empty()) verifier_.emplace(options_.auth_secret);
}

ServerCore::~ServerCore() { clear_rooms(); }

std::shared_ptr<Room> ServerCore::acquire_room(const std::string& name) {
  std::lock_guard lock(rooms_mu_);
  std::shared_ptr<Room>& room = rooms_[name];
  if (!room) {
    room = std::make_shared<Room>(name, asio::make_strand(*ioc_), room_ctx_);
    room->start_load();
  }
  room->refs.fetch_add(1);
  return room;
}

void ServerCore::try_evict(const std::shared_ptr<Room>& room) {
  std::lock_guard lock(rooms_mu_);
  auto it = rooms_.find(room->name());
  if (it == rooms_.end() || it->second != room || room->refs.load() != 0) return;
  rooms_.erase(it);
  metrics_.room_evictions_total.fetch_add(1);
  spdlog::debug("room '{}' evicted (idle)", room->name());
}

void ServerCore::tick_rooms() {
  std::vector<std::shared_ptr<Room>> rooms;
  {
    std::lock_guard lock(rooms_mu_);
    rooms.reserve(rooms_.size());
    for (auto& [name, room] : rooms_) rooms.push_back(room);
  }
  signaling_->close_expired(unix_now());
  std::weak_ptr<ServerCore> weak = weak_from_this();
  for (auto& room : rooms) {
    room->post_tick([weak](const std::shared_ptr<Room>& r) {
      if (auto core = weak.lock()) core->try_evict(r);
    });
  }
}

void ServerCore::clear_rooms() {
  loader_.join();
  std::lock_guard lock(rooms_mu_);
  rooms_.clear();
}

size_t ServerCore::room_count() const {
  std::lock_guard lock(rooms_mu_);
  return rooms_.size();
}

HttpReply ServerCore::on_request(const HttpRequest& request) {
  if (!request.websocket_upgrade) return handle_http(request);
  if (request.path == "/signaling") return accept_signaling(request);
  if (reserved_path(request.path)) return HttpResponse::text(404, "not a room\n");
  if (metrics_.connections.load() >= static_cast<int64_t>(options_.max_connections)) {
    metrics_.reject(RejectReason::kTooManyConnections);
    spdlog::warn("refusing a connection from {}: max_connections {} reached", request.remote,
                 options_.max_connections);
    HttpResponse r = HttpResponse::text(503, "too many connections\n");
    r.headers.emplace_back("Retry-After", "5");
    return r;
  }
  std::string room = request.path.substr(1);
  std::optional<TokenClaims> claims;
  if (std::optional<HttpResponse> refused = authorize(request, &room, claims)) return std::move(*refused);
  const bool read_only = claims && claims->access == Access::kRead;
  return WsAccept{std::make_shared<ConnHandler>(shared_from_this(), std::move(room), read_only,
                                                claims ? claims->expires_unix : kNoExpiry)};
}

// With auth on, signaling needs a read-write token (WebRTC peers accept
// each other's updates, so a read token must not join them), and its
// connection may use only the topics (rooms) the token covers.
HttpReply ServerCore::accept_signaling(const HttpRequest& request) {
  std::optional<TokenClaims> claims;
  if (std::optional<HttpResponse> refused = authorize(request, nullptr, claims)) return std::move(*refused);
  if (claims && claims->access != Access::kReadWrite) {
    spdlog::warn("refusing signaling from {}: read-only token", request.remote);
    return HttpResponse::text(403, "signaling needs a read-write token\n");
  }
  if (!claims) return WsAccept{signaling_->make_handler()};
  return WsAccept{signaling_->make_handler(claims->pattern, claims->expires_unix)};
}

namespace {

NetServerOptions net_options(const std::shared_ptr<ServerCore>& core) {
  NetServerOptions net = core->options().net;
  net.on_ip_limit = [weak = std::weak_ptr<ServerCore>(core),
                     max = net.max_connections_per_ip](const std::string& remote) {
    if (auto c = weak.lock()) c->metrics().reject(RejectReason::kTooManyConnectionsPerIp);
    spdlog::warn("refusing a request from {}: max_connections_per_ip {} reached", remote, max);
  };
  return net;
}

}  // namespace

Server::Server(ServerOptions options, DocStore& store)
    : store_(store),
      core_(std::make_shared<ServerCore>(std::move(options), store)),
      net_(std::make_unique<NetServer>(net_options(core_), core_)) {
  core_->set_io_context(&net_->io_context());
}

Server::~Server() { stop(); }

Status Server::start() {
  if (!core_->options().auth_secret.empty()) WEFT_RETURN_IF_ERROR(check_secret(core_->options().auth_secret));
  WEFT_RETURN_IF_ERROR(net_->start());
  tick_timer_.emplace(net_->io_context());
  schedule_tick();
  return Status::ok();
}

void Server::schedule_tick() {
  auto interval =
      std::min<std::chrono::milliseconds>(std::chrono::milliseconds(1000), core_->options().idle_timeout);
  interval = std::max<std::chrono::milliseconds>(interval, std::chrono::milliseconds(50));
  tick_timer_->expires_after(interval);
  tick_timer_->async_wait([this, core = core_](const boost::system::error_code& ec) {
    if (ec) return;
    core->tick_rooms();
    schedule_tick();
  });
}

void Server::stop() {
  if (stopped_) return;
  stopped_ = true;
  net_->stop();
  store_.close();
  core_->clear_rooms();
}

}  // namespace weft::server
