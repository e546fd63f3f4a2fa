// JSON-RPC 2.0 as MCP uses it (docs/mcp.md): parsing one HTTP body or stdio
// line into messages, and building responses and errors. The parser is a
// fuzz target (tests/fuzz/json_rpc_fuzz.cpp): it must take any bytes and
// answer with a value or a JSON-RPC error, never crash or grow unbounded.
//
// Pure functions; no I/O. Owner: the MCP server (net/mcp/json_rpc.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace solo::net::mcp {

// The standard codes, and MCP's own.
namespace rpc_code {
inline constexpr int parse_error = -32700;
inline constexpr int invalid_request = -32600;
inline constexpr int method_not_found = -32601;
inline constexpr int invalid_params = -32602;
inline constexpr int internal_error = -32603;
inline constexpr int resource_not_found = -32002;  // MCP: resources/read of an unknown URI
}  // namespace rpc_code

struct RpcMessage {
  enum class Kind { request, notification, response } kind = Kind::request;
  boost::json::value id;  // string or integer for requests and responses; null for notifications
  std::string method;     // requests and notifications
  boost::json::value params;  // object, array or null (absent)
  // For a response the client sent (to a server request): result or error.
  boost::json::value result;
  std::optional<boost::json::object> error;
};

// One body: a single message, or (allow_batch) a non-empty array of them.
// A body that is not JSON is one parse error; an array when batches are not
// allowed, an empty array, or an element that is not a valid message is an
// invalid_request for that element. `errors` are ready-made error responses
// (id null where the id could not be read).
struct ParsedBody {
  std::vector<RpcMessage> messages;
  std::vector<boost::json::object> errors;
  bool batch = false;
};
//
// Bounds: a body over max_body_bytes, or nested deeper than max_depth, is an
// error, as is a batch of more than max_batch_messages.
inline constexpr std::size_t max_body_bytes = 1024 * 1024;
inline constexpr std::size_t max_depth = 64;
inline constexpr std::size_t max_batch_messages = 64;
ParsedBody parse_body(std::string_view body, bool allow_batch);

boost::json::object rpc_result(const boost::json::value& id, boost::json::value result);
boost::json::object rpc_error(const boost::json::value& id, int code, std::string_view message,
                              std::optional<boost::json::value> data = std::nullopt);
boost::json::object rpc_notification(std::string_view method, boost::json::value params);

}  // namespace solo::net::mcp
