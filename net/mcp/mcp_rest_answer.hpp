// A REST answer read back for MCP (tools and resources): its body as JSON, the
// Error a non-2xx answer stands for, and the advice a model can act on.
// The REST error vocabulary (docs/http-api.md, "Errors"; chosen in
// net/error_reply.cpp) is the input; nothing here picks a status.
//
// Pure functions; no I/O. Owner: the MCP catalog.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "base/error.hpp"
#include "net/http_message.hpp"

namespace solo::net::mcp {

inline bool is_success(const Response& response) { return response.status >= 200 && response.status < 300; }

// The body parsed as JSON; a body that is not JSON (text) as a JSON string.
boost::json::value answer_body(const Response& response);

// The error code of an error answer ("forbidden"; "http_<status>" when the
// body carries none) and its Retry-After in seconds, if any.
std::string answer_code(const Response& response);
std::optional<int> answer_retry_after(const Response& response);

// The Error a non-2xx answer stands for: its kind (by code and status), its
// message, Retry-After and details (quota, limit, used).
Error answer_error(const Response& response);

// "forbidden (HTTP 403): <message>. What to do: ..." for a model. `permission`
// names what the operation needs, for the forbidden advice.
std::string answer_advice(const Response& response, std::string_view permission);

}  // namespace solo::net::mcp
