// The WebSocket contract between the transport (net) and its owner (the
// server layer): a WsConnection to send on, a WsHandler to receive with.
//
// Threading: every WsHandler callback of one connection runs on that
// connection's strand, one at a time, in order: on_open, then any number of
// on_message / on_send_queue_high, then exactly one on_close. Different
// connections' callbacks run concurrently on the io threads. WsConnection
// methods are thread-safe and may be called from anywhere, including from
// inside the callbacks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace weft {

enum class FrameKind { kBinary, kText };

// WebSocket close codes used by the transport (RFC 6455 7.4.1).
inline constexpr uint16_t kCloseNormal = 1000;
inline constexpr uint16_t kCloseGoingAway = 1001;  // server stopping
inline constexpr uint16_t kCloseProtocolError = 1002;
inline constexpr uint16_t kCloseAbnormal = 1006;  // no close frame (never sent on the wire)
inline constexpr uint16_t kClosePolicy = 1008;
inline constexpr uint16_t kCloseTooBig = 1009;         // message over max_message_bytes
inline constexpr uint16_t kCloseTryAgainLater = 1013;  // send queue over its hard bound

// One outgoing message. The payload is shared, so a broadcast to many
// connections holds one copy.
struct OutMessage {
  std::shared_ptr<const std::vector<uint8_t>> data;
  FrameKind kind = FrameKind::kBinary;
  size_t size() const { return data ? data->size() : 0; }
};

struct CloseInfo {
  uint16_t code = kCloseAbnormal;  // the close code exchanged, or 1006 when the TCP link just ended
  std::string reason;
  bool by_server = false;  // this side initiated the close (close(), stop(), a limit, a missing pong)
};

class WsConnection {
 public:
  virtual ~WsConnection() = default;

  // Queues a message; returns false (and drops it) if the connection is
  // closing or closed, or if queueing it would push pending_bytes() over the
  // hard bound, in which case the connection is closed with 1013.
  virtual bool send(OutMessage message) = 0;
  bool send(std::vector<uint8_t> bytes, FrameKind kind = FrameKind::kBinary) {
    return send(OutMessage{std::make_shared<const std::vector<uint8_t>>(std::move(bytes)), kind});
  }

  // Starts a graceful close: messages already queued are sent, then a close
  // frame; on_close follows when the peer answers (or the close times out).
  virtual void close(uint16_t code = kCloseNormal, std::string reason = {}) = 0;

  // Bytes queued and not yet written to the socket (the message being
  // written included).
  virtual size_t pending_bytes() const = 0;

  // Runs `edit` on the queue of messages not yet handed to the socket, under
  // the queue's lock: the owner may merge, drop or replace them (for example
  // merge queued Yjs updates into one for a slow consumer). pending_bytes()
  // is recomputed afterwards. `edit` must not call into this connection.
  virtual void edit_pending(const std::function<void(std::deque<OutMessage>&)>& edit) = 0;

  // Unique per NetServer, for logs and maps.
  virtual uint64_t id() const = 0;
  virtual const std::string& remote() const = 0;
  // The request that was upgraded: path, query (e.g. an auth token), headers.
  virtual const std::string& target() const = 0;
  // True when permessage-deflate was negotiated.
  virtual bool compressed() const = 0;
};

class WsHandler {
 public:
  virtual ~WsHandler() = default;
  // The connection is open; keep `conn` to send from other threads. Drop
  // it by on_close at the latest.
  virtual void on_open(const std::shared_ptr<WsConnection>& conn) = 0;
  // One complete message; `data` is valid only during the call.
  virtual void on_message(WsConnection& conn, FrameKind kind, std::span<const uint8_t> data) = 0;
  // pending_bytes() passed the soft bound (NetServerOptions::send_queue_soft_bytes).
  // Called once per crossing; re-armed when the queue drains below half of it.
  virtual void on_send_queue_high(WsConnection& conn, size_t pending_bytes) {
    (void)conn;
    (void)pending_bytes;
  }
  // Exactly once, last; nothing is sent after it.
  virtual void on_close(WsConnection& conn, const CloseInfo& info) = 0;
};

}  // namespace weft
