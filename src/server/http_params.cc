#include "server/http_params.h"

namespace weft::server {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-' || c == ' ') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

Result<std::vector<uint8_t>> decode_base64(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return Status(ErrorCode::kMalformed, "base64 of impossible length");
  std::vector<uint8_t> out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const int v = base64_value(c);
    if (v < 0) return Status(ErrorCode::kMalformed, "neither hex nor base64");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>((acc >> bits) & 0xff));
    }
  }
  return out;
}

}  // namespace

Result<std::vector<uint8_t>> decode_binary_param(std::string_view text) {
  bool hex = text.size() % 2 == 0;
  for (char c : text) hex = hex && hex_value(c) >= 0;
  if (!hex) return decode_base64(text);
  std::vector<uint8_t> out;
  out.reserve(text.size() / 2);
  for (size_t i = 0; i < text.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(hex_value(text[i]) * 16 + hex_value(text[i + 1])));
  }
  return out;
}

Result<std::map<std::string, TypeRef>> parse_type_param(std::string_view text) {
  std::map<std::string, TypeRef> out;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (item.empty()) continue;
    const size_t colon = item.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
      return Status(ErrorCode::kInvalidArgument, "type expects NAME:KIND, got '" + std::string(item) + "'");
    }
    const std::string_view kind = item.substr(colon + 1);
    TypeRef ref;
    if (kind == "map") {
      ref = TypeRef::kMap;
    } else if (kind == "array") {
      ref = TypeRef::kArray;
    } else if (kind == "text") {
      ref = TypeRef::kText;
    } else if (kind == "xml") {
      ref = TypeRef::kXmlFragment;
    } else {
      return Status(ErrorCode::kInvalidArgument,
                    "unknown type '" + std::string(kind) + "' (map, array, text or xml)");
    }
    out[std::string(item.substr(0, colon))] = ref;
  }
  return out;
}

}  // namespace weft::server
