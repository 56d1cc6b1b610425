// Identity of a struct: (client, clock). Clients are up to 53 bits (yrs uses
// 53-bit ids, Yjs 32-bit); clocks count UTF-16 units / elements per client.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

namespace weft {

struct ID {
  uint64_t client = 0;
  uint64_t clock = 0;
  bool operator==(const ID&) const = default;
};

// An optional ID in 16 bytes (std::optional<ID> takes 24): absence is a
// client no update can carry (clients are at most 2^53 - 1). Items hold two
// of these, so the saving is per block. Reads like std::optional<ID>.
class OptionalID {
 public:
  OptionalID() = default;
  OptionalID(std::nullopt_t) {}   // NOLINT: implicit like std::optional
  OptionalID(ID id) : id_(id) {}  // NOLINT
  OptionalID(const std::optional<ID>& id) : id_(id ? *id : ID{kNone, 0}) {}  // NOLINT

  bool has_value() const { return id_.client != kNone; }
  explicit operator bool() const { return has_value(); }
  const ID& operator*() const { return id_; }
  const ID* operator->() const { return &id_; }
  const ID& value() const { return id_; }
  void reset() { id_ = ID{kNone, 0}; }
  operator std::optional<ID>() const {  // NOLINT
    return has_value() ? std::optional<ID>(id_) : std::nullopt;
  }
  bool operator==(const OptionalID& o) const { return id_ == o.id_; }

 private:
  static constexpr uint64_t kNone = ~uint64_t{0};
  ID id_{kNone, 0};
};

}  // namespace weft

template <>
struct std::hash<weft::ID> {
  size_t operator()(const weft::ID& id) const noexcept {
    return std::hash<uint64_t>()(id.client * 0x9E3779B97F4A7C15ull ^ id.clock);
  }
};
