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

class LazyStructWriter {
 public:
  explicit LazyStructWriter(UpdateEncoder& enc) : enc_(enc), base_(enc.rest().size()) {}
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
  void finish();

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
  void flush();
  UpdateEncoder& enc_;
  size_t base_;  // where the struct section starts in rest
  uint64_t curr_client_ = 0;
  uint64_t written_ = 0;
  // Finished blocks: struct count and end offset in rest. Blocks stay in rest
  // (yjs moves each to its own buffer) and get their counts at finish().
  std::vector<std::pair<uint64_t, size_t>> blocks_;
};

}  // namespace weft
