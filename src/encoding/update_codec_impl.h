// The concrete update encoders and decoders behind make_update_encoder /
// make_update_decoder, for code that reads or writes many structs and wants
// the field calls inlined (merge_updates, diff_update: BasicStructReader<S,
// UpdateDecoderV2> and LazyStructWriter<UpdateEncoderV2> call them without
// virtual dispatch), and that opens many decoders (they can live in one
// vector; opening one allocates nothing).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "encoding/rle.h"
#include "encoding/update_codec.h"
#include "encoding/wire.h"

namespace weft {

// The UTF-16 length of `s` if it is valid UTF-8 (as is_valid_utf8 decides).
std::optional<uint64_t> valid_utf8_utf16_length(std::string_view s);

// v1: every field inline in one lib0 stream.
class UpdateEncoderV1 final : public UpdateEncoder {
 public:
  void write_ds_clock(uint64_t clock) override { rest_.write_var_uint(clock); }
  void write_ds_len(uint64_t len) override { rest_.write_var_uint(len); }
  void write_left_id(ID id) override {
    rest_.write_var_uint(id.client);
    rest_.write_var_uint(id.clock);
  }
  void write_right_id(ID id) override { write_left_id(id); }
  void write_client(uint64_t client) override { rest_.write_var_uint(client); }
  void write_info(uint8_t info) override { rest_.write_u8(info); }
  void write_string(std::u16string_view s) override { rest_.write_var_string(s); }
  void write_string_view(std::string_view utf8, uint64_t) override {
    rest_.write_var_bytes(std::span(reinterpret_cast<const uint8_t*>(utf8.data()), utf8.size()));
  }
  void write_parent_info(bool is_root_key) override { rest_.write_var_uint(is_root_key ? 1 : 0); }
  void write_type_ref(uint8_t ref) override { rest_.write_var_uint(ref); }
  void write_len(uint64_t len) override { rest_.write_var_uint(len); }
  void write_any(const Any& value) override { rest_.write_any(value); }
  void write_buf(std::span<const uint8_t> buf) override { rest_.write_var_bytes(buf); }
  void write_json(const Any& value) override;
  void write_key(std::string_view key) override { rest_.write_var_string(key); }
  std::vector<uint8_t> finish() override { return rest_.take(); }
};

class UpdateDecoderV1 final : public UpdateDecoder {
 public:
  explicit UpdateDecoderV1(std::span<const uint8_t> bytes) : UpdateDecoder(bytes) {}
  bool ok() const { return rest_.ok(); }  // hides the virtual columns check
  uint64_t read_ds_clock() override { return rest_.read_var_uint(); }
  uint64_t read_ds_len() override { return rest_.read_var_uint(); }
  ID read_left_id() override {
    uint64_t client = rest_.read_var_uint();
    return ID{client, rest_.read_var_uint()};
  }
  ID read_right_id() override { return read_left_id(); }
  uint64_t read_client() override { return rest_.read_var_uint(); }
  uint8_t read_info() override { return rest_.read_u8(); }
  std::u16string read_string() override { return rest_.read_var_string_utf16(); }
  bool read_string_view(std::string_view& out, uint64_t& utf16_len) override {
    auto bytes = rest_.read_var_bytes();
    out = std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    if (!rest_.ok()) return false;
    std::optional<uint64_t> len = valid_utf8_utf16_length(out);
    if (!len) return false;
    utf16_len = *len;
    return true;
  }
  bool read_parent_info() override { return rest_.read_var_uint() == 1; }
  uint8_t read_type_ref() override {
    uint64_t r = rest_.read_var_uint();
    return r > 255 ? uint8_t{255} : static_cast<uint8_t>(r);
  }
  uint64_t read_len() override { return rest_.read_var_uint(); }
  Any read_any() override { return rest_.read_any(); }
  Bytes read_buf() override {
    auto b = rest_.read_var_bytes();
    return Bytes(b.begin(), b.end());
  }
  Any read_json() override;
  std::string read_key() override { return rest_.read_var_string(); }
};

// v2: fields distributed over run-length columns.
// Its field writers are final, so that calls through an UpdateEncoderV2& are
// direct (DsEncoderV2 derives from it for finish()).
class UpdateEncoderV2 : public UpdateEncoder {
 public:
  void reset_ds_cur_val() final { ds_cur_ = 0; }
  void write_ds_clock(uint64_t clock) final {
    if (clock < ds_cur_) {
      // JS would write garbage (a varUint of a negative number); v2 needs sorted, disjoint ranges.
      fail(ErrorCode::kMalformed, "unsorted or overlapping delete ranges cannot be written in v2");
      return;
    }
    rest_.write_var_uint(clock - ds_cur_);
    ds_cur_ = clock;
  }
  void write_ds_len(uint64_t len) final {
    if (len == 0) {
      fail(ErrorCode::kMalformed, "delete range of length 0 cannot be written in v2");
      return;
    }
    rest_.write_var_uint(len - 1);
    ds_cur_ += len;
  }
  void write_left_id(ID id) final {
    client_.write(id.client);
    left_clock_.write(static_cast<int64_t>(id.clock));
  }
  void write_right_id(ID id) final {
    client_.write(id.client);
    right_clock_.write(static_cast<int64_t>(id.clock));
  }
  void write_client(uint64_t client) final { client_.write(client); }
  void write_info(uint8_t info) final { info_.write(info); }
  void write_string(std::u16string_view s) final { string_.write(s); }
  void write_string_view(std::string_view utf8, uint64_t utf16_length) final {
    string_.write_utf8(utf8, utf16_length);
  }
  void write_string_borrowed(std::string_view utf8, uint64_t utf16_length) final {
    string_.write_utf8_borrowed(utf8, utf16_length);
  }
  void write_parent_info(bool is_root_key) final { parent_info_.write(is_root_key ? 1 : 0); }
  void write_type_ref(uint8_t ref) final { type_ref_.write(ref); }
  void write_len(uint64_t len) final { len_.write(len); }
  void write_any(const Any& value) final { rest_.write_any(value); }
  void write_buf(std::span<const uint8_t> buf) final { rest_.write_var_bytes(buf); }
  void write_json(const Any& value) final { rest_.write_any(value); }
  void write_key(std::string_view key) final;
  std::vector<uint8_t> finish() override;

 private:
  uint64_t ds_cur_ = 0;
  uint64_t next_key_ = 0;
  lib0::IntDiffOptRleEncoder key_clock_;
  lib0::UintOptRleEncoder client_;
  lib0::IntDiffOptRleEncoder left_clock_;
  lib0::IntDiffOptRleEncoder right_clock_;
  lib0::RleU8Encoder info_;
  lib0::StringColumnEncoder string_;
  lib0::RleU8Encoder parent_info_;
  lib0::UintOptRleEncoder type_ref_;
  lib0::UintOptRleEncoder len_;
};

// v2: the column slices of an update.
struct V2Columns {
  std::span<const uint8_t> key_clock, client, left_clock, right_clock, info, strings, parent_info, type_ref,
      len;
};

// Splits a v2 update into its columns and the rest stream; fails if the
// header (feature flag and columns) is malformed.
Status split_v2_update(std::span<const uint8_t> update, V2Columns& columns, std::span<const uint8_t>& rest);

// v2: fields distributed over run-length columns. Check ok() after
// construction (the string column is validated then).
class UpdateDecoderV2 final : public UpdateDecoder {
 public:
  UpdateDecoderV2(const V2Columns& c, std::span<const uint8_t> rest)
      : UpdateDecoder(rest),
        key_clock_(c.key_clock),
        client_(c.client),
        left_clock_(c.left_clock),
        right_clock_(c.right_clock),
        info_(c.info),
        string_(c.strings),
        parent_info_(c.parent_info),
        type_ref_(c.type_ref),
        len_(c.len) {}

  // Hides UpdateDecoder::ok() so that callers holding an UpdateDecoderV2 skip
  // the virtual columns check.
  bool ok() const { return rest_.ok() && all_columns_ok(); }

  void reset_ds_cur_val() override { ds_cur_ = 0; }
  // A range may end at 2^53, as v1's reader (read_delete_set_ranges) lets
  // it: a v1 update holding one converts to v2 and reads back. ds_cur_
  // never passes 2^53, so the subtractions below cannot wrap.
  uint64_t read_ds_clock() override {
    uint64_t d = rest_.read_var_uint();
    if (d > kMaxClockEnd - ds_cur_) {
      rest_.fail(ErrorCode::kOutOfRange, "delete set clock beyond 2^53");
      return 0;
    }
    ds_cur_ += d;
    return ds_cur_;
  }
  uint64_t read_ds_len() override {
    const uint64_t stored = rest_.read_var_uint();  // len - 1
    if (!rest_.ok()) return 0;
    if (stored >= kMaxClockEnd - ds_cur_) {
      rest_.fail(ErrorCode::kOutOfRange, "delete set range beyond 2^53");
      return 0;
    }
    ds_cur_ += stored + 1;
    return stored + 1;
  }
  ID read_left_id() override {
    uint64_t client = client_.read();
    return ID{client, left_clock_.read()};
  }
  ID read_right_id() override {
    uint64_t client = client_.read();
    return ID{client, right_clock_.read()};
  }
  uint64_t read_client() override { return client_.read(); }
  uint8_t read_info() override { return info_.read(); }
  std::u16string read_string() override { return string_.read(); }
  bool read_string_view(std::string_view& out, uint64_t& utf16_length) override {
    return string_.read_utf8(out, utf16_length);
  }
  bool read_parent_info() override { return parent_info_.read() == 1; }
  uint8_t read_type_ref() override {
    uint64_t r = type_ref_.read();
    return r > 255 ? uint8_t{255} : static_cast<uint8_t>(r);
  }
  uint64_t read_len() override { return len_.read(); }
  Any read_any() override { return rest_.read_any(); }
  Bytes read_buf() override {
    auto b = rest_.read_var_bytes();
    return Bytes(b.begin(), b.end());
  }
  Any read_json() override { return rest_.read_any(); }
  std::string read_key() override;

 protected:
  bool columns_ok() const override { return all_columns_ok(); }
  Status column_status() const override;

 private:
  bool all_columns_ok() const {
    // One test of the or-ed codes instead of nine branches (this runs per struct).
    const auto code = [](const Status& s) { return static_cast<unsigned>(s.code()); };
    return (code(key_clock_.status()) | code(client_.status()) | code(left_clock_.status()) |
            code(right_clock_.status()) | code(info_.status()) | code(string_.status()) |
            code(parent_info_.status()) | code(type_ref_.status()) | code(len_.status())) == 0;
  }

  uint64_t ds_cur_ = 0;
  std::vector<std::string> keys_;
  lib0::IntDiffOptRleDecoder key_clock_;
  lib0::UintOptRleDecoder client_;
  lib0::IntDiffOptRleDecoder left_clock_;
  lib0::IntDiffOptRleDecoder right_clock_;
  lib0::RleU8Decoder info_;
  lib0::StringColumnDecoder string_;
  lib0::RleU8Decoder parent_info_;
  lib0::UintOptRleDecoder type_ref_;
  lib0::UintOptRleDecoder len_;
};

}  // namespace weft
