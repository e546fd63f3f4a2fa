// GET /logs: the services' log lines (bounded in-memory rings per tenant,
// not durable) as JSON, or with `Accept: text/event-stream` as a live SSE
// stream resuming after `Last-Event-ID` / `since`.
#pragma once

#include <memory>

namespace solo::net {

class Router;
struct ApiContext;

void add_log_routes(Router& router, std::shared_ptr<ApiContext> context);

}  // namespace solo::net
