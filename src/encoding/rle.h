// lib0's v2 column codecs (encoding.js / decoding.js): RleEncoder<u8>,
// UintOptRleEncoder, IntDiffOptRleEncoder, StringEncoder and their decoders.
// Encoders reproduce lib0's bytes exactly; decoders are strict: reading past
// the end of a column is an error except for the repeat-forever final run of
// Rle<u8>.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "encoding/lib0.h"

namespace weft::lib0 {

// Runs of bytes: value, then varUint(count-1) when the next run starts; the
// last run's count is never written.
class RleU8Encoder {
 public:
  void write(uint8_t v) {
    if (state_ == v) {
      count_++;
    } else {
      start_run(v);
    }
  }
  std::vector<uint8_t> finish() { return enc_.take(); }

 private:
  void start_run(uint8_t v);
  Encoder enc_;
  int state_ = -1;  // JS starts with s = null
  uint64_t count_ = 0;
};

// Append-only bytes for the column encoders below: one capacity check per
// value written instead of one per byte (columns take a value per struct).
class ColumnBytes {
 public:
  // Room for `n` more bytes at the returned pointer; commit() what was used.
  uint8_t* room(size_t n) {
    if (buf_.size() - size_ < n) [[unlikely]]
      grow(n);
    return buf_.data() + size_;
  }
  void commit(const uint8_t* end) { size_ = static_cast<size_t>(end - buf_.data()); }
  size_t size() const { return size_; }
  std::vector<uint8_t> take() {
    buf_.resize(size_);
    size_ = 0;
    return std::move(buf_);
  }
  static uint8_t* put_var_uint(uint8_t* p, uint64_t n) {
    for (; n > 0x7f; n >>= 7) *p++ = static_cast<uint8_t>(0x80 | (n & 0x7f));
    *p++ = static_cast<uint8_t>(n);
    return p;
  }
  // lib0 writeVarInt of sign and magnitude.
  static uint8_t* put_var_int(uint8_t* p, bool negative, uint64_t m) {
    *p++ = static_cast<uint8_t>((m > 0x3f ? 0x80 : 0) | (negative ? 0x40 : 0) | (m & 0x3f));
    for (m >>= 6; m > 0; m >>= 7) *p++ = static_cast<uint8_t>((m > 0x7f ? 0x80 : 0) | (m & 0x7f));
    return p;
  }

 private:
  void grow(size_t n);
  std::vector<uint8_t> buf_;  // [0, size_) written; the rest is room
  size_t size_ = 0;
};

// Runs of unsigned values: varInt(v) for a single value, varInt(-v) then
// varUint(count-2) for a run (so 0 repeated is the negative zero 0x40).
class UintOptRleEncoder {
 public:
  void write(uint64_t v) {
    if (s_ == v) {
      count_++;
    } else {
      flush();
      count_ = 1;
      s_ = v;
    }
  }
  std::vector<uint8_t> finish() {
    flush();
    count_ = 0;
    return out_.take();
  }

 private:
  void flush() {
    if (count_ == 0) return;
    uint8_t* p = out_.room(20);
    p = ColumnBytes::put_var_int(p, count_ != 1, s_);
    if (count_ > 1) p = ColumnBytes::put_var_uint(p, count_ - 2);
    out_.commit(p);
  }
  friend class StringColumnEncoder;
  size_t pending_size() const { return out_.size() + 20; }  // with the unflushed run
  ColumnBytes out_;
  uint64_t s_ = 0;
  uint64_t count_ = 0;
};

// Runs of equal differences: varInt(2*diff + hasCount) [varUint(count-2)].
class IntDiffOptRleEncoder {
 public:
  void write(int64_t v) {
    if (diff_ == v - s_) {
      s_ = v;
      count_++;
    } else {
      flush();
      count_ = 1;
      diff_ = v - s_;
      s_ = v;
    }
  }
  std::vector<uint8_t> finish() {
    flush();
    count_ = 0;
    return out_.take();
  }

 private:
  void flush() {
    if (count_ == 0) return;
    const int64_t encoded = diff_ * 2 + (count_ == 1 ? 0 : 1);
    uint8_t* p = out_.room(20);
    p = ColumnBytes::put_var_int(p, encoded < 0,
                                 encoded < 0 ? uint64_t(0) - uint64_t(encoded) : uint64_t(encoded));
    if (count_ > 1) p = ColumnBytes::put_var_uint(p, count_ - 2);
    out_.commit(p);
  }
  ColumnBytes out_;
  int64_t s_ = 0;
  int64_t diff_ = 0;
  uint64_t count_ = 0;
};

// All strings concatenated (as JS concatenates UTF-16 strings), written once
// as a varString, followed by a UintOptRle stream of the UTF-16 lengths. The
// text is kept as UTF-8 pieces (copies, or views borrowed from the caller that
// are concatenated only at finish: merges copy each input's run of strings
// once); pieces with lone surrogates are kept as WTF-8 and the whole text is
// re-paired / made well-formed at finish(), so a high and a low surrogate
// written by adjacent pieces form one character, as in JS.
class StringColumnEncoder {
 public:
  void write(std::u16string_view s);
  // `utf8` must be valid UTF-8 of `utf16_length` UTF-16 units.
  void write_utf8(std::string_view utf8, uint64_t utf16_length) {
    add_piece(nullptr, utf8.size());
    own_.append(utf8);
    lens_.write(utf16_length);
  }
  // The same without copying: `utf8` must stay valid until finish.
  void write_utf8_borrowed(std::string_view utf8, uint64_t utf16_length) {
    add_piece(utf8.data(), utf8.size());
    lens_.write(utf16_length);
  }
  std::vector<uint8_t> finish();
  // Writes the column as finish() returns it, as varBytes, into `out`; the
  // encoder must not be used afterwards.
  void finish_into(Encoder& out);
  // An upper bound of finish()'s size (before finish_into, for reserving).
  size_t finished_size() const { return total_ + 10 + lens_.pending_size(); }

 private:
  // `len` bytes of the text: borrowed at `data`, or (data == nullptr) the next
  // `len` bytes of own_. Adjacent pieces are joined where they are contiguous.
  struct Piece {
    const char* data;
    size_t len;
  };
  void add_piece(const char* data, size_t len) {
    total_ += len;
    if (!pieces_.empty()) {
      Piece& last = pieces_.back();
      if (data == nullptr ? last.data == nullptr : last.data != nullptr && last.data + last.len == data) {
        last.len += len;
        return;
      }
    }
    pieces_.push_back({data, len});
  }
  // The text as one string (pieces in order).
  std::string text() const;
  void copy_text(uint8_t* out) const;
  std::vector<Piece> pieces_;
  std::string own_;
  size_t total_ = 0;
  bool lone_surrogates_ = false;
  UintOptRleEncoder lens_;
};

class RleU8Decoder {
 public:
  explicit RleU8Decoder(std::span<const uint8_t> bytes) : dec_(bytes) {}
  // Inside a run inline; a new run out of line.
  uint8_t read() {
    if (count_ > 0) {
      count_--;
      return s_;
    }
    return forever_ ? s_ : read_run();
  }
  const Status& status() const { return dec_.status(); }

 private:
  uint8_t read_run();
  Decoder dec_;
  uint8_t s_ = 0;
  uint64_t count_ = 0;
  bool forever_ = false;
};

class UintOptRleDecoder {
 public:
  explicit UintOptRleDecoder(std::span<const uint8_t> bytes) : dec_(bytes) {}
  uint64_t read() {
    if (count_ > 0) {
      count_--;
      return s_;
    }
    return read_run();
  }
  const Status& status() const { return dec_.status(); }
  Decoder& raw() { return dec_; }

 private:
  uint64_t read_run();
  Decoder dec_;
  uint64_t s_ = 0;
  uint64_t count_ = 0;
};

// Values must stay within 0..2^53-1 (they are clocks); anything else is an error.
class IntDiffOptRleDecoder {
 public:
  explicit IntDiffOptRleDecoder(std::span<const uint8_t> bytes) : dec_(bytes) {}
  uint64_t read() {
    if (count_ == 0) return read_run();
    count_--;
    s_ += diff_;
    if (s_ < 0 || static_cast<uint64_t>(s_) > kMaxSafeInteger) return out_of_range();
    return static_cast<uint64_t>(s_);
  }
  const Status& status() const { return dec_.status(); }

 private:
  uint64_t read_run();
  uint64_t out_of_range();
  Decoder dec_;
  int64_t s_ = 0;
  int64_t diff_ = 0;
  uint64_t count_ = 0;
};

class StringColumnDecoder {
 public:
  // Validates the concatenated text (UTF-8); check status() afterwards.
  explicit StringColumnDecoder(std::span<const uint8_t> bytes);
  std::u16string read();
  // The next piece as a view of the column's UTF-8 text. False if the piece
  // holds half of a surrogate pair (which only read() can return) or on
  // errors; the decoder must not be used after that.
  bool read_utf8(std::string_view& out, uint64_t& utf16_length);
  const Status& status() const { return status_.is_ok() ? lens_.status() : status_; }

 private:
  // Byte length of the next `units` UTF-16 units from pos_; SIZE_MAX if the
  // text ends first, SIZE_MAX - 1 if the last unit is half of a pair.
  size_t bytes_for(uint64_t units) {
    // Inside a known ASCII run one unit is one byte (most text).
    if (ascii_end_ >= pos_ && units <= ascii_end_ - pos_) return units;
    return bytes_for_slow(units);
  }
  size_t bytes_for_slow(uint64_t units);
  UintOptRleDecoder lens_;
  std::string_view all_;
  size_t pos_ = 0;
  size_t ascii_end_ = 0;      // all_[pos_, ascii_end_) is ASCII when ascii_end_ >= pos_
  bool pending_low_ = false;  // pos_ is inside a 4-byte sequence whose high half was read
  Status status_;
};

}  // namespace weft::lib0
