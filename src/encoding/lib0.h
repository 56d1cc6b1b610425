// lib0 binary primitives (dmonad/lib0 encoding.js / decoding.js), byte-exact.
//
// Decoder errors are sticky: the first failure is recorded, every later read
// returns a zero value, and the caller turns status() into its Result at the
// boundary. Loops that read a count must check ok() on every iteration so
// hostile counts cannot spin.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "weft/any.h"
#include "weft/status.h"

namespace weft::lib0 {

// Largest integer a JS number holds exactly; varUints above it are rejected.
inline constexpr uint64_t kMaxSafeInteger = (uint64_t{1} << 53) - 1;

// A varInt as lib0 writes it: sign and magnitude, so that -0 exists.
struct VarInt {
  bool negative = false;
  uint64_t magnitude = 0;
  int64_t value() const {
    return negative ? -static_cast<int64_t>(magnitude) : static_cast<int64_t>(magnitude);
  }
};

class Encoder {
 public:
  void write_u8(uint8_t b) { buf_.push_back(b); }
  void write_var_uint(uint64_t n) {
    if (n < 0x80) {
      buf_.push_back(static_cast<uint8_t>(n));  // one byte: most counts, lengths and clocks
    } else {
      write_var_uint_long(n);
    }
  }
  void write_var_int(int64_t n) {
    write_var_int(VarInt{n < 0, n < 0 ? uint64_t(0) - uint64_t(n) : uint64_t(n)});
  }
  void write_var_int(VarInt v) {
    if (v.magnitude <= 0x3f) {
      buf_.push_back(static_cast<uint8_t>((v.negative ? 0x40 : 0) | v.magnitude));
    } else {
      write_var_int_long(v);
    }
  }
  void write_raw(std::span<const uint8_t> bytes) { buf_.insert(buf_.end(), bytes.begin(), bytes.end()); }
  void write_var_bytes(std::span<const uint8_t> bytes);  // varUint length + bytes
  void write_var_string(std::string_view utf8);          // varUint byte length + UTF-8
  void write_var_string(std::u16string_view utf16);      // lone surrogates become U+FFFD
  void write_f32(float f);                               // big-endian
  void write_f64(double d);                              // big-endian
  void write_bigint64(int64_t v);                        // big-endian two's complement
  void write_any(const Any& value);                      // lib0 writeAny

  size_t size() const { return buf_.size(); }
  void reserve(size_t bytes) { buf_.reserve(bytes); }
  const std::vector<uint8_t>& bytes() const { return buf_; }
  std::vector<uint8_t> take() { return std::move(buf_); }
  // Replaces the contents with `bytes` (no copy).
  void assign(std::vector<uint8_t> bytes) { buf_ = std::move(bytes); }
  // Replaces the contents with a copy of `bytes` (keeps the capacity; for a
  // few bytes resize and memcpy take fewer instructions than assign).
  void assign_raw(std::span<const uint8_t> bytes) {
    buf_.resize(bytes.size());
    if (!bytes.empty()) std::memcpy(buf_.data(), bytes.data(), bytes.size());
  }
  void clear() { buf_.clear(); }

 private:
  void write_var_uint_long(uint64_t n);
  void write_var_int_long(VarInt v);
  std::vector<uint8_t> buf_;
};

class Decoder {
 public:
  explicit Decoder(std::span<const uint8_t> bytes) : p_(bytes.data()), end_(bytes.data() + bytes.size()) {}

  bool ok() const { return status_.is_ok(); }
  const Status& status() const { return status_; }
  // Records the first error; later calls keep the first.
  void fail(ErrorCode code, std::string message);

  bool has_content() const { return p_ < end_; }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  const uint8_t* position() const { return p_; }

  // The one-byte cases inline; an error leaves p_ == end_, so they never read
  // after one.
  uint8_t read_u8() { return p_ < end_ ? *p_++ : read_u8_slow(); }
  uint64_t read_var_uint() {  // rejects values above kMaxSafeInteger
    if (end_ - p_ >= 5) [[likely]] {
      // Up to 5 bytes (35 bits: lengths, clocks and 32-bit client ids) inline
      // and without bounds checks; none of them can exceed 2^53 - 1.
      const uint8_t* p = p_;
      uint64_t b = p[0];
      if (b < 0x80) {
        p_ = p + 1;
        return b;
      }
      // Unrolled: the loop's shift by 7 * k cost a multiply and more per byte.
      uint64_t value = b & 0x7f;
      b = p[1];
      value |= (b & 0x7f) << 7;
      if (b < 0x80) {
        p_ = p + 2;
        return value;
      }
      b = p[2];
      value |= (b & 0x7f) << 14;
      if (b < 0x80) {
        p_ = p + 3;
        return value;
      }
      b = p[3];
      value |= (b & 0x7f) << 21;
      if (b < 0x80) {
        p_ = p + 4;
        return value;
      }
      b = p[4];
      value |= (b & 0x7f) << 28;
      if (b < 0x80) {
        p_ = p + 5;
        return value;
      }
      return read_var_uint_slow();  // 6 bytes or more: reread with the checks
    }
    if (p_ < end_ && *p_ < 0x80) return *p_++;
    return read_var_uint_slow();
  }
  VarInt read_var_int() {
    if (p_ < end_ && *p_ < 0x80) return one_byte_var_int(*p_++);
    return read_var_int_limited(kMaxSafeInteger);
  }
  // A varInt whose magnitude may reach 2^62: v2 clock columns store 2*diff,
  // which exceeds 2^53 for clocks near the top of the JS range.
  VarInt read_var_int_wide() {
    if (p_ < end_ && *p_ < 0x80) return one_byte_var_int(*p_++);
    return read_var_int_limited(uint64_t{1} << 62);
  }
  // Moves past n bytes the caller has checked are there (n <= remaining()):
  // a hot reader that looked at the bytes itself, without read_raw's checks
  // (or its call: GCC does not always inline read_raw).
  void advance(size_t n) { p_ += n; }
  std::span<const uint8_t> read_raw(size_t n) {
    if (n <= remaining()) {  // also after an error: then nothing remains and n > 0 fails below
      std::span<const uint8_t> out(p_, n);
      p_ += n;
      return ok() ? out : std::span<const uint8_t>();
    }
    return read_raw_slow(n);
  }
  std::span<const uint8_t> read_var_bytes() {
    uint64_t n = read_var_uint();
    if (!ok()) return {};
    return read_raw(static_cast<size_t>(n));
  }
  std::string read_var_string();           // validated UTF-8 (invalid UTF-8 is an error, as in JS)
  std::u16string read_var_string_utf16();  // same, converted to UTF-16
  float read_f32();
  double read_f64();
  int64_t read_bigint64();
  Any read_any();  // lib0 readAny; nesting deeper than kMaxAnyDepth is an error

  static constexpr int kMaxAnyDepth = 256;

 private:
  static VarInt one_byte_var_int(uint8_t b) { return VarInt{(b & 0x40) != 0, uint64_t{b & 0x3fu}}; }
  uint8_t read_u8_slow();
  std::span<const uint8_t> read_raw_slow(size_t n);
  uint64_t read_var_uint_slow();
  Any read_any_at(int depth);
  VarInt read_var_int_limited(uint64_t max_magnitude);
  const uint8_t* p_;
  const uint8_t* end_;
  Status status_;
};

}  // namespace weft::lib0
