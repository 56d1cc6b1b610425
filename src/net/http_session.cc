#include "net/http_session.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <exception>
#include <string>

#include "net/ws_session.h"

namespace weft::net_detail {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;

HttpSession::HttpSession(asio::ip::tcp::socket socket, std::shared_ptr<NetContext> ctx)
    : stream_(std::move(socket)), ctx_(std::move(ctx)), id_(ctx_->registry.next_id()) {
  exec_ = stream_.get_executor();
  beast::error_code ec;
  auto ep = stream_.socket().remote_endpoint(ec);
  if (!ec) remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
  ip_slot_ = ctx_->ip_slots->acquire(ec ? std::string() : ep.address().to_string(),
                                     ctx_->options.max_connections_per_ip);
}

HttpSession::~HttpSession() { ctx_->registry.remove(id_); }

void HttpSession::run() {
  ctx_->registry.add(id_, weak_from_this());
  asio::dispatch(exec_, [self = shared_from_this()] {
    if (self->ctx_->registry.stopping) return self->close();
    self->do_read();
  });
}

void HttpSession::shutdown() {
  asio::post(exec_, [self = shared_from_this()] {
    if (self->upgraded_) return;
    self->shutting_down_ = true;
    if (!self->writing_) self->close();  // otherwise after the response in flight
  });
}

void HttpSession::abort() {
  asio::post(exec_, [self = shared_from_this()] {
    if (!self->upgraded_) self->close();
  });
}

void HttpSession::do_read() {
  parser_.emplace();
  parser_->body_limit(ctx_->options.max_http_body_bytes);
  parser_->header_limit(static_cast<uint32_t>(ctx_->options.max_http_header_bytes));
  stream_.expires_after(first_request_ ? ctx_->options.handshake_timeout : ctx_->options.http_idle_timeout);
  first_request_ = false;
  http::async_read(stream_, buffer_, *parser_,
                   [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
}

void HttpSession::on_read(beast::error_code ec) {
  if (ec == http::error::body_limit) return reply_error(413, "request body too large\n");
  if (ec == http::error::header_limit) return reply_error(431, "request headers too large\n");
  const bool parse_error = ec && ec.category() == http::make_error_code(http::error::bad_method).category() &&
                           ec != http::error::end_of_stream && ec != http::error::partial_message;
  if (parse_error) return reply_error(400, "bad request\n");
  if (ec || shutting_down_) return close();
  dispatch(parser_->release());
}

void HttpSession::dispatch(Request req) {
  if (!ip_slot_) {
    if (ctx_->options.on_ip_limit) ctx_->options.on_ip_limit(remote_);
    return reply_error(429, "too many connections from this address\n");
  }
  HttpRequest request;
  request.method = std::string(req.method_string());
  request.target = std::string(req.target());
  size_t q = request.target.find('?');
  request.path = request.target.substr(0, q);
  if (q != std::string::npos) request.query = request.target.substr(q + 1);
  for (const auto& field : req) request.headers.emplace_back(field.name_string(), field.value());
  request.body = req.body();
  request.remote = remote_;
  request.websocket_upgrade = beast::websocket::is_upgrade(req);

  HttpReply reply_value = HttpResponse::text(500, "internal error\n");
  try {
    reply_value = ctx_->handler->on_request(request);
  } catch (const std::exception&) {
    // A throwing handler is a bug above us; answer 500 rather than drop the process.
  }
  if (auto* accept = std::get_if<WsAccept>(&reply_value)) {
    if (!request.websocket_upgrade || !accept->handler) {
      return reply(req, HttpResponse::text(426, "upgrade required\n"), req.keep_alive());
    }
    upgraded_ = true;
    stream_.expires_never();
    // Bytes read past the request (a client that did not wait for the 101) are its first frames.
    std::string early = beast::buffers_to_string(buffer_.data());
    auto ws = std::make_shared<WsSession>(std::move(stream_), ctx_, std::move(accept->handler), remote_,
                                          std::move(ip_slot_), std::move(early));
    ws->run(std::move(req));
    return;
  }
  // A rejected upgrade closes: the client expected a protocol switch.
  reply(req, std::get<HttpResponse>(reply_value), req.keep_alive() && !request.websocket_upgrade);
}

template <class Message>
void HttpSession::write(std::shared_ptr<Message> message) {
  writing_ = true;
  stream_.expires_after(ctx_->options.http_idle_timeout);
  http::async_write(stream_, *message, [self = shared_from_this(), message](beast::error_code ec, size_t) {
    self->writing_ = false;
    if (ec || !message->keep_alive() || self->shutting_down_) return self->close();
    self->do_read();
  });
}

void HttpSession::reply(const Request& req, const HttpResponse& response, bool keep_alive) {
  auto fill = [&](auto& res) {
    res.result(static_cast<unsigned>(response.status));
    res.version(req.version());
    res.set(http::field::server, "weft");
    res.set(http::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers) res.set(name, value);
    res.keep_alive(keep_alive);
  };
  if (req.method() == http::verb::head) {
    auto res = std::make_shared<http::response<http::empty_body>>();
    fill(*res);
    res->content_length(response.body.size());
    return write(std::move(res));
  }
  auto res = std::make_shared<http::response<http::string_body>>();
  fill(*res);
  res->body() = response.body;
  res->prepare_payload();
  write(std::move(res));
}

void HttpSession::reply_error(unsigned status, const char* text) {
  auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(status), 11);
  res->set(http::field::server, "weft");
  res->set(http::field::content_type, "text/plain; charset=utf-8");
  res->keep_alive(false);
  res->body() = text;
  res->prepare_payload();
  write(std::move(res));
}

void HttpSession::close() {
  beast::error_code ec;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  stream_.close();
}

}  // namespace weft::net_detail
