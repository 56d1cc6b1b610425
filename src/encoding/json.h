// JSON text exactly as ECMAScript's JSON.stringify / JSON.parse handle it.
// v1 updates carry Embed, Format and legacy JSON content as JSON text, so the
// bytes must match JS: shortest round-trip numbers with JS exponent rules,
// minimal escapes, JS key order.
#pragma once

#include <string>
#include <string_view>

#include "weft/any.h"
#include "weft/status.h"

namespace weft {

// JSON.stringify(value). Top-level undefined gives "undefined" (what Yjs
// writes for legacy JSON content); undefined members are skipped in objects
// and become null in arrays; NaN/Infinity become null; bytes serialize as an
// object of index keys, as a Uint8Array does; a BigInt (which JS refuses to
// stringify) is written as its decimal digits.
std::string json_stringify(const Any& value);
void json_stringify(const Any& value, std::string& out);

// JSON.parse(text); the literal "undefined" is accepted and gives undefined.
// Nesting is limited to lib0::Decoder::kMaxAnyDepth.
Result<Any> json_parse(std::string_view text);

// JS Number.prototype.toString() for a double (shortest round trip).
std::string js_number_to_string(double d);

}  // namespace weft
