// Identifiers of tenants, services and secrets (docs/http-api.md): 1 to 128
// characters of A-Z a-z 0-9 _ - . and not starting with '.'.
#pragma once

#include <string_view>

namespace solo {

bool is_valid_identifier(std::string_view id);

}  // namespace solo
