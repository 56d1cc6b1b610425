// UTF-8 <-> UTF-16 as JS TextEncoder / TextDecoder({fatal: true}) do it.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace weft {

// Invalid UTF-8 (overlong forms, surrogates, > U+10FFFF, truncated) gives nullopt.
std::optional<std::u16string> utf8_to_utf16(std::string_view utf8);
// Lone surrogates are written as U+FFFD (ef bf bd), as TextEncoder does.
std::string utf16_to_utf8(std::u16string_view utf16);
void append_utf16_as_utf8(std::u16string_view utf16, std::string& out);
// Number of UTF-16 code units of valid UTF-8 text.
size_t utf16_length(std::string_view utf8);
bool is_valid_utf8(std::string_view utf8);

inline bool is_high_surrogate(char16_t c) { return c >= 0xD800 && c <= 0xDBFF; }
inline bool is_low_surrogate(char16_t c) { return c >= 0xDC00 && c <= 0xDFFF; }

}  // namespace weft
