// Settings of the transport, each with a safe default.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace weft {

struct NetServerOptions {
  std::string host = "0.0.0.0";
  uint16_t port = 1234;  // 0: pick a free port (NetServer::port() reports it)
  int io_threads = 2;

  // Largest incoming WebSocket message; a bigger one closes the connection with 1009.
  size_t max_message_bytes = size_t{16} << 20;
  // Open TCP connections (HTTP or upgraded WebSocket) from one remote
  // address; every request on one more is answered 429 and the connection
  // closed. 0: no limit. Counted before any authentication.
  size_t max_connections_per_ip = 1000;
  // Called on an io thread for each request refused by max_connections_per_ip
  // (for a log line and a metric); `remote` is "address:port".
  std::function<void(const std::string& remote)> on_ip_limit;

  // Largest HTTP request body (413 beyond) and header block (431 beyond).
  size_t max_http_body_bytes = size_t{1} << 20;
  size_t max_http_header_bytes = size_t{16} << 10;

  // Outgoing queue per connection: past the soft bound the handler's
  // on_send_queue_high runs; a send past the hard bound closes with 1013.
  size_t send_queue_soft_bytes = size_t{1} << 20;
  size_t send_queue_hard_bytes = size_t{64} << 20;

  bool permessage_deflate = true;
  // zlib level (0-9) for outgoing messages: 3 keeps most of the size gain at
  // a fraction of zlib's default level's CPU (a new client's SyncStep2 can be
  // megabytes, compressed on the connection's thread).
  int deflate_level = 3;
  // Compression state lives as long as the connection (Beast allocates it
  // when the first message goes out, the SyncStep1 on connect): with zlib's
  // 32 KiB window about 130 KiB per connection, more than everything else a
  // connection holds. 2^deflate_window_bits (9-15) is the LZ77 window the
  // server compresses with (server_max_window_bits); deflate_mem_level
  // (1-9) sizes its hash table and output buffer.
  int deflate_window_bits = 10;
  int deflate_mem_level = 2;

  // A ping every interval; a connection that sent no pong (nor anything
  // else) since the previous tick is dropped, as y-websocket's server does.
  std::chrono::milliseconds ping_interval{30000};
  // Reading a connection's first HTTP request (the pre-authentication
  // phase: a client that has not sent its whole request by then is
  // dropped), the WebSocket handshake, and the close handshake.
  std::chrono::milliseconds handshake_timeout{10000};
  // An idle keep-alive HTTP connection is closed after this.
  std::chrono::milliseconds http_idle_timeout{30000};
  // stop(): how long sessions get to close gracefully before they are cut.
  std::chrono::milliseconds stop_timeout{5000};
};

}  // namespace weft
