// GET /health and GET /metrics.
#pragma once

#include <memory>

namespace solo::net {

class Router;
struct ApiContext;

void add_system_routes(Router& router, std::shared_ptr<ApiContext> context);

}  // namespace solo::net
