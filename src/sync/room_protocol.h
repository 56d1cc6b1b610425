// The server side of one y-websocket connection to a room, as a pure state
// machine (yjs-compat.md 9.3): frames in, frames out. No sockets, no clock
// (time comes in as now_ms), no locks: call it on the room's strand.
//
// The room's Doc is only read here. Doc updates from a connection come back
// validated but not applied, because the server writes them durably first:
//
//   auto out = conn.on_message(frame, now_ms, read_only);
//   if (!out) { is_refusal(out.status()) ? drop : close the connection; }
//   if (out->refused_update) { count it; nothing else to do; }
//   send out->replies to this connection, in order;
//   if (out->awareness_broadcast) send it to every connection, sender included;
//   if (out->doc_update) {
//     persist(*out->doc_update);                        // durable first
//     auto b = apply_doc_update(doc, *out->doc_update);  // then apply
//     if (b && *b) send **b to every connection, sender included;
//   }
//
// Messages the server accepts and what it answers (docs/protocol.md):
//   sync step 1       reply SyncStep2 = encode_state_as_update(their state vector)
//   sync step 2       doc_update (refused_update on a read-only connection)
//   sync update       doc_update (refused_update on a read-only connection)
//   awareness         applied to the room's Awareness; awareness_broadcast if
//                     anything changed (this connection owns the clients it sets)
//   query awareness   reply with all known states
//   auth              ignored (clients do not send it; the server may)
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sync/awareness.h"
#include "sync/message.h"
#include "weft/doc.h"
#include "weft/status.h"

namespace weft::sync {

struct MessageOutcome {
  // Frames for this connection, in order.
  std::vector<Bytes> replies;
  // A validated v1 update (from sync step 2 or update), not yet applied:
  // persist it, then apply_doc_update(). Absent for an empty update.
  std::optional<Bytes> doc_update;
  // A sync step 2 whose content the doc already holds (changes_doc): not
  // stored, not applied, not broadcast.
  bool redundant_update = false;
  // A frame for every connection of the room, this one included (the echo
  // keeps an idle client's 30 s watchdog fed).
  std::optional<Bytes> awareness_broadcast;
  // Set when a read-only connection sent a sync step 2 or update: refused by
  // its type, its payload never read, nothing else in this outcome. Not an
  // error: a read-only y-websocket client answers every SyncStep1 with a
  // SyncStep2, so this is part of its normal handshake.
  std::optional<SyncType> refused_update;
};

// Refusals (kInvalidArgument) are policy, not corruption: the room's
// awareness is full. The server drops the message and may keep the
// connection; any other error is malformed input, and nothing changed
// either way.
inline bool is_refusal(const Status& status) { return status.code() == ErrorCode::kInvalidArgument; }

class RoomProtocol {
 public:
  // `doc` and `awareness` belong to the room and outlive this connection.
  RoomProtocol(const Doc& doc, Awareness& awareness, ConnectionId connection)
      : doc_(doc), awareness_(awareness), connection_(connection) {}

  ConnectionId connection() const { return connection_; }

  // What the server sends on open: SyncStep1 with the doc's state vector,
  // then one awareness message with all known states if there are any.
  std::vector<Bytes> on_connect() const;

  // One frame from the connection. On error neither the awareness changed
  // nor is there anything to apply.
  Result<MessageOutcome> on_message(std::span<const uint8_t> frame, int64_t now_ms, bool read_only);

  // The connection closed: removes the awareness states it owns. Returns
  // the frame to send to the remaining connections, if any state went.
  std::optional<Bytes> on_close(int64_t now_ms);

 private:
  const Doc& doc_;
  Awareness& awareness_;
  ConnectionId connection_;
};

// Applies an update that on_message returned (after it was persisted) and
// returns the frame to broadcast to every connection: `[0, 2, update]` with
// the doc's own update event for this change, which is what the reference
// server broadcasts; nullopt when the doc already had everything. Do not
// also broadcast from a Doc::on_update handler for the same change.
Result<std::optional<Bytes>> apply_doc_update(Doc& doc, std::span<const uint8_t> update,
                                              const std::string& origin = {});

// The awareness frame for a change (for expire() and remove_states()),
// nullopt if the change is empty.
std::optional<Bytes> awareness_broadcast(const Awareness& awareness, const AwarenessChange& change);

}  // namespace weft::sync
