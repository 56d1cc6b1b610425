// NetServer: one listening port speaking HTTP/1.1 and WebSocket (Boost.Beast),
// run by a pool of io threads. Every request goes to one HttpHandler
// (http_handler.h); accepted WebSocket connections go to the WsHandler it
// chose (ws_handler.h).
//
//   NetServer server(options, handler);
//   if (Status s = server.start(); !s) ...;   // binds; server.port() is now known
//   ...
//   server.stop();                             // graceful, blocking
//
// Lifetime: the owner must drop every WsConnection it holds before
// destroying the NetServer (after stop(), on_close has run for every
// connection, so dropping them in on_close suffices).
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "net/http_handler.h"
#include "net/net_options.h"
#include "weft/status.h"

namespace weft {

namespace net_detail {
struct NetContext;
}

class NetServer {
 public:
  NetServer(NetServerOptions options, std::shared_ptr<HttpHandler> handler);
  ~NetServer();  // stop()
  NetServer(const NetServer&) = delete;
  NetServer& operator=(const NetServer&) = delete;

  // Binds and listens, then starts the io threads. kIo if the address cannot
  // be bound (in use, bad host). Call once.
  Status start();
  // The bound port (the chosen one when options.port was 0); 0 before start().
  uint16_t port() const { return port_; }

  // Graceful stop: stop accepting, close WebSocket sessions with 1001 after
  // their queued messages, let HTTP responses in flight finish; sessions
  // still open after options.stop_timeout are cut. Then the io threads end.
  // Blocking; must not be called from an io thread. Idempotent.
  void stop();

  // The io_context the sessions run on; the owner may run its own strands
  // and timers on it (they stop running when stop() returns).
  boost::asio::io_context& io_context() { return ioc_; }
  // Open HTTP and WebSocket sessions.
  size_t session_count() const;

 private:
  void do_accept();

  std::shared_ptr<net_detail::NetContext> ctx_;
  boost::asio::io_context ioc_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::optional<boost::asio::ip::tcp::acceptor> acceptor_;
  std::vector<std::thread> threads_;
  uint16_t port_ = 0;
  std::mutex stop_mu_;
  bool stopped_ = false;
};

}  // namespace weft
