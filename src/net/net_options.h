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

  // permessage-deflate, answered with server_no_context_takeover and
  // client_no_context_takeover: each message is compressed on its own, so
  // one zlib stream per io thread serves every connection (no per-connection
  // compression state). Messages under 256 bytes go out uncompressed.
  bool permessage_deflate = true;
  // zlib level (1-9) for outgoing messages: 3 keeps most of the size gain at
  // a fraction of zlib's default level's CPU. Messages of 1 MiB and more use
  // level 1 (a new client's SyncStep2 can be megabytes, and it waits for it);
  // large payloads shared between connections (the cached full state) are
  // compressed once.
  int deflate_level = 3;
  // Larger outgoing messages go out uncompressed: over loopback or a LAN a
  // client's inflate of megabytes (node's ws streams it in 16 KiB chunks:
  // ~100 ms for 10 MB) costs more than the transfer saves. Raise it for
  // clients on slow links.
  size_t deflate_max_bytes = size_t{1} << 20;

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
