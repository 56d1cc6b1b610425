// Internal: one accepted TCP connection speaking HTTP/1.1 (keep-alive) until
// it is upgraded to a WebSocket (handed to a WsSession) or closed.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <optional>

#include "net/session_registry.h"

namespace weft::net_detail {

class HttpSession : public NetSession, public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(boost::asio::ip::tcp::socket socket, std::shared_ptr<NetContext> ctx);
  ~HttpSession() override;
  void run();
  void shutdown() override;
  void abort() override;

 private:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;

  void do_read();
  void on_read(boost::beast::error_code ec);
  void dispatch(Request req);
  void reply(const Request& req, const HttpResponse& response, bool keep_alive);
  void reply_error(unsigned status, const char* text);
  template <class Message>
  void write(std::shared_ptr<Message> message);
  void close();

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::shared_ptr<NetContext> ctx_;
  std::string remote_;
  uint64_t id_;
  boost::asio::any_io_executor exec_;  // the strand; kept because stream_ is moved away on upgrade
  bool shutting_down_ = false;         // strand only, like the two below
  bool writing_ = false;
  bool upgraded_ = false;
  bool first_request_ = true;
  // This connection's count against max_connections_per_ip; null when it
  // is over the limit (every request is then answered 429). Moves to the
  // WsSession on upgrade.
  std::shared_ptr<void> ip_slot_;
};

}  // namespace weft::net_detail
