// WebSocket frames (websocket_frames.hpp). Plain functions, so that JSON
// literals stay out of coroutines (GCC 12).
#include "net/websocket_frames.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>

#include "base/iso8601.hpp"

namespace solo::net {

namespace json = boost::json;

std::string error_frame(const json::value& id, int status, std::string_view code, std::string_view message) {
  json::object error;
  error["error"] = code;
  error["message"] = message;
  error["status"] = status;
  error["timestamp"] = utc_now_iso8601();
  json::object frame;
  frame["id"] = id;
  frame["ok"] = false;
  frame["error"] = std::move(error);
  return json::serialize(frame);
}

namespace {

std::string_view code_for_status(int status) {
  switch (status) {
    case 400: return "invalid_request";
    case 401: return "unauthorized";
    case 403: return "forbidden";
    case 404: return "not_found";
    case 409: return "conflict";
    case 413: return "too_large";
    case 429:
    case 503: return "overloaded";
    case 504: return "timeout";
    default: return status >= 500 ? "internal_error" : "invalid_request";
  }
}

}  // namespace

// {"id", "ok": true, "result"} for 2xx, else {"id", "ok": false, "error":
// {the HTTP error body, plus "status" (and "retry_after" when the HTTP answer had Retry-After)}}.
std::string reply_frame(const json::value& id, const Response& response) {
  json::object frame;
  frame["id"] = id;
  const bool ok = response.status >= 200 && response.status < 300;
  json::value body;
  if (!response.body.empty()) {
    boost::system::error_code ec;
    if (response.content_type.find("json") != std::string::npos) body = json::parse(response.body, ec);
    if (ec || response.content_type.find("json") == std::string::npos) body = json::string(response.body);
  }
  if (ok) {
    frame["ok"] = true;
    frame["result"] = std::move(body);
    return json::serialize(frame);
  }
  json::object error;
  if (body.is_object()) {
    error = std::move(body.as_object());
  } else {
    error["error"] = code_for_status(response.status);
    error["message"] = body.is_string() ? body.as_string() : json::string("HTTP " + std::to_string(response.status));
  }
  error["status"] = response.status;
  auto lower = [](unsigned char c) { return std::tolower(c); };
  for (const auto& [name, value] : response.headers) {
    if (std::ranges::equal(name, std::string_view("retry-after"), {}, lower, lower)) error["retry_after"] = value;
  }
  frame["ok"] = false;
  frame["error"] = std::move(error);
  return json::serialize(frame);
}

std::string ok_frame(const json::value& id, json::value result) {
  json::object frame;
  frame["id"] = id;
  frame["ok"] = true;
  frame["result"] = std::move(result);
  return json::serialize(frame);
}

std::string event_frame(const Event& event) {
  json::object frame;
  frame["event"] = to_json(event);
  return json::serialize(frame);
}

std::string log_frame(const LogLine& line) {
  json::object frame;
  frame["log"] = to_json(line);
  return json::serialize(frame);
}

json::value watch_result(bool watching, int64_t since) {
  json::object result;
  result["watching"] = watching;
  if (watching) result["since"] = since;
  return result;
}

}  // namespace solo::net
