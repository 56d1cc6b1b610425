#include "encoding/lazy_writer.h"

namespace weft {

void LazyStructWriter::flush() {
  if (written_ == 0) return;
  blocks_.emplace_back(written_, enc_.rest().take());
  enc_.rest().clear();
  written_ = 0;
}

void LazyStructWriter::finish() {
  flush();
  lib0::Encoder& rest = enc_.rest();
  rest.write_var_uint(blocks_.size());
  for (const auto& [written, bytes] : blocks_) {
    rest.write_var_uint(written);
    rest.write_raw(bytes);
  }
  blocks_.clear();
}

}  // namespace weft
