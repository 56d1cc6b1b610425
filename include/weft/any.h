// Any: the value model of lib0's writeAny/readAny and of JSON content.
//
// It mirrors what a JS value can be inside a Yjs document: undefined, null,
// booleans, numbers (IEEE doubles, -0 and NaN included), BigInt (int64),
// strings (UTF-8 here; JS holds UTF-16), byte arrays, arrays and objects.
// Strings and keys are WTF-8: a lone surrogate, which a JS string can hold
// (JSON.parse("\"\\ud800\""), v2 string-column slices), is kept as its
// 3-byte form ed a0..bf xx; writers turn it into U+FFFD like TextEncoder.
// Objects keep JS property order (Object.keys: integer-like keys ascending
// first, then the others in insertion order); `Any::object` and `set` keep
// that invariant so encoding matches JS byte for byte.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace weft {

class Any;
using AnyArray = std::vector<Any>;
using AnyObject = std::vector<std::pair<std::string, Any>>;  // JS property order
using Bytes = std::vector<uint8_t>;

class Any {
 public:
  struct Undefined {
    bool operator==(const Undefined&) const { return true; }
  };
  struct Null {
    bool operator==(const Null&) const { return true; }
  };
  struct BigInt {
    int64_t value;
    bool operator==(const BigInt&) const = default;
  };
  enum class Kind { kUndefined, kNull, kBool, kNumber, kBigInt, kString, kBytes, kArray, kObject };

  Any() : v_(Undefined{}) {}
  static Any undefined() { return Any(); }
  static Any null() { return Any(Null{}); }
  Any(bool b) : v_(b) {}                                             // NOLINT
  Any(double d) : v_(d) {}                                           // NOLINT
  Any(int i) : v_(static_cast<double>(i)) {}                         // NOLINT
  Any(int64_t i) : v_(static_cast<double>(i)) {}                     // NOLINT: a JS number
  Any(BigInt b) : v_(b) {}                                           // NOLINT
  Any(std::string s) : v_(std::move(s)) {}                           // NOLINT
  Any(std::string_view s) : v_(std::string(s)) {}                    // NOLINT
  Any(const char* s) : v_(std::string(s)) {}                         // NOLINT
  Any(Bytes b) : v_(std::make_shared<Bytes>(std::move(b))) {}        // NOLINT
  Any(AnyArray a) : v_(std::make_shared<AnyArray>(std::move(a))) {}  // NOLINT
  // Builds an object, reordering keys as JS would; a repeated key keeps its
  // first position and its last value.
  static Any object(AnyObject entries);

  Kind kind() const { return static_cast<Kind>(v_.index()); }
  bool is_undefined() const { return kind() == Kind::kUndefined; }
  bool is_null() const { return kind() == Kind::kNull; }
  bool is_bool() const { return kind() == Kind::kBool; }
  bool is_number() const { return kind() == Kind::kNumber; }
  bool is_bigint() const { return kind() == Kind::kBigInt; }
  bool is_string() const { return kind() == Kind::kString; }
  bool is_bytes() const { return kind() == Kind::kBytes; }
  bool is_array() const { return kind() == Kind::kArray; }
  bool is_object() const { return kind() == Kind::kObject; }

  // Accessors require the matching kind.
  bool as_bool() const { return std::get<bool>(v_); }
  double as_number() const { return std::get<double>(v_); }
  int64_t as_bigint() const { return std::get<BigInt>(v_).value; }
  const std::string& as_string() const { return std::get<std::string>(v_); }
  const Bytes& as_bytes() const { return *std::get<std::shared_ptr<Bytes>>(v_); }
  const AnyArray& as_array() const { return *std::get<std::shared_ptr<AnyArray>>(v_); }
  const AnyObject& as_object() const { return *std::get<std::shared_ptr<AnyObject>>(v_); }

  // Object lookup; nullptr when absent or not an object.
  const Any* get(std::string_view key) const;

  // Deep structural equality; numbers compare as JS `Object.is` would
  // (NaN equals NaN, -0 differs from +0).
  bool operator==(const Any& other) const;
  bool operator!=(const Any& other) const { return !(*this == other); }

 private:
  // Containers are shared and immutable once built: copying an Any is cheap.
  using Storage = std::variant<Undefined, Null, bool, double, BigInt, std::string, std::shared_ptr<Bytes>,
                               std::shared_ptr<AnyArray>, std::shared_ptr<AnyObject>>;
  explicit Any(Storage v) : v_(std::move(v)) {}
  explicit Any(Null n) : v_(n) {}
  Storage v_;
};

// True for canonical array-index keys "0".."4294967294", which JS orders first.
bool is_array_index_key(std::string_view key);

}  // namespace weft
