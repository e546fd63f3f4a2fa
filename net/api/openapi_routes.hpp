// GET /openapi.json: the OpenAPI 3 document of the HTTP API (docs/openapi.json,
// embedded into the binary at build time by net/CMakeLists.txt). Public: the
// Gateway answers it without a token, like GET /health.
#pragma once

#include <string_view>

namespace solo::net {

class Router;

// The embedded document (docs/openapi.json as it was at build time).
std::string_view openapi_document();

void add_openapi_routes(Router& router);

}  // namespace solo::net
