// The HTTP contract: for each request the transport asks an HttpHandler for
// either a plain response or, for a WebSocket upgrade request, an accept
// with the WsHandler that will own the connection.
#pragma once

#include <memory>
#include <variant>

#include "net/http_types.h"
#include "net/ws_handler.h"

namespace weft {

struct WsAccept {
  std::shared_ptr<WsHandler> handler;  // must not be null
};

// An HttpResponse answers the request. For an upgrade request it rejects the
// upgrade (401, 403, 404, ...) and the connection is closed after it. A
// WsAccept for a request that is not an upgrade is answered 426.
using HttpReply = std::variant<HttpResponse, WsAccept>;

class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  // Runs on an io thread, concurrently for different connections (so it must
  // be thread-safe); it should not block for long.
  virtual HttpReply on_request(const HttpRequest& request) = 0;
};

}  // namespace weft
