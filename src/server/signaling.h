// Signaling: the y-webrtc signaling server inside `weft serve`, on
// `ws://HOST:PORT/signaling` (yjs-compat.md 10.1). JSON over text frames:
//
//   {"type":"subscribe","topics":[...]}     join each topic (strings only)
//   {"type":"unsubscribe","topics":[...]}   leave them
//   {"type":"publish","topic":T,...}        the message plus "clients": <subscribers of T>,
//                                           sent to every subscriber of T, the sender included
//   {"type":"ping"}                         answered {"type":"pong"}
//
// Anything else that is a JSON value is ignored (as the reference server
// does). Malformed JSON or a non-array "topics" closes that connection with
// 1002, a binary frame with 1003, a message over the size bound with 1009,
// a subscription past the per-connection topic bound or a message over the
// per-connection rate with 1008, and so does the expiry of the token the
// connection was opened with (at its next message or the next
// close_expired). A topic that
// already has max_subscribers_per_topic subscribers (or a new topic beyond
// max_topics) refuses further subscriptions: they are skipped and logged,
// the connection stays. A topic is dropped when its last subscriber leaves.
//
// Thread-safe: connections call in from their own strands; one mutex guards
// the topic map, and sends happen outside it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "net/ws_handler.h"
#include "server/auth.h"

namespace weft::server {

inline constexpr uint16_t kCloseUnsupportedData = 1003;  // RFC 6455: binary frame on a text-only endpoint

struct SignalingLimits {
  // A y-webrtc client subscribes once per room it has open.
  size_t max_topics_per_connection = 256;
  // Signaling messages are SDP offers/answers and ICE candidates: a few KiB.
  size_t max_message_bytes = 256 * 1024;
  // y-webrtc peers connect to 20..34 others; signaling itself fans out to all.
  size_t max_subscribers_per_topic = 1024;
  size_t max_topics = 100000;
  size_t max_connections = 10000;
  // Incoming messages per connection (a token bucket, rate_limit.h): a
  // publish fans out to every subscriber, so a flood is multiplied. The
  // server passes its --message-rate / --message-burst. rate <= 0: no limit.
  double message_rate = 200;
  double message_burst = 1000;
};

struct SignalingStats {
  size_t connections = 0;
  size_t topics = 0;
  size_t subscriptions = 0;
};

class SignalingHub : public std::enable_shared_from_this<SignalingHub> {
 public:
  explicit SignalingHub(SignalingLimits limits = {}) : limits_(limits) {}

  // Registers an open connection; false when max_connections are open (the
  // caller closes it).
  // `topic_pattern`: with auth on, the room pattern of the connection's
  // token (auth.h room_matches); it may subscribe and publish only to topics
  // it covers (others are skipped). nullopt: every topic.
  bool attach(const std::shared_ptr<WsConnection>& conn,
              std::optional<std::string> topic_pattern = std::nullopt, int64_t expires_unix = kNoExpiry);
  // Handles one message of `conn` (which must be attached); closes `conn`
  // itself on a violation (see the header comment).
  void on_message(WsConnection& conn, FrameKind kind, std::string_view text);
  // Removes every subscription of `conn_id`.
  void detach(uint64_t conn_id);
  // Closes (1008) every connection whose token expired by `now_unix`. The
  // server calls it from its periodic tick.
  void close_expired(int64_t now_unix);

  // Closes `conn` for a violation (counted in closed_total).
  void refuse(WsConnection& conn, uint16_t code, const char* reason);

  SignalingStats stats() const;
  // Prometheus text: weft_signaling_{connections,topics,subscriptions}
  // gauges and {publishes,messages_out,closed}_total counters.
  std::string render_metrics() const;
  // Subscribers of `topic` now (0 when it does not exist).
  size_t subscribers(const std::string& topic) const;
  const SignalingLimits& limits() const { return limits_; }

  // A WsHandler for one connection of this hub.
  std::shared_ptr<WsHandler> make_handler(std::optional<std::string> topic_pattern = std::nullopt,
                                          int64_t expires_unix = kNoExpiry);

 private:
  struct Conn {
    std::shared_ptr<WsConnection> conn;
    std::unordered_set<std::string> topics;
    std::optional<std::string> pattern;
    int64_t expires_unix = kNoExpiry;
  };
  // Under mu_: may connection `conn_id` use `topic`?
  bool allowed_locked(uint64_t conn_id, const std::string& topic) const;

  // Under mu_. False when `conn_id` is over its topic bound.
  bool subscribe_locked(uint64_t conn_id, Conn& conn, const std::string& topic);
  void unsubscribe_locked(uint64_t conn_id, Conn& conn, const std::string& topic);
  // The subscribers of `topic` now.
  std::vector<std::shared_ptr<WsConnection>> receivers(const std::string& topic) const;

  const SignalingLimits limits_;
  std::atomic<uint64_t> publishes_total_{0};
  std::atomic<uint64_t> messages_out_total_{0};
  std::atomic<uint64_t> closed_total_{0};
  mutable std::mutex mu_;
  std::unordered_map<uint64_t, Conn> conns_;
  std::unordered_map<std::string, std::unordered_map<uint64_t, std::shared_ptr<WsConnection>>> topics_;
};

}  // namespace weft::server
