// Slow consumers (architecture.md): when a connection's send queue passes
// its soft bound, the sync updates waiting in it are merged into one update
// (CRDT updates compose, so the client ends in the same state with fewer
// bytes). A connection that still falls behind hits the transport's hard
// bound and is closed with 1013; its client reconnects and resyncs.
#pragma once

#include <deque>

#include "net/ws_handler.h"

namespace weft::server {

// Replaces the `[0,2,update]` messages of `queue` by one holding their
// merge, at the place of the first; other messages (awareness, sync steps)
// keep their order. Returns whether anything was merged (false when fewer
// than two updates wait or the merge fails, leaving the queue as it was).
bool merge_queued_updates(std::deque<OutMessage>& queue);

}  // namespace weft::server
