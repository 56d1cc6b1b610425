// LazyStructWriter (yjs src/utils/updates.js): writes structs client block by
// client block when the number of blocks and structs is not known up front.
#pragma once

#include <cstdint>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "encoding/struct_reader.h"
#include "encoding/update_codec.h"
#include "encoding/wire.h"

namespace weft {

class UpdateEncoderV1;

// Finished blocks of a LazyStructWriter: struct count and end offset in rest.
using LazyBlocks = std::vector<std::pair<uint64_t, size_t>>;
// finishLazyStructWriting: puts the block count before the blocks written
// into `rest` from `base` on (the last block ends at rest's end), and each
// block's struct count before it, moving the blocks in place; leaves room for
// `reserve_after` more bytes.
void finish_lazy_blocks(lib0::Encoder& rest, size_t base, const LazyBlocks& blocks, size_t reserve_after = 0);

// Enc is UpdateEncoder or one of its classes in update_codec_impl.h, whose
// field writers are then called directly.
template <typename Enc = UpdateEncoder>
class LazyStructWriter {
 public:
  explicit LazyStructWriter(Enc& enc) : enc_(enc), base_(enc.rest().size()) {}
  // writeStructToLazyStructWriter: starts a new client block when the client changes.
  void write(const WireStruct& s, uint64_t offset) {
    flush_raw();
    start(s.id, offset);
    s.write(enc_, offset);
  }
  // The same; false if `s` cannot be written from views (LazyStruct::write).
  bool write(const LazyStruct& s, uint64_t offset) {
    if constexpr (std::is_same_v<Enc, UpdateEncoderV1>) {
      if (s.raw != nullptr && offset == 0) {
        // Its input bytes, copied with those of the structs around it that
        // are copied too (contiguous in the input: one copy per run).
        start(s.id, 0);
        if (raw_end_ != s.raw) {
          flush_raw();
          raw_begin_ = s.raw;
        }
        raw_end_ = s.raw + s.raw_size;
        return true;
      }
    }
    flush_raw();
    start(s.id, offset);
    return s.write(enc_, offset);
  }
  // finishLazyStructWriting: writes the block count and the collected blocks
  // to rest, with room for `reserve_after` more bytes (the delete set).
  void finish(size_t reserve_after = 0) {
    flush();
    finish_lazy_blocks(enc_.rest(), base_, blocks_, reserve_after);
    blocks_.clear();
  }

 private:
  void start(ID id, uint64_t offset) {
    if (written_ > 0 && curr_client_ != id.client) flush();
    if (written_ == 0) {
      flush_raw();
      curr_client_ = id.client;
      enc_.write_client(id.client);
      enc_.rest().write_var_uint(id.clock + offset);
    }
    written_++;
  }
  // Writes the pending run of copied bytes.
  void flush_raw() {
    if (raw_begin_ == raw_end_) return;
    enc_.rest().write_raw(std::span(raw_begin_, raw_end_));
    raw_begin_ = raw_end_ = nullptr;
  }
  void flush() {
    flush_raw();
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
  // v1: input bytes not yet copied into rest (written after what rest holds).
  const uint8_t* raw_begin_ = nullptr;
  const uint8_t* raw_end_ = nullptr;
};

}  // namespace weft
