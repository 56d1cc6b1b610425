// JSON.parse.
#include <charconv>
#include <cmath>

#include "encoding/json.h"
#include "encoding/lib0.h"
#include "encoding/utf.h"

namespace weft {

namespace {

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  Result<Any> parse() {
    skip_ws();
    Any v = value(0);
    if (!err_.is_ok()) return err_;
    skip_ws();
    if (i_ != s_.size()) fail("unexpected trailing characters");
    if (!err_.is_ok()) return err_;
    return v;
  }

 private:
  void fail(std::string msg) {
    if (err_.is_ok()) err_ = Status(ErrorCode::kMalformed, "JSON: " + msg + " at " + std::to_string(i_));
    i_ = s_.size();
  }
  void skip_ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) i_++;
  }
  bool eat(char c) {
    if (i_ < s_.size() && s_[i_] == c) {
      i_++;
      return true;
    }
    return false;
  }
  bool literal(std::string_view word) {
    if (s_.substr(i_, word.size()) == word) {
      i_ += word.size();
      return true;
    }
    return false;
  }

  Any value(int depth) {
    if (depth > lib0::Decoder::kMaxAnyDepth) {
      fail("nested too deeply");
      return {};
    }
    if (i_ >= s_.size()) {
      fail("unexpected end");
      return {};
    }
    char c = s_[i_];
    if (c == '{') return object(depth);
    if (c == '[') return array(depth);
    if (c == '"') {
      std::string str;
      string(str);
      return Any(std::move(str));
    }
    if (c == '-' || (c >= '0' && c <= '9')) return number();
    if (literal("true")) return Any(true);
    if (literal("false")) return Any(false);
    if (literal("null")) return Any::null();
    fail("unexpected character");
    return {};
  }

  Any object(int depth) {
    i_++;
    AnyObject entries;
    skip_ws();
    if (eat('}')) return Any::object(std::move(entries));
    while (err_.is_ok()) {
      skip_ws();
      if (i_ >= s_.size() || s_[i_] != '"') {
        fail("expected key");
        break;
      }
      std::string key;
      string(key);
      skip_ws();
      if (!eat(':')) {
        fail("expected ':'");
        break;
      }
      skip_ws();
      Any v = value(depth + 1);
      entries.emplace_back(std::move(key), std::move(v));
      skip_ws();
      if (eat(',')) continue;
      if (eat('}')) break;
      fail("expected ',' or '}'");
    }
    if (!err_.is_ok()) return {};
    return Any::object(std::move(entries));
  }

  Any array(int depth) {
    i_++;
    AnyArray arr;
    skip_ws();
    if (eat(']')) return Any(std::move(arr));
    while (err_.is_ok()) {
      skip_ws();
      arr.push_back(value(depth + 1));
      skip_ws();
      if (eat(',')) continue;
      if (eat(']')) break;
      fail("expected ',' or ']'");
    }
    if (!err_.is_ok()) return {};
    return Any(std::move(arr));
  }

  Any number() {
    size_t start = i_;
    eat('-');
    if (eat('0')) {
    } else if (i_ < s_.size() && s_[i_] >= '1' && s_[i_] <= '9') {
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') i_++;
    } else {
      fail("bad number");
      return {};
    }
    if (eat('.')) {
      if (!digits()) return {};
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      i_++;
      if (!eat('+')) eat('-');
      if (!digits()) return {};
    }
    double d = 0;
    const char* b = s_.data() + start;
    const char* e = s_.data() + i_;
    auto res = std::from_chars(b, e, d);
    if (res.ec == std::errc::result_out_of_range) {
      // from_chars reports overflow/underflow; JS gives +-Infinity or +-0.
      bool neg = *b == '-';
      bool tiny = false;
      for (const char* p = b; p < e; p++) {
        if (*p == 'e' || *p == 'E') {
          tiny = p + 1 < e && p[1] == '-';
          break;
        }
      }
      d = tiny ? (neg ? -0.0 : 0.0) : (neg ? -HUGE_VAL : HUGE_VAL);
    } else if (res.ec != std::errc() || res.ptr != e) {
      fail("bad number");
      return {};
    }
    return Any(d);
  }

  bool digits() {
    size_t start = i_;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') i_++;
    if (i_ == start) {
      fail("bad number");
      return false;
    }
    return true;
  }

  int hex4() {
    if (i_ + 4 > s_.size()) {
      fail("bad \\u escape");
      return -1;
    }
    int v = 0;
    for (int k = 0; k < 4; k++) {
      char c = s_[i_++];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= c - '0';
      } else if (c >= 'a' && c <= 'f') {
        v |= c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        v |= c - 'A' + 10;
      } else {
        fail("bad \\u escape");
        return -1;
      }
    }
    return v;
  }

  // Strings become WTF-8: an escaped lone surrogate stays a lone surrogate.
  void string(std::string& out) {
    i_++;                   // opening quote
    int pending_high = -1;  // an escaped high surrogate waiting for its low half
    auto flush_high = [&] {
      if (pending_high >= 0) append_utf8(static_cast<char32_t>(pending_high), out);
      pending_high = -1;
    };
    while (true) {
      if (i_ >= s_.size()) {
        fail("unterminated string");
        return;
      }
      unsigned char c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') {
        i_++;
        flush_high();
        return;
      }
      if (c < 0x20) {
        fail("control character in string");
        return;
      }
      if (c != '\\') {
        flush_high();
        out.push_back(static_cast<char>(c));
        i_++;
        continue;
      }
      i_++;
      if (i_ >= s_.size()) {
        fail("unterminated string");
        return;
      }
      char e = s_[i_++];
      if (e == 'u') {
        int v = hex4();
        if (v < 0) return;
        if (v >= 0xDC00 && v <= 0xDFFF && pending_high >= 0) {
          append_utf8(0x10000 + ((static_cast<char32_t>(pending_high) - 0xD800) << 10) + (v - 0xDC00), out);
          pending_high = -1;
          continue;
        }
        flush_high();
        if (v >= 0xD800 && v <= 0xDBFF) {
          pending_high = v;
        } else {
          append_utf8(static_cast<char32_t>(v), out);
        }
        continue;
      }
      flush_high();
      switch (e) {
        case '"':
          out.push_back('"');
          break;
        case '\\':
          out.push_back('\\');
          break;
        case '/':
          out.push_back('/');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        default:
          fail("bad escape");
          return;
      }
    }
  }

  std::string_view s_;
  size_t i_ = 0;
  Status err_;
};

}  // namespace

Result<Any> json_parse(std::string_view text) {
  if (text == "undefined") return Any::undefined();
  return Parser(text).parse();
}

}  // namespace weft
