#include "weft/any.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace weft {

bool is_array_index_key(std::string_view key) {
  if (key.empty() || key.size() > 10) return false;
  if (key[0] == '0') return key.size() == 1;
  uint64_t v = 0;
  for (char c : key) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v <= 4294967294ull;
}

namespace {

uint64_t index_value(std::string_view key) {
  uint64_t v = 0;
  for (char c : key) v = v * 10 + static_cast<uint64_t>(c - '0');
  return v;
}

bool numbers_same(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return a == b && std::signbit(a) == std::signbit(b);
}

}  // namespace

Any Any::object(AnyObject entries) {
  // Deduplicate: a repeated key keeps its first position and takes the last value.
  AnyObject unique;
  unique.reserve(entries.size());
  if (entries.size() <= 8) {
    for (auto& e : entries) {
      auto it = std::find_if(unique.begin(), unique.end(), [&](const auto& u) { return u.first == e.first; });
      if (it == unique.end()) {
        unique.push_back(std::move(e));
      } else {
        it->second = std::move(e.second);
      }
    }
  } else {
    std::unordered_map<std::string, size_t> pos;
    pos.reserve(entries.size());
    for (auto& e : entries) {
      auto [it, inserted] = pos.try_emplace(e.first, unique.size());
      if (inserted) {
        unique.push_back(std::move(e));
      } else {
        unique[it->second].second = std::move(e.second);
      }
    }
  }
  // Integer-like keys first, ascending; the others keep insertion order.
  auto mid = std::stable_partition(unique.begin(), unique.end(),
                                   [](const auto& e) { return is_array_index_key(e.first); });
  std::sort(unique.begin(), mid,
            [](const auto& a, const auto& b) { return index_value(a.first) < index_value(b.first); });
  return Any(Storage(std::make_shared<AnyObject>(std::move(unique))));
}

const Any* Any::get(std::string_view key) const {
  if (!is_object()) return nullptr;
  for (const auto& [k, v] : as_object()) {
    if (k == key) return &v;
  }
  return nullptr;
}

bool Any::operator==(const Any& other) const {
  if (kind() != other.kind()) return false;
  switch (kind()) {
    case Kind::kUndefined:
    case Kind::kNull:
      return true;
    case Kind::kBool:
      return as_bool() == other.as_bool();
    case Kind::kNumber:
      return numbers_same(as_number(), other.as_number());
    case Kind::kBigInt:
      return as_bigint() == other.as_bigint();
    case Kind::kString:
      return as_string() == other.as_string();
    case Kind::kBytes:
      return as_bytes() == other.as_bytes();
    case Kind::kArray:
      return as_array() == other.as_array();
    case Kind::kObject: {
      // Key order is not part of equality (lib0 equalityDeep).
      const AnyObject& a = as_object();
      const AnyObject& b = other.as_object();
      if (a.size() != b.size()) return false;
      if (a.size() <= 16) {
        for (const auto& [k, v] : a) {
          const Any* o = other.get(k);
          if (o == nullptr || !(*o == v)) return false;
        }
        return true;
      }
      std::unordered_map<std::string_view, const Any*> index;
      index.reserve(b.size());
      for (const auto& [k, v] : b) index.emplace(k, &v);
      for (const auto& [k, v] : a) {
        auto it = index.find(k);
        if (it == index.end() || !(*it->second == v)) return false;
      }
      return true;
    }
  }
  return false;
}

}  // namespace weft
