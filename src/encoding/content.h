// Item content kinds as Yjs encodes them (refs 1..9 of the struct info byte).
// The same values are used on the wire and inside the core's items.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "encoding/compact.h"
#include "weft/any.h"
#include "weft/type_ref.h"

namespace weft {

enum class ContentRef : uint8_t {
  kGC = 0,
  kDeleted = 1,
  kJson = 2,
  kBinary = 3,
  kString = 4,
  kEmbed = 5,
  kFormat = 6,
  kType = 7,
  kAny = 8,
  kDoc = 9,
  kSkip = 10,
};

struct ContentDeleted {
  uint64_t len = 0;
};
struct ContentJson {  // legacy; elements may be undefined
  std::vector<Any> values;
};
struct ContentBinary {
  Bytes bytes;
};
struct ContentString {  // UTF-16, as JS holds it; may contain lone surrogates
  Utf16Text text;
};
struct ContentEmbed {
  Any value;
};
struct ContentFormat {
  std::string key;
  Any value;  // null removes the attribute
};
struct ContentType {
  TypeRef type_ref = TypeRef::kArray;
  std::string name;  // node name of XmlElement, hook name of XmlHook
};
struct ContentAny {
  CompactVector<Any> values;
};
struct ContentDoc {
  std::string guid;
  Any opts;  // {gc?, autoLoad?, meta?}
};

// A rare or large content kind kept behind a pointer, so that Content (one in
// every item) is as small as its common kinds (Deleted, String, Any): 24
// bytes instead of 80.
// Value semantics (copies deep-copy); a moved-from box is empty and may only
// be destroyed or assigned.
template <typename T>
class Boxed {
 public:
  Boxed(T v) : p_(std::make_unique<T>(std::move(v))) {}  // NOLINT: implicit, so `Content c = T{...}` works
  Boxed(const Boxed& o) : p_(std::make_unique<T>(*o.p_)) {}
  Boxed(Boxed&&) noexcept = default;
  Boxed& operator=(const Boxed& o) {
    if (this != &o) p_ = std::make_unique<T>(*o.p_);
    return *this;
  }
  Boxed& operator=(Boxed&&) noexcept = default;
  T& operator*() { return *p_; }
  const T& operator*() const { return *p_; }

 private:
  std::unique_ptr<T> p_;
};

using Content =
    std::variant<ContentDeleted, Boxed<ContentJson>, Boxed<ContentBinary>, ContentString, Boxed<ContentEmbed>,
                 Boxed<ContentFormat>, Boxed<ContentType>, ContentAny, Boxed<ContentDoc>>;
static_assert(sizeof(Content) == 24, "Content is in every item: keep its kinds at 16 bytes");

namespace content_detail {
template <typename T>
struct Stored {
  using type = T;
};
template <>
struct Stored<ContentJson> {
  using type = Boxed<ContentJson>;
};
template <>
struct Stored<ContentBinary> {
  using type = Boxed<ContentBinary>;
};
template <>
struct Stored<ContentEmbed> {
  using type = Boxed<ContentEmbed>;
};
template <>
struct Stored<ContentFormat> {
  using type = Boxed<ContentFormat>;
};
template <>
struct Stored<ContentType> {
  using type = Boxed<ContentType>;
};
template <>
struct Stored<ContentDoc> {
  using type = Boxed<ContentDoc>;
};
template <typename T>
T& unbox(T& x) {
  return x;
}
template <typename T>
T& unbox(Boxed<T>& x) {
  return *x;
}
template <typename T>
const T& unbox(const Boxed<T>& x) {
  return *x;
}
}  // namespace content_detail

// std::get_if / std::holds_alternative / std::visit for Content, seeing
// through the boxes: content_if<ContentFormat>(&c) gives a ContentFormat*.
template <typename T>
T* content_if(Content* c) {
  auto* stored = std::get_if<typename content_detail::Stored<T>::type>(c);
  return stored == nullptr ? nullptr : &content_detail::unbox(*stored);
}
template <typename T>
const T* content_if(const Content* c) {
  return content_if<T>(const_cast<Content*>(c));
}
template <typename T>
bool content_is(const Content& c) {
  return std::holds_alternative<typename content_detail::Stored<T>::type>(c);
}
template <typename F>
decltype(auto) content_visit(F&& f, Content& c) {
  return std::visit([&](auto& x) -> decltype(auto) { return f(content_detail::unbox(x)); }, c);
}
template <typename F>
decltype(auto) content_visit(F&& f, const Content& c) {
  return std::visit([&](const auto& x) -> decltype(auto) { return f(content_detail::unbox(x)); }, c);
}

ContentRef content_ref(const Content& c);
// Length in clocks: UTF-16 units for strings, elements for Any/JSON, len for Deleted, else 1.
uint64_t content_length(const Content& c);
// Countable content adds to a sequence's visible length (everything but Deleted and Format).
bool content_countable(const Content& c);
// Splits off and returns the part from `offset` on; `c` keeps [0, offset).
// Only String, Any, JSON and Deleted can be split. Splitting a string between
// the halves of a surrogate pair turns both halves into U+FFFD, as Yjs does.
Content content_split(Content& c, uint64_t offset);
// Appends `right` to `left` if both are the same mergeable kind (String, Any,
// JSON, Deleted); returns false and changes nothing otherwise.
bool content_merge(Content& left, Content&& right);
// The content from `offset` on, without modifying `c` (Yjs writes a struct
// "from an offset" this way). Strings are sliced without the U+FFFD rule.
Content content_slice(const Content& c, uint64_t offset);

}  // namespace weft
