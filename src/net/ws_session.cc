#include "net/ws_session.h"

#include <boost/asio/post.hpp>
#include <exception>
#include <string>

namespace weft::net_detail {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace asio = boost::asio;

WsSession::WsSession(beast::tcp_stream stream, std::shared_ptr<NetContext> ctx,
                     std::shared_ptr<WsHandler> handler, std::string remote, std::shared_ptr<void> ip_slot)
    : ws_(std::move(stream)),
      exec_(ws_.get_executor()),
      ping_timer_(exec_),
      ctx_(std::move(ctx)),
      handler_(std::move(handler)),
      remote_(std::move(remote)),
      id_(ctx_->registry.next_id()),
      ip_slot_(std::move(ip_slot)) {}

WsSession::~WsSession() { ctx_->registry.remove(id_); }

void WsSession::run(Request req) {
  ctx_->registry.add(id_, weak_from_this());
  const NetServerOptions& o = ctx_->options;
  upgrade_request_ = std::move(req);
  target_ = std::string(upgrade_request_.target());

  websocket::permessage_deflate pmd;
  pmd.server_enable = o.permessage_deflate;
  pmd.compLevel = o.deflate_level;
  // Only what this side compresses with is bounded: Beast 1.74 declines
  // deflate altogether when client_max_window_bits is below 15 and the
  // client's offer has no such parameter (Firefox and Safari send a bare
  // "permessage-deflate").
  pmd.server_max_window_bits = o.deflate_window_bits;
  pmd.memLevel = o.deflate_mem_level;
  ws_.set_option(pmd);
  // Beast accepts the offer whenever server_enable is set and the client offered it.
  compressed_ =
      o.permessage_deflate &&
      std::string_view(upgrade_request_[http::field::sec_websocket_extensions]).find("permessage-deflate") !=
          std::string_view::npos;

  websocket::stream_base::timeout timeout;
  timeout.handshake_timeout = o.handshake_timeout;        // also bounds the close handshake
  timeout.idle_timeout = websocket::stream_base::none();  // our own ping timer does liveness
  timeout.keep_alive_pings = false;
  ws_.set_option(timeout);
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(http::field::server, "weft"); }));
  ws_.read_message_max(o.max_message_bytes);

  ws_.async_accept(upgrade_request_,
                   [self = shared_from_this()](beast::error_code ec) { self->on_accept(ec); });
}

void WsSession::on_accept(beast::error_code ec) {
  upgrade_request_ = {};
  if (ec) return;  // handshake failed: the handler never hears of this connection
  open_ = true;
  ws_.control_callback([this](websocket::frame_type kind, beast::string_view) {
    if (kind == websocket::frame_type::pong) alive_ = true;
  });
  handler_->on_open(shared_from_this());
  if (ctx_->registry.stopping) close(kCloseGoingAway, "server shutting down");
  schedule_ping();
  do_read();
  pump();
}

void WsSession::do_read() {
  ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
}

void WsSession::on_read(beast::error_code ec) {
  if (ec) return finish(ec);
  alive_ = true;
  const FrameKind kind = ws_.got_text() ? FrameKind::kText : FrameKind::kBinary;
  const auto data = buffer_.cdata();
  if (!finished_) {
    try {
      handler_->on_message(*this, kind,
                           std::span<const uint8_t>(static_cast<const uint8_t*>(data.data()), data.size()));
    } catch (const std::exception&) {
      close(1011, "internal error");  // a throwing handler is a bug above us; keep the io thread
    }
  }
  buffer_.consume(buffer_.size());
  do_read();
}

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
    close_reason_ = websocket::close_reason(static_cast<websocket::close_code>(code), reason);
  }
  asio::post(exec_, [self = shared_from_this()] {
    self->server_closed_ = true;
    self->pump();
  });
}

void WsSession::pump() {
  std::unique_lock lock(mu_);
  pump_posted_ = false;
  if (!open_ || finished_ || writing_ || close_started_) return;
  if (!queue_.empty()) {
    OutMessage message = std::move(queue_.front());
    queue_.pop_front();
    writing_ = true;
    in_flight_bytes_ = message.size();
    lock.unlock();
    ws_.binary(message.kind == FrameKind::kBinary);
    const auto* data = message.data ? message.data->data() : nullptr;
    ws_.async_write(
        asio::buffer(data, message.size()),
        [self = shared_from_this(), message](beast::error_code ec, size_t n) { self->on_write(ec, n); });
    return;
  }
  if (!closing_) return;
  close_started_ = true;
  const websocket::close_reason reason = close_reason_;
  lock.unlock();
  // On success Beast tears the socket down and the read loop ends with error::closed.
  ws_.async_close(reason, [self = shared_from_this()](beast::error_code ec) {
    if (ec) self->cut();
  });
}

void WsSession::on_write(beast::error_code ec, size_t) {
  {
    std::lock_guard lock(mu_);
    writing_ = false;
    pending_bytes_ -= in_flight_bytes_;
    in_flight_bytes_ = 0;
    if (high_notified_ && pending_bytes_ < ctx_->options.send_queue_soft_bytes / 2) high_notified_ = false;
  }
  if (ec) return cut();
  pump();
}

void WsSession::schedule_ping() {
  ping_timer_.expires_after(ctx_->options.ping_interval);
  ping_timer_.async_wait([self = shared_from_this()](beast::error_code ec) { self->on_ping_tick(ec); });
}

void WsSession::on_ping_tick(beast::error_code ec) {
  if (ec || finished_) return;
  if (!alive_) {
    server_closed_ = true;  // no pong since the last ping: the peer is gone
    return cut();
  }
  alive_ = false;
  if (!ping_in_flight_ && !close_started_) {
    ping_in_flight_ = true;
    ws_.async_ping({}, [self = shared_from_this()](beast::error_code ping_ec) {
      self->ping_in_flight_ = false;
      if (ping_ec && ping_ec != asio::error::operation_aborted) self->cut();
    });
  }
  schedule_ping();
}

void WsSession::cut() {
  beast::error_code ec;
  auto& socket = beast::get_lowest_layer(ws_).socket();
  if (!socket.is_open()) return;
  socket.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket.close(ec);
}

void WsSession::finish(beast::error_code ec) {
  if (finished_) return;
  finished_ = true;
  ctx_->registry.remove(id_);  // the owner may keep this object; stop() waits only for live links
  ping_timer_.cancel();
  websocket::close_reason sent;
  {
    std::lock_guard lock(mu_);
    closing_ = true;
    queue_.clear();
    pending_bytes_ = in_flight_bytes_;
    sent = close_reason_;
  }
  CloseInfo info;
  info.by_server = server_closed_;
  if (ec == websocket::error::message_too_big) {
    info.code = kCloseTooBig;  // Beast sent the 1009 close frame before failing the read
    info.reason = "message too big";
    info.by_server = true;
  } else if (close_started_ && (ec == asio::error::operation_aborted || ec == websocket::error::closed)) {
    // Our close handshake ran; Beast ends the pending read with operation_aborted.
    info.code = static_cast<uint16_t>(sent.code);
    info.reason = std::string(sent.reason.data(), sent.reason.size());
  } else if (ec == websocket::error::closed) {
    const websocket::close_reason& got = ws_.reason();  // the peer started the close
    info.code = got.code == websocket::close_code::none ? kCloseNormal : static_cast<uint16_t>(got.code);
    info.reason = std::string(got.reason.data(), got.reason.size());
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
    self->cut();
  });
}

}  // namespace weft::net_detail
