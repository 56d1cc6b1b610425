#include "server/signaling.h"

#include "server/auth.h"
#include "server/rate_limit.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <optional>

namespace weft::server {

namespace {

// Keys keep their order, so a relayed message reads as it was sent.
using Json = nlohmann::ordered_json;

std::vector<uint8_t> to_bytes(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }

// The topic names of a subscribe/unsubscribe message: nullopt when "topics"
// is present but not an array (malformed); entries that are not strings are
// skipped, as the reference server does.
std::optional<std::vector<std::string>> topic_names(const Json& message) {
  std::vector<std::string> out;
  auto it = message.find("topics");
  if (it == message.end() || it->is_null()) return out;
  if (!it->is_array()) return std::nullopt;
  for (const Json& t : *it) {
    if (t.is_string()) out.push_back(t.get<std::string>());
  }
  return out;
}

class SignalingHandler final : public WsHandler {
 public:
  SignalingHandler(std::shared_ptr<SignalingHub> hub, std::optional<std::string> topic_pattern,
                   int64_t expires_unix)
      : hub_(std::move(hub)),
        topic_pattern_(std::move(topic_pattern)),
        expires_unix_(expires_unix),
        bucket_(hub_->limits().message_rate, hub_->limits().message_burst, TokenBucket::Clock::now()) {}

  void on_open(const std::shared_ptr<WsConnection>& conn) override {
    attached_ = hub_->attach(conn, std::move(topic_pattern_), expires_unix_);
    if (!attached_) {
      spdlog::warn("signaling: refusing connection {} from {}: {} connections open", conn->id(),
                   conn->remote(), hub_->limits().max_connections);
      conn->close(kCloseTryAgainLater, "too many signaling connections");
      return;
    }
    spdlog::debug("signaling: connection {} from {} opened", conn->id(), conn->remote());
  }

  void on_message(WsConnection& conn, FrameKind kind, std::span<const uint8_t> data) override {
    if (!attached_ || rate_limited_) return;
    if (expires_unix_ != kNoExpiry && unix_now() >= expires_unix_) {
      rate_limited_ = true;  // closing: nothing more is handled
      spdlog::warn("signaling: closing connection {} from {}: its token expired", conn.id(), conn.remote());
      hub_->refuse(conn, kClosePolicy, "token expired");
      return;
    }
    if (!bucket_.take(TokenBucket::Clock::now())) {
      rate_limited_ = true;
      spdlog::warn("signaling: closing connection {} from {}: over {} messages/s (burst {})", conn.id(),
                   conn.remote(), hub_->limits().message_rate, hub_->limits().message_burst);
      hub_->refuse(conn, kClosePolicy, "rate limit");
      return;
    }
    hub_->on_message(conn, kind, std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
  }

  void on_close(WsConnection& conn, const CloseInfo& info) override {
    if (!attached_) return;
    spdlog::debug("signaling: connection {} closed ({} {})", conn.id(), info.code, info.reason);
    hub_->detach(conn.id());
  }

 private:
  std::shared_ptr<SignalingHub> hub_;
  std::optional<std::string> topic_pattern_;
  const int64_t expires_unix_;
  TokenBucket bucket_;  // the connection's strand only, as the two below
  bool rate_limited_ = false;
  bool attached_ = false;
};

}  // namespace

bool SignalingHub::attach(const std::shared_ptr<WsConnection>& conn, std::optional<std::string> topic_pattern,
                          int64_t expires_unix) {
  std::lock_guard lock(mu_);
  if (conns_.size() >= limits_.max_connections) return false;
  Conn& c = conns_[conn->id()];
  c.conn = conn;
  c.pattern = std::move(topic_pattern);
  c.expires_unix = expires_unix;
  return true;
}

void SignalingHub::close_expired(int64_t now_unix) {
  std::vector<std::shared_ptr<WsConnection>> expired;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, c] : conns_) {
      if (now_unix < c.expires_unix) continue;
      c.expires_unix = kNoExpiry;  // closing: once
      expired.push_back(c.conn);
    }
  }
  for (const auto& conn : expired) {
    spdlog::warn("signaling: closing connection {} from {}: its token expired", conn->id(), conn->remote());
    refuse(*conn, kClosePolicy, "token expired");
  }
}

bool SignalingHub::allowed_locked(uint64_t conn_id, const std::string& topic) const {
  auto c = conns_.find(conn_id);
  return c != conns_.end() && (!c->second.pattern || room_matches(*c->second.pattern, topic));
}

void SignalingHub::detach(uint64_t conn_id) {
  std::lock_guard lock(mu_);
  auto it = conns_.find(conn_id);
  if (it == conns_.end()) return;
  for (const std::string& topic : it->second.topics) {
    auto t = topics_.find(topic);
    if (t == topics_.end()) continue;
    t->second.erase(conn_id);
    if (t->second.empty()) topics_.erase(t);
  }
  conns_.erase(it);
}

bool SignalingHub::subscribe_locked(uint64_t conn_id, Conn& conn, const std::string& topic) {
  if (conn.topics.contains(topic)) return true;
  if (conn.topics.size() >= limits_.max_topics_per_connection) return false;
  if (conn.pattern && !room_matches(*conn.pattern, topic)) {
    spdlog::warn("signaling: connection {} not subscribed to a topic its token does not cover", conn_id);
    return true;
  }
  auto t = topics_.find(topic);
  if (t == topics_.end()) {
    if (topics_.size() >= limits_.max_topics) {
      spdlog::warn("signaling: connection {} not subscribed to a new topic: {} topics exist", conn_id,
                   limits_.max_topics);
      return true;
    }
    t = topics_.emplace(topic, std::unordered_map<uint64_t, std::shared_ptr<WsConnection>>{}).first;
  } else if (t->second.size() >= limits_.max_subscribers_per_topic) {
    spdlog::warn("signaling: connection {} not subscribed to a topic with {} subscribers", conn_id,
                 t->second.size());
    return true;
  }
  t->second.emplace(conn_id, conn.conn);
  conn.topics.insert(topic);
  return true;
}

void SignalingHub::unsubscribe_locked(uint64_t conn_id, Conn& conn, const std::string& topic) {
  if (conn.topics.erase(topic) == 0) return;
  auto t = topics_.find(topic);
  if (t == topics_.end()) return;
  t->second.erase(conn_id);
  if (t->second.empty()) topics_.erase(t);
}

std::vector<std::shared_ptr<WsConnection>> SignalingHub::receivers(const std::string& topic) const {
  std::vector<std::shared_ptr<WsConnection>> out;
  std::lock_guard lock(mu_);
  auto t = topics_.find(topic);
  if (t == topics_.end()) return out;
  out.reserve(t->second.size());
  for (const auto& [id, conn] : t->second) out.push_back(conn);
  return out;
}

void SignalingHub::on_message(WsConnection& conn, FrameKind kind, std::string_view text) {
  if (kind != FrameKind::kText) {
    spdlog::warn("signaling: closing connection {} from {}: binary frame", conn.id(), conn.remote());
    refuse(conn, kCloseUnsupportedData, "signaling takes JSON text frames");
    return;
  }
  if (text.size() > limits_.max_message_bytes) {
    spdlog::warn("signaling: closing connection {} from {}: message of {} bytes over {}", conn.id(),
                 conn.remote(), text.size(), limits_.max_message_bytes);
    refuse(conn, kCloseTooBig, "signaling message too big");
    return;
  }
  Json message = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (message.is_discarded()) {
    spdlog::warn("signaling: closing connection {} from {}: malformed JSON", conn.id(), conn.remote());
    refuse(conn, kCloseProtocolError, "malformed JSON");
    return;
  }
  if (!message.is_object()) return;
  auto type_it = message.find("type");
  if (type_it == message.end() || !type_it->is_string()) return;
  const std::string& type = type_it->get_ref<const std::string&>();

  if (type == "subscribe" || type == "unsubscribe") {
    auto names = topic_names(message);
    if (!names) {
      spdlog::warn("signaling: closing connection {} from {}: \"topics\" is not an array", conn.id(),
                   conn.remote());
      refuse(conn, kCloseProtocolError, "topics must be an array");
      return;
    }
    bool over = false;
    {
      std::lock_guard lock(mu_);
      auto c = conns_.find(conn.id());
      if (c == conns_.end()) return;
      for (const std::string& topic : *names) {
        if (type == "unsubscribe") {
          unsubscribe_locked(conn.id(), c->second, topic);
        } else if (!subscribe_locked(conn.id(), c->second, topic)) {
          over = true;
          break;
        }
      }
    }
    if (over) {
      spdlog::warn("signaling: closing connection {} from {}: more than {} topics", conn.id(), conn.remote(),
                   limits_.max_topics_per_connection);
      refuse(conn, kClosePolicy, "too many topics");
    }
  } else if (type == "publish") {
    auto topic_it = message.find("topic");
    // The reference server relays when `topic` is truthy; only a non-empty
    // string can name a topic.
    if (topic_it == message.end() || !topic_it->is_string() ||
        topic_it->get_ref<const std::string&>().empty()) {
      return;
    }
    const std::string& topic = topic_it->get_ref<const std::string&>();
    {
      std::lock_guard lock(mu_);
      if (!allowed_locked(conn.id(), topic)) return;  // its token does not cover the topic
    }
    auto to = receivers(topic);
    if (to.empty()) return;
    message["clients"] = to.size();
    auto payload = std::make_shared<const std::vector<uint8_t>>(
        to_bytes(message.dump(-1, ' ', false, Json::error_handler_t::replace)));
    publishes_total_.fetch_add(1);
    for (const auto& receiver : to) {
      if (receiver->send(OutMessage{payload, FrameKind::kText})) messages_out_total_.fetch_add(1);
    }
  } else if (type == "ping") {
    conn.send(to_bytes(R"({"type":"pong"})"), FrameKind::kText);
  }
}

void SignalingHub::refuse(WsConnection& conn, uint16_t code, const char* reason) {
  closed_total_.fetch_add(1);
  conn.close(code, reason);
}

std::string SignalingHub::render_metrics() const {
  const SignalingStats s = stats();
  std::string out;
  auto metric = [&out](const char* name, const char* type, const char* help, uint64_t value) {
    out += fmt::format("# HELP {0} {1}\n# TYPE {0} {2}\n{0} {3}\n", name, help, type, value);
  };
  metric("weft_signaling_connections", "gauge", "Open y-webrtc signaling connections.", s.connections);
  metric("weft_signaling_topics", "gauge", "Signaling topics with subscribers.", s.topics);
  metric("weft_signaling_subscriptions", "gauge", "Signaling subscriptions (connection, topic).",
         s.subscriptions);
  metric("weft_signaling_publishes_total", "counter", "Signaling publish messages relayed.",
         publishes_total_.load());
  metric("weft_signaling_messages_out_total", "counter", "Signaling messages queued to subscribers.",
         messages_out_total_.load());
  metric("weft_signaling_closed_total", "counter",
         "Signaling connections closed for a violation (malformed, binary, too big, too many topics, rate).",
         closed_total_.load());
  return out;
}

SignalingStats SignalingHub::stats() const {
  std::lock_guard lock(mu_);
  SignalingStats s;
  s.connections = conns_.size();
  s.topics = topics_.size();
  for (const auto& [name, subs] : topics_) s.subscriptions += subs.size();
  return s;
}

size_t SignalingHub::subscribers(const std::string& topic) const {
  std::lock_guard lock(mu_);
  auto t = topics_.find(topic);
  return t == topics_.end() ? 0 : t->second.size();
}

std::shared_ptr<WsHandler> SignalingHub::make_handler(std::optional<std::string> topic_pattern,
                                                      int64_t expires_unix) {
  return std::make_shared<SignalingHandler>(shared_from_this(), std::move(topic_pattern), expires_unix);
}

}  // namespace weft::server
