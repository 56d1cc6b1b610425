// y-websocket messages (yjs-compat.md 8 and 9.1): one binary WebSocket frame
// is one message, `varUint(messageType) • payload`.
//
//   type 0  sync            varUint(syncType) • varUint8Array(payload)
//             syncType 0    SyncStep1: a state vector
//             syncType 1    SyncStep2: a v1 update (the answer to a SyncStep1)
//             syncType 2    Update:    a v1 update
//   type 1  awareness       varUint8Array(awareness update, see awareness.h)
//   type 2  auth            varUint(0 = permission denied) • varString(reason)
//   type 3  query awareness no payload
//
// decode_message checks the framing only: every length against the input,
// unknown message, sync or auth types, and bytes after the message are
// errors (JS ignores trailing bytes; no encoder writes them). Payloads are
// not interpreted here: the state vector, update and awareness update are
// checked by their consumers (room_protocol.h, awareness.h).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "weft/status.h"

namespace weft::sync {

using Bytes = std::vector<uint8_t>;

enum class MessageType : uint8_t { kSync = 0, kAwareness = 1, kAuth = 2, kQueryAwareness = 3 };
enum class SyncType : uint8_t { kStep1 = 0, kStep2 = 1, kUpdate = 2 };

struct SyncMessage {
  SyncType type = SyncType::kStep1;
  Bytes payload;  // state vector (kStep1) or v1 update (kStep2, kUpdate)
  bool operator==(const SyncMessage&) const = default;
};
struct AwarenessMessage {
  Bytes update;
  bool operator==(const AwarenessMessage&) const = default;
};
// Auth type 0, the only one y-protocols defines.
struct PermissionDeniedMessage {
  std::string reason;  // UTF-8
  bool operator==(const PermissionDeniedMessage&) const = default;
};
struct QueryAwarenessMessage {
  bool operator==(const QueryAwarenessMessage&) const = default;
};

using Message = std::variant<SyncMessage, AwarenessMessage, PermissionDeniedMessage, QueryAwarenessMessage>;

// Decodes exactly one message from a whole frame. Errors: kTruncated (a
// length beyond the frame), kMalformed (unknown type, trailing bytes,
// invalid UTF-8 in a reason), kOutOfRange (a varUint beyond 2^53 - 1).
Result<Message> decode_message(std::span<const uint8_t> frame);

// Byte-exact encoders, as y-protocols writes them. SyncStep1 of an empty
// doc is `00 00 01 00`; its SyncStep2 `00 01 02 00 00`.
Bytes encode_message(const Message& message);
Bytes encode_sync_step1(std::span<const uint8_t> state_vector);
Bytes encode_sync_step2(std::span<const uint8_t> update);
Bytes encode_sync_update(std::span<const uint8_t> update);
Bytes encode_awareness_message(std::span<const uint8_t> awareness_update);
Bytes encode_permission_denied(std::string_view reason);
Bytes encode_query_awareness();

// "sync step 1", "awareness", ...: for log lines and error messages.
const char* message_name(const Message& message);

}  // namespace weft::sync
