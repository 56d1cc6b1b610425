#include "encoding/lazy_writer.h"

#include <cstring>

namespace weft {

namespace {

uint8_t* put_var_uint(uint8_t* out, uint64_t n) {
  for (; n > 0x7f; n >>= 7) *out++ = static_cast<uint8_t>(0x80 | (n & 0x7f));
  *out++ = static_cast<uint8_t>(n);
  return out;
}

}  // namespace

void finish_lazy_blocks(lib0::Encoder& rest, size_t base, const LazyBlocks& blocks, size_t reserve_after) {
  std::vector<uint8_t> body = rest.take();
  rest.clear();
  // In place: grow by the counts' bytes, then move each block back to its
  // final place, last block first, writing its count before it.
  size_t counts = var_uint_size(blocks.size());
  for (const auto& [written, end] : blocks) counts += var_uint_size(written);
  const size_t old_size = body.size();
  body.reserve(old_size + counts + reserve_after);
  body.resize(old_size + counts);
  uint8_t* data = body.data();
  size_t dst = old_size + counts;
  for (size_t i = blocks.size(); i-- > 0;) {
    const size_t start = i == 0 ? base : blocks[i - 1].second;
    const size_t len = blocks[i].second - start;
    dst -= len;
    std::memmove(data + dst, data + start, len);
    dst -= var_uint_size(blocks[i].first);
    put_var_uint(data + dst, blocks[i].first);
  }
  put_var_uint(data + base, blocks.size());
  rest.assign(std::move(body));
}

}  // namespace weft
