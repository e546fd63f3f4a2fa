// The Services endpoints of docs/http-api.md: deploy, list, status, kill, hot
// swap, call and cast. Handlers validate, call the Deployer or the actor, and
// map expected failures to the documented statuses:
//   400 invalid_request (bad JSON, bad spec, Lua that does not compile: the
//   message names the line), 404, 409 conflict, 503 overloaded + Retry-After
//   (full mailbox: nothing queued; store unavailable), 504 timeout,
//   500 service_error (the service raised; the message carries it).
#pragma once

#include <memory>

namespace solo::net {

class Router;
struct ApiContext;

void add_service_routes(Router& router, std::shared_ptr<ApiContext> context);

}  // namespace solo::net
