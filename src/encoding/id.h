// Identity of a struct: (client, clock). Clients are up to 53 bits (yrs uses
// 53-bit ids, Yjs 32-bit); clocks count UTF-16 units / elements per client.
#pragma once

#include <cstdint>
#include <functional>

namespace weft {

struct ID {
  uint64_t client = 0;
  uint64_t clock = 0;
  bool operator==(const ID&) const = default;
};

}  // namespace weft

template <>
struct std::hash<weft::ID> {
  size_t operator()(const weft::ID& id) const noexcept {
    return std::hash<uint64_t>()(id.client * 0x9E3779B97F4A7C15ull ^ id.clock);
  }
};
