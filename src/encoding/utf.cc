#include "encoding/utf.h"

#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace weft {

namespace {

// Decodes one code point at s[i] (WTF-8 if allow_surrogates). Returns the
// number of bytes consumed, or 0 if the sequence is invalid.
size_t decode_one(std::string_view s, size_t i, char32_t& cp, bool allow_surrogates) {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const size_t n = s.size();
  uint8_t c = b(i);
  if (c < 0x80) {
    cp = c;
    return 1;
  }
  if (c < 0xC2) return 0;
  if (c < 0xE0) {
    if (i + 1 >= n || (b(i + 1) & 0xC0) != 0x80) return 0;
    cp = (char32_t(c & 0x1F) << 6) | (b(i + 1) & 0x3F);
    return 2;
  }
  if (c < 0xF0) {
    if (i + 2 >= n) return 0;
    uint8_t c1 = b(i + 1), c2 = b(i + 2);
    uint8_t lo = c == 0xE0 ? 0xA0 : 0x80;
    uint8_t hi = (c == 0xED && !allow_surrogates) ? 0x9F : 0xBF;
    if (c1 < lo || c1 > hi || (c2 & 0xC0) != 0x80) return 0;
    cp = (char32_t(c & 0x0F) << 12) | (char32_t(c1 & 0x3F) << 6) | (c2 & 0x3F);
    return 3;
  }
  if (c < 0xF5) {
    if (i + 3 >= n) return 0;
    uint8_t c1 = b(i + 1), c2 = b(i + 2), c3 = b(i + 3);
    uint8_t lo = c == 0xF0 ? 0x90 : 0x80;
    uint8_t hi = c == 0xF4 ? 0x8F : 0xBF;
    if (c1 < lo || c1 > hi || (c2 & 0xC0) != 0x80 || (c3 & 0xC0) != 0x80) return 0;
    cp = (char32_t(c & 0x07) << 18) | (char32_t(c1 & 0x3F) << 12) | (char32_t(c2 & 0x3F) << 6) | (c3 & 0x3F);
    return 4;
  }
  return 0;
}

void append_utf16(char32_t cp, std::u16string& out) {
  if (cp < 0x10000) {
    out.push_back(static_cast<char16_t>(cp));
  } else {
    cp -= 0x10000;
    out.push_back(static_cast<char16_t>(0xD800 + (cp >> 10)));
    out.push_back(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)));
  }
}

// Walks UTF-16, calling f(code point or lone surrogate, is_lone_surrogate).
template <typename F>
void for_each_utf16(std::u16string_view s, F&& f) {
  for (size_t i = 0; i < s.size(); i++) {
    char16_t c = s[i];
    if (is_high_surrogate(c) && i + 1 < s.size() && is_low_surrogate(s[i + 1])) {
      f(0x10000 + ((char32_t(c) - 0xD800) << 10) + (char32_t(s[i + 1]) - 0xDC00), false);
      i++;
    } else {
      f(char32_t(c), is_high_surrogate(c) || is_low_surrogate(c));
    }
  }
}

}  // namespace

void append_utf8(char32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

size_t ascii_prefix_length(std::string_view s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i + 8 <= n) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    if ((w & 0x8080808080808080ull) != 0) break;
    i += 8;
  }
  while (i < n && p[i] < 0x80) i++;
  return i;
}

bool is_valid_utf8(std::string_view utf8) {
  size_t i = 0;
  while (i < utf8.size()) {
    if (static_cast<uint8_t>(utf8[i]) < 0x80) {
      i += ascii_prefix_length(utf8.substr(i));
      continue;
    }
    char32_t cp;
    size_t k = decode_one(utf8, i, cp, false);
    if (k == 0) return false;
    i += k;
  }
  return true;
}

std::optional<std::u16string> utf8_to_utf16(std::string_view utf8) {
  // UTF-16 never takes more units than UTF-8 takes bytes (4 bytes make a
  // surrogate pair, fewer make one unit): sized once, trimmed at the end.
  std::u16string out(utf8.size(), u'\0');
  const auto* in = reinterpret_cast<const uint8_t*>(utf8.data());
  size_t i = 0;
  size_t o = 0;
  while (i < utf8.size()) {
    // A run of ASCII bytes converts unit for unit (most text), 16 at a time.
    const size_t ascii = widen_ascii(in + i, utf8.size() - i, out.data() + o);
    i += ascii;
    o += ascii;
    if (i == utf8.size()) break;
    char32_t cp;
    const size_t k = decode_one(utf8, i, cp, false);
    if (k == 0) return std::nullopt;
    if (cp < 0x10000) {
      out[o++] = static_cast<char16_t>(cp);
    } else {
      cp -= 0x10000;
      out[o++] = static_cast<char16_t>(0xD800 + (cp >> 10));
      out[o++] = static_cast<char16_t>(0xDC00 + (cp & 0x3FF));
    }
    i += k;
  }
  out.resize(o);
  return out;
}

namespace {

// Whether the 8 units at `p` are all ASCII: an OR the compiler vectorizes.
bool ascii8(const char16_t* p) {
  char16_t any = 0;
  for (int k = 0; k < 8; k++) any |= p[k];
  return any < 0x80;
}

// Writes the 8 units at `in` as 8 bytes at `out` if all are ASCII; else
// writes nothing and returns false. SSE2 (every x86-64) does it in a few
// instructions; elsewhere a loop.
bool narrow8_if_ascii(const char16_t* in, uint8_t* out) {
#if defined(__SSE2__)
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in));
  const __m128i high = _mm_and_si128(v, _mm_set1_epi16(static_cast<int16_t>(0xFF80)));
  if (_mm_movemask_epi8(_mm_cmpeq_epi16(high, _mm_setzero_si128())) != 0xFFFF) return false;
  _mm_storel_epi64(reinterpret_cast<__m128i*>(out), _mm_packus_epi16(v, v));
  return true;
#else
  if (!ascii8(in)) return false;
  for (int k = 0; k < 8; k++) out[k] = static_cast<uint8_t>(in[k]);
  return true;
#endif
}

}  // namespace

size_t widen_ascii(const uint8_t* in, size_t n, char16_t* out) {
  size_t i = 0;
#if defined(__SSE2__)
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i));
    if (_mm_movemask_epi8(v) != 0) return i;
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), _mm_unpacklo_epi8(v, _mm_setzero_si128()));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i + 8), _mm_unpackhi_epi8(v, _mm_setzero_si128()));
  }
#endif
  for (; i < n; i++) {
    if (in[i] >= 0x80) return i;
    out[i] = in[i];
  }
  return n;
}

size_t utf16_as_utf8_length(std::u16string_view utf16) {
  size_t n = 0;
  size_t block_end = 0;  // units before this were checked in a block of 8
  for (size_t i = 0; i < utf16.size(); i++) {
    // Most text is ASCII: whole blocks of 8 units count 8 bytes.
    while (i >= block_end && i + 8 <= utf16.size()) {
      if (!ascii8(utf16.data() + i)) {
        block_end = i + 8;
        break;
      }
      n += 8;
      i += 8;
    }
    if (i >= utf16.size()) break;
    const char16_t c = utf16[i];
    if (c < 0x80) {
      n += 1;
    } else if (c < 0x800) {
      n += 2;
    } else if (is_high_surrogate(c) && i + 1 < utf16.size() && is_low_surrogate(utf16[i + 1])) {
      n += 4;
      i++;
    } else {
      n += 3;  // the rest of the BMP, and lone surrogates (as U+FFFD)
    }
  }
  return n;
}

uint8_t* write_utf16_as_utf8(std::u16string_view utf16, uint8_t* out) {
  const size_t size = utf16.size();
  size_t block_end = 0;  // units before this were checked in a block of 8
  for (size_t i = 0; i < size; i++) {
    // Whole ASCII blocks of 8 units: a narrowing copy.
    while (i >= block_end && i + 8 <= size) {
      if (!narrow8_if_ascii(utf16.data() + i, out)) {
        block_end = i + 8;
        break;
      }
      out += 8;
      i += 8;
    }
    if (i >= size) break;
    char32_t c = utf16[i];
    if (c < 0x80) {
      *out++ = static_cast<uint8_t>(c);
    } else if (c < 0x800) {
      *out++ = static_cast<uint8_t>(0xC0 | (c >> 6));
      *out++ = static_cast<uint8_t>(0x80 | (c & 0x3F));
    } else if (is_high_surrogate(static_cast<char16_t>(c)) && i + 1 < size &&
               is_low_surrogate(utf16[i + 1])) {
      c = 0x10000 + ((c - 0xD800) << 10) + (char32_t(utf16[++i]) - 0xDC00);
      *out++ = static_cast<uint8_t>(0xF0 | (c >> 18));
      *out++ = static_cast<uint8_t>(0x80 | ((c >> 12) & 0x3F));
      *out++ = static_cast<uint8_t>(0x80 | ((c >> 6) & 0x3F));
      *out++ = static_cast<uint8_t>(0x80 | (c & 0x3F));
    } else {
      if (is_high_surrogate(static_cast<char16_t>(c)) || is_low_surrogate(static_cast<char16_t>(c)))
        c = 0xFFFD;
      *out++ = static_cast<uint8_t>(0xE0 | (c >> 12));
      *out++ = static_cast<uint8_t>(0x80 | ((c >> 6) & 0x3F));
      *out++ = static_cast<uint8_t>(0x80 | (c & 0x3F));
    }
  }
  return out;
}

void append_utf16_as_utf8(std::u16string_view utf16, std::string& out) {
  const size_t at = out.size();
  out.resize(at + utf16_as_utf8_length(utf16));
  write_utf16_as_utf8(utf16, reinterpret_cast<uint8_t*>(out.data() + at));
}

std::string utf16_to_utf8(std::u16string_view utf16) {
  std::string out;
  append_utf16_as_utf8(utf16, out);
  return out;
}

std::string utf16_to_wtf8(std::u16string_view utf16) {
  std::string out;
  out.reserve(utf16.size());
  for_each_utf16(utf16, [&](char32_t cp, bool) { append_utf8(cp, out); });
  return out;
}

std::u16string wtf8_to_utf16(std::string_view wtf8) {
  std::u16string out;
  out.reserve(wtf8.size());
  size_t i = 0;
  while (i < wtf8.size()) {
    char32_t cp;
    size_t k = decode_one(wtf8, i, cp, true);
    if (k == 0) {
      out.push_back(u'\uFFFD');
      i++;
    } else {
      append_utf16(cp, out);
      i += k;
    }
  }
  return out;
}

std::string to_well_formed_utf8(std::string_view wtf8) {
  if (is_valid_utf8(wtf8)) return std::string(wtf8);
  return utf16_to_utf8(wtf8_to_utf16(wtf8));
}

size_t utf16_length(std::string_view utf8) {
  size_t n = 0;
  for (char ch : utf8) {
    uint8_t c = static_cast<uint8_t>(ch);
    if ((c & 0xC0) != 0x80) n += c >= 0xF0 ? 2 : 1;
  }
  return n;
}

}  // namespace weft
