// LazyStructWriter (yjs src/utils/updates.js): writes structs client block by
// client block when the number of blocks and structs is not known up front.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "encoding/update_codec.h"
#include "encoding/wire.h"

namespace weft {

class LazyStructWriter {
 public:
  explicit LazyStructWriter(UpdateEncoder& enc) : enc_(enc) {}
  // writeStructToLazyStructWriter: starts a new client block when the client changes.
  void write(const WireStruct& s, uint64_t offset);
  // finishLazyStructWriting: writes the block count and the collected blocks to rest.
  void finish();

 private:
  void flush();
  UpdateEncoder& enc_;
  uint64_t curr_client_ = 0;
  uint64_t written_ = 0;
  std::vector<std::pair<uint64_t, std::vector<uint8_t>>> blocks_;
};

}  // namespace weft
