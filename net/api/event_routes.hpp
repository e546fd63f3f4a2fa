// GET /events: pages of the durable log as JSON, or with
// `Accept: text/event-stream` a live SSE stream that first replays history
// after `Last-Event-ID` (or `since`) and then tails new events.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

namespace solo::net {

class Router;
struct ApiContext;

void add_event_routes(Router& router, std::shared_ptr<ApiContext> context);

// The id after which an event read starts: `since`, or `since_id`, its alias
// (the name clients of the original Solo API pass); 0 when neither is given.
// Throws BadRequest when both are given and differ. GET /events and the
// WebSocket `events` and `watch` ops read their cursor through this.
int64_t event_cursor(std::optional<int64_t> since, std::optional<int64_t> since_id);

}  // namespace solo::net
