// Kinds of shared types, numbered as Yjs's ContentType typeRef.
#pragma once

#include <cstdint>

namespace weft {

enum class TypeRef : uint8_t {
  kArray = 0,
  kMap = 1,
  kText = 2,
  kXmlElement = 3,
  kXmlFragment = 4,
  kXmlHook = 5,
  kXmlText = 6,
};

}  // namespace weft
