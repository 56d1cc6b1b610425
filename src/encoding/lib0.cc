#include "encoding/lib0.h"

#include <bit>
#include <cfloat>
#include <cmath>
#include <cstring>

#include "encoding/utf.h"

namespace weft::lib0 {

// ---- Encoder ----

void Encoder::write_var_uint_long(uint64_t n) {
  // Into a local buffer first: one capacity check instead of one per byte
  // (client ids take 5 bytes, and every update writes several).
  uint8_t tmp[10];
  size_t k = 0;
  while (n > 0x7f) {
    tmp[k++] = static_cast<uint8_t>(0x80 | (n & 0x7f));
    n >>= 7;
  }
  tmp[k++] = static_cast<uint8_t>(n);
  buf_.insert(buf_.end(), tmp, tmp + k);
}

void Encoder::write_var_int_long(VarInt v) {
  uint64_t n = v.magnitude;
  buf_.push_back(static_cast<uint8_t>((n > 0x3f ? 0x80 : 0) | (v.negative ? 0x40 : 0) | (n & 0x3f)));
  n >>= 6;
  while (n > 0) {
    buf_.push_back(static_cast<uint8_t>((n > 0x7f ? 0x80 : 0) | (n & 0x7f)));
    n >>= 7;
  }
}

void Encoder::write_var_bytes(std::span<const uint8_t> bytes) {
  write_var_uint(bytes.size());
  write_raw(bytes);
}

void Encoder::write_var_string(std::string_view utf8) {
  if (is_valid_utf8(utf8)) {
    write_var_uint(utf8.size());
    buf_.insert(buf_.end(), utf8.begin(), utf8.end());
  } else {
    std::string fixed = to_well_formed_utf8(utf8);
    write_var_uint(fixed.size());
    buf_.insert(buf_.end(), fixed.begin(), fixed.end());
  }
}

void Encoder::write_var_string(std::u16string_view utf16) {
  const size_t length = utf16_as_utf8_length(utf16);
  write_var_uint(length);
  const size_t at = buf_.size();
  buf_.resize(at + length);
  write_utf16_as_utf8(utf16, buf_.data() + at);
}

namespace {
void put_be(std::vector<uint8_t>& buf, uint64_t bits, int bytes) {
  for (int i = bytes - 1; i >= 0; i--) buf.push_back(static_cast<uint8_t>(bits >> (8 * i)));
}
}  // namespace

void Encoder::write_f32(float f) {
  uint32_t bits = std::isnan(f) ? 0x7fc00000u : std::bit_cast<uint32_t>(f);
  put_be(buf_, bits, 4);
}

void Encoder::write_f64(double d) {
  uint64_t bits = std::isnan(d) ? 0x7ff8000000000000ull : std::bit_cast<uint64_t>(d);
  put_be(buf_, bits, 8);
}

void Encoder::write_bigint64(int64_t v) { put_be(buf_, static_cast<uint64_t>(v), 8); }

namespace {

// lib0 isFloat32: setFloat32 + getFloat32 gives the same number back.
bool is_float32(double d) {
  if (std::isnan(d)) return false;
  if (std::isinf(d)) return true;
  if (std::fabs(d) > static_cast<double>(FLT_MAX)) return false;
  return static_cast<double>(static_cast<float>(d)) == d;
}

}  // namespace

void Encoder::write_any(const Any& value) {
  switch (value.kind()) {
    case Any::Kind::kUndefined:
      write_u8(127);
      break;
    case Any::Kind::kNull:
      write_u8(126);
      break;
    case Any::Kind::kBool:
      write_u8(value.as_bool() ? 120 : 121);
      break;
    case Any::Kind::kNumber: {
      double d = value.as_number();
      if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) <= 2147483647.0) {
        write_u8(125);
        write_var_int(VarInt{std::signbit(d), static_cast<uint64_t>(std::fabs(d))});
      } else if (is_float32(d)) {
        write_u8(124);
        write_f32(static_cast<float>(d));
      } else {
        write_u8(123);
        write_f64(d);
      }
      break;
    }
    case Any::Kind::kBigInt:
      write_u8(122);
      write_bigint64(value.as_bigint());
      break;
    case Any::Kind::kString:
      write_u8(119);
      write_var_string(std::string_view(value.as_string()));
      break;
    case Any::Kind::kObject: {
      write_u8(118);
      const AnyObject& obj = value.as_object();
      write_var_uint(obj.size());
      for (const auto& [k, v] : obj) {
        write_var_string(std::string_view(k));
        write_any(v);
      }
      break;
    }
    case Any::Kind::kArray: {
      write_u8(117);
      const AnyArray& arr = value.as_array();
      write_var_uint(arr.size());
      for (const Any& v : arr) write_any(v);
      break;
    }
    case Any::Kind::kBytes:
      write_u8(116);
      write_var_bytes(value.as_bytes());
      break;
  }
}

// ---- Decoder ----

void Decoder::fail(ErrorCode code, std::string message) {
  if (status_.is_ok()) status_ = Status(code, std::move(message));
  p_ = end_;  // nothing more is read after an error
}

uint8_t Decoder::read_u8_slow() {
  if (!ok()) return 0;
  if (p_ >= end_) {
    fail(ErrorCode::kTruncated, "unexpected end of input");
    return 0;
  }
  return *p_++;
}

uint64_t Decoder::read_var_uint_slow() {
  if (!ok()) return 0;
  if (end_ - p_ >= 8) {
    // Up to 8 bytes (49 bits of groups; client ids take 5) without the
    // per-byte checks below: only the final value can exceed 2^53 - 1.
    uint64_t value = 0;
    const uint8_t* p = p_;
    for (int shift = 0; shift < 56; shift += 7) {
      const uint8_t b = *p++;
      value |= uint64_t{b & 0x7fu} << shift;
      if (b < 0x80) {
        p_ = p;
        if (value > kMaxSafeInteger) {
          fail(ErrorCode::kOutOfRange, "varUint above 2^53-1");
          return 0;
        }
        return value;
      }
    }
    // Longer than 8 bytes: the careful path.
  }
  uint64_t value = 0;
  for (int i = 0; i < 10; i++) {
    if (p_ >= end_) {
      fail(ErrorCode::kTruncated, "unexpected end of input in varUint");
      return 0;
    }
    uint8_t b = *p_++;
    uint64_t group = b & 0x7f;
    int shift = 7 * i;
    if (group != 0) {
      if (shift >= 53) {
        fail(ErrorCode::kOutOfRange, "varUint above 2^53-1");
        return 0;
      }
      value += group << shift;
      if (value > kMaxSafeInteger) {
        fail(ErrorCode::kOutOfRange, "varUint above 2^53-1");
        return 0;
      }
    }
    if (b < 0x80) return value;
  }
  fail(ErrorCode::kMalformed, "varUint longer than 10 bytes");
  return 0;
}

VarInt Decoder::read_var_int_limited(uint64_t max_magnitude) {
  if (!ok()) return {};
  if (end_ - p_ >= 9) {
    // Up to 9 bytes (6 + 56 bits) without the per-byte checks below: only the
    // final magnitude can exceed the limit.
    const uint8_t* p = p_;
    uint8_t b = *p++;
    VarInt v{(b & 0x40) != 0, uint64_t{b & 0x3fu}};
    if (b < 0x80) {
      p_ = p;
      return v;
    }
    for (int shift = 6; shift < 62; shift += 7) {
      b = *p++;
      v.magnitude |= uint64_t{b & 0x7fu} << shift;
      if (b < 0x80) {
        p_ = p;
        if (v.magnitude > max_magnitude) {
          fail(ErrorCode::kOutOfRange, "varInt out of range");
          return {};
        }
        return v;
      }
    }
    // Longer: the careful path.
  }
  if (p_ >= end_) {
    fail(ErrorCode::kTruncated, "unexpected end of input in varInt");
    return {};
  }
  uint8_t b = *p_++;
  VarInt v;
  v.negative = (b & 0x40) != 0;
  v.magnitude = b & 0x3f;
  if ((b & 0x80) == 0) return v;
  for (int i = 0; i < 9; i++) {
    if (p_ >= end_) {
      fail(ErrorCode::kTruncated, "unexpected end of input in varInt");
      return {};
    }
    b = *p_++;
    uint64_t group = b & 0x7f;
    int shift = 6 + 7 * i;
    if (group != 0) {
      if (shift >= 62) {
        fail(ErrorCode::kOutOfRange, "varInt out of range");
        return {};
      }
      v.magnitude += group << shift;
      if (v.magnitude > max_magnitude) {
        fail(ErrorCode::kOutOfRange, "varInt out of range");
        return {};
      }
    }
    if (b < 0x80) return v;
  }
  fail(ErrorCode::kMalformed, "varInt longer than 10 bytes");
  return {};
}

std::span<const uint8_t> Decoder::read_raw_slow(size_t n) {
  if (!ok()) return {};
  if (n > remaining()) {
    fail(ErrorCode::kTruncated, "byte array longer than the input");
    return {};
  }
  std::span<const uint8_t> out(p_, n);
  p_ += n;
  return out;
}

std::string Decoder::read_var_string() {
  auto bytes = read_var_bytes();
  if (!ok()) return {};
  std::string_view sv(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (!is_valid_utf8(sv)) {
    fail(ErrorCode::kMalformed, "invalid UTF-8 in string");
    return {};
  }
  return std::string(sv);
}

std::u16string Decoder::read_var_string_utf16() {
  auto bytes = read_var_bytes();
  if (!ok()) return {};
  if (bytes.size() <= 16) {
    // Typed text arrives a character at a time: short ASCII widens in place.
    uint8_t any_high = 0;
    for (uint8_t b : bytes) any_high |= b;
    if (any_high < 0x80) return std::u16string(bytes.begin(), bytes.end());
  }
  std::string_view sv(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  auto s = utf8_to_utf16(sv);
  if (!s) {
    fail(ErrorCode::kMalformed, "invalid UTF-8 in string");
    return {};
  }
  return std::move(*s);
}

namespace {
uint64_t get_be(std::span<const uint8_t> b) {
  uint64_t v = 0;
  for (uint8_t x : b) v = (v << 8) | x;
  return v;
}
}  // namespace

float Decoder::read_f32() {
  auto b = read_raw(4);
  if (!ok()) return 0;
  return std::bit_cast<float>(static_cast<uint32_t>(get_be(b)));
}

double Decoder::read_f64() {
  auto b = read_raw(8);
  if (!ok()) return 0;
  return std::bit_cast<double>(get_be(b));
}

int64_t Decoder::read_bigint64() {
  auto b = read_raw(8);
  if (!ok()) return 0;
  return static_cast<int64_t>(get_be(b));
}

Any Decoder::read_any() { return read_any_at(0); }

Any Decoder::read_any_at(int depth) {
  if (depth > kMaxAnyDepth) {
    fail(ErrorCode::kMalformed, "any value nested too deeply");
    return {};
  }
  uint8_t tag = read_u8();
  if (!ok()) return {};
  switch (tag) {
    case 127:
      return Any::undefined();
    case 126:
      return Any::null();
    case 125: {
      VarInt v = read_var_int();
      double m = static_cast<double>(v.magnitude);
      return Any(v.negative ? -m : m);
    }
    case 124:
      return Any(static_cast<double>(read_f32()));
    case 123:
      return Any(read_f64());
    case 122:
      return Any(Any::BigInt{read_bigint64()});
    case 121:
      return Any(false);
    case 120:
      return Any(true);
    case 119:
      return Any(read_var_string());
    case 118: {
      uint64_t n = read_var_uint();
      AnyObject entries;
      entries.reserve(std::min<uint64_t>(n, remaining()));
      for (uint64_t i = 0; i < n && ok(); i++) {
        std::string key = read_var_string();
        Any v = read_any_at(depth + 1);
        // `obj.__proto__ = v` in JS sets the prototype; it never becomes an own key.
        if (key != "__proto__") entries.emplace_back(std::move(key), std::move(v));
      }
      if (!ok()) return {};
      return Any::object(std::move(entries));
    }
    case 117: {
      uint64_t n = read_var_uint();
      AnyArray arr;
      arr.reserve(std::min<uint64_t>(n, remaining()));
      for (uint64_t i = 0; i < n && ok(); i++) arr.push_back(read_any_at(depth + 1));
      if (!ok()) return {};
      return Any(std::move(arr));
    }
    case 116: {
      auto b = read_var_bytes();
      if (!ok()) return {};
      return Any(Bytes(b.begin(), b.end()));
    }
    default:
      fail(ErrorCode::kMalformed, "unknown any tag " + std::to_string(tag));
      return {};
  }
}

}  // namespace weft::lib0
