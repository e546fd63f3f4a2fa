// GET /ui: the live-events page, a dependency-free HTML page that asks for a
// token (or takes it from #token=...), opens /ws?token=... and watches. No
// token is needed for the page itself: the Gateway lets it through
// unauthenticated (net/gateway.cpp); the WebSocket it opens is authenticated.
#pragma once

namespace solo::net {

class Router;

void add_ui_route(Router& router);

}  // namespace solo::net
