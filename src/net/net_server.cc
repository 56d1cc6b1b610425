#include "net/net_server.h"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <future>
#include <string>

#include "net/http_session.h"
#include "net/session_registry.h"

namespace weft {

namespace asio = boost::asio;
using asio::ip::tcp;

NetServer::NetServer(NetServerOptions options, std::shared_ptr<HttpHandler> handler)
    : ctx_(std::make_shared<net_detail::NetContext>()) {
  ctx_->options = std::move(options);
  ctx_->handler = std::move(handler);
}

NetServer::~NetServer() { stop(); }

Status NetServer::start() {
  const NetServerOptions& o = ctx_->options;
  boost::system::error_code ec;
  const asio::ip::address address = asio::ip::make_address(o.host, ec);
  if (ec) return Status(ErrorCode::kInvalidArgument, "bad listen host '" + o.host + "': " + ec.message());
  const tcp::endpoint endpoint(address, o.port);
  const std::string where = o.host + ":" + std::to_string(o.port);

  acceptor_.emplace(asio::make_strand(ioc_));
  if (acceptor_->open(endpoint.protocol(), ec); ec)
    return Status(ErrorCode::kIo, "open " + where + ": " + ec.message());
  if (acceptor_->set_option(asio::socket_base::reuse_address(true), ec); ec) {
    return Status(ErrorCode::kIo, "reuse_address " + where + ": " + ec.message());
  }
  if (acceptor_->bind(endpoint, ec); ec) return Status(ErrorCode::kIo, "bind " + where + ": " + ec.message());
  if (acceptor_->listen(asio::socket_base::max_listen_connections, ec); ec) {
    return Status(ErrorCode::kIo, "listen " + where + ": " + ec.message());
  }
  port_ = acceptor_->local_endpoint(ec).port();

  do_accept();
  work_.emplace(asio::make_work_guard(ioc_));
  const int n = o.io_threads > 0 ? o.io_threads : 1;
  for (int i = 0; i < n; ++i) threads_.emplace_back([this] { ioc_.run(); });
  return Status::ok();
}

void NetServer::do_accept() {
  acceptor_->async_accept(asio::make_strand(ioc_), [this](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_->is_open()) return;
    if (!ec) {
      if (ctx_->registry.stopping) {
        socket.close(ec);
      } else {
        // Sync messages are small and latency-bound: without TCP_NODELAY, Nagle holds
        // a message back until the previous one is acknowledged (up to the 40 ms
        // delayed-ACK timer). A failure here only costs latency.
        boost::system::error_code nodelay_ec;
        socket.set_option(tcp::no_delay(true), nodelay_ec);
        std::make_shared<net_detail::HttpSession>(std::move(socket), ctx_)->run();
      }
    }
    // Other accept errors (EMFILE, ECONNABORTED) concern one connection: keep accepting.
    do_accept();
  });
}

void NetServer::stop() {
  std::lock_guard lock(stop_mu_);
  if (stopped_) return;
  stopped_ = true;
  if (threads_.empty()) return;  // never started

  net_detail::SessionRegistry& registry = ctx_->registry;
  registry.stopping = true;
  std::promise<void> acceptor_closed;
  asio::post(acceptor_->get_executor(), [this, &acceptor_closed] {
    boost::system::error_code ec;
    acceptor_->close(ec);
    acceptor_closed.set_value();
  });
  acceptor_closed.get_future().wait();

  for (auto& session : registry.live()) session->shutdown();
  const auto now = std::chrono::steady_clock::now();
  if (!registry.wait_empty(now + ctx_->options.stop_timeout)) {
    for (auto& session : registry.live()) session->abort();
    (void)registry.wait_empty(std::chrono::steady_clock::now() + std::chrono::seconds(1));
  }
  work_.reset();
  ioc_.stop();
  for (std::thread& t : threads_) t.join();
}

size_t NetServer::session_count() const { return ctx_->registry.size(); }

}  // namespace weft
