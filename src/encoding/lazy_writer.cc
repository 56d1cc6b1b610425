#include "encoding/lazy_writer.h"

namespace weft {

void LazyStructWriter::flush() {
  if (written_ == 0) return;
  blocks_.emplace_back(written_, enc_.rest().take());
  enc_.rest().clear();
  written_ = 0;
}

void LazyStructWriter::write(const WireStruct& s, uint64_t offset) {
  if (written_ > 0 && curr_client_ != s.id.client) flush();
  if (written_ == 0) {
    curr_client_ = s.id.client;
    enc_.write_client(s.id.client);
    enc_.rest().write_var_uint(s.id.clock + offset);
  }
  s.write(enc_, offset);
  written_++;
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
