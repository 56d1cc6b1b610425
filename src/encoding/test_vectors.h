// Test-only helpers: golden vectors written by tests/vectors/gen_vectors.mjs.
#pragma once

#include <bit>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "encoding/utf.h"
#include "weft/any.h"

namespace weft::testing {

inline std::vector<uint8_t> from_hex(const std::string& h) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < h.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoi(h.substr(i, 2), nullptr, 16)));
  return out;
}

inline std::string to_hex(std::span<const uint8_t> b) {
  static const char* k = "0123456789abcdef";
  std::string s;
  for (uint8_t x : b) {
    s.push_back(k[x >> 4]);
    s.push_back(k[x & 15]);
  }
  return s;
}

inline std::vector<nlohmann::json> load_jsonl(const std::string& name) {
  std::ifstream in(std::string(WEFT_VECTORS_DIR) + "/" + name);
  std::vector<nlohmann::json> out;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

inline std::u16string units(const nlohmann::json& j) {
  std::u16string s;
  for (const auto& u : j) s.push_back(static_cast<char16_t>(u.get<int>()));
  return s;
}

// The tagged form of gen_vectors.mjs `tag()` as an Any.
inline Any tagged(const nlohmann::json& j) {
  const std::string t = j.at("t");
  if (t == "undef") return Any::undefined();
  if (t == "null") return Any::null();
  if (t == "bool") return Any(j.at("v").get<bool>());
  if (t == "num") {
    auto b = from_hex(j.at("v"));
    uint64_t bits = 0;
    for (uint8_t x : b) bits = (bits << 8) | x;
    return Any(std::bit_cast<double>(bits));
  }
  if (t == "big") return Any(Any::BigInt{std::stoll(j.at("v").get<std::string>())});
  if (t == "str") return Any(utf16_to_wtf8(units(j.at("v"))));
  if (t == "bytes") return Any(Bytes(from_hex(j.at("v"))));
  if (t == "arr") {
    AnyArray a;
    for (const auto& e : j.at("v")) a.push_back(tagged(e));
    return Any(std::move(a));
  }
  AnyObject o;
  for (const auto& e : j.at("v")) o.emplace_back(utf16_to_wtf8(units(e[0])), tagged(e[1]));
  return Any::object(std::move(o));
}

}  // namespace weft::testing
