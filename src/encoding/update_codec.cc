#include "encoding/update_codec.h"

#include <optional>

#include "encoding/json.h"
#include "encoding/rle.h"
#include "encoding/update_codec_impl.h"
#include "encoding/utf.h"

namespace weft {

void UpdateEncoder::write_string(std::string_view utf8) {
  write_string(std::u16string_view(wtf8_to_utf16(utf8)));
}

Status UpdateDecoder::status() const {
  Status c = column_status();
  if (!c.is_ok()) return c;
  return rest_.status();
}

std::string UpdateDecoder::read_string_utf8() { return utf16_to_wtf8(read_string()); }

// Checked and counted past the leading ASCII run (most strings are all ASCII).
std::optional<uint64_t> valid_utf8_utf16_length(std::string_view s) {
  const size_t i = ascii_prefix_length(s);
  if (i == s.size()) return i;
  if (!is_valid_utf8(s.substr(i))) return std::nullopt;
  return i + utf16_length(s.substr(i));
}

Any UpdateDecoderV1::read_json() {
  std::string text = rest_.read_var_string();
  if (!rest_.ok()) return {};
  if (text == "undefined") {  // JSON.parse('undefined') throws
    rest_.fail(ErrorCode::kMalformed, "JSON text 'undefined'");
    return {};
  }
  Result<Any> v = json_parse(text);
  if (!v) {
    rest_.fail(v.status().code(), v.status().message());
    return {};
  }
  return std::move(*v);
}

std::string UpdateDecoderV2::read_key() {
  uint64_t k = key_clock_.read();
  if (!ok()) return {};
  if (k < keys_.size()) return keys_[static_cast<size_t>(k)];
  keys_.push_back(utf16_to_wtf8(string_.read()));
  return keys_.back();
}

Status UpdateDecoderV2::column_status() const {
  for (const Status* s :
       {&key_clock_.status(), &client_.status(), &left_clock_.status(), &right_clock_.status(),
        &info_.status(), &string_.status(), &parent_info_.status(), &type_ref_.status(), &len_.status()}) {
    if (!s->is_ok()) return *s;
  }
  return Status();
}

Status split_v2_update(std::span<const uint8_t> update, V2Columns& c, std::span<const uint8_t>& rest) {
  lib0::Decoder d(update);
  d.read_var_uint();  // feature flag, unused
  for (auto* col : {&c.key_clock, &c.client, &c.left_clock, &c.right_clock, &c.info, &c.strings,
                    &c.parent_info, &c.type_ref, &c.len}) {
    *col = d.read_var_bytes();
  }
  if (!d.ok()) return d.status();
  rest = std::span<const uint8_t>(d.position(), d.remaining());
  return Status();
}

void UpdateEncoderV1::write_json(const Any& value) {
  rest_.write_var_string(std::string_view(json_stringify(value)));
}

void UpdateEncoderV2::write_key(std::string_view key) {
  // Yjs never records keys in its keyMap, so every key is written anew.
  key_clock_.write(static_cast<int64_t>(next_key_++));
  string_.write(std::u16string_view(wtf8_to_utf16(key)));
}

std::vector<uint8_t> UpdateEncoderV2::finish() {
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

namespace {

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
  V2Columns c;
  std::span<const uint8_t> rest;
  WEFT_RETURN_IF_ERROR(split_v2_update(update, c, rest));
  auto dec = std::make_unique<UpdateDecoderV2>(c, rest);
  if (!dec->ok()) return dec->status();
  return std::unique_ptr<UpdateDecoder>(std::move(dec));
}

}  // namespace weft
