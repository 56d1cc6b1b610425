// LazyStructWriter (yjs src/utils/updates.js): writes structs client block by
// client block when the number of blocks and structs is not known up front.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "encoding/struct_reader.h"
#include "encoding/update_codec.h"
#include "encoding/wire.h"

namespace weft {

// Finished blocks of a LazyStructWriter: struct count and end offset in rest.
using LazyBlocks = std::vector<std::pair<uint64_t, size_t>>;
// finishLazyStructWriting: puts the block count before the blocks written
// into `rest` from `base` on, and each block's struct count before it.
void finish_lazy_blocks(lib0::Encoder& rest, size_t base, const LazyBlocks& blocks);

// Enc is UpdateEncoder or one of its classes in update_codec_impl.h, whose
// field writers are then called directly.
template <typename Enc = UpdateEncoder>
class LazyStructWriter {
 public:
  explicit LazyStructWriter(Enc& enc) : enc_(enc), base_(enc.rest().size()) {}
  // writeStructToLazyStructWriter: starts a new client block when the client changes.
  void write(const WireStruct& s, uint64_t offset) {
    start(s.id, offset);
    s.write(enc_, offset);
  }
  // The same; false if `s` cannot be written from views (LazyStruct::write).
  bool write(const LazyStruct& s, uint64_t offset) {
    start(s.id, offset);
    return s.write(enc_, offset);
  }
  // finishLazyStructWriting: writes the block count and the collected blocks to rest.
  void finish() {
    flush();
    finish_lazy_blocks(enc_.rest(), base_, blocks_);
    blocks_.clear();
  }

 private:
  void start(ID id, uint64_t offset) {
    if (written_ > 0 && curr_client_ != id.client) flush();
    if (written_ == 0) {
      curr_client_ = id.client;
      enc_.write_client(id.client);
      enc_.rest().write_var_uint(id.clock + offset);
    }
    written_++;
  }
  void flush() {
    if (written_ == 0) return;
    blocks_.emplace_back(written_, enc_.rest().size());
    written_ = 0;
  }
  Enc& enc_;
  size_t base_;  // where the struct section starts in rest
  uint64_t curr_client_ = 0;
  uint64_t written_ = 0;
  // Blocks stay in rest (yjs moves each to its own buffer) and get their
  // counts at finish().
  LazyBlocks blocks_;
};

}  // namespace weft
