// permessage-deflate (RFC 7692) without per-connection zlib state.
//
// The server always answers with server_no_context_takeover and
// client_no_context_takeover, so every message is compressed and
// decompressed on its own: one deflater and one inflater per thread
// (thread_local) serve all connections.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace weft::net_detail {

// What was agreed for one connection.
struct DeflateAgreement {
  int server_window_bits = 15;           // LZ77 window this side compresses with (9-15)
  bool echo_server_window_bits = false;  // the client asked for server_max_window_bits
  // The Sec-WebSocket-Extensions value of the 101 response.
  std::string response() const;
};

// Picks the first acceptable permessage-deflate offer from the request's
// Sec-WebSocket-Extensions value (all header lines joined with ", ").
// Offers with unknown, repeated or invalid parameters are skipped (RFC 7692
// 5.1); an offer of server_max_window_bits=8 is skipped too (zlib cannot
// produce raw deflate with a 256-byte window).
std::optional<DeflateAgreement> negotiate_deflate(std::string_view extensions);

// Compresses `in` as one permessage-deflate message payload (the trailing
// 00 00 ff ff removed) with the thread's deflater at `level` (1-9) and
// 2^window_bits window. Appends to `out`.
void deflate_message(std::span<const uint8_t> in, int level, int window_bits, std::vector<uint8_t>& out);

// Decompresses one message payload (without its 00 00 ff ff tail) into
// `out` (replaced). False when the data is corrupt or the result would
// exceed `max_bytes` (then `too_big` is set).
bool inflate_message(std::span<const uint8_t> in, size_t max_bytes, std::vector<uint8_t>& out, bool& too_big);

}  // namespace weft::net_detail
