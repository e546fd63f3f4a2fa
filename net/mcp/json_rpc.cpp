// JSON-RPC 2.0 parsing and building (json_rpc.hpp). Bounded by construction:
// the body is capped (max_body_bytes), nesting is capped (max_depth), and a
// batch holds at most max_batch_messages; anything beyond is a clear error,
// never an allocation the client chose.
#include "net/mcp/json_rpc.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>

namespace solo::net::mcp {

namespace json = boost::json;

namespace {

constexpr std::string_view kVersion = "2.0";

// The id a request or response carries: a string or an integer (MCP: never
// null, never fractional).
bool valid_id(const json::value& id) { return id.is_string() || id.is_int64() || id.is_uint64(); }

// The id to answer an invalid message with: its own when readable, else null.
json::value readable_id(const json::object& message) {
  auto* id = message.if_contains("id");
  return id && valid_id(*id) ? *id : json::value(nullptr);
}

// One element (or the whole body): a request, a notification or a response,
// else the error that answers it.
void take_message(json::value& value, ParsedBody& out) {
  if (!value.is_object()) {
    out.errors.push_back(rpc_error(nullptr, rpc_code::invalid_request, "a JSON-RPC message must be an object"));
    return;
  }
  auto& object = value.as_object();
  auto* version = object.if_contains("jsonrpc");
  if (!version || !version->is_string() || version->as_string() != kVersion) {
    out.errors.push_back(rpc_error(readable_id(object), rpc_code::invalid_request, "'jsonrpc' must be \"2.0\""));
    return;
  }
  RpcMessage message;
  auto* id = object.if_contains("id");
  if (auto* method = object.if_contains("method")) {
    if (!method->is_string() || method->as_string().empty()) {
      out.errors.push_back(rpc_error(readable_id(object), rpc_code::invalid_request, "'method' must be a non-empty string"));
      return;
    }
    if (id && !valid_id(*id)) {
      out.errors.push_back(rpc_error(nullptr, rpc_code::invalid_request, "'id' must be a string or an integer"));
      return;
    }
    message.kind = id ? RpcMessage::Kind::request : RpcMessage::Kind::notification;
    if (id) message.id = *id;
    message.method = std::string(method->as_string());
    if (auto* params = object.if_contains("params")) {
      if (!params->is_object() && !params->is_array()) {
        out.errors.push_back(rpc_error(readable_id(object), rpc_code::invalid_request, "'params' must be an object or an array"));
        return;
      }
      message.params = std::move(*params);
    }
    out.messages.push_back(std::move(message));
    return;
  }
  // A response to a request of ours (Solo sends none today, but a client may
  // answer, e.g. to a ping): it needs an id and exactly one of result/error.
  auto* result = object.if_contains("result");
  auto* error = object.if_contains("error");
  if (!id || !valid_id(*id) || (result != nullptr) == (error != nullptr) || (error && !error->is_object())) {
    out.errors.push_back(rpc_error(readable_id(object), rpc_code::invalid_request,
                                   "a message needs 'method' (request or notification) or 'id' with one of "
                                   "'result' and 'error' (response)"));
    return;
  }
  message.kind = RpcMessage::Kind::response;
  message.id = *id;
  if (result) message.result = std::move(*result);
  if (error) message.error = std::move(error->as_object());
  out.messages.push_back(std::move(message));
}

}  // namespace

ParsedBody parse_body(std::string_view body, bool allow_batch) {
  ParsedBody out;
  if (body.size() > max_body_bytes) {
    out.errors.push_back(rpc_error(nullptr, rpc_code::invalid_request,
                                   "the message is larger than " + std::to_string(max_body_bytes) + " bytes"));
    return out;
  }
  json::parse_options options;
  options.max_depth = max_depth;
  boost::system::error_code ec;
  json::value parsed = json::parse(body, ec, json::storage_ptr(), options);
  if (ec) {
    out.errors.push_back(rpc_error(nullptr, rpc_code::parse_error, "the body is not valid JSON: " + ec.message()));
    return out;
  }
  if (!parsed.is_array()) {
    take_message(parsed, out);
    return out;
  }
  out.batch = true;
  auto& elements = parsed.as_array();
  if (!allow_batch) {
    out.errors.push_back(rpc_error(nullptr, rpc_code::invalid_request,
                                   "batches (JSON arrays) are allowed only on protocol version 2025-03-26"));
    return out;
  }
  if (elements.empty()) {
    out.errors.push_back(rpc_error(nullptr, rpc_code::invalid_request, "a batch must not be empty"));
    return out;
  }
  if (elements.size() > max_batch_messages) {
    out.errors.push_back(rpc_error(nullptr, rpc_code::invalid_request,
                                   "a batch holds at most " + std::to_string(max_batch_messages) + " messages"));
    return out;
  }
  for (auto& element : elements) take_message(element, out);
  return out;
}

json::object rpc_result(const json::value& id, json::value result) {
  return json::object{{"jsonrpc", kVersion}, {"id", id}, {"result", std::move(result)}};
}

json::object rpc_error(const json::value& id, int code, std::string_view message, std::optional<json::value> data) {
  json::object error{{"code", code}, {"message", message}};
  if (data) error["data"] = std::move(*data);
  return json::object{{"jsonrpc", kVersion}, {"id", id}, {"error", std::move(error)}};
}

json::object rpc_notification(std::string_view method, json::value params) {
  json::object message{{"jsonrpc", kVersion}, {"method", method}};
  if (!params.is_null()) message["params"] = std::move(params);
  return message;
}

}  // namespace solo::net::mcp
