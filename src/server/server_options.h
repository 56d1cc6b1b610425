// Settings of `weft serve`, each with a safe default.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "net/net_options.h"

namespace weft::server {

struct ServerOptions {
  // Transport: host, port (0 picks one), io threads, max_message_bytes
  // (16 MiB: a bigger WebSocket message closes its connection with 1009),
  // send queue bounds, ping interval.
  NetServerOptions net;

  // Stored size of one room (snapshot + update log) past which updates are
  // refused (the sending connection is closed with 1009).
  uint64_t max_doc_bytes = uint64_t{256} << 20;
  // Open WebSocket connections; upgrades beyond it are answered 503.
  size_t max_connections = 10000;
  // A room without connections for this long is dropped from memory.
  std::chrono::milliseconds idle_timeout{30000};
  // Compact a room's update log into a snapshot once it holds this many updates.
  uint64_t compact_after_updates = 500;
  // Awareness states not renewed for this long are removed (y-protocols: 30 s).
  std::chrono::milliseconds awareness_timeout{30000};
  // Served at `/` when not empty (the web app).
  std::string static_dir;

  // When not empty (at least 16 bytes), WebSocket upgrades and /api/ need a
  // token signed with it (auth.h); never logged.
  std::string auth_secret;
  // Incoming messages per connection: a token bucket holding `message_burst`
  // messages, refilled at `message_rate` per second. A connection that
  // finds it empty is closed with 1008. 0 rate: no limit.
  double message_rate = 200;
  double message_burst = 1000;
};

}  // namespace weft::server
