// Capabilities over HTTP: POST/GET/DELETE /tokens, GET /auth/verify and GET /auth/whoami.
// The token itself appears only once, in the 201 answer to POST /tokens.
#pragma once

#include <memory>

namespace solo::net {

class Router;
struct ApiContext;

void add_token_routes(Router& router, std::shared_ptr<ApiContext> context);

}  // namespace solo::net
