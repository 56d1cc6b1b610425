#include "net/ws_session.h"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/websocket/detail/hybi13.hpp>
#include <exception>
#include <string>

namespace weft::net_detail {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;

namespace {

// Messages below this go out uncompressed: a no-context deflate of a small
// Yjs update or awareness message saves a few bytes at best (often it grows)
// for a zlib call each. See docs/server.md for the measurement.
constexpr size_t kMinDeflateBytes = 256;
// Payloads at least this large that are shared between sends (the Room's
// cached full-state SyncStep2, broadcasts) keep their compressed form here,
// so the next connection that needs them costs no zlib work.
constexpr size_t kCacheMinBytes = size_t{64} << 10;
constexpr size_t kCacheEntries = 8;
// Above this, compress at zlib level 1 whatever --deflate-level says: the
// first new client of a multi-megabyte document waits for the compression
// (docs/server.md has the measurement).
constexpr size_t kFastDeflateBytes = size_t{1} << 20;

class DeflateCache {
 public:
  using Bytes = std::shared_ptr<const std::vector<uint8_t>>;
  Bytes find(const Bytes& source, int level, int bits) {
    std::lock_guard lock(mu_);
    for (Entry& e : entries_) {
      if (same(e, source) && e.level == level && e.bits == bits) {
        e.used = ++clock_;
        return e.deflated;
      }
    }
    return nullptr;
  }
  void put(const Bytes& source, int level, int bits, Bytes deflated) {
    std::lock_guard lock(mu_);
    // Entries whose source is gone are dead weight.
    std::erase_if(entries_, [](const Entry& e) { return e.source.expired(); });
    if (entries_.size() >= kCacheEntries) {
      auto oldest = std::min_element(entries_.begin(), entries_.end(),
                                     [](const Entry& a, const Entry& b) { return a.used < b.used; });
      entries_.erase(oldest);
    }
    entries_.push_back(Entry{source, level, bits, std::move(deflated), ++clock_});
  }

 private:
  struct Entry {
    std::weak_ptr<const std::vector<uint8_t>> source;
    int level;
    int bits;
    Bytes deflated;
    uint64_t used;
  };
  static bool same(const Entry& e, const Bytes& source) {
    return !e.source.owner_before(source) && !source.owner_before(e.source) && !e.source.expired();
  }
  std::mutex mu_;
  std::vector<Entry> entries_;
  uint64_t clock_ = 0;
};

DeflateCache& deflate_cache() {
  static DeflateCache cache;
  return cache;
}

// A read buffer per io thread: an idle connection holds none.
std::vector<uint8_t>& read_buffer() {
  thread_local std::vector<uint8_t> buffer(size_t{64} << 10);
  return buffer;
}

}  // namespace

WsSession::WsSession(beast::tcp_stream stream, std::shared_ptr<NetContext> ctx,
                     std::shared_ptr<WsHandler> handler, std::string remote, std::shared_ptr<void> ip_slot,
                     std::string early)
    : handshake_stream_(std::move(stream)),
      exec_(handshake_stream_->get_executor()),
      socket_(exec_),
      timer_(exec_),
      ctx_(std::move(ctx)),
      handler_(std::move(handler)),
      remote_(std::move(remote)),
      id_(ctx_->registry.next_id()),
      ip_slot_(std::move(ip_slot)),
      early_(std::move(early)) {}

WsSession::~WsSession() { ctx_->registry.remove(id_); }

void WsSession::run(Request req) {
  ctx_->registry.add(id_, weak_from_this());
  const NetServerOptions& o = ctx_->options;
  target_ = std::string(req.target());
  if (req[http::field::sec_websocket_version] != "13") return reject_handshake(426, "unsupported version\n");
  const std::string_view key = req[http::field::sec_websocket_key];
  if (key.size() != 24) return reject_handshake(400, "bad Sec-WebSocket-Key\n");

  if (o.permessage_deflate) {
    std::string offers;
    const auto [first, last] = req.equal_range(http::field::sec_websocket_extensions);
    for (auto it = first; it != last; ++it) {
      if (!offers.empty()) offers += ", ";
      offers += std::string(it->value());
    }
    deflate_ = negotiate_deflate(offers);
  }
  beast::websocket::detail::sec_ws_accept_type accept;
  beast::websocket::detail::make_sec_ws_accept(accept, key);

  auto res =
      std::make_shared<http::response<http::empty_body>>(http::status::switching_protocols, req.version());
  res->set(http::field::server, "weft");
  res->set(http::field::upgrade, "websocket");
  res->set(http::field::connection, "Upgrade");
  res->set(http::field::sec_websocket_accept, std::string_view(accept.data(), accept.size()));
  if (deflate_) res->set(http::field::sec_websocket_extensions, deflate_->response());
  handshake_stream_->expires_after(o.handshake_timeout);
  http::async_write(*handshake_stream_, *res, [self = shared_from_this(), res](beast::error_code ec, size_t) {
    self->on_handshake_written(ec);
  });
}

void WsSession::reject_handshake(unsigned status, const char* text) {
  auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(status), 11);
  res->set(http::field::server, "weft");
  res->set(http::field::content_type, "text/plain; charset=utf-8");
  if (status == 426) res->set(http::field::sec_websocket_version, "13");
  res->keep_alive(false);
  res->body() = text;
  res->prepare_payload();
  handshake_stream_->expires_after(ctx_->options.handshake_timeout);
  http::async_write(*handshake_stream_, *res, [self = shared_from_this(), res](beast::error_code, size_t) {
    beast::error_code ignored;
    self->handshake_stream_->socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    self->handshake_stream_->close();
    self->ctx_->registry.remove(self->id_);
  });
}

void WsSession::on_handshake_written(beast::error_code ec) {
  if (ec) {
    handshake_stream_->close();
    ctx_->registry.remove(id_);
    return;  // the handler never hears of this connection
  }
  handshake_stream_->expires_never();
  socket_ = handshake_stream_->release_socket();
  handshake_stream_.reset();
  socket_.non_blocking(true, ec);
  decoder_.emplace(ctx_->options.max_message_bytes, deflate_.has_value());
  open_ = true;
  handler_->on_open(shared_from_this());
  if (ctx_->registry.stopping) close(kCloseGoingAway, "server shutting down");
  schedule_ping();
  if (!early_.empty()) {
    std::string early = std::move(early_);
    if (WsFailure f =
            decoder_->feed(std::span(reinterpret_cast<const uint8_t*>(early.data()), early.size()), *this)) {
      fail(f);
    }
  }
  if (!finished_) do_wait();
  pump();
}

// ---- reading

void WsSession::do_wait() {
  socket_.async_wait(asio::ip::tcp::socket::wait_read,
                     [self = shared_from_this()](beast::error_code ec) { self->on_readable(ec); });
}

void WsSession::on_readable(beast::error_code ec) {
  if (finished_) return;
  if (ec) return finish(ec);
  std::vector<uint8_t>& buffer = read_buffer();
  // A few reads per wakeup, then yield to other connections on this thread.
  for (int round = 0; round < 4; ++round) {
    const size_t n = socket_.read_some(asio::buffer(buffer), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) break;
    if (ec) return finish(ec);
    if (failed_ || decoder_->closed()) continue;  // the stream is over: drain, wait for EOF
    if (WsFailure f = decoder_->feed(std::span<const uint8_t>(buffer.data(), n), *this)) fail(f);
    if (finished_) return;
    if (n < buffer.size()) break;
  }
  do_wait();
}

void WsSession::on_message(bool text, std::span<const uint8_t> data) {
  alive_ = true;
  if (finished_ || close_sent_ || server_closed_) return;  // closing: nothing more reaches the handler
  try {
    handler_->on_message(*this, text ? FrameKind::kText : FrameKind::kBinary, data);
  } catch (const std::exception&) {
    close(1011, "internal error");  // a throwing handler is a bug above us; keep the io thread
  }
}

void WsSession::on_ping(std::span<const uint8_t> payload) {
  alive_ = true;
  if (!close_sent_) queue_control(WsOpcode::kPong, payload);
}

void WsSession::on_close(uint16_t code, std::string_view reason) {
  peer_closed_ = true;
  peer_code_ = code;
  peer_reason_ = std::string(reason);
  if (close_sent_) return cut();  // the answer to ours: the handshake is complete
  {
    // Answer with the same code (RFC 6455 5.5.1); what is queued is dropped.
    std::lock_guard lock(mu_);
    if (!closing_) {
      closing_ = true;
      close_code_ = code == 1005 ? 0 : code;
      close_text_.clear();
    }
    for (const OutMessage& m : queue_) pending_bytes_ -= m.size();
    queue_.clear();
  }
  pump();
}

void WsSession::fail(const WsFailure& failure) {
  failed_ = true;
  server_closed_ = true;
  {
    std::lock_guard lock(mu_);
    closing_ = true;
    close_code_ = failure.code;
    close_text_ = failure.reason;
    for (const OutMessage& m : queue_) pending_bytes_ -= m.size();
    queue_.clear();
  }
  pump();
}

// ---- writing

bool WsSession::send(OutMessage message) {
  const size_t n = message.size();
  bool post_pump = false;
  bool notify_high = false;
  bool accepted = false;
  size_t pending = 0;
  {
    std::lock_guard lock(mu_);
    if (closing_) return false;
    pending = pending_bytes_.load() + n;
    if (pending > ctx_->options.send_queue_hard_bytes) {
      // Too far behind: drop what is queued and close, so the close frame is not
      // stuck behind megabytes the peer is not reading.
      for (const OutMessage& m : queue_) pending_bytes_ -= m.size();
      queue_.clear();
    } else {
      queue_.push_back(std::move(message));
      pending_bytes_ += n;
      if (!high_notified_ && pending > ctx_->options.send_queue_soft_bytes) {
        high_notified_ = true;
        notify_high = true;
      }
      post_pump = !writing_ && !pump_posted_;
      if (post_pump) pump_posted_ = true;
      accepted = true;
    }
  }
  if (!accepted) {
    close(kCloseTryAgainLater, "send queue full");
    return false;
  }
  if (post_pump) asio::post(exec_, [self = shared_from_this()] { self->pump(); });
  if (notify_high) {
    asio::post(exec_, [self = shared_from_this(), high = pending] {
      if (self->open_ && !self->finished_) self->handler_->on_send_queue_high(*self, high);
    });
  }
  return true;
}

void WsSession::edit_pending(const std::function<void(std::deque<OutMessage>&)>& edit) {
  std::lock_guard lock(mu_);
  edit(queue_);
  size_t total = in_flight_bytes_;
  for (const OutMessage& m : queue_) total += m.size();
  pending_bytes_ = total;
  if (high_notified_ && total < ctx_->options.send_queue_soft_bytes / 2) high_notified_ = false;
}

void WsSession::close(uint16_t code, std::string reason) {
  {
    std::lock_guard lock(mu_);
    if (closing_) return;
    closing_ = true;
    close_code_ = code;
    close_text_ = std::move(reason);
  }
  asio::post(exec_, [self = shared_from_this()] {
    if (!self->peer_closed_) self->server_closed_ = true;
    self->pump();
  });
}

void WsSession::queue_control(WsOpcode opcode, std::span<const uint8_t> payload) {
  std::array<uint8_t, 10> header;
  const size_t n = encode_frame_header(opcode, true, false, payload.size(), header);
  control_pending_.insert(control_pending_.end(), header.begin(), header.begin() + n);
  control_pending_.insert(control_pending_.end(), payload.begin(), payload.end());
  pump();
}

void WsSession::pump() {
  std::unique_lock lock(mu_);
  pump_posted_ = false;
  if (!open_ || finished_ || writing_ || close_sent_) return;
  if (!control_pending_.empty()) {
    writing_ = true;
    lock.unlock();
    control_writing_.swap(control_pending_);
    asio::async_write(socket_, asio::buffer(control_writing_),
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        self->control_writing_.clear();
                        self->on_written(ec);
                      });
    return;
  }
  if (!queue_.empty() && !failed_ && !peer_closed_) {
    OutMessage message = std::move(queue_.front());
    queue_.pop_front();
    writing_ = true;
    in_flight_bytes_ = message.size();
    lock.unlock();
    return write_message(std::move(message));
  }
  if (!closing_) return;
  writing_ = true;
  close_sent_ = true;
  const uint16_t code = close_code_;
  std::string reason = close_text_;
  lock.unlock();
  // The close body: the code, then a reason cut to fit a control frame (123 bytes) on a UTF-8 boundary.
  if (reason.size() > 123) {
    size_t cut_at = 123;
    while (cut_at > 0 && (static_cast<uint8_t>(reason[cut_at]) & 0xc0) == 0x80) --cut_at;
    reason.resize(cut_at);
  }
  control_writing_.clear();
  std::array<uint8_t, 10> header;
  const size_t body = code == 0 ? 0 : 2 + reason.size();
  const size_t n = encode_frame_header(WsOpcode::kClose, true, false, body, header);
  control_writing_.insert(control_writing_.end(), header.begin(), header.begin() + n);
  if (code != 0) {
    control_writing_.push_back(static_cast<uint8_t>(code >> 8));
    control_writing_.push_back(static_cast<uint8_t>(code));
    control_writing_.insert(control_writing_.end(), reason.begin(), reason.end());
  }
  asio::async_write(
      socket_, asio::buffer(control_writing_), [self = shared_from_this()](beast::error_code ec, size_t) {
        {
          std::lock_guard lock(self->mu_);
          self->writing_ = false;
        }
        if (ec || self->peer_closed_) return self->cut();  // handshake done (or the link is gone)
        if (self->failed_) {
          // The input cannot be parsed any more: tell the peer we are done
          // sending, and wait for its end of the link.
          beast::error_code ignored;
          self->socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
        }
        // Wait for the peer's close frame (or EOF), at most the handshake timeout.
        self->timer_.expires_after(self->ctx_->options.handshake_timeout);
        self->timer_.async_wait([self](beast::error_code timer_ec) { self->on_timer(timer_ec); });
      });
}

void WsSession::write_message(OutMessage message) {
  const std::vector<uint8_t>* payload = message.data.get();
  static const std::vector<uint8_t> kEmpty;
  if (!payload) payload = &kEmpty;
  bool rsv1 = false;
  writing_deflated_.reset();
  if (deflate_ && payload->size() >= kMinDeflateBytes && payload->size() <= ctx_->options.deflate_max_bytes &&
      ctx_->options.deflate_level > 0) {
    const int bits = deflate_->server_window_bits;
    const int level = payload->size() >= kFastDeflateBytes ? 1 : ctx_->options.deflate_level;
    const bool cacheable = payload->size() >= kCacheMinBytes;
    if (cacheable) writing_deflated_ = deflate_cache().find(message.data, level, bits);
    if (!writing_deflated_) {
      auto out = std::make_shared<std::vector<uint8_t>>();
      deflate_message(*payload, level, bits, *out);
      writing_deflated_ = std::move(out);
      if (cacheable) deflate_cache().put(message.data, level, bits, writing_deflated_);
    }
    rsv1 = true;
    payload = writing_deflated_.get();
  }
  const WsOpcode opcode = message.kind == FrameKind::kText ? WsOpcode::kText : WsOpcode::kBinary;
  const size_t n = encode_frame_header(opcode, true, rsv1, payload->size(), header_);
  writing_message_ = std::move(message);
  const std::array<asio::const_buffer, 2> buffers{asio::buffer(header_.data(), n), asio::buffer(*payload)};
  asio::async_write(socket_, buffers, [self = shared_from_this()](beast::error_code ec, size_t) {
    self->writing_message_ = {};
    self->writing_deflated_.reset();
    {
      std::lock_guard lock(self->mu_);
      self->pending_bytes_ -= self->in_flight_bytes_;
      self->in_flight_bytes_ = 0;
      if (self->high_notified_ && self->pending_bytes_ < self->ctx_->options.send_queue_soft_bytes / 2) {
        self->high_notified_ = false;
      }
    }
    self->on_written(ec);
  });
}

void WsSession::on_written(beast::error_code ec) {
  {
    std::lock_guard lock(mu_);
    writing_ = false;
  }
  if (ec) return cut();
  pump();
}

// ---- liveness and teardown

void WsSession::schedule_ping() {
  timer_.expires_after(ctx_->options.ping_interval);
  timer_.async_wait([self = shared_from_this()](beast::error_code ec) { self->on_timer(ec); });
}

void WsSession::on_timer(beast::error_code ec) {
  if (ec || finished_) return;
  if (close_sent_) return cut();  // the close handshake timed out
  if (!alive_) {
    server_closed_ = true;  // no pong since the last ping: the peer is gone
    return cut();
  }
  alive_ = false;
  queue_control(WsOpcode::kPing, {});
  schedule_ping();
}

void WsSession::cut() {
  beast::error_code ec;
  if (!socket_.is_open()) return;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);  // the pending wait ends with operation_aborted: finish()
}

void WsSession::finish(beast::error_code) {
  if (finished_) return;
  finished_ = true;
  ctx_->registry.remove(id_);  // the owner may keep this object; stop() waits only for live links
  timer_.cancel();
  uint16_t sent_code = 0;
  std::string sent_reason;
  {
    std::lock_guard lock(mu_);
    closing_ = true;
    queue_.clear();
    pending_bytes_ = in_flight_bytes_;
    sent_code = close_code_;
    sent_reason = close_text_;
  }
  CloseInfo info;
  info.by_server = server_closed_;
  if (server_closed_ && close_sent_) {
    info.code = sent_code;
    info.reason = std::move(sent_reason);
  } else if (peer_closed_) {
    info.code = peer_code_ == 1005 ? kCloseNormal : peer_code_;
    info.reason = peer_reason_;
  } else {
    info.code = kCloseAbnormal;
  }
  cut();
  ip_slot_.reset();
  if (open_) {
    try {
      handler_->on_close(*this, info);
    } catch (const std::exception&) {
      // Nothing more to tell the handler; the connection is gone either way.
    }
  }
  handler_.reset();  // the handler may hold this connection: break the cycle
}

void WsSession::shutdown() { close(kCloseGoingAway, "server shutting down"); }

void WsSession::abort() {
  asio::post(exec_, [self = shared_from_this()] {
    self->server_closed_ = true;
    if (self->handshake_stream_) {
      self->handshake_stream_->close();
      self->ctx_->registry.remove(self->id_);
      return;
    }
    self->cut();
  });
}

}  // namespace weft::net_detail
