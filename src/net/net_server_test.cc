// NetServer over real loopback sockets, with Beast's client as the peer.
#include "net/net_server.h"

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <zlib.h>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace weft {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using asio::ip::tcp;
using namespace std::chrono_literals;

// What the server side saw, for assertions from the test thread.
struct Observed {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<CloseInfo> closes;
  std::vector<size_t> queue_high;
  std::shared_ptr<WsConnection> last_open;
  size_t opens = 0;
  std::map<std::string, bool> compressed_by_target;

  bool wait_opens(size_t n, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, timeout, [&] { return opens >= n; });
  }

  bool wait_closes(size_t n, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, timeout, [&] { return closes.size() >= n; });
  }
};

// Echoes every message with its frame kind. On open, runs `on_open_script`.
class EchoHandler : public WsHandler {
 public:
  EchoHandler(std::shared_ptr<Observed> obs, std::function<void(WsConnection&)> on_open_script)
      : obs_(std::move(obs)), script_(std::move(on_open_script)) {}
  void on_open(const std::shared_ptr<WsConnection>& conn) override {
    {
      std::lock_guard lock(obs_->mu);
      obs_->last_open = conn;
      ++obs_->opens;
      obs_->compressed_by_target[conn->target()] = conn->compressed();
    }
    obs_->cv.notify_all();
    if (script_) script_(*conn);
  }
  void on_message(WsConnection& conn, FrameKind kind, std::span<const uint8_t> data) override {
    conn.send(std::vector<uint8_t>(data.begin(), data.end()), kind);
  }
  void on_send_queue_high(WsConnection&, size_t pending) override {
    std::lock_guard lock(obs_->mu);
    obs_->queue_high.push_back(pending);
  }
  void on_close(WsConnection&, const CloseInfo& info) override {
    std::lock_guard lock(obs_->mu);
    obs_->closes.push_back(info);
    obs_->last_open.reset();
    obs_->cv.notify_all();
  }

 private:
  std::shared_ptr<Observed> obs_;
  std::function<void(WsConnection&)> script_;
};

class TestHttp : public HttpHandler {
 public:
  explicit TestHttp(std::shared_ptr<Observed> obs) : obs_(std::move(obs)) {}
  HttpReply on_request(const HttpRequest& req) override {
    if (req.path == "/healthz") return HttpResponse::text(200, "ok");
    if (req.path == "/forbidden") return HttpResponse::text(403, "no\n");
    if (req.path.rfind("/ws", 0) == 0) return WsAccept{std::make_shared<EchoHandler>(obs_, on_open_script)};
    return HttpResponse::text(404, "not found\n");
  }
  std::function<void(WsConnection&)> on_open_script;

 private:
  std::shared_ptr<Observed> obs_;
};

// A synchronous-looking client whose every wait is bounded.
class Client {
 public:
  explicit Client(uint16_t port) : port_(port) {}

  beast::error_code connect(const std::string& target, bool offer_deflate = false) {
    beast::error_code ec;
    ws_.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);
    if (ec) return ec;
    websocket::permessage_deflate pmd;
    pmd.client_enable = offer_deflate;
    ws_.set_option(pmd);
    ws_.read_message_max(64 << 20);
    // The async form keeps the response of a declined upgrade (the sync one drops it).
    bool done = false;
    ws_.async_handshake(response_, "127.0.0.1", target, [&](beast::error_code e) {
      ec = e;
      done = true;
    });
    ioc_.restart();
    ioc_.run_for(5s);
    return done ? ec : beast::error_code(asio::error::timed_out);
  }

  beast::error_code write(const std::string& data, bool binary = true) {
    ws_.binary(binary);
    beast::error_code ec;
    ws_.write(asio::buffer(data), ec);
    return ec;
  }

  // Reads one message; error on close, timeout (asio::error::timed_out) or failure.
  // After a timeout the read stays pending: call read() again to keep waiting.
  beast::error_code read(std::string& out, bool* text = nullptr, std::chrono::milliseconds timeout = 5s) {
    if (!reading_) {
      reading_ = true;
      read_done_ = false;
      buffer_.clear();
      ws_.async_read(buffer_, [this](beast::error_code ec, size_t) {
        read_result_ = ec;
        read_done_ = true;
      });
    }
    ioc_.restart();
    ioc_.run_for(timeout);
    if (!read_done_) return asio::error::timed_out;
    reading_ = false;
    out = beast::buffers_to_string(buffer_.data());
    if (text) *text = ws_.got_text();
    return read_result_;
  }

  websocket::stream<tcp::socket>& ws() { return ws_; }
  const websocket::response_type& response() const { return response_; }

 private:
  uint16_t port_;
  asio::io_context ioc_;
  websocket::stream<tcp::socket> ws_{ioc_};
  websocket::response_type response_;
  beast::flat_buffer buffer_;
  bool reading_ = false;
  bool read_done_ = false;
  beast::error_code read_result_;
};

// A hand-made client for what Beast's client will not send: frames are
// built byte by byte (masked unless asked otherwise), replies parsed raw.
class RawClient {
 public:
  struct Frame {
    uint8_t opcode = 0;
    bool fin = false;
    bool rsv1 = false;
    std::string payload;
  };

  explicit RawClient(uint16_t port) : port_(port) {}

  // Upgrades `target`, offering `extensions` (if not empty); returns the response.
  http::response<http::string_body> connect(const std::string& target, const std::string& extensions = {}) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
    timeval tv{5, 0};
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    http::request<http::empty_body> req(http::verb::get, target, 11);
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::upgrade, "websocket");
    req.set(http::field::connection, "Upgrade");
    req.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
    req.set(http::field::sec_websocket_version, "13");
    if (!extensions.empty()) req.set(http::field::sec_websocket_extensions, extensions);
    http::write(socket_, req);
    http::response_parser<http::string_body> parser;
    parser.skip(true);  // a 101 has no body
    http::read_header(socket_, buffer_, parser);
    return parser.release();
  }

  static std::string frame(uint8_t opcode, std::string_view payload, bool fin = true, bool rsv1 = false,
                           bool masked = true, uint8_t extra_bits = 0) {
    std::string f;
    f += static_cast<char>((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | extra_bits | opcode);
    const uint8_t m = masked ? 0x80 : 0;
    if (payload.size() < 126) {
      f += static_cast<char>(m | payload.size());
    } else if (payload.size() <= 0xffff) {
      f += static_cast<char>(m | 126);
      f += static_cast<char>(payload.size() >> 8);
      f += static_cast<char>(payload.size() & 0xff);
    } else {
      f += static_cast<char>(m | 127);
      for (int k = 7; k >= 0; --k) f += static_cast<char>((uint64_t{payload.size()} >> (8 * k)) & 0xff);
    }
    const char mask[4] = {'\x5a', '\x13', '\x7f', '\x01'};
    if (masked) f.append(mask, 4);
    for (size_t i = 0; i < payload.size(); ++i)
      f += masked ? static_cast<char>(payload[i] ^ mask[i & 3]) : payload[i];
    return f;
  }

  // Raw deflate of `data` as one permessage-deflate message (the 00 00 ff ff tail removed).
  static std::string deflated(const std::string& data) {
    z_stream z{};
    deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
    std::string out(deflateBound(&z, data.size()) + 16, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    deflate(&z, Z_SYNC_FLUSH);
    out.resize(out.size() - z.avail_out - 4);
    deflateEnd(&z);
    return out;
  }

  static std::string inflated(const std::string& data) {
    z_stream z{};
    inflateInit2(&z, -15);
    std::string in = data + std::string("\x00\x00\xff\xff", 4);
    std::string out(1 << 20, '\0');
    z.next_in = reinterpret_cast<Bytef*>(in.data());
    z.avail_in = static_cast<uInt>(in.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    inflate(&z, Z_SYNC_FLUSH);
    out.resize(out.size() - z.avail_out);
    inflateEnd(&z);
    return out;
  }

  void send(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }

  // The next server frame; nullopt on EOF, error or a 5 s timeout.
  std::optional<Frame> read() {
    uint8_t head[2];
    if (!read_exact(head, 2)) return std::nullopt;
    Frame f;
    f.fin = head[0] & 0x80;
    f.rsv1 = head[0] & 0x40;
    f.opcode = head[0] & 0x0f;
    if (head[1] & 0x80) return std::nullopt;  // a server must not mask
    uint64_t n = head[1] & 0x7f;
    if (n >= 126) {
      uint8_t ext[8];
      const size_t k = n == 126 ? 2 : 8;
      if (!read_exact(ext, k)) return std::nullopt;
      n = 0;
      for (size_t i = 0; i < k; ++i) n = (n << 8) | ext[i];
    }
    f.payload.resize(n);
    if (!read_exact(reinterpret_cast<uint8_t*>(f.payload.data()), n)) return std::nullopt;
    return f;
  }

  // Reads frames until a close frame; returns its code (0 if the link ended without one).
  uint16_t read_close_code() {
    while (auto f = read()) {
      if (f->opcode == 8)
        return f->payload.size() >= 2 ? static_cast<uint16_t>((static_cast<uint8_t>(f->payload[0]) << 8) |
                                                              static_cast<uint8_t>(f->payload[1]))
                                      : 1005;
    }
    return 0;
  }

 private:
  bool read_exact(uint8_t* out, size_t n) {
    while (n > 0) {
      if (buffer_.size() > 0) {
        const size_t k = std::min(n, buffer_.size());
        std::memcpy(out, buffer_.data().data(), k);
        buffer_.consume(k);
        out += k;
        n -= k;
        continue;
      }
      beast::error_code ec;
      const size_t k = socket_.read_some(asio::buffer(out, n), ec);
      if (ec) return false;
      out += k;
      n -= k;
    }
    return true;
  }

  uint16_t port_;
  asio::io_context ioc_;
  tcp::socket socket_{ioc_};
  beast::flat_buffer buffer_;
};

class NetServerTest : public ::testing::Test {
 protected:
  void start(NetServerOptions options = {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    http_ = std::make_shared<TestHttp>(obs_);
    http_->on_open_script = on_open_script_;
    server_ = std::make_unique<NetServer>(options, http_);
    Status s = server_->start();
    ASSERT_TRUE(s.is_ok()) << s.message();
    ASSERT_NE(server_->port(), 0);
  }
  void TearDown() override {
    if (server_) server_->stop();
    obs_->last_open.reset();
    server_.reset();
  }

  http::response<http::string_body> http_request(http::verb verb, const std::string& target) {
    asio::io_context ioc;
    tcp::socket socket(ioc);
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
    http::request<http::empty_body> req(verb, target, 11);
    req.set(http::field::host, "127.0.0.1");
    http::write(socket, req);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.skip(verb == http::verb::head);
    http::read(socket, buffer, parser);
    return parser.release();
  }

  std::shared_ptr<Observed> obs_ = std::make_shared<Observed>();
  std::function<void(WsConnection&)> on_open_script_;
  std::shared_ptr<TestHttp> http_;
  std::unique_ptr<NetServer> server_;
};

TEST_F(NetServerTest, HttpGetHeadAnd404) {
  start();
  auto res = http_request(http::verb::get, "/healthz");
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res.body(), "ok");
  EXPECT_EQ(res[http::field::content_type], "text/plain; charset=utf-8");
  EXPECT_EQ(res[http::field::server], "weft");

  auto head = http_request(http::verb::head, "/healthz");
  EXPECT_EQ(head.result_int(), 200u);
  EXPECT_EQ(head[http::field::content_length], "2");
  EXPECT_TRUE(head.body().empty());

  EXPECT_EQ(http_request(http::verb::get, "/nope").result_int(), 404u);
  // A WsAccept for a plain request is answered 426.
  EXPECT_EQ(http_request(http::verb::get, "/ws/room").result_int(), 426u);
}

TEST_F(NetServerTest, EchoesBinaryAndTextFrames) {
  start();
  Client c(server_->port());
  ASSERT_FALSE(c.connect("/ws/room?token=t"));
  ASSERT_FALSE(c.write(std::string("\x00\x01\x02\xff", 4), /*binary=*/true));
  std::string got;
  bool text = true;
  ASSERT_FALSE(c.read(got, &text));
  EXPECT_EQ(got, std::string("\x00\x01\x02\xff", 4));
  EXPECT_FALSE(text);
  ASSERT_FALSE(c.write("hello", /*binary=*/false));
  ASSERT_FALSE(c.read(got, &text));
  EXPECT_EQ(got, "hello");
  EXPECT_TRUE(text);
  ASSERT_TRUE(obs_->wait_opens(1));
  {
    std::lock_guard lock(obs_->mu);
    ASSERT_TRUE(obs_->last_open);
    EXPECT_EQ(obs_->last_open->target(), "/ws/room?token=t");
    EXPECT_FALSE(obs_->last_open->compressed());
  }
  c.ws().close(websocket::close_code::normal);
  ASSERT_TRUE(obs_->wait_closes(1));
  EXPECT_EQ(obs_->closes[0].code, kCloseNormal);
  EXPECT_FALSE(obs_->closes[0].by_server);
}

TEST_F(NetServerTest, OversizedMessageClosesOnlyThatConnection) {
  NetServerOptions options;
  options.max_message_bytes = 1024;
  start(options);
  Client big(server_->port());
  Client small(server_->port());
  ASSERT_FALSE(big.connect("/ws/a"));
  ASSERT_FALSE(small.connect("/ws/b"));

  ASSERT_FALSE(big.write(std::string(2000, 'x')));
  std::string got;
  // The close frame arrives; Beast 1.74's teardown may then reset the TCP link
  // (it stops draining unread input early), so the read ends in some error.
  EXPECT_TRUE(big.read(got));
  EXPECT_EQ(big.ws().reason().code, kCloseTooBig);
  ASSERT_TRUE(obs_->wait_closes(1));
  EXPECT_EQ(obs_->closes[0].code, kCloseTooBig);
  EXPECT_TRUE(obs_->closes[0].by_server);

  ASSERT_FALSE(small.write(std::string(1024, 'y')));  // exactly the limit is fine
  ASSERT_FALSE(small.read(got));
  EXPECT_EQ(got, std::string(1024, 'y'));
}

TEST_F(NetServerTest, UpgradeRejectedWith403) {
  start();
  Client c(server_->port());
  beast::error_code ec = c.connect("/forbidden");
  EXPECT_EQ(ec, websocket::error::upgrade_declined);
  EXPECT_EQ(c.response().result_int(), 403u);
  // Nothing was opened, so nothing is closed.
  EXPECT_FALSE(obs_->wait_closes(1, 100ms));
}

TEST_F(NetServerTest, ConnectionsPerIpAreCappedAndSlotsComeBack) {
  NetServerOptions o;
  o.max_connections_per_ip = 2;
  std::atomic<int> refused{0};
  o.on_ip_limit = [&refused](const std::string&) { refused.fetch_add(1); };
  start(o);
  auto a = std::make_unique<Client>(server_->port());
  auto b = std::make_unique<Client>(server_->port());
  ASSERT_FALSE(a->connect("/ws/a"));
  ASSERT_FALSE(b->connect("/ws/b"));
  ASSERT_TRUE(obs_->wait_opens(2));
  // A third connection, WebSocket or plain HTTP, is answered 429.
  Client c(server_->port());
  EXPECT_EQ(c.connect("/ws/c"), websocket::error::upgrade_declined);
  EXPECT_EQ(c.response().result_int(), 429u);
  EXPECT_EQ(http_request(http::verb::get, "/healthz").result_int(), 429u);
  EXPECT_EQ(refused.load(), 2);
  // Closing one frees its slot.
  a->ws().close(websocket::close_code::normal);
  ASSERT_TRUE(obs_->wait_closes(1));
  bool ok = false;
  for (int i = 0; i < 100 && !ok; ++i) {
    ok = http_request(http::verb::get, "/healthz").result_int() == 200u;
    if (!ok) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(ok);
}

TEST_F(NetServerTest, FirstRequestMustArriveWithinTheHandshakeTimeout) {
  NetServerOptions o;
  o.handshake_timeout = 200ms;
  start(o);
  asio::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
  const std::string partial = "GET /healthz HTTP/1.1\r\nHost: x\r\n";  // never finished
  asio::write(socket, asio::buffer(partial));
  const auto started = std::chrono::steady_clock::now();
  char byte;
  beast::error_code ec;
  socket.read_some(asio::buffer(&byte, 1), ec);  // blocks until the server drops us
  EXPECT_TRUE(ec) << "the server answered a partial request";
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

TEST_F(NetServerTest, PermessageDeflateNegotiatedWhenOffered) {
  start();
  Client plain(server_->port());
  ASSERT_FALSE(plain.connect("/ws/plain", /*offer_deflate=*/false));
  EXPECT_EQ(plain.response()[http::field::sec_websocket_extensions], "");

  Client deflate(server_->port());
  ASSERT_FALSE(deflate.connect("/ws/deflate", /*offer_deflate=*/true));
  EXPECT_NE(std::string(deflate.response()[http::field::sec_websocket_extensions]).find("permessage-deflate"),
            std::string::npos);
  std::string payload;
  for (int i = 0; i < 5000; ++i) payload += "update " + std::to_string(i % 7) + ";";
  ASSERT_FALSE(deflate.write(payload));
  std::string got;
  ASSERT_FALSE(deflate.read(got));
  EXPECT_EQ(got, payload);
  ASSERT_TRUE(obs_->wait_opens(2));
  std::lock_guard lock(obs_->mu);
  EXPECT_EQ(obs_->compressed_by_target,
            (std::map<std::string, bool>{{"/ws/plain", false}, {"/ws/deflate", true}}));
}

TEST_F(NetServerTest, StopClosesClientsWith1001) {
  start();
  Client a(server_->port());
  Client b(server_->port());
  ASSERT_FALSE(a.connect("/ws/a"));
  ASSERT_FALSE(b.connect("/ws/b"));
  std::thread stopper([&] { server_->stop(); });
  std::string got;
  EXPECT_EQ(a.read(got), websocket::error::closed);
  EXPECT_EQ(a.ws().reason().code, kCloseGoingAway);
  EXPECT_EQ(b.read(got), websocket::error::closed);
  EXPECT_EQ(b.ws().reason().code, kCloseGoingAway);
  stopper.join();
  ASSERT_TRUE(obs_->wait_closes(2));
  for (const CloseInfo& info : obs_->closes) {
    EXPECT_EQ(info.code, kCloseGoingAway);
    EXPECT_TRUE(info.by_server);
  }
  EXPECT_EQ(server_->session_count(), 0u);
  Client late(server_->port());
  EXPECT_TRUE(late.connect("/ws/c"));  // no longer accepting
}

TEST_F(NetServerTest, SilentPeerIsDroppedAfterAMissedPong) {
  NetServerOptions options;
  options.ping_interval = 100ms;
  start(options);
  Client silent(server_->port());  // never reads, so never answers pings
  Client live(server_->port());
  ASSERT_FALSE(silent.connect("/ws/silent"));
  ASSERT_FALSE(live.connect("/ws/live"));
  // The live client keeps a read pending (so it answers pings) across several ticks.
  std::string got;
  EXPECT_EQ(live.read(got, nullptr, 700ms), asio::error::timed_out);
  ASSERT_TRUE(obs_->wait_closes(1, 2s));
  EXPECT_EQ(obs_->closes[0].code, kCloseAbnormal);
  EXPECT_TRUE(obs_->closes[0].by_server);
  EXPECT_EQ(server_->session_count(), 1u);
  ASSERT_FALSE(live.write("still here"));
  ASSERT_FALSE(live.read(got));
  EXPECT_EQ(got, "still here");
}

TEST_F(NetServerTest, OwnerCanMergeThePendingQueue) {
  std::atomic<size_t> pending_before{0}, pending_after{0};
  on_open_script_ = [&](WsConnection& conn) {
    // Sends from the strand are queued: the writer starts after this returns.
    for (const char* part : {"a", "bb", "ccc"}) conn.send(std::vector<uint8_t>(part, part + strlen(part)));
    pending_before = conn.pending_bytes();
    conn.edit_pending([](std::deque<OutMessage>& queue) {
      std::vector<uint8_t> merged;
      for (const OutMessage& m : queue) merged.insert(merged.end(), m.data->begin(), m.data->end());
      queue.clear();
      queue.push_back(
          OutMessage{std::make_shared<const std::vector<uint8_t>>(std::move(merged)), FrameKind::kBinary});
    });
    pending_after = conn.pending_bytes();
  };
  start();
  Client c(server_->port());
  ASSERT_FALSE(c.connect("/ws/merge"));
  std::string got;
  ASSERT_FALSE(c.read(got));
  EXPECT_EQ(got, "abbccc");
  EXPECT_EQ(pending_before.load(), 6u);
  EXPECT_EQ(pending_after.load(), 6u);
  ASSERT_FALSE(c.write("next"));
  ASSERT_FALSE(c.read(got));
  EXPECT_EQ(got, "next");
}

TEST_F(NetServerTest, QueueBoundsCallTheHookThenClose) {
  NetServerOptions options;
  options.send_queue_soft_bytes = 100;
  options.send_queue_hard_bytes = 1000;
  std::atomic<int> refused{0};
  on_open_script_ = [&](WsConnection& conn) {
    if (!conn.send(std::vector<uint8_t>(150, 1))) ++refused;  // over soft: hook
    if (!conn.send(std::vector<uint8_t>(900, 2))) ++refused;  // over hard: refused, close 1013
    if (!conn.send(std::vector<uint8_t>(1, 3))) ++refused;    // closing: refused
  };
  start(options);
  Client c(server_->port());
  ASSERT_FALSE(c.connect("/ws/slow"));
  std::string got;
  EXPECT_EQ(c.read(got), websocket::error::closed);
  EXPECT_EQ(c.ws().reason().code, kCloseTryAgainLater);
  ASSERT_TRUE(obs_->wait_closes(1));
  EXPECT_EQ(refused.load(), 2);
  EXPECT_EQ(obs_->closes[0].code, kCloseTryAgainLater);
  std::lock_guard lock(obs_->mu);
  ASSERT_EQ(obs_->queue_high.size(), 1u);
  EXPECT_EQ(obs_->queue_high[0], 150u);
}

TEST_F(NetServerTest, SendFromOtherThreads) {
  start();
  Client c(server_->port());
  ASSERT_FALSE(c.connect("/ws/threads"));
  ASSERT_TRUE(obs_->wait_opens(1));
  std::shared_ptr<WsConnection> conn;
  {
    std::lock_guard lock(obs_->mu);
    conn = obs_->last_open;
  }
  ASSERT_TRUE(conn);
  constexpr int kThreads = 4, kEach = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) EXPECT_TRUE(conn->send(std::vector<uint8_t>(10, 7)));
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kThreads * kEach; ++i) {
    std::string got;
    ASSERT_FALSE(c.read(got));
    EXPECT_EQ(got, std::string(10, '\x07'));
  }
  conn.reset();
}

TEST_F(NetServerTest, FragmentedMessagesAndPingsFromBeast) {
  start();
  Client c(server_->port());
  ASSERT_FALSE(c.connect("/ws/frag"));
  std::atomic<int> pongs{0};
  c.ws().control_callback([&](websocket::frame_type kind, beast::string_view) {
    if (kind == websocket::frame_type::pong) ++pongs;
  });
  c.ws().binary(true);
  beast::error_code ec;
  c.ws().write_some(false, asio::buffer(std::string("frag")), ec);
  ASSERT_FALSE(ec);
  c.ws().ping("p1", ec);
  ASSERT_FALSE(ec);
  c.ws().write_some(false, asio::buffer(std::string("ment")), ec);
  ASSERT_FALSE(ec);
  c.ws().write_some(true, asio::buffer(std::string("ed")), ec);
  ASSERT_FALSE(ec);
  std::string got;
  ASSERT_FALSE(c.read(got));
  EXPECT_EQ(got, "fragmented");
  EXPECT_EQ(pongs.load(), 1);
}

TEST_F(NetServerTest, RawFramesFragmentationPingAndClose) {
  start();
  RawClient c(server_->port());
  auto res = c.connect("/ws/raw");
  ASSERT_EQ(res.result_int(), 101u);
  EXPECT_EQ(res[http::field::sec_websocket_accept], "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");  // RFC 6455 1.3
  // One message in three frames with a ping between, sent in one write.
  c.send(RawClient::frame(2, "ab", false) + RawClient::frame(9, "hello?") + RawClient::frame(0, "cd", false) +
         RawClient::frame(0, "ef"));
  auto pong = c.read();
  ASSERT_TRUE(pong);
  EXPECT_EQ(pong->opcode, 10);
  EXPECT_EQ(pong->payload, "hello?");
  auto echo = c.read();
  ASSERT_TRUE(echo);
  EXPECT_EQ(echo->opcode, 2);
  EXPECT_EQ(echo->payload, "abcdef");
  // A pong is ignored; a close is answered with the same code.
  c.send(RawClient::frame(10, "") + RawClient::frame(8, std::string("\x0f\xa0", 2) + "done"));
  EXPECT_EQ(c.read_close_code(), 4000);
  ASSERT_TRUE(obs_->wait_closes(1));
  EXPECT_EQ(obs_->closes[0].code, 4000);
  EXPECT_EQ(obs_->closes[0].reason, "done");
  EXPECT_FALSE(obs_->closes[0].by_server);
}

TEST_F(NetServerTest, CompressedAndPlainMessagesOnOneConnection) {
  start();
  RawClient c(server_->port());
  auto res = c.connect("/ws/mixed", "permessage-deflate; client_max_window_bits");
  ASSERT_EQ(res.result_int(), 101u);
  EXPECT_EQ(res[http::field::sec_websocket_extensions],
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover");
  std::string big;
  for (int i = 0; i < 2000; ++i) big += "update " + std::to_string(i % 13) + ";";
  const std::string deflated = RawClient::deflated(big);
  // compressed in, compressed out (large); plain in, plain out (small);
  // compressed fragmented; a small compressed message comes back plain.
  c.send(RawClient::frame(2, deflated, true, true));
  c.send(RawClient::frame(2, "tiny"));
  c.send(RawClient::frame(2, deflated.substr(0, 7), false, true) + RawClient::frame(0, deflated.substr(7)));
  c.send(RawClient::frame(1, RawClient::deflated("small text"), true, true));
  auto a = c.read();
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->rsv1);
  EXPECT_LT(a->payload.size(), big.size() / 4);
  EXPECT_EQ(RawClient::inflated(a->payload), big);
  auto b = c.read();
  ASSERT_TRUE(b);
  EXPECT_FALSE(b->rsv1);
  EXPECT_EQ(b->payload, "tiny");
  auto d = c.read();
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->rsv1);
  EXPECT_EQ(RawClient::inflated(d->payload), big);
  auto e = c.read();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->opcode, 1);
  EXPECT_FALSE(e->rsv1);
  EXPECT_EQ(e->payload, "small text");
}

TEST_F(NetServerTest, DeflateOffersTheServerCannotHonourAreDeclined) {
  start();
  RawClient eight(server_->port());
  auto res = eight.connect("/ws/a", "permessage-deflate; server_max_window_bits=8, x-webkit-deflate-frame");
  ASSERT_EQ(res.result_int(), 101u);
  EXPECT_EQ(res[http::field::sec_websocket_extensions], "");
  RawClient second(server_->port());
  res = second.connect("/ws/b", "permessage-deflate; bogus, permessage-deflate; server_max_window_bits=10");
  EXPECT_EQ(res[http::field::sec_websocket_extensions],
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
            "server_max_window_bits=10");
  // RSV1 without deflate is a protocol error.
  eight.send(RawClient::frame(2, RawClient::deflated("x"), true, true));
  EXPECT_EQ(eight.read_close_code(), kCloseProtocolError);
}

TEST_F(NetServerTest, BadFramesCloseOnlyTheirConnection) {
  NetServerOptions options;
  options.max_message_bytes = 1024;
  start(options);
  RawClient witness(server_->port());
  witness.connect("/ws/witness", "permessage-deflate");
  struct Case {
    const char* what;
    std::string bytes;
    uint16_t code;
  };
  std::string huge_header = RawClient::frame(2, "");  // declares 2^40 bytes, sends none
  huge_header[1] = static_cast<char>(0x80 | 127);
  huge_header.insert(2, std::string("\x00\x00\x01\x00\x00\x00\x00\x00", 8));
  const std::vector<Case> cases = {
      {"unmasked", RawClient::frame(2, "x", true, false, /*masked=*/false), kCloseProtocolError},
      {"RSV2", RawClient::frame(2, "x", true, false, true, 0x20), kCloseProtocolError},
      {"opcode 3", RawClient::frame(3, "x"), kCloseProtocolError},
      {"opcode 11", RawClient::frame(11, ""), kCloseProtocolError},
      {"fragmented ping", RawClient::frame(9, "", false), kCloseProtocolError},
      {"orphan continuation", RawClient::frame(0, "x"), kCloseProtocolError},
      {"text not UTF-8", RawClient::frame(1, "\xc0\xaf"), 1007},
      {"too big", RawClient::frame(2, std::string(1025, 'x')), kCloseTooBig},
      {"declared 1 TiB", huge_header, kCloseTooBig},
      {"zip bomb", RawClient::frame(2, RawClient::deflated(std::string(1 << 18, '\0')), true, true),
       kCloseTooBig},
      {"corrupt deflate", RawClient::frame(2, "\xff\xff\xff\xff", true, true), 1007},
  };
  size_t closed = 0;
  for (const Case& c : cases) {
    {
      RawClient bad(server_->port());
      bad.connect("/ws/bad", "permessage-deflate");
      bad.send(c.bytes);
      EXPECT_EQ(bad.read_close_code(), c.code) << c.what;
    }
    // on_close runs once the socket is gone, which can be after the next
    // case's; waiting here keeps obs_->closes in the order of the cases.
    ASSERT_TRUE(obs_->wait_closes(++closed)) << c.what;
    witness.send(RawClient::frame(2, c.what));
    auto echo = witness.read();
    ASSERT_TRUE(echo) << c.what;
    EXPECT_EQ(echo->payload, c.what);
  }
  std::lock_guard lock(obs_->mu);
  ASSERT_EQ(obs_->closes.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(obs_->closes[i].code, cases[i].code) << cases[i].what;
    EXPECT_TRUE(obs_->closes[i].by_server) << cases[i].what;
  }
}

TEST_F(NetServerTest, LargeSharedPayloadToDeflateClientsOfBeast) {
  // Beast's client inflates what we compress; the same shared payload to
  // two connections (the second from the compressed cache).
  std::string big;
  std::mt19937 rng(7);
  for (int i = 0; i < 300000; ++i) big += static_cast<char>('a' + rng() % 8);
  auto shared = std::make_shared<const std::vector<uint8_t>>(big.begin(), big.end());
  on_open_script_ = [shared](WsConnection& conn) { conn.send(OutMessage{shared, FrameKind::kBinary}); };
  start();
  for (int i = 0; i < 2; ++i) {
    Client c(server_->port());
    ASSERT_FALSE(c.connect("/ws/big", /*offer_deflate=*/true));
    std::string got;
    ASSERT_FALSE(c.read(got));
    EXPECT_EQ(got, big) << "connection " << i;
  }
}

TEST(NetServer, BindFailureIsAnError) {
  auto handler = std::make_shared<TestHttp>(std::make_shared<Observed>());
  NetServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  NetServer first(options, handler);
  ASSERT_TRUE(first.start().is_ok());
  options.port = first.port();
  NetServer second(options, handler);
  Status s = second.start();
  EXPECT_EQ(s.code(), ErrorCode::kIo);
  options.host = "not an address";
  EXPECT_EQ(NetServer(options, handler).start().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace weft
