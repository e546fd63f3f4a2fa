// The watch op of a WebSocket session (docs/websocket.md, "watch"): events of
// the durable log after `since` (or its alias `since_id`), then live ones,
// optionally with the tenant's log lines. See websocket_watch.cpp. Beast-free.
#pragma once

#include <memory>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace solo::net {

class WebSocketSession;

// Parses the watch args, checks the caller may read events (and logs) exactly
// as GET /events (GET /logs) would, replies, and replaces the session's
// running watch; bad args or a refused check get an error frame instead.
boost::asio::awaitable<void> start_watch(std::shared_ptr<WebSocketSession> session, boost::json::value id,
                                         boost::json::object args);

}  // namespace solo::net
