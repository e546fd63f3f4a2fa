// GET /events: pages of the durable log as JSON, or with
// `Accept: text/event-stream` a live SSE stream that first replays history
// after `Last-Event-ID` (or `since`) and then tails new events.
#pragma once

#include <memory>

namespace solo::net {

class Router;
struct ApiContext;

void add_event_routes(Router& router, std::shared_ptr<ApiContext> context);

}  // namespace solo::net
