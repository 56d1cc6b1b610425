// Parsers for the query parameters of the HTTP API (pure, tested alone).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "weft/status.h"
#include "weft/type_ref.h"

namespace weft::server {

// `?sv=`: a state vector as hex (only hex digits, even length) or else
// base64 (standard or URL-safe alphabet, padding optional; a space is read
// as '+', since query decoding turns an unescaped '+' into one). The bytes
// themselves are checked by whoever decodes the state vector.
Result<std::vector<uint8_t>> decode_binary_param(std::string_view text);

// `?type=NAME:KIND,NAME:KIND`: KIND is map, array, text or xml.
Result<std::map<std::string, TypeRef>> parse_type_param(std::string_view text);

}  // namespace weft::server
