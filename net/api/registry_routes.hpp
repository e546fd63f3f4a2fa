// The Discovery endpoints of docs/http-api.md, tenant-scoped, permission
// `registry` (POST and DELETE also against the resource services/<id>):
//   POST   /registry {"service_id","name","version","metadata"?,"ttl_seconds"?}
//          -> 201 {"handle", ...registration}
//   GET    /registry?name=&version=&<key>=<value>... -> 200 {"registrations": [...], "total"}
//   DELETE /registry/{handle} -> 200 {"handle", "status": "unregistered"}
// 400 invalid_request (bad ids, version, metadata, ttl), 404 (no such handle
// for this tenant), 429 overloaded (the tenant's registration limit).
#pragma once

#include <memory>

namespace solo::net {

class Router;
struct ApiContext;

void add_registry_routes(Router& router, std::shared_ptr<ApiContext> context);

}  // namespace solo::net
