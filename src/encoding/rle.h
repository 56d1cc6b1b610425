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
  void write(uint8_t v);
  std::vector<uint8_t> finish() { return enc_.take(); }

 private:
  Encoder enc_;
  int state_ = -1;  // JS starts with s = null
  uint64_t count_ = 0;
};

// Runs of unsigned values: varInt(v) for a single value, varInt(-v) then
// varUint(count-2) for a run (so 0 repeated is the negative zero 0x40).
class UintOptRleEncoder {
 public:
  void write(uint64_t v);
  std::vector<uint8_t> finish();

 private:
  void flush();
  Encoder enc_;
  uint64_t s_ = 0;
  uint64_t count_ = 0;
};

// Runs of equal differences: varInt(2*diff + hasCount) [varUint(count-2)].
class IntDiffOptRleEncoder {
 public:
  void write(int64_t v);
  std::vector<uint8_t> finish();

 private:
  void flush();
  Encoder enc_;
  int64_t s_ = 0;
  int64_t diff_ = 0;
  uint64_t count_ = 0;
};

// All strings concatenated in UTF-16, written once as a varString, followed
// by a UintOptRle stream of the UTF-16 lengths.
class StringColumnEncoder {
 public:
  void write(std::u16string_view s);
  std::vector<uint8_t> finish();

 private:
  std::u16string all_;
  UintOptRleEncoder lens_;
};

class RleU8Decoder {
 public:
  explicit RleU8Decoder(std::span<const uint8_t> bytes) : dec_(bytes) {}
  uint8_t read();
  const Status& status() const { return dec_.status(); }

 private:
  Decoder dec_;
  uint8_t s_ = 0;
  uint64_t count_ = 0;
  bool forever_ = false;
};

class UintOptRleDecoder {
 public:
  explicit UintOptRleDecoder(std::span<const uint8_t> bytes) : dec_(bytes) {}
  uint64_t read();
  const Status& status() const { return dec_.status(); }
  Decoder& raw() { return dec_; }

 private:
  Decoder dec_;
  uint64_t s_ = 0;
  uint64_t count_ = 0;
};

// Values must stay within 0..2^53-1 (they are clocks); anything else is an error.
class IntDiffOptRleDecoder {
 public:
  explicit IntDiffOptRleDecoder(std::span<const uint8_t> bytes) : dec_(bytes) {}
  uint64_t read();
  const Status& status() const { return dec_.status(); }

 private:
  Decoder dec_;
  int64_t s_ = 0;
  int64_t diff_ = 0;
  uint64_t count_ = 0;
};

class StringColumnDecoder {
 public:
  // Reads the concatenated string; check status() afterwards.
  explicit StringColumnDecoder(std::span<const uint8_t> bytes);
  std::u16string read();
  const Status& status() const { return status_.is_ok() ? lens_.status() : status_; }

 private:
  UintOptRleDecoder lens_;
  std::u16string all_;
  size_t pos_ = 0;
  Status status_;
};

}  // namespace weft::lib0
