// The MCP method dispatcher (mcp_server.hpp). Error codes (docs/mcp.md,
// "Transport"): -32601 for a method Solo does not answer, -32602 for params
// of the wrong shape (and an unknown tool or prompt), -32002 for an unknown
// resource; a REST refusal behind a resource read or subscription becomes
// -32602 (400), -32002 (404) or -32603 (any other status) with data
// {status, error} of the REST answer. A tool's own failure is not a JSON-RPC
// error but a tool result with isError (mcp_tools.hpp), so a model can read
// it and correct itself.
//
// GCC 12 note: inside coroutines no lambda or braced temporary is passed
// within a co_await expression.
#include "net/mcp/mcp_server.hpp"

#include <algorithm>
#include <memory>

#include <boost/json/parse.hpp>

#include "base/error.hpp"
#include "net/api/request_args.hpp"
#include "net/mcp/mcp_tools.hpp"
#include "net/websocket_ops.hpp"

namespace solo::net::mcp {

namespace json = boost::json;

namespace {

constexpr std::string_view kInstructions =
    "Solo runs small sandboxed Lua services for you. Before you deploy one, read the write_service prompt (or "
    "the solo://guide/service-contract resource): it gives the contract, the sandbox's limits and an example. "
    "deploy_service starts a service, call_service asks it and waits for the reply, cast_service sends without "
    "waiting. list_services, get_service_status, get_logs and get_events show what runs and what it does; "
    "swap_code replaces a service's code, kill_service stops it. get_storage_value, put_storage_value and "
    "list_storage reach a service's durable data, put_secret and list_secrets the tenant's secrets, "
    "register_service and discover_services the registry; grant_token makes a narrower token. A failed "
    "operation comes back as a tool result with isError and says what to do about it.";

constexpr std::array<std::string_view, 15> kMethods{
    "initialize",     "ping",           "tools/list",          "tools/call",
    "resources/list", "resources/read", "resources/templates/list", "resources/subscribe",
    "resources/unsubscribe", "prompts/list", "prompts/get", "notifications/initialized",
    "notifications/cancelled", "notifications/progress", "notifications/roots/list_changed"};

// params of the wrong shape: answered -32602 with this message.
struct InvalidParams {
  std::string message;
};

const json::object& params_object(const RpcMessage& message) {
  static const json::object empty;
  if (message.params.is_null()) return empty;
  if (!message.params.is_object()) throw InvalidParams{"'params' must be an object"};
  return message.params.as_object();
}

std::string string_param(const json::object& params, std::string_view name) {
  auto* value = params.if_contains(name);
  if (!value || !value->is_string()) throw InvalidParams{"'" + std::string(name) + "' is required (a string)"};
  return std::string(value->as_string());
}

json::object object_param(const json::object& params, std::string_view name) {
  auto* value = params.if_contains(name);
  if (!value || value->is_null()) return {};
  if (!value->is_object()) throw InvalidParams{"'" + std::string(name) + "' must be an object"};
  return value->as_object();
}

bool success(const Response& response) { return response.status >= 200 && response.status < 300; }

int code_for_status(int status) {
  if (status == 400) return rpc_code::invalid_params;
  if (status == 404) return rpc_code::resource_not_found;
  return rpc_code::internal_error;
}

// A REST refusal as a JSON-RPC error: the REST message, and {status, error}.
json::object refusal(const json::value& id, const Response& response) {
  std::string code = "error";
  std::string message = "the request was refused (HTTP " + std::to_string(response.status) + ")";
  boost::system::error_code ec;
  auto body = json::parse(response.body, ec);
  if (!ec && body.is_object()) {
    const auto& object = body.as_object();
    if (auto* given = object.if_contains("error"); given && given->is_string()) code = given->as_string();
    if (auto* given = object.if_contains("message"); given && given->is_string()) message = given->as_string();
  }
  json::object data{{"status", response.status}, {"error", code}};
  return rpc_error(id, code_for_status(response.status), message, json::value(std::move(data)));
}

json::object error_answer(const json::value& id, const Error& error) {
  int code = rpc_code::internal_error;
  if (error.kind() == ErrorKind::invalid) code = rpc_code::invalid_params;
  if (error.kind() == ErrorKind::not_found) code = rpc_code::resource_not_found;
  json::object data{{"error", to_string(error.kind())}};
  return rpc_error(id, code, error.what(), json::value(std::move(data)));
}

// A tool call whose arguments cannot form a request: a tool result, so that
// the model reads what to fix.
json::object argument_error(std::string_view message) {
  json::array content;
  content.push_back(json::object{{"type", "text"}, {"text", "invalid arguments: " + std::string(message)}});
  return json::object{{"content", std::move(content)}, {"isError", true}};
}

}  // namespace

bool is_supported_protocol_version(std::string_view version) {
  return std::ranges::find(supported_protocol_versions, version) != supported_protocol_versions.end();
}

std::string_view negotiate_protocol_version(std::string_view requested) {
  return is_supported_protocol_version(requested) ? requested : latest_protocol_version;
}

bool allows_batches(std::string_view version) { return version == "2025-03-26"; }

bool is_known_method(std::string_view method) { return std::ranges::find(kMethods, method) != kMethods.end(); }

McpServer::McpServer(Dispatch dispatch, std::string server_version)
    : dispatch_(std::move(dispatch)), server_version_(std::move(server_version)) {}

asio::awaitable<Response> McpServer::send(const Request& identity, OpRequest op) const {
  auto request = std::make_shared<Request>(make_request(identity, std::move(op)));
  co_return co_await dispatch_(*request);
}

asio::awaitable<std::optional<json::object>> McpServer::handle(const RpcMessage& message, const Request& identity,
                                                               SubscriptionSink* session) const {
  // Notifications (initialized, cancelled, progress, ...) and a client's
  // responses need no answer; an unknown notification is ignored, as
  // JSON-RPC says.
  if (message.kind != RpcMessage::Kind::request) co_return std::nullopt;
  std::optional<json::object> out;
  std::string problem;
  try {
    out = co_await answer(message, identity, session);
  } catch (const InvalidParams& invalid) {
    problem = invalid.message;
  } catch (const Error& error) {
    out = error_answer(message.id, error);
  }
  if (!out) out = rpc_error(message.id, rpc_code::invalid_params, problem);
  co_return out;
}

asio::awaitable<json::object> McpServer::answer(const RpcMessage& message, const Request& identity,
                                                SubscriptionSink* session) const {
  const auto& id = message.id;
  const auto& method = message.method;
  if (method == "ping") co_return rpc_result(id, json::object{});
  if (method == "initialize") {
    const auto& params = params_object(message);
    const auto requested = string_param(params, "protocolVersion");
    const std::string version(negotiate_protocol_version(requested));
    json::object capabilities{{"tools", json::object{{"listChanged", false}}},
                              {"resources", json::object{{"subscribe", true}, {"listChanged", false}}},
                              {"prompts", json::object{{"listChanged", false}}}};
    json::object result{{"protocolVersion", version},
                        {"capabilities", std::move(capabilities)},
                        {"serverInfo", json::object{{"name", "solo"}, {"version", server_version_}}},
                        {"instructions", kInstructions}};
    co_return rpc_result(id, std::move(result));
  }
  if (method == "tools/list") {
    params_object(message);
    co_return rpc_result(id, json::object{{"tools", tool_list()}});
  }
  if (method == "tools/call") {
    const auto& params = params_object(message);
    auto name = string_param(params, "name");
    auto arguments = object_param(params, "arguments");
    std::optional<OpRequest> op;
    std::string bad_arguments;
    try {
      op = tool_request(name, arguments);
      if (!op) throw InvalidParams{"unknown tool '" + name + "' (tools/list names them)"};
    } catch (const BadRequest& error) {
      bad_arguments = error.what();
    }
    if (!bad_arguments.empty()) co_return rpc_result(id, argument_error(bad_arguments));
    Response reply = co_await send(identity, std::move(*op));
    co_return rpc_result(id, tool_result(name, reply));
  }
  if (method == "resources/list") {
    params_object(message);
    Response services = co_await send(identity, services_request());
    if (!success(services)) co_return refusal(id, services);
    co_return rpc_result(id, json::object{{"resources", resource_list(services)}});
  }
  if (method == "resources/templates/list") {
    params_object(message);
    co_return rpc_result(id, json::object{{"resourceTemplates", resource_templates()}});
  }
  if (method == "resources/read") {
    auto uri = string_param(params_object(message), "uri");
    auto op = resource_request(uri);
    if (!op) co_return rpc_error(id, rpc_code::resource_not_found, "no such resource: " + uri);
    Response reply;
    if (!op->method.empty()) reply = co_await send(identity, std::move(*op));
    co_return rpc_result(id, resource_result(uri, reply));
  }
  if (method == "resources/subscribe" || method == "resources/unsubscribe") {
    auto uri = string_param(params_object(message), "uri");
    if (!session) throw InvalidParams{"subscriptions need a session (Mcp-Session-Id)"};
    if (method == "resources/unsubscribe") {
      session->unsubscribe(uri);
      co_return rpc_result(id, json::object{});
    }
    auto what = subscription_for(uri);
    if (!what) throw InvalidParams{"'" + uri + "' cannot be subscribed to (solo://events and solo://services/{id}/logs can)"};
    // The caller must be allowed to read what it subscribes to: the same
    // REST request as resources/read decides.
    auto op = resource_request(uri);
    if (!op) co_return rpc_error(id, rpc_code::resource_not_found, "no such resource: " + uri);
    Response probe = co_await send(identity, std::move(*op));
    if (!success(probe)) co_return refusal(id, probe);
    if (!session->subscribe(uri, *what, identity)) {
      throw InvalidParams{"this session cannot take another subscription: it holds its maximum (unsubscribe from one first) or it has ended"};
    }
    co_return rpc_result(id, json::object{});
  }
  if (method == "prompts/list") {
    params_object(message);
    co_return rpc_result(id, json::object{{"prompts", prompt_list()}});
  }
  if (method == "prompts/get") {
    const auto& params = params_object(message);
    auto name = string_param(params, "name");
    auto arguments = object_param(params, "arguments");
    std::optional<json::object> prompt;
    std::string bad_arguments;
    try {
      prompt = prompt_get(name, arguments);
    } catch (const BadRequest& error) {
      bad_arguments = error.what();
    }
    if (!bad_arguments.empty()) throw InvalidParams{bad_arguments};
    if (!prompt) throw InvalidParams{"unknown prompt '" + name + "' (prompts/list names them)"};
    co_return rpc_result(id, std::move(*prompt));
  }
  co_return rpc_error(id, rpc_code::method_not_found, "method not found: " + method);
}

}  // namespace solo::net::mcp
