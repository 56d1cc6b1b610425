// JSON.stringify and Number#toString.
#include "encoding/json.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace weft {

std::string js_number_to_string(double d) {
  if (std::isnan(d)) return "NaN";
  if (d == 0) return "0";  // also -0
  if (std::isinf(d)) return d < 0 ? "-Infinity" : "Infinity";
  std::string out;
  if (d < 0) {
    out.push_back('-');
    d = -d;
  }
  // Shortest round-trip digits in scientific form: "d.ddde+XX".
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(res.ptr - buf));
  size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits.push_back(c);
  }
  int exp = std::atoi(std::string(sci.substr(e + 1)).c_str());
  const int k = static_cast<int>(digits.size());
  const int n = exp + 1;  // decimal point position (ECMA-262 Number::toString)
  if (k <= n && n <= 21) {
    out += digits;
    out.append(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out.append(digits, 0, static_cast<size_t>(n));
    out.push_back('.');
    out.append(digits, static_cast<size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-n), '0');
    out += digits;
  } else {
    out.push_back(digits[0]);
    if (k > 1) {
      out.push_back('.');
      out.append(digits, 1);
    }
    out.push_back('e');
    out.push_back(n - 1 >= 0 ? '+' : '-');
    out += std::to_string(std::abs(n - 1));
  }
  return out;
}

namespace {

const char kHex[] = "0123456789abcdef";

void append_u_escape(unsigned v, std::string& out) {
  out += "\\u";
  out.push_back(kHex[(v >> 12) & 0xF]);
  out.push_back(kHex[(v >> 8) & 0xF]);
  out.push_back(kHex[(v >> 4) & 0xF]);
  out.push_back(kHex[v & 0xF]);
}

// JSON.stringify's QuoteJSONString over a WTF-8 string.
void quote(std::string_view s, std::string& out) {
  out.push_back('"');
  for (size_t i = 0; i < s.size(); i++) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"':
        out += "\\\"";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '\b':
        out += "\\b";
        continue;
      case '\f':
        out += "\\f";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      default:
        break;
    }
    if (c < 0x20) {
      append_u_escape(c, out);
    } else if (c == 0xED && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0xA0 &&
               static_cast<unsigned char>(s[i + 1]) <= 0xBF) {
      // A lone surrogate kept in WTF-8 form.
      unsigned cp = 0xD000 | ((static_cast<unsigned char>(s[i + 1]) & 0x3F) << 6) |
                    (static_cast<unsigned char>(s[i + 2]) & 0x3F);
      append_u_escape(cp, out);
      i += 2;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('"');
}

void stringify(const Any& v, std::string& out) {
  switch (v.kind()) {
    case Any::Kind::kUndefined:
    case Any::Kind::kNull:
      out += "null";
      return;
    case Any::Kind::kBool:
      out += v.as_bool() ? "true" : "false";
      return;
    case Any::Kind::kNumber: {
      double d = v.as_number();
      if (std::isfinite(d)) {
        out += js_number_to_string(d);
      } else {
        out += "null";
      }
      return;
    }
    case Any::Kind::kBigInt:
      out += std::to_string(v.as_bigint());
      return;
    case Any::Kind::kString:
      quote(v.as_string(), out);
      return;
    case Any::Kind::kBytes: {
      out.push_back('{');
      const Bytes& b = v.as_bytes();
      for (size_t i = 0; i < b.size(); i++) {
        if (i > 0) out.push_back(',');
        out.push_back('"');
        out += std::to_string(i);
        out += "\":";
        out += std::to_string(b[i]);
      }
      out.push_back('}');
      return;
    }
    case Any::Kind::kArray: {
      out.push_back('[');
      bool first = true;
      for (const Any& e : v.as_array()) {
        if (!first) out.push_back(',');
        first = false;
        stringify(e, out);
      }
      out.push_back(']');
      return;
    }
    case Any::Kind::kObject: {
      out.push_back('{');
      bool first = true;
      for (const auto& [k, e] : v.as_object()) {
        if (e.is_undefined()) continue;
        if (!first) out.push_back(',');
        first = false;
        quote(k, out);
        out.push_back(':');
        stringify(e, out);
      }
      out.push_back('}');
      return;
    }
  }
}

}  // namespace

void json_stringify(const Any& value, std::string& out) {
  if (value.is_undefined()) {
    out += "undefined";
    return;
  }
  stringify(value, out);
}

std::string json_stringify(const Any& value) {
  std::string out;
  json_stringify(value, out);
  return out;
}

}  // namespace weft
