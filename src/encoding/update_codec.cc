#include "encoding/update_codec.h"

#include <cstring>
#include <optional>

#include "encoding/json.h"
#include "encoding/rle.h"
#include "encoding/utf.h"

namespace weft {

void UpdateEncoder::write_string(std::string_view utf8) {
  write_string(std::u16string_view(wtf8_to_utf16(utf8)));
}

bool UpdateDecoder::ok() const { return rest_->ok() && columns_ok(); }

Status UpdateDecoder::status() const {
  Status c = column_status();
  if (!c.is_ok()) return c;
  return rest_->status();
}

std::string UpdateDecoder::read_string_utf8() { return utf16_to_wtf8(read_string()); }

namespace {

// The UTF-16 length of `s` if it is valid UTF-8 (as is_valid_utf8 decides),
// checked and counted in one pass with an ASCII fast path.
std::optional<uint64_t> valid_utf8_utf16_length(std::string_view s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i + 8 <= n) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    if ((w & 0x8080808080808080ull) != 0) break;
    i += 8;
  }
  while (i < n && p[i] < 0x80) i++;
  if (i == n) return n;
  if (!is_valid_utf8(s.substr(i))) return std::nullopt;
  return i + utf16_length(s.substr(i));
}

// ---- v1: every field inline in one lib0 stream ----

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
  void write_json(const Any& value) override {
    rest_.write_var_string(std::string_view(json_stringify(value)));
  }
  void write_key(std::string_view key) override { rest_.write_var_string(key); }
  std::vector<uint8_t> finish() override { return rest_.take(); }
};

class UpdateDecoderV1 final : public UpdateDecoder {
 public:
  explicit UpdateDecoderV1(std::span<const uint8_t> bytes) { rest_ = std::make_unique<lib0::Decoder>(bytes); }
  uint64_t read_ds_clock() override { return rest_->read_var_uint(); }
  uint64_t read_ds_len() override { return rest_->read_var_uint(); }
  ID read_left_id() override {
    uint64_t client = rest_->read_var_uint();
    return ID{client, rest_->read_var_uint()};
  }
  ID read_right_id() override { return read_left_id(); }
  uint64_t read_client() override { return rest_->read_var_uint(); }
  uint8_t read_info() override { return rest_->read_u8(); }
  std::u16string read_string() override { return rest_->read_var_string_utf16(); }
  bool read_string_view(std::string_view& out, uint64_t& utf16_len) override {
    auto bytes = rest_->read_var_bytes();
    out = std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    if (!rest_->ok()) return false;
    std::optional<uint64_t> len = valid_utf8_utf16_length(out);
    if (!len) return false;
    utf16_len = *len;
    return true;
  }
  bool read_parent_info() override { return rest_->read_var_uint() == 1; }
  uint8_t read_type_ref() override {
    uint64_t r = rest_->read_var_uint();
    return r > 255 ? uint8_t{255} : static_cast<uint8_t>(r);
  }
  uint64_t read_len() override { return rest_->read_var_uint(); }
  Any read_any() override { return rest_->read_any(); }
  Bytes read_buf() override {
    auto b = rest_->read_var_bytes();
    return Bytes(b.begin(), b.end());
  }
  Any read_json() override {
    std::string text = rest_->read_var_string();
    if (!rest_->ok()) return {};
    if (text == "undefined") {  // JSON.parse('undefined') throws
      rest_->fail(ErrorCode::kMalformed, "JSON text 'undefined'");
      return {};
    }
    Result<Any> v = json_parse(text);
    if (!v) {
      rest_->fail(v.status().code(), v.status().message());
      return {};
    }
    return std::move(*v);
  }
  std::string read_key() override { return rest_->read_var_string(); }
};

// ---- v2: fields distributed over run-length columns ----

class UpdateEncoderV2 : public UpdateEncoder {
 public:
  void reset_ds_cur_val() override { ds_cur_ = 0; }
  void write_ds_clock(uint64_t clock) override {
    if (clock < ds_cur_) {
      // JS would write garbage (a varUint of a negative number); v2 needs sorted, disjoint ranges.
      fail(ErrorCode::kMalformed, "unsorted or overlapping delete ranges cannot be written in v2");
      return;
    }
    rest_.write_var_uint(clock - ds_cur_);
    ds_cur_ = clock;
  }
  void write_ds_len(uint64_t len) override {
    if (len == 0) {
      fail(ErrorCode::kMalformed, "delete range of length 0 cannot be written in v2");
      return;
    }
    rest_.write_var_uint(len - 1);
    ds_cur_ += len;
  }
  void write_left_id(ID id) override {
    client_.write(id.client);
    left_clock_.write(static_cast<int64_t>(id.clock));
  }
  void write_right_id(ID id) override {
    client_.write(id.client);
    right_clock_.write(static_cast<int64_t>(id.clock));
  }
  void write_client(uint64_t client) override { client_.write(client); }
  void write_info(uint8_t info) override { info_.write(info); }
  void write_string(std::u16string_view s) override { string_.write(s); }
  void write_string_view(std::string_view utf8, uint64_t utf16_length) override {
    string_.write_utf8(utf8, utf16_length);
  }
  void write_parent_info(bool is_root_key) override { parent_info_.write(is_root_key ? 1 : 0); }
  void write_type_ref(uint8_t ref) override { type_ref_.write(ref); }
  void write_len(uint64_t len) override { len_.write(len); }
  void write_any(const Any& value) override { rest_.write_any(value); }
  void write_buf(std::span<const uint8_t> buf) override { rest_.write_var_bytes(buf); }
  void write_json(const Any& value) override { rest_.write_any(value); }
  void write_key(std::string_view key) override {
    // Yjs never records keys in its keyMap, so every key is written anew.
    key_clock_.write(static_cast<int64_t>(next_key_++));
    string_.write(std::u16string_view(wtf8_to_utf16(key)));
  }
  std::vector<uint8_t> finish() override {
    std::vector<uint8_t> key_clock = key_clock_.finish(), client = client_.finish(),
                         left_clock = left_clock_.finish(), right_clock = right_clock_.finish(),
                         info = info_.finish(), parent_info = parent_info_.finish(),
                         type_ref = type_ref_.finish(), len = len_.finish();
    const std::vector<uint8_t>* before[] = {&key_clock, &client, &left_clock, &right_clock, &info};
    const std::vector<uint8_t>* after[] = {&parent_info, &type_ref, &len};
    // Sized once: each column plus its varUint length (at most 10 bytes).
    size_t total = 1 + string_.finished_size() + 10 + rest_.size();
    for (const auto* c : before) total += c->size() + 10;
    for (const auto* c : after) total += c->size() + 10;
    lib0::Encoder out;
    out.reserve(total);
    out.write_var_uint(0);  // feature flag
    for (const auto* c : before) out.write_var_bytes(*c);
    string_.finish_into(out);
    for (const auto* c : after) out.write_var_bytes(*c);
    out.write_raw(rest_.bytes());
    rest_.clear();
    return out.take();
  }

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

struct V2Columns {
  std::span<const uint8_t> key_clock, client, left_clock, right_clock, info, strings, parent_info, type_ref,
      len;
};

class UpdateDecoderV2 final : public UpdateDecoder {
 public:
  UpdateDecoderV2(const V2Columns& c, std::span<const uint8_t> rest)
      : key_clock_(c.key_clock),
        client_(c.client),
        left_clock_(c.left_clock),
        right_clock_(c.right_clock),
        info_(c.info),
        string_(c.strings),
        parent_info_(c.parent_info),
        type_ref_(c.type_ref),
        len_(c.len) {
    rest_ = std::make_unique<lib0::Decoder>(rest);
  }

  void reset_ds_cur_val() override { ds_cur_ = 0; }
  uint64_t read_ds_clock() override {
    uint64_t d = rest_->read_var_uint();
    if (d > lib0::kMaxSafeInteger - ds_cur_) {
      rest_->fail(ErrorCode::kOutOfRange, "delete set clock above 2^53-1");
      return 0;
    }
    ds_cur_ += d;
    return ds_cur_;
  }
  uint64_t read_ds_len() override {
    uint64_t len = rest_->read_var_uint() + 1;
    if (!rest_->ok()) return 0;
    if (len > lib0::kMaxSafeInteger - ds_cur_) {
      rest_->fail(ErrorCode::kOutOfRange, "delete set range beyond 2^53-1");
      return 0;
    }
    ds_cur_ += len;
    return len;
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
  Any read_any() override { return rest_->read_any(); }
  Bytes read_buf() override {
    auto b = rest_->read_var_bytes();
    return Bytes(b.begin(), b.end());
  }
  Any read_json() override { return rest_->read_any(); }
  std::string read_key() override {
    uint64_t k = key_clock_.read();
    if (!ok()) return {};
    if (k < keys_.size()) return keys_[static_cast<size_t>(k)];
    keys_.push_back(utf16_to_wtf8(string_.read()));
    return keys_.back();
  }

 protected:
  bool columns_ok() const override {
    // One test of the or-ed codes instead of nine branches (this runs per struct).
    const auto code = [](const Status& s) { return static_cast<unsigned>(s.code()); };
    return (code(key_clock_.status()) | code(client_.status()) | code(left_clock_.status()) |
            code(right_clock_.status()) | code(info_.status()) | code(string_.status()) |
            code(parent_info_.status()) | code(type_ref_.status()) | code(len_.status())) == 0;
  }
  Status column_status() const override {
    for (const Status* s :
         {&key_clock_.status(), &client_.status(), &left_clock_.status(), &right_clock_.status(),
          &info_.status(), &string_.status(), &parent_info_.status(), &type_ref_.status(), &len_.status()}) {
      if (!s->is_ok()) return *s;
    }
    return Status();
  }

 private:
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

class DsEncoderV2 final : public UpdateEncoderV2 {
 public:
  std::vector<uint8_t> finish() override { return rest_.take(); }
};

}  // namespace

std::unique_ptr<UpdateEncoder> make_ds_encoder(UpdateFormat format) {
  if (format == UpdateFormat::kV1) return std::make_unique<UpdateEncoderV1>();
  return std::make_unique<DsEncoderV2>();
}

std::unique_ptr<UpdateDecoder> make_ds_decoder(UpdateFormat format, std::span<const uint8_t> bytes) {
  if (format == UpdateFormat::kV1) return std::make_unique<UpdateDecoderV1>(bytes);
  static const uint8_t kEmptyStringColumn[] = {0};  // varString("")
  V2Columns c;
  c.strings = kEmptyStringColumn;
  return std::make_unique<UpdateDecoderV2>(c, bytes);
}

std::unique_ptr<UpdateEncoder> make_update_encoder(UpdateFormat format) {
  if (format == UpdateFormat::kV1) return std::make_unique<UpdateEncoderV1>();
  return std::make_unique<UpdateEncoderV2>();
}

Result<std::unique_ptr<UpdateDecoder>> make_update_decoder(UpdateFormat format,
                                                           std::span<const uint8_t> update) {
  if (format == UpdateFormat::kV1)
    return std::unique_ptr<UpdateDecoder>(std::make_unique<UpdateDecoderV1>(update));
  lib0::Decoder d(update);
  d.read_var_uint();  // feature flag, unused
  V2Columns c;
  for (auto* col : {&c.key_clock, &c.client, &c.left_clock, &c.right_clock, &c.info, &c.strings,
                    &c.parent_info, &c.type_ref, &c.len}) {
    *col = d.read_var_bytes();
  }
  if (!d.ok()) return d.status();
  auto dec = std::make_unique<UpdateDecoderV2>(c, std::span<const uint8_t>(d.position(), d.remaining()));
  if (!dec->ok()) return dec->status();
  return std::unique_ptr<UpdateDecoder>(std::move(dec));
}

}  // namespace weft
