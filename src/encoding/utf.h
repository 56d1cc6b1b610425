// UTF-8 <-> UTF-16 as JS TextEncoder / TextDecoder({fatal: true}) do it.
//
// Strings inside Any values and names are "WTF-8": valid UTF-8, except that a
// lone UTF-16 surrogate (which a JS string can hold, e.g. from JSON.parse of
// "\ud800" or from slicing the v2 string column) is kept as its 3-byte
// generalized UTF-8 form (ed a0..bf xx). Everything written to the wire goes
// through TextEncoder semantics, so such surrogates become U+FFFD there.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace weft {

// Invalid UTF-8 (overlong forms, surrogates, > U+10FFFF, truncated) gives nullopt.
std::optional<std::u16string> utf8_to_utf16(std::string_view utf8);
// Lone surrogates are written as U+FFFD (ef bf bd), as TextEncoder does.
std::string utf16_to_utf8(std::u16string_view utf16);
// Appends one code point (a surrogate value is written as is: WTF-8).
void append_utf8(char32_t cp, std::string& out);
void append_utf16_as_utf8(std::u16string_view utf16, std::string& out);
// The same conversion in two passes, for writers that place the bytes
// themselves: the UTF-8 size, then the bytes at `out` (returns their end).
size_t utf16_as_utf8_length(std::u16string_view utf16);
uint8_t* write_utf16_as_utf8(std::u16string_view utf16, uint8_t* out);
// Widens the ASCII prefix of in[0, n) into out[0, ...) unit for unit and
// returns its length (n when all of it is ASCII).
size_t widen_ascii(const uint8_t* in, size_t n, char16_t* out);
// Number of UTF-16 code units of valid UTF-8 text.
size_t utf16_length(std::string_view utf8);
bool is_valid_utf8(std::string_view utf8);
// Length of the leading run of ASCII bytes (checked eight at a time).
size_t ascii_prefix_length(std::string_view s);

// Lossless UTF-16 -> WTF-8 (lone surrogates kept as ed a0..bf xx).
std::string utf16_to_wtf8(std::u16string_view utf16);
// WTF-8 -> UTF-16; lone surrogates come back as such; bytes that are not
// WTF-8 at all become U+FFFD (one per maximal bad subsequence byte).
std::u16string wtf8_to_utf16(std::string_view wtf8);
// What TextEncoder writes for the JS string a WTF-8 string stands for: valid
// UTF-8 with every lone surrogate (and stray byte) replaced by U+FFFD.
std::string to_well_formed_utf8(std::string_view wtf8);

inline bool is_high_surrogate(char16_t c) { return c >= 0xD800 && c <= 0xDBFF; }
inline bool is_low_surrogate(char16_t c) { return c >= 0xDC00 && c <= 0xDFFF; }

}  // namespace weft
