// The field writers/readers behind update format v1 and v2
// (yjs src/utils/UpdateEncoder.js, UpdateDecoder.js). Struct and delete-set
// code is written once against these interfaces; v1 writes fields inline,
// v2 distributes them over RLE columns.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "encoding/id.h"
#include "encoding/lib0.h"
#include "weft/any.h"
#include "weft/status.h"
#include "weft/update.h"

namespace weft {

class UpdateEncoder {
 public:
  virtual ~UpdateEncoder() = default;
  // The plain stream: struct counts, clocks, Skip lengths, Any values, buffers.
  lib0::Encoder& rest() { return rest_; }

  // Delete set fields. reset_ds_cur_val() starts each client's range list.
  virtual void reset_ds_cur_val() {}
  virtual void write_ds_clock(uint64_t clock) = 0;
  virtual void write_ds_len(uint64_t len) = 0;

  virtual void write_left_id(ID id) = 0;
  virtual void write_right_id(ID id) = 0;
  virtual void write_client(uint64_t client) = 0;
  virtual void write_info(uint8_t info) = 0;
  virtual void write_string(std::u16string_view s) = 0;
  void write_string(std::string_view utf8);
  // The same for valid UTF-8 of `utf16_length` UTF-16 units, without converting.
  virtual void write_string_view(std::string_view utf8, uint64_t utf16_length) = 0;
  // The same for bytes that stay valid until finish() (merge and diff write
  // views of their inputs): v2 then copies them only when it assembles.
  virtual void write_string_borrowed(std::string_view utf8, uint64_t utf16_length) {
    write_string_view(utf8, utf16_length);
  }
  virtual void write_parent_info(bool is_root_key) = 0;
  virtual void write_type_ref(uint8_t ref) = 0;
  virtual void write_len(uint64_t len) = 0;
  virtual void write_any(const Any& value) = 0;
  virtual void write_buf(std::span<const uint8_t> buf) = 0;
  virtual void write_json(const Any& value) = 0;  // v1: JSON text; v2: writeAny
  virtual void write_key(std::string_view key) = 0;

  // The finished update (v2 assembles its columns here). Consumes the encoder.
  virtual std::vector<uint8_t> finish() = 0;

  // Writers cannot fail on valid data; a few inputs JS would throw on (a v2
  // delete range of length 0, an item without any parent) are recorded here.
  const Status& status() const { return status_; }
  void fail(ErrorCode code, std::string message) {
    if (status_.is_ok()) status_ = Status(code, std::move(message));
  }

 protected:
  lib0::Encoder rest_;
  Status status_;
};

class UpdateDecoder {
 public:
  virtual ~UpdateDecoder() = default;
  lib0::Decoder& rest() { return rest_; }
  bool ok() const { return rest_.ok() && columns_ok(); }
  // The first error of the rest stream or of any column.
  Status status() const;
  // Records an error found by a caller (unknown content ref, ...).
  void fail(ErrorCode code, std::string message) { rest_.fail(code, std::move(message)); }

  virtual void reset_ds_cur_val() {}
  virtual uint64_t read_ds_clock() = 0;
  virtual uint64_t read_ds_len() = 0;

  virtual ID read_left_id() = 0;
  virtual ID read_right_id() = 0;
  virtual uint64_t read_client() = 0;
  virtual uint8_t read_info() = 0;
  virtual std::u16string read_string() = 0;
  std::string read_string_utf8();
  // The next string as a view of the input's UTF-8 and its UTF-16 length.
  // False if the string is not valid UTF-8 or (v2) holds half of a surrogate
  // pair: read_string() is needed then, on a fresh decoder (this one must not
  // be used further).
  virtual bool read_string_view(std::string_view& out, uint64_t& utf16_length) = 0;
  virtual bool read_parent_info() = 0;
  virtual uint8_t read_type_ref() = 0;
  virtual uint64_t read_len() = 0;
  virtual Any read_any() = 0;
  virtual Bytes read_buf() = 0;
  virtual Any read_json() = 0;
  virtual std::string read_key() = 0;

 protected:
  // Column decoders report errors here as well as through rest().
  virtual Status column_status() const { return Status(); }
  // Whether column_status() is ok, without copying a Status (ok() is hot).
  virtual bool columns_ok() const { return true; }
  explicit UpdateDecoder(std::span<const uint8_t> rest) : rest_(rest) {}
  // Concrete decoders may be kept in vectors (merge_updates opens one per input).
  UpdateDecoder(const UpdateDecoder&) = default;
  UpdateDecoder(UpdateDecoder&&) = default;
  UpdateDecoder& operator=(const UpdateDecoder&) = delete;
  lib0::Decoder rest_;  // by value: opening a decoder allocates nothing
};

std::unique_ptr<UpdateEncoder> make_update_encoder(UpdateFormat format);
// Fails if the v2 header (feature flag and columns) is malformed.
Result<std::unique_ptr<UpdateDecoder>> make_update_decoder(UpdateFormat format,
                                                           std::span<const uint8_t> update);

// Delete-set-only coders (yjs DSEncoderV1/V2, DSDecoderV1/V2), used for
// snapshots and stand-alone delete sets: v1 is the same as the update coder,
// v2 has no columns (finish() returns just the rest stream). Only the
// delete-set methods and rest() may be used on them.
std::unique_ptr<UpdateEncoder> make_ds_encoder(UpdateFormat format);
std::unique_ptr<UpdateDecoder> make_ds_decoder(UpdateFormat format, std::span<const uint8_t> bytes);

}  // namespace weft
