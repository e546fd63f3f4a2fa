// UTF-8 validity, for text that leaves Solo as JSON: a JSON string must be
// valid UTF-8 (RFC 8259), and boost::json serializes whatever bytes it holds.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace solo {

// The length of the well-formed UTF-8 sequence starting at s[i] (1 to 4), or
// 0 when there is none (a stray byte, a truncated, overlong or surrogate
// sequence, a code point past U+10FFFF).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i);

bool is_valid_utf8(std::string_view s);

// `s` with every byte that starts no well-formed sequence replaced by U+FFFD.
std::string to_valid_utf8(std::string_view s);

}  // namespace solo
