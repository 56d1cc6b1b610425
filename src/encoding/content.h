// Item content kinds as Yjs encodes them (refs 1..9 of the struct info byte).
// The same values are used on the wire and inside the core's items.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

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
  std::u16string text;
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
  std::vector<Any> values;
};
struct ContentDoc {
  std::string guid;
  Any opts;  // {gc?, autoLoad?, meta?}
};

using Content = std::variant<ContentDeleted, ContentJson, ContentBinary, ContentString, ContentEmbed,
                             ContentFormat, ContentType, ContentAny, ContentDoc>;

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
