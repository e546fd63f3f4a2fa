// Lowercase hex of byte strings (std::string used as a byte container), and
// back. The one hex codec: token ids, key files and digests all use it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace solo {

std::string to_hex(std::string_view bytes);
// nullopt when `hex` has an odd length or a non-hex character (either case is accepted).
std::optional<std::string> from_hex(std::string_view hex);

}  // namespace solo
