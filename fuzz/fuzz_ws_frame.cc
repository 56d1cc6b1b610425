// libFuzzer target: client bytes through the server's WebSocket frame
// decoder (net/ws_frame.h) with permessage-deflate on or off.
//  - feed never crashes and reports nothing past the first failure or the
//    close frame;
//  - the events do not depend on how the bytes are split across reads;
//  - messages respect the size limit, text messages and close reasons are
//    UTF-8, control payloads fit in 125 bytes;
//  - deflate_message output inflates back to its input.
// Input: byte 0 = flags (bit 0: deflate agreed; bits 1-7: read size for the
// split run), then the bytes a client sends after the 101.
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "net/ws_deflate.h"
#include "net/ws_frame.h"

namespace {

using weft::net_detail::WsFailure;
using weft::net_detail::WsFrameDecoder;
using weft::net_detail::WsFrameEvents;

constexpr size_t kMaxMessage = 4096;

void check(bool cond) {
  if (!cond) std::abort();
}

struct Recorder : WsFrameEvents {
  std::string log;
  bool closed = false;
  void on_message(bool text, std::span<const uint8_t> data) override {
    check(!closed);
    check(data.size() <= kMaxMessage);
    if (text) check(weft::net_detail::valid_utf8(data));
    log += text ? "T" : "B";
    log += std::to_string(data.size()) + ":";
    log.append(reinterpret_cast<const char*>(data.data()), data.size());
  }
  void on_ping(std::span<const uint8_t> payload) override {
    check(!closed && payload.size() <= 125);
    log += "P" + std::to_string(payload.size()) + ":";
    log.append(reinterpret_cast<const char*>(payload.data()), payload.size());
  }
  void on_pong() override {
    check(!closed);
    log += "p";
  }
  void on_close(uint16_t code, std::string_view reason) override {
    check(!closed && reason.size() <= 123);
    closed = true;
    log += "C" + std::to_string(code) + ":" + std::string(reason);
  }
};

std::string run(std::span<const uint8_t> bytes, bool deflate, size_t step) {
  WsFrameDecoder decoder(kMaxMessage, deflate);
  Recorder events;
  for (size_t pos = 0; pos < bytes.size(); pos += step) {
    const WsFailure f = decoder.feed(bytes.subspan(pos, std::min(step, bytes.size() - pos)), events);
    if (f) {
      check(f.code == 1002 || f.code == 1007 || f.code == 1009);
      events.log += "F" + std::to_string(f.code);
      break;
    }
    if (decoder.closed()) break;
  }
  return events.log;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool deflate = data[0] & 1;
  const size_t step = (data[0] >> 1) + 1;
  const std::span<const uint8_t> bytes(data + 1, size - 1);
  check(run(bytes, deflate, bytes.size() + 1) == run(bytes, deflate, step));

  std::vector<uint8_t> packed;
  weft::net_detail::deflate_message(bytes, 1 + (data[0] % 9), 9 + (data[0] % 7), packed);
  std::vector<uint8_t> unpacked;
  bool too_big = false;
  check(weft::net_detail::inflate_message(packed, bytes.size(), unpacked, too_big));
  check(unpacked.size() == bytes.size() && std::equal(unpacked.begin(), unpacked.end(), bytes.begin()));
  if (!bytes.empty()) {
    check(!weft::net_detail::inflate_message(packed, bytes.size() - 1, unpacked, too_big) && too_big);
  }
  return 0;
}
