// Reads the struct section of an update one struct at a time, like yjs's
// lazyStructReaderGenerator / LazyStructReader (src/utils/updates.js).
#pragma once

#include <cstdint>
#include <optional>

#include "encoding/update_codec.h"
#include "encoding/wire.h"

namespace weft {

class StructReader {
 public:
  // `input_bytes` bounds the number of structs (max_structs_for_input).
  StructReader(UpdateDecoder& dec, size_t input_bytes, bool filter_skips);

  // The current struct, or nullptr at the end of the struct section or after
  // an error (then dec.ok() is false).
  WireStruct* curr() { return curr_ ? &*curr_ : nullptr; }
  WireStruct* next();

 private:
  bool read_one(WireStruct& out);

  UpdateDecoder& dec_;
  bool filter_skips_;
  uint64_t max_structs_;
  uint64_t structs_read_ = 0;
  uint64_t clients_left_ = 0;
  uint64_t structs_left_ = 0;
  uint64_t client_ = 0;
  uint64_t clock_ = 0;
  std::optional<WireStruct> curr_;
};

}  // namespace weft
