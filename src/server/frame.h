// The y-websocket framing the server needs (yjs-compat.md 8-9): one binary
// frame is `varUint(messageType) • payload`.
//
// Stopgap: weft_sync (src/sync/message.h, room_protocol.h) is the home of
// this protocol; when it lands the room should decode with it and this file
// goes away.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "weft/status.h"

namespace weft::server {

enum class FrameType : uint8_t { kSyncStep1, kSyncStep2, kSyncUpdate, kAwareness, kAuth, kQueryAwareness };

struct Frame {
  FrameType type = FrameType::kSyncStep1;
  // State vector (kSyncStep1), v1 update (kSyncStep2, kSyncUpdate), awareness
  // update (kAwareness); points into the decoded bytes. Empty otherwise.
  std::span<const uint8_t> payload;
};

// Checks the framing only (lengths, known types, no trailing bytes); the
// payloads are checked by their consumers. Auth messages are accepted
// unread: y-protocols defines no message a client sends the server.
Result<Frame> decode_frame(std::span<const uint8_t> bytes);

std::vector<uint8_t> encode_sync_step1(std::span<const uint8_t> state_vector);
std::vector<uint8_t> encode_sync_step2(std::span<const uint8_t> update);
std::vector<uint8_t> encode_sync_update(std::span<const uint8_t> update);
std::vector<uint8_t> encode_awareness(std::span<const uint8_t> awareness_update);

}  // namespace weft::server
