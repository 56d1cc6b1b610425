#include "encoding/rle.h"

#include <algorithm>
#include <cstring>

#include "encoding/utf.h"

namespace weft::lib0 {

void RleU8Encoder::start_run(uint8_t v) {
  if (count_ > 0) enc_.write_var_uint(count_ - 1);
  count_ = 1;
  enc_.write_u8(v);
  state_ = v;
}

void ColumnBytes::grow(size_t n) { buf_.resize(std::max<size_t>(64, 2 * buf_.size() + n)); }

void StringColumnEncoder::write(std::u16string_view s) {
  for (size_t i = 0; i < s.size() && !lone_surrogates_; i++) {
    const char16_t c = s[i];
    if (c >= 0xD800 && c <= 0xDBFF && i + 1 < s.size() && s[i + 1] >= 0xDC00 && s[i + 1] <= 0xDFFF) {
      i++;
    } else if (c >= 0xD800 && c <= 0xDFFF) {
      lone_surrogates_ = true;
    }
  }
  const std::string wtf8 = utf16_to_wtf8(s);
  add_piece(nullptr, wtf8.size());
  own_ += wtf8;
  lens_.write(s.size());
}

void StringColumnEncoder::copy_text(uint8_t* out) const {
  size_t own_pos = 0;
  for (const Piece& p : pieces_) {
    const char* from = p.data != nullptr ? p.data : own_.data() + own_pos;
    if (p.data == nullptr) own_pos += p.len;
    std::memcpy(out, from, p.len);
    out += p.len;
  }
}

std::string StringColumnEncoder::text() const {
  std::string all(total_, '\0');
  copy_text(reinterpret_cast<uint8_t*>(all.data()));
  return all;
}

void StringColumnEncoder::finish_into(Encoder& out) {
  if (lone_surrogates_) {
    out.write_var_bytes(finish());
    return;
  }
  std::vector<uint8_t> lens = lens_.finish();
  size_t n = total_, prefix = 1;
  while (n > 0x7f) {
    n >>= 7;
    prefix++;
  }
  out.write_var_uint(prefix + total_ + lens.size());
  out.write_var_uint(total_);
  size_t own_pos = 0;
  for (const Piece& p : pieces_) {  // `out` is reserved (finished_size)
    const char* from = p.data != nullptr ? p.data : own_.data() + own_pos;
    if (p.data == nullptr) own_pos += p.len;
    out.write_raw(std::span(reinterpret_cast<const uint8_t*>(from), p.len));
  }
  out.write_raw(lens);
}

std::vector<uint8_t> StringColumnEncoder::finish() {
  Encoder enc;
  const std::string all = text();
  if (lone_surrogates_) {
    // WTF-8 -> UTF-16 re-pairs adjacent halves; the rest become U+FFFD.
    enc.write_var_string(std::u16string_view(wtf8_to_utf16(all)));
  } else {
    enc.write_var_bytes(std::span(reinterpret_cast<const uint8_t*>(all.data()), all.size()));
  }
  std::vector<uint8_t> lens = lens_.finish();
  enc.write_raw(lens);
  return enc.take();
}

// The run readers below leave count_ at 0 after an error (and forever_
// unset), so the inline fast paths never return values after one: every read
// after an error comes here and returns 0.

uint8_t RleU8Decoder::read_run() {
  if (!dec_.ok()) return 0;
  s_ = dec_.read_u8();
  if (dec_.has_content()) {
    count_ = dec_.read_var_uint();  // count - 1: this read takes one
  } else {
    forever_ = dec_.ok();
  }
  if (!dec_.ok()) {
    count_ = 0;
    return 0;
  }
  return s_;
}

uint64_t UintOptRleDecoder::read_run() {
  if (!dec_.ok()) return 0;
  VarInt v = dec_.read_var_int();
  s_ = v.magnitude;
  count_ = 0;
  if (v.negative) count_ = dec_.read_var_uint() + 1;  // count - 1
  if (!dec_.ok()) {
    count_ = 0;
    return 0;
  }
  return s_;
}

uint64_t IntDiffOptRleDecoder::read_run() {
  if (!dec_.ok()) return 0;
  VarInt v = dec_.read_var_int_wide();
  int64_t x = v.value();
  diff_ = x >> 1;  // floor(x / 2)
  count_ = 0;
  if ((x & 1) != 0) count_ = dec_.read_var_uint() + 1;  // count - 1
  if (!dec_.ok()) {
    count_ = 0;
    return 0;
  }
  s_ += diff_;
  if (s_ < 0 || static_cast<uint64_t>(s_) > kMaxSafeInteger) return out_of_range();
  return static_cast<uint64_t>(s_);
}

uint64_t IntDiffOptRleDecoder::out_of_range() {
  dec_.fail(ErrorCode::kOutOfRange, "clock column value out of range");
  count_ = 0;
  return 0;
}

StringColumnDecoder::StringColumnDecoder(std::span<const uint8_t> bytes) : lens_(bytes) {
  auto text = lens_.raw().read_var_bytes();
  all_ = std::string_view(reinterpret_cast<const char*>(text.data()), text.size());
  if (!lens_.raw().ok()) {
    status_ = lens_.raw().status();
  } else if (!is_valid_utf8(all_)) {
    status_ = Status(ErrorCode::kMalformed, "invalid UTF-8 in string");
  } else {
    ascii_end_ = ascii_prefix_length(all_);
  }
}

size_t StringColumnDecoder::bytes_for_slow(uint64_t units) {
  const size_t n = all_.size();
  if (ascii_end_ < pos_) ascii_end_ = pos_ + ascii_prefix_length(all_.substr(pos_));
  if (units <= ascii_end_ - pos_) return units;
  size_t p = ascii_end_;
  units -= ascii_end_ - pos_;
  while (units > 0) {
    if (p >= n) return SIZE_MAX;
    const uint8_t b = static_cast<uint8_t>(all_[p]);
    if (b < 0x80) {
      p++;
      units--;
    } else if (b < 0xE0) {
      p += 2;
      units--;
    } else if (b < 0xF0) {
      p += 3;
      units--;
    } else {
      if (units == 1) return SIZE_MAX - 1;
      p += 4;
      units -= 2;
    }
  }
  return p - pos_;
}

bool StringColumnDecoder::read_utf8(std::string_view& out, uint64_t& utf16_length) {
  if (!status_.is_ok() || pending_low_) return false;
  const uint64_t len = lens_.read();
  if (!lens_.status().is_ok()) return false;
  const size_t k = bytes_for(len);
  if (k >= SIZE_MAX - 1) return false;
  out = all_.substr(pos_, k);
  utf16_length = len;
  pos_ += k;
  return true;
}

std::u16string StringColumnDecoder::read() {
  if (!status_.is_ok()) return {};
  uint64_t len = lens_.read();
  if (!lens_.status().is_ok()) return {};
  std::u16string out;
  if (len > 0 && pending_low_) {
    // The low half of the pair whose high half ended the previous piece.
    std::u16string pair = utf8_to_utf16(all_.substr(pos_, 4)).value_or(u"");
    out.push_back(pair.size() == 2 ? pair[1] : u'\uFFFD');
    pos_ += 4;
    pending_low_ = false;
    len--;
  }
  size_t k = bytes_for(len);
  bool split = false;
  if (k == SIZE_MAX - 1) {
    split = true;
    k = bytes_for(len - 1);
  }
  if (k == SIZE_MAX) {
    status_ = Status(ErrorCode::kMalformed, "string column lengths exceed its text");
    return {};
  }
  out += utf8_to_utf16(all_.substr(pos_, k)).value_or(u"");
  pos_ += k;
  if (split) {
    std::u16string pair = utf8_to_utf16(all_.substr(pos_, 4)).value_or(u"");
    out.push_back(pair.empty() ? u'\uFFFD' : pair[0]);
    pending_low_ = true;
  }
  return out;
}

}  // namespace weft::lib0
