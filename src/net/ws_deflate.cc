#include "net/ws_deflate.h"

#include <zlib.h>

#include <array>
#include <memory>

namespace weft::net_detail {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits on `sep` outside double quotes.
std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  bool quoted = false;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '"') quoted = !quoted;
    if (s[i] == sep && !quoted) {
      parts.push_back(trim(s.substr(start, i - start)));
      start = i + 1;
    }
  }
  parts.push_back(trim(s.substr(start)));
  return parts;
}

// A window-bits value: 8-15, digits only (an optional pair of quotes around it).
std::optional<int> window_bits(std::string_view v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  if (v.empty() || v.size() > 2) return std::nullopt;
  int n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  if (n < 8 || n > 15) return std::nullopt;
  return n;
}

std::optional<DeflateAgreement> accept_offer(const std::vector<std::string_view>& params) {
  DeflateAgreement agreed;
  bool seen_snct = false, seen_cnct = false, seen_smwb = false, seen_cmwb = false;
  for (size_t i = 1; i < params.size(); ++i) {
    std::string_view p = params[i];
    std::string_view name = p, value;
    bool has_value = false;
    if (size_t eq = p.find('='); eq != std::string_view::npos) {
      name = trim(p.substr(0, eq));
      value = trim(p.substr(eq + 1));
      has_value = true;
    }
    if (name == "server_no_context_takeover") {
      if (seen_snct || has_value) return std::nullopt;
      seen_snct = true;
    } else if (name == "client_no_context_takeover") {
      if (seen_cnct || has_value) return std::nullopt;
      seen_cnct = true;
    } else if (name == "server_max_window_bits") {
      if (seen_smwb || !has_value) return std::nullopt;
      seen_smwb = true;
      std::optional<int> bits = window_bits(value);
      if (!bits || *bits < 9) return std::nullopt;  // zlib's raw deflate needs a 512-byte window
      agreed.server_window_bits = *bits;
      agreed.echo_server_window_bits = true;
    } else if (name == "client_max_window_bits") {
      // The client can take a limit on its window; we need none (the inflater
      // has the full 32 KiB, and no context survives a message).
      if (seen_cmwb || (has_value && !window_bits(value))) return std::nullopt;
      seen_cmwb = true;
    } else {
      return std::nullopt;
    }
  }
  return agreed;
}

// One raw-deflate stream per (thread, window bits), reset per message.
struct Deflater {
  z_stream z{};
  int level = -1;
  bool ready = false;
  ~Deflater() {
    if (ready) deflateEnd(&z);
  }
};

struct Inflater {
  z_stream z{};
  bool ready = false;
  ~Inflater() {
    if (ready) inflateEnd(&z);
  }
};

Deflater& deflater(int level, int window_bits) {
  thread_local std::array<std::unique_ptr<Deflater>, 16> by_bits;
  std::unique_ptr<Deflater>& d = by_bits[static_cast<size_t>(window_bits)];
  if (!d) d = std::make_unique<Deflater>();
  if (!d->ready) {
    if (deflateInit2(&d->z, level, Z_DEFLATED, -window_bits, 8, Z_DEFAULT_STRATEGY) != Z_OK) std::abort();
    d->ready = true;
    d->level = level;
  } else {
    deflateReset(&d->z);
    if (d->level != level) {
      deflateParams(&d->z, level, Z_DEFAULT_STRATEGY);
      d->level = level;
    }
  }
  return *d;
}

Inflater& inflater() {
  thread_local Inflater i;
  if (!i.ready) {
    if (inflateInit2(&i.z, -15) != Z_OK) std::abort();
    i.ready = true;
  } else {
    inflateReset(&i.z);
  }
  return i;
}

}  // namespace

std::string DeflateAgreement::response() const {
  std::string r = "permessage-deflate; server_no_context_takeover; client_no_context_takeover";
  if (echo_server_window_bits) r += "; server_max_window_bits=" + std::to_string(server_window_bits);
  return r;
}

std::optional<DeflateAgreement> negotiate_deflate(std::string_view extensions) {
  for (std::string_view offer : split(extensions, ',')) {
    std::vector<std::string_view> params = split(offer, ';');
    if (params.empty() || params[0] != "permessage-deflate") continue;
    if (auto agreed = accept_offer(params)) return agreed;
  }
  return std::nullopt;
}

void deflate_message(std::span<const uint8_t> in, int level, int window_bits, std::vector<uint8_t>& out) {
  Deflater& d = deflater(level, window_bits);
  const size_t start = out.size();
  out.resize(start + deflateBound(&d.z, in.size()) + 16);
  d.z.next_in = const_cast<Bytef*>(in.data());
  d.z.avail_in = static_cast<uInt>(in.size());
  size_t produced = 0;
  // Z_SYNC_FLUSH ends the data on a byte boundary with an empty stored
  // block (00 00 ff ff), which RFC 7692 7.2.1 says to strip.
  for (;;) {
    d.z.next_out = out.data() + start + produced;
    d.z.avail_out = static_cast<uInt>(out.size() - start - produced);
    const int rc = deflate(&d.z, Z_SYNC_FLUSH);
    if (rc != Z_OK && rc != Z_BUF_ERROR) std::abort();  // only on a misused stream
    produced = out.size() - start - d.z.avail_out;
    if (d.z.avail_out > 0 && d.z.avail_in == 0) break;
    out.resize(out.size() + 4096);
  }
  size_t n = produced;
  if (n >= 4 && out[start + n - 4] == 0 && out[start + n - 3] == 0 && out[start + n - 2] == 0xff &&
      out[start + n - 1] == 0xff) {
    n -= 4;
  }
  out.resize(start + n);
  if (n == 0) out.push_back(0);  // an empty message (RFC 7692 7.2.3.6)
}

bool inflate_message(std::span<const uint8_t> in, size_t max_bytes, std::vector<uint8_t>& out,
                     bool& too_big) {
  too_big = false;
  out.clear();
  Inflater& i = inflater();
  static constexpr uint8_t kTail[4] = {0, 0, 0xff, 0xff};
  // Output grows in steps, never past max_bytes + 1 (one byte more proves "too big").
  out.resize(std::min<size_t>(std::max<size_t>(in.size() * 4, 4096), max_bytes + 1));
  size_t produced = 0;
  bool ended = false;
  for (int part = 0; part < 2 && !ended; ++part) {
    const std::span<const uint8_t> src = part == 0 ? in : std::span<const uint8_t>(kTail, 4);
    i.z.next_in = const_cast<Bytef*>(src.data());
    i.z.avail_in = static_cast<uInt>(src.size());
    for (;;) {
      if (produced == out.size()) {
        if (out.size() > max_bytes) {
          too_big = true;
          out.clear();
          return false;
        }
        out.resize(std::min(out.size() * 2, max_bytes + 1));
      }
      i.z.next_out = out.data() + produced;
      i.z.avail_out = static_cast<uInt>(out.size() - produced);
      const int rc = inflate(&i.z, Z_SYNC_FLUSH);
      produced = out.size() - i.z.avail_out;
      if (rc == Z_STREAM_END) {
        // A final block may end the message; nothing may follow it.
        if (i.z.avail_in > 0 || part == 1) {
          out.clear();
          return false;
        }
        ended = true;
        break;
      }
      if (rc == Z_BUF_ERROR) {
        if (i.z.avail_out == 0) continue;  // room needed
        break;                             // all input used
      }
      if (rc != Z_OK) {
        out.clear();
        return false;
      }
      if (i.z.avail_in == 0 && i.z.avail_out > 0) break;
    }
  }
  if (produced > max_bytes) {
    too_big = true;
    out.clear();
    return false;
  }
  out.resize(produced);
  return true;
}

}  // namespace weft::net_detail
