// The Vault over HTTP: POST/GET/DELETE /secrets, and POST /vault/rotate (admin). Values leave the server only
// for GET /secrets/{key}?reveal=true with `secrets:read` on that secret.
#pragma once

#include <memory>

namespace solo::net {

class Router;
struct ApiContext;

void add_secret_routes(Router& router, std::shared_ptr<ApiContext> context);

}  // namespace solo::net
