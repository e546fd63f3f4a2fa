// The frames a WebSocket session sends (docs/websocket.md): replies to ops,
// errors in the HTTP error shape plus their status, events and log lines.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "engine/services/log_book.hpp"
#include "net/http_message.hpp"
#include "stores/event.hpp"

namespace solo::net {

// {"id", "ok": false, "error": {"error", "message", "status", "timestamp"}}.
std::string error_frame(const boost::json::value& id, int status, std::string_view code, std::string_view message);

// {"id", "ok": true, "result"} for a 2xx response, else {"id", "ok": false,
// "error": {the HTTP error body, plus "status" (and "retry_after")}}.
std::string reply_frame(const boost::json::value& id, const Response& response);

std::string ok_frame(const boost::json::value& id, boost::json::value result);
std::string event_frame(const Event& event);  // {"event": {...}}
std::string log_frame(const LogLine& line);   // {"log": {...}}

// The result of watch/unwatch: {"watching", "since"?}.
boost::json::value watch_result(bool watching, int64_t since);

}  // namespace solo::net
