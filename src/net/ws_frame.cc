#include "net/ws_frame.h"

#include <algorithm>
#include <cstring>
#include <string_view>

#include "net/ws_deflate.h"

namespace weft::net_detail {

namespace {

constexpr uint16_t kProtocolError = 1002;
constexpr uint16_t kInvalidData = 1007;
constexpr uint16_t kTooBig = 1009;

bool is_control(WsOpcode op) { return static_cast<uint8_t>(op) >= 8; }

// Close codes a peer may send (RFC 6455 7.4.1, 7.4.2).
bool valid_close_code(uint16_t code) {
  if (code >= 3000 && code <= 4999) return true;
  return code >= 1000 && code <= 1014 && code != 1004 && code != 1005 && code != 1006;
}

// Grown with the message, released when it is done if it got large, so an
// idle connection holds nothing.
void release_if_large(std::vector<uint8_t>& v) {
  if (v.capacity() > (size_t{64} << 10)) {
    std::vector<uint8_t>().swap(v);
  } else {
    v.clear();
  }
}

// The decompressed form of a message, shared by all connections of a thread.
std::vector<uint8_t>& inflate_buffer() {
  thread_local std::vector<uint8_t> buffer;
  return buffer;
}

}  // namespace

bool valid_utf8(std::span<const uint8_t> s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const uint8_t c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((c & 0xe0) == 0xc0) {
      len = 2;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) return false;
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

size_t encode_frame_header(WsOpcode opcode, bool fin, bool rsv1, uint64_t payload_size,
                           std::array<uint8_t, 10>& out) {
  out[0] = static_cast<uint8_t>((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | static_cast<uint8_t>(opcode));
  if (payload_size < 126) {
    out[1] = static_cast<uint8_t>(payload_size);
    return 2;
  }
  if (payload_size <= 0xffff) {
    out[1] = 126;
    out[2] = static_cast<uint8_t>(payload_size >> 8);
    out[3] = static_cast<uint8_t>(payload_size);
    return 4;
  }
  out[1] = 127;
  for (int k = 0; k < 8; ++k) out[2 + k] = static_cast<uint8_t>(payload_size >> (56 - 8 * k));
  return 10;
}

WsFailure WsFrameDecoder::feed(std::span<const uint8_t> bytes, WsFrameEvents& events) {
  size_t pos = 0;
  while (pos < bytes.size() && !closed_) {
    if (!in_payload_) {
      const size_t take = std::min(header_need_ - header_have_, bytes.size() - pos);
      std::memcpy(header_.data() + header_have_, bytes.data() + pos, take);
      header_have_ += take;
      pos += take;
      if (header_have_ < header_need_) break;
      if (header_need_ == 2) {
        // The first two bytes tell the full header length.
        const uint8_t len7 = header_[1] & 0x7f;
        const size_t extra = (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((header_[1] & 0x80) ? 4 : 0);
        header_need_ = 2 + extra;
        if (extra > 0) continue;
      }
      if (WsFailure f = on_header(events)) return f;
      if (!in_payload_) continue;  // an empty frame was handled whole
      continue;
    }
    // Payload bytes of the current frame.
    const size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, bytes.size() - pos));
    const uint8_t* src = bytes.data() + pos;
    uint8_t* dst;
    if (is_control(opcode_)) {
      dst = control_.data() + control_len_;
      control_len_ += take;
    } else {
      const size_t at = message_.size();
      message_.resize(at + take);
      dst = message_.data() + at;
    }
    for (size_t k = 0; k < take; ++k) dst[k] = src[k] ^ mask_[(mask_pos_ + k) & 3];
    mask_pos_ = (mask_pos_ + take) & 3;
    remaining_ -= take;
    pos += take;
    if (remaining_ == 0) {
      in_payload_ = false;
      if (WsFailure f = on_frame_end(events)) return f;
    }
  }
  return {};
}

WsFailure WsFrameDecoder::on_header(WsFrameEvents& events) {
  const uint8_t b0 = header_[0], b1 = header_[1];
  header_have_ = 0;
  header_need_ = 2;
  fin_ = (b0 & 0x80) != 0;
  const bool rsv1 = (b0 & 0x40) != 0;
  if (b0 & 0x30) return {kProtocolError, "reserved bits set"};
  const uint8_t op = b0 & 0x0f;
  if (op != 0 && op != 1 && op != 2 && op != 8 && op != 9 && op != 10)
    return {kProtocolError, "unknown opcode"};
  opcode_ = static_cast<WsOpcode>(op);
  if (!(b1 & 0x80)) return {kProtocolError, "client frame not masked"};
  const uint8_t len7 = b1 & 0x7f;
  uint64_t len = len7;
  size_t at = 2;
  if (len7 == 126) {
    len = (uint64_t{header_[2]} << 8) | header_[3];
    if (len < 126) return {kProtocolError, "length not minimally encoded"};
    at = 4;
  } else if (len7 == 127) {
    len = 0;
    for (int k = 0; k < 8; ++k) len = (len << 8) | header_[2 + k];
    if (len >> 63) return {kProtocolError, "length with the top bit set"};
    if (len <= 0xffff) return {kProtocolError, "length not minimally encoded"};
    at = 10;
  }
  std::memcpy(mask_.data(), header_.data() + at, 4);
  mask_pos_ = 0;
  remaining_ = len;

  if (is_control(opcode_)) {
    if (!fin_) return {kProtocolError, "fragmented control frame"};
    if (rsv1) return {kProtocolError, "compressed control frame"};
    if (len > 125) return {kProtocolError, "control frame too long"};
    control_len_ = 0;
  } else if (opcode_ == WsOpcode::kContinuation) {
    if (!in_message_) return {kProtocolError, "continuation without a message"};
    if (rsv1) return {kProtocolError, "RSV1 on a continuation frame"};
  } else {
    if (in_message_) return {kProtocolError, "new message inside a fragmented one"};
    if (rsv1 && !deflate_) return {kProtocolError, "RSV1 without permessage-deflate"};
    in_message_ = true;
    message_text_ = opcode_ == WsOpcode::kText;
    message_compressed_ = rsv1;
  }
  // Checked before any payload is buffered: the declared size decides.
  if (!is_control(opcode_) && len > max_message_ - std::min<uint64_t>(message_.size(), max_message_)) {
    return {kTooBig, "message too big"};
  }
  if (len == 0) return on_frame_end(events);
  in_payload_ = true;
  if (!is_control(opcode_))
    message_.reserve(message_.size() + static_cast<size_t>(std::min<uint64_t>(len, 1 << 20)));
  return {};
}

WsFailure WsFrameDecoder::on_frame_end(WsFrameEvents& events) {
  const std::span<const uint8_t> control(control_.data(), control_len_);
  switch (opcode_) {
    case WsOpcode::kPing:
      events.on_ping(control);
      return {};
    case WsOpcode::kPong:
      events.on_pong();
      return {};
    case WsOpcode::kClose: {
      closed_ = true;
      if (control.size() == 1) return {kProtocolError, "close frame with a 1-byte body"};
      if (control.empty()) {
        events.on_close(1005, {});
        return {};
      }
      const uint16_t code = static_cast<uint16_t>((control[0] << 8) | control[1]);
      if (!valid_close_code(code)) return {kProtocolError, "invalid close code"};
      if (!valid_utf8(control.subspan(2))) return {kInvalidData, "close reason not UTF-8"};
      events.on_close(
          code, std::string_view(reinterpret_cast<const char*>(control.data() + 2), control.size() - 2));
      return {};
    }
    default:
      break;
  }
  if (!fin_) return {};
  in_message_ = false;
  std::span<const uint8_t> data(message_);
  if (message_compressed_) {
    std::vector<uint8_t>& out = inflate_buffer();
    bool too_big = false;
    if (!inflate_message(message_, max_message_, out, too_big)) {
      release_if_large(message_);
      release_if_large(out);
      return too_big ? WsFailure{kTooBig, "message too big"} : WsFailure{kInvalidData, "bad compressed data"};
    }
    data = out;
  }
  WsFailure failure;
  if (message_text_ && !valid_utf8(data)) {
    failure = {kInvalidData, "text message not UTF-8"};
  } else {
    events.on_message(message_text_, data);
  }
  release_if_large(message_);
  if (message_compressed_) {
    std::vector<uint8_t>& out = inflate_buffer();
    if (out.capacity() > (size_t{4} << 20)) release_if_large(out);
  }
  return failure;
}

}  // namespace weft::net_detail
