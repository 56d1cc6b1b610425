#include "encoding/lazy_writer.h"

namespace weft {

void finish_lazy_blocks(lib0::Encoder& rest, size_t base, const LazyBlocks& blocks) {
  std::vector<uint8_t> body = rest.take();
  rest.clear();
  // Counts are varUints of at most 8 bytes (structs per update are bounded).
  std::vector<uint8_t> out;
  out.reserve(body.size() + 8 * (blocks.size() + 1));
  auto put_var_uint = [&out](uint64_t n) {
    while (n > 0x7f) {
      out.push_back(static_cast<uint8_t>(0x80 | (n & 0x7f)));
      n >>= 7;
    }
    out.push_back(static_cast<uint8_t>(n));
  };
  out.insert(out.end(), body.begin(), body.begin() + static_cast<ptrdiff_t>(base));
  put_var_uint(blocks.size());
  size_t start = base;
  for (const auto& [written, end] : blocks) {
    put_var_uint(written);
    out.insert(out.end(), body.begin() + static_cast<ptrdiff_t>(start),
               body.begin() + static_cast<ptrdiff_t>(end));
    start = end;
  }
  rest.assign(std::move(out));
}

}  // namespace weft
