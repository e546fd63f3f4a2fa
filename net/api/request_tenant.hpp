// The tenant a request acts for: set by the Gateway from the bearer token
// (an admin token may name any tenant with X-Tenant-ID; `default` when it
// names none). Outside a Gateway (tests), X-Tenant-ID or `default`.
#pragma once

#include <string>

#include "net/http_message.hpp"

namespace solo::net {

std::string request_tenant(const Request& request);

}  // namespace solo::net
