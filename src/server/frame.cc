#include "server/frame.h"

#include "encoding/lib0.h"

namespace weft::server {

namespace {

std::vector<uint8_t> encode_with_prefix(std::initializer_list<uint8_t> prefix,
                                        std::span<const uint8_t> payload) {
  lib0::Encoder enc;
  for (uint8_t b : prefix) enc.write_u8(b);
  enc.write_var_bytes(payload);
  return enc.take();
}

}  // namespace

Result<Frame> decode_frame(std::span<const uint8_t> bytes) {
  lib0::Decoder dec(bytes);
  Frame frame;
  const uint64_t type = dec.read_var_uint();
  if (!dec.ok()) return dec.status();
  switch (type) {
    case 0: {
      const uint64_t sync_type = dec.read_var_uint();
      if (!dec.ok()) return dec.status();
      if (sync_type > 2)
        return Status(ErrorCode::kMalformed, "unknown sync message type " + std::to_string(sync_type));
      frame.type = sync_type == 0   ? FrameType::kSyncStep1
                   : sync_type == 1 ? FrameType::kSyncStep2
                                    : FrameType::kSyncUpdate;
      frame.payload = dec.read_var_bytes();
      break;
    }
    case 1:
      frame.type = FrameType::kAwareness;
      frame.payload = dec.read_var_bytes();
      break;
    case 2:
      frame.type = FrameType::kAuth;
      return frame;
    case 3:
      frame.type = FrameType::kQueryAwareness;
      break;
    default:
      return Status(ErrorCode::kMalformed, "unknown message type " + std::to_string(type));
  }
  if (!dec.ok()) return dec.status();
  if (dec.has_content()) return Status(ErrorCode::kMalformed, "bytes after the message");
  return frame;
}

std::vector<uint8_t> encode_sync_step1(std::span<const uint8_t> state_vector) {
  return encode_with_prefix({0, 0}, state_vector);
}
std::vector<uint8_t> encode_sync_step2(std::span<const uint8_t> update) {
  return encode_with_prefix({0, 1}, update);
}
std::vector<uint8_t> encode_sync_update(std::span<const uint8_t> update) {
  return encode_with_prefix({0, 2}, update);
}
std::vector<uint8_t> encode_awareness(std::span<const uint8_t> awareness_update) {
  return encode_with_prefix({1}, awareness_update);
}

}  // namespace weft::server
