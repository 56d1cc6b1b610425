// RFC 6455 framing for the server side: a streaming decoder of client
// frames and an encoder of server frame headers.
//
// The decoder takes bytes as they arrive (any split) and reports complete
// messages and control frames. It enforces: client frames masked, RSV bits
// (RSV1 only on the first frame of a message when deflate was agreed),
// known opcodes, control frames short and unfragmented, continuation
// order, the message size limit before anything is buffered (the declared
// length is checked as each frame header arrives), the decompressed size
// limit, and UTF-8 in text messages and close reasons.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace weft::net_detail {

enum class WsOpcode : uint8_t {
  kContinuation = 0,
  kText = 1,
  kBinary = 2,
  kClose = 8,
  kPing = 9,
  kPong = 10
};

// What the decoder reports; each callback's data is valid during the call only.
class WsFrameEvents {
 public:
  virtual ~WsFrameEvents() = default;
  virtual void on_message(bool text, std::span<const uint8_t> data) = 0;
  virtual void on_ping(std::span<const uint8_t> payload) = 0;
  virtual void on_pong() {}
  // code 1005 when the close frame had no body.
  virtual void on_close(uint16_t code, std::string_view reason) = 0;
};

// A protocol failure: close the connection with `code`.
struct WsFailure {
  uint16_t code = 0;  // 0: none
  const char* reason = "";
  explicit operator bool() const { return code != 0; }
};

class WsFrameDecoder {
 public:
  WsFrameDecoder(size_t max_message_bytes, bool deflate)
      : max_message_(max_message_bytes), deflate_(deflate) {}

  // Consumes all of `bytes`, reporting events as frames complete. Stops at
  // the first failure (returned) or after a close frame (closed() is then
  // true and the rest is ignored).
  WsFailure feed(std::span<const uint8_t> bytes, WsFrameEvents& events);
  bool closed() const { return closed_; }
  // Bytes held for a message still arriving (for memory accounting and tests).
  size_t buffered() const { return message_.size(); }

 private:
  WsFailure on_header(WsFrameEvents& events);
  WsFailure on_frame_end(WsFrameEvents& events);

  const size_t max_message_;
  const bool deflate_;

  // Header being read (2-14 bytes).
  std::array<uint8_t, 14> header_{};
  size_t header_have_ = 0;
  size_t header_need_ = 2;
  bool in_payload_ = false;

  // Current frame.
  WsOpcode opcode_ = WsOpcode::kContinuation;
  bool fin_ = false;
  uint64_t remaining_ = 0;
  std::array<uint8_t, 4> mask_{};
  size_t mask_pos_ = 0;
  std::array<uint8_t, 125> control_{};
  size_t control_len_ = 0;

  // Current data message.
  bool in_message_ = false;
  bool message_text_ = false;
  bool message_compressed_ = false;
  std::vector<uint8_t> message_;
  bool closed_ = false;
};

// Writes the header of an unmasked server frame into `out`; returns its length (2-10).
size_t encode_frame_header(WsOpcode opcode, bool fin, bool rsv1, uint64_t payload_size,
                           std::array<uint8_t, 10>& out);

// Whether `data` is well-formed UTF-8 (RFC 3629: no overlongs, surrogates, or values past U+10FFFF).
bool valid_utf8(std::span<const uint8_t> data);

}  // namespace weft::net_detail
