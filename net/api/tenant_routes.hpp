// Tenant routes (docs/http-api.md "Tenants"):
//   GET /tenants/{id}/quota   the tenant's quota (admin)
//   PUT /tenants/{id}/quota   merges a partial quota object (admin); 400 on
//                             an unknown field or a bad value
//   GET /tenants/{id}         the tenant's use against its quota (admin, or
//                             a token of that tenant; another tenant is 404)
#pragma once

#include <memory>

namespace solo::net {

class Router;
struct ApiContext;

void add_tenant_routes(Router& router, std::shared_ptr<ApiContext> context);

}  // namespace solo::net
