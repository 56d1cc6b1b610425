// Internal: one WebSocket connection (Beast websocket::stream) implementing
// WsConnection. All stream operations run on the connection's strand; the
// send queue is shared with other threads under mu_.
#pragma once

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "net/session_registry.h"

namespace weft::net_detail {

class WsSession : public NetSession, public WsConnection, public std::enable_shared_from_this<WsSession> {
 public:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;

  WsSession(boost::beast::tcp_stream stream, std::shared_ptr<NetContext> ctx,
            std::shared_ptr<WsHandler> handler, std::string remote, std::shared_ptr<void> ip_slot = nullptr);
  ~WsSession() override;
  // Completes the upgrade of `req` and starts reading.
  void run(Request req);

  // WsConnection
  bool send(OutMessage message) override;
  using WsConnection::send;
  void close(uint16_t code, std::string reason) override;
  size_t pending_bytes() const override { return pending_bytes_.load(); }
  void edit_pending(const std::function<void(std::deque<OutMessage>&)>& edit) override;
  uint64_t id() const override { return id_; }
  const std::string& remote() const override { return remote_; }
  const std::string& target() const override { return target_; }
  bool compressed() const override { return compressed_; }

  // NetSession
  void shutdown() override;
  void abort() override;

 private:
  void on_accept(boost::beast::error_code ec);
  void do_read();
  void on_read(boost::beast::error_code ec);
  void pump();  // on the strand: start the next write, or the close once drained
  void on_write(boost::beast::error_code ec, size_t bytes);
  void schedule_ping();
  void on_ping_tick(boost::beast::error_code ec);
  void cut();  // on the strand: close the socket now
  void finish(boost::beast::error_code ec);

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  const boost::asio::any_io_executor exec_;  // the connection's strand
  boost::asio::steady_timer ping_timer_;
  Request upgrade_request_;
  boost::beast::flat_buffer buffer_;
  std::shared_ptr<NetContext> ctx_;
  std::shared_ptr<WsHandler> handler_;
  const std::string remote_;
  std::string target_;
  const uint64_t id_;
  std::shared_ptr<void> ip_slot_;  // released when the connection ends (finish)
  bool compressed_ = false;

  // Strand only.
  bool open_ = false;      // handshake done, on_open called
  bool finished_ = false;  // on_close called
  bool alive_ = true;      // a pong or a message since the last ping tick
  bool ping_in_flight_ = false;
  bool close_started_ = false;
  bool server_closed_ = false;  // this side initiated the close
  size_t in_flight_bytes_ = 0;

  mutable std::mutex mu_;  // guards the fields below
  std::deque<OutMessage> queue_;
  bool writing_ = false;
  bool pump_posted_ = false;
  bool closing_ = false;  // close requested: refuse new sends
  boost::beast::websocket::close_reason close_reason_;
  bool high_notified_ = false;
  std::atomic<size_t> pending_bytes_{0};
};

}  // namespace weft::net_detail
