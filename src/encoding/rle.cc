#include "encoding/rle.h"

#include "encoding/utf.h"

namespace weft::lib0 {

void RleU8Encoder::write(uint8_t v) {
  if (state_ == v) {
    count_++;
    return;
  }
  if (count_ > 0) enc_.write_var_uint(count_ - 1);
  count_ = 1;
  enc_.write_u8(v);
  state_ = v;
}

void UintOptRleEncoder::write(uint64_t v) {
  if (s_ == v) {
    count_++;
    return;
  }
  flush();
  count_ = 1;
  s_ = v;
}

void UintOptRleEncoder::flush() {
  if (count_ == 0) return;
  enc_.write_var_int(VarInt{count_ != 1, s_});
  if (count_ > 1) enc_.write_var_uint(count_ - 2);
}

std::vector<uint8_t> UintOptRleEncoder::finish() {
  flush();
  count_ = 0;
  return enc_.take();
}

void IntDiffOptRleEncoder::write(int64_t v) {
  if (diff_ == v - s_) {
    s_ = v;
    count_++;
    return;
  }
  flush();
  count_ = 1;
  diff_ = v - s_;
  s_ = v;
}

void IntDiffOptRleEncoder::flush() {
  if (count_ == 0) return;
  int64_t encoded = diff_ * 2 + (count_ == 1 ? 0 : 1);
  enc_.write_var_int(encoded);
  if (count_ > 1) enc_.write_var_uint(count_ - 2);
}

std::vector<uint8_t> IntDiffOptRleEncoder::finish() {
  flush();
  count_ = 0;
  return enc_.take();
}

void StringColumnEncoder::write(std::u16string_view s) {
  all_.append(s);
  lens_.write(s.size());
}

std::vector<uint8_t> StringColumnEncoder::finish() {
  Encoder enc;
  enc.write_var_string(std::u16string_view(all_));
  std::vector<uint8_t> lens = lens_.finish();
  enc.write_raw(lens);
  return enc.take();
}

uint8_t RleU8Decoder::read() {
  if (!dec_.ok()) return 0;
  if (count_ == 0 && !forever_) {
    s_ = dec_.read_u8();
    if (dec_.has_content()) {
      count_ = dec_.read_var_uint() + 1;
    } else {
      forever_ = true;
    }
  }
  if (!forever_) count_--;
  return s_;
}

uint64_t UintOptRleDecoder::read() {
  if (!dec_.ok()) return 0;
  if (count_ == 0) {
    VarInt v = dec_.read_var_int();
    s_ = v.magnitude;
    count_ = 1;
    if (v.negative) count_ = dec_.read_var_uint() + 2;
    if (!dec_.ok()) return 0;
  }
  count_--;
  return s_;
}

uint64_t IntDiffOptRleDecoder::read() {
  if (!dec_.ok()) return 0;
  if (count_ == 0) {
    VarInt v = dec_.read_var_int_wide();
    int64_t x = v.value();
    diff_ = x >> 1;  // floor(x / 2)
    count_ = 1;
    if ((x & 1) != 0) count_ = dec_.read_var_uint() + 2;
    if (!dec_.ok()) return 0;
  }
  s_ += diff_;
  count_--;
  if (s_ < 0 || static_cast<uint64_t>(s_) > kMaxSafeInteger) {
    dec_.fail(ErrorCode::kOutOfRange, "clock column value out of range");
    return 0;
  }
  return static_cast<uint64_t>(s_);
}

StringColumnDecoder::StringColumnDecoder(std::span<const uint8_t> bytes) : lens_(bytes) {
  all_ = lens_.raw().read_var_string_utf16();
  if (!lens_.raw().ok()) status_ = lens_.raw().status();
}

std::u16string StringColumnDecoder::read() {
  if (!status_.is_ok()) return {};
  uint64_t len = lens_.read();
  if (!lens_.status().is_ok()) return {};
  if (len > all_.size() - pos_) {
    status_ = Status(ErrorCode::kMalformed, "string column lengths exceed its text");
    return {};
  }
  std::u16string out = all_.substr(pos_, static_cast<size_t>(len));
  pos_ += static_cast<size_t>(len);
  return out;
}

}  // namespace weft::lib0
