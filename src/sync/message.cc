#include "sync/message.h"

#include "encoding/lib0.h"

namespace weft::sync {

namespace {

Bytes encode_sync(SyncType type, std::span<const uint8_t> payload) {
  lib0::Encoder enc;
  enc.write_var_uint(static_cast<uint64_t>(MessageType::kSync));
  enc.write_var_uint(static_cast<uint64_t>(type));
  enc.write_var_bytes(payload);
  return enc.take();
}

Bytes copy(std::span<const uint8_t> s) { return Bytes(s.begin(), s.end()); }

}  // namespace

Result<Message> decode_message(std::span<const uint8_t> frame) {
  lib0::Decoder dec(frame);
  const uint64_t type = dec.read_var_uint();
  if (!dec.ok()) return dec.status();
  Message message;
  switch (type) {
    case static_cast<uint64_t>(MessageType::kSync): {
      const uint64_t sync_type = dec.read_var_uint();
      auto payload = dec.read_var_bytes();
      if (!dec.ok()) return dec.status();
      if (sync_type > static_cast<uint64_t>(SyncType::kUpdate)) {
        return Status(ErrorCode::kMalformed, "unknown sync message type " + std::to_string(sync_type));
      }
      message = SyncMessage{static_cast<SyncType>(sync_type), copy(payload)};
      break;
    }
    case static_cast<uint64_t>(MessageType::kAwareness): {
      auto update = dec.read_var_bytes();
      if (!dec.ok()) return dec.status();
      message = AwarenessMessage{copy(update)};
      break;
    }
    case static_cast<uint64_t>(MessageType::kAuth): {
      const uint64_t auth_type = dec.read_var_uint();
      if (!dec.ok()) return dec.status();
      if (auth_type != 0) {
        return Status(ErrorCode::kMalformed, "unknown auth message type " + std::to_string(auth_type));
      }
      std::string reason = dec.read_var_string();
      if (!dec.ok()) return dec.status();
      message = PermissionDeniedMessage{std::move(reason)};
      break;
    }
    case static_cast<uint64_t>(MessageType::kQueryAwareness):
      message = QueryAwarenessMessage{};
      break;
    default:
      return Status(ErrorCode::kMalformed, "unknown message type " + std::to_string(type));
  }
  if (dec.has_content()) {
    return Status(ErrorCode::kMalformed,
                  std::to_string(dec.remaining()) + " trailing bytes after " + message_name(message));
  }
  return message;
}

Bytes encode_sync_step1(std::span<const uint8_t> state_vector) {
  return encode_sync(SyncType::kStep1, state_vector);
}
Bytes encode_sync_step2(std::span<const uint8_t> update) { return encode_sync(SyncType::kStep2, update); }
Bytes encode_sync_update(std::span<const uint8_t> update) { return encode_sync(SyncType::kUpdate, update); }

Bytes encode_awareness_message(std::span<const uint8_t> awareness_update) {
  lib0::Encoder enc;
  enc.write_var_uint(static_cast<uint64_t>(MessageType::kAwareness));
  enc.write_var_bytes(awareness_update);
  return enc.take();
}

Bytes encode_permission_denied(std::string_view reason) {
  lib0::Encoder enc;
  enc.write_var_uint(static_cast<uint64_t>(MessageType::kAuth));
  enc.write_var_uint(0);
  enc.write_var_string(reason);
  return enc.take();
}

Bytes encode_query_awareness() { return {static_cast<uint8_t>(MessageType::kQueryAwareness)}; }

Bytes encode_message(const Message& message) {
  struct Visitor {
    Bytes operator()(const SyncMessage& m) const { return encode_sync(m.type, m.payload); }
    Bytes operator()(const AwarenessMessage& m) const { return encode_awareness_message(m.update); }
    Bytes operator()(const PermissionDeniedMessage& m) const { return encode_permission_denied(m.reason); }
    Bytes operator()(const QueryAwarenessMessage&) const { return encode_query_awareness(); }
  };
  return std::visit(Visitor{}, message);
}

const char* message_name(const Message& message) {
  struct Visitor {
    const char* operator()(const SyncMessage& m) const {
      switch (m.type) {
        case SyncType::kStep1:
          return "sync step 1";
        case SyncType::kStep2:
          return "sync step 2";
        case SyncType::kUpdate:
          return "sync update";
      }
      return "sync";
    }
    const char* operator()(const AwarenessMessage&) const { return "awareness"; }
    const char* operator()(const PermissionDeniedMessage&) const { return "auth permission denied"; }
    const char* operator()(const QueryAwarenessMessage&) const { return "query awareness"; }
  };
  return std::visit(Visitor{}, message);
}

}  // namespace weft::sync
