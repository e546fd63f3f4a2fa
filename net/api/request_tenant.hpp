// The tenant a request acts for. Until capabilities exist (issue 4) it is the
// X-Tenant-ID header, `default` when absent; a malformed id is a 400.
#pragma once

#include <string>

#include "net/http_message.hpp"

namespace solo::net {

std::string request_tenant(const Request& request);

}  // namespace solo::net
