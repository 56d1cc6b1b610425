// Internal: one WebSocket connection implementing WsConnection. Beast
// parses the upgrade request (HttpSession); this class answers it and then
// owns the data path: RFC 6455 frames on the raw TCP socket (ws_frame.h)
// and permessage-deflate without per-connection zlib state (ws_deflate.h),
// so compression is decided per message.
//
// All socket operations run on the connection's strand; the send queue is
// shared with other threads under mu_.
#pragma once

#include <array>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "net/session_registry.h"
#include "net/ws_deflate.h"
#include "net/ws_frame.h"

namespace weft::net_detail {

class WsSession : public NetSession,
                  public WsConnection,
                  public WsFrameEvents,
                  public std::enable_shared_from_this<WsSession> {
 public:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;

  // `early` holds bytes the HTTP reader took past the upgrade request.
  WsSession(boost::beast::tcp_stream stream, std::shared_ptr<NetContext> ctx,
            std::shared_ptr<WsHandler> handler, std::string remote, std::shared_ptr<void> ip_slot = nullptr,
            std::string early = {});
  ~WsSession() override;
  // Answers the upgrade `req` (101, or 400/426 for a bad handshake) and starts reading.
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
  bool compressed() const override { return deflate_.has_value(); }

  // NetSession
  void shutdown() override;
  void abort() override;

  // WsFrameEvents (strand)
  void on_message(bool text, std::span<const uint8_t> data) override;
  void on_ping(std::span<const uint8_t> payload) override;
  void on_pong() override { alive_ = true; }
  void on_close(uint16_t code, std::string_view reason) override;

 private:
  void reject_handshake(unsigned status, const char* text);
  void on_handshake_written(boost::beast::error_code ec);
  void do_wait();
  void on_readable(boost::beast::error_code ec);
  void fail(const WsFailure& failure);  // strand: protocol error, close with its code
  void queue_control(WsOpcode opcode, std::span<const uint8_t> payload);
  void pump();  // strand: start the next write (control frames first), or the close
  void write_message(OutMessage message);
  void on_written(boost::beast::error_code ec);
  void schedule_ping();
  void on_timer(boost::beast::error_code ec);
  void cut();  // strand: close the socket now
  void finish(boost::beast::error_code ec);

  std::optional<boost::beast::tcp_stream> handshake_stream_;  // until the 101 is written
  const boost::asio::any_io_executor exec_;                   // the connection's strand
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer timer_;  // pings; then the close handshake's deadline
  std::shared_ptr<NetContext> ctx_;
  std::shared_ptr<WsHandler> handler_;
  const std::string remote_;
  std::string target_;
  const uint64_t id_;
  std::shared_ptr<void> ip_slot_;  // released when the connection ends (finish)
  std::string early_;
  std::optional<DeflateAgreement> deflate_;
  std::optional<WsFrameDecoder> decoder_;

  // Strand only.
  bool open_ = false;           // handshake done, on_open called
  bool finished_ = false;       // on_close called
  bool alive_ = true;           // a pong or a message since the last ping tick
  bool server_closed_ = false;  // this side initiated the close
  bool failed_ = false;         // a protocol failure: input after it is discarded
  bool peer_closed_ = false;    // the peer's close frame arrived
  uint16_t peer_code_ = 0;
  std::string peer_reason_;
  bool close_sent_ = false;               // our close frame is written (or being written)
  std::vector<uint8_t> control_pending_;  // encoded control frames waiting to be written
  std::vector<uint8_t> control_writing_;
  std::array<uint8_t, 10> header_{};
  OutMessage writing_message_;
  std::shared_ptr<const std::vector<uint8_t>> writing_deflated_;
  size_t in_flight_bytes_ = 0;

  mutable std::mutex mu_;  // guards the fields below
  std::deque<OutMessage> queue_;
  bool writing_ = false;
  bool pump_posted_ = false;
  bool closing_ = false;  // close requested: refuse new sends
  uint16_t close_code_ = kCloseNormal;
  std::string close_text_;
  bool high_notified_ = false;
  std::atomic<size_t> pending_bytes_{0};
};

}  // namespace weft::net_detail
