// Reading values out of items and types (toJSON, toString).
#pragma once

#include <string>

#include "weft/any.h"
#include "weft/types.h"

namespace weft {

struct Item;
class Branch;

// The value at element `index` of an item's content.
Value item_value(const Item& item, uint64_t index);
// Yjs toJSON() of a type (Text and XML types give their string form).
Any type_to_json(const Branch& type);
// String(value) as JS converts values in XML attributes.
std::string js_string(const Any& value);
// Yjs toString() of XML types (element, fragment, text).
std::string xml_to_string(const Branch& type);
// Concatenated visible strings (Y.Text toString()).
std::u16string text_to_u16string(const Branch& type);
// The same as UTF-8 (utf16_to_utf8 of it), converted item by item.
std::string text_to_utf8(const Branch& type);
// The canonical dump of a value (see canonical_json.cc).
std::string canonical_json(const Any& value);
// Y.Text toDelta() without snapshots.
Delta text_to_delta(const Branch& type);

}  // namespace weft
