// WebSocket ops as the REST requests they stand for (websocket_ops.hpp).
#include "net/websocket_ops.hpp"

#include <boost/json.hpp>

#include "net/api/request_args.hpp"

namespace solo::net {

namespace {

namespace json = boost::json;

std::string scalar_text(const json::value& value, std::string_view name) {
  if (value.is_string()) return std::string(value.as_string());
  if (value.is_bool()) return value.as_bool() ? "true" : "false";
  if (value.is_int64() || value.is_uint64() || value.is_double()) return json::serialize(value);
  throw BadRequest("'" + std::string(name) + "' must be a string, number or boolean");
}

// A path segment taken from args: required, a string, and not able to reach
// another route.
std::string segment(const json::object& args, std::string_view name) {
  auto* value = args.if_contains(name);
  if (!value || !value->is_string() || value->as_string().empty()) {
    throw BadRequest("'" + std::string(name) + "' is required (a non-empty string)");
  }
  std::string text(value->as_string());
  if (text.find_first_of("/?#") != std::string::npos || text == "." || text == "..") {
    throw BadRequest("'" + std::string(name) + "' must not contain '/', '?' or '#'");
  }
  return text;
}
// An event id for a path: an integer, or a string of digits (the route
// answers one that is not a positive integer with 400).
std::string event_id_segment(const json::object& args) {
  auto* value = args.if_contains("event_id");
  if (value && value->is_int64()) return std::to_string(value->as_int64());
  return segment(args, "event_id");
}

// A storage key as the rest of the path: any non-empty string, '/' included
// (the route takes everything after /storage/; the op path is not decoded).
std::string storage_key_path(const json::object& args) {
  auto* value = args.if_contains("key");
  if (!value || !value->is_string() || value->as_string().empty()) {
    throw BadRequest("'key' is required (a non-empty string)");
  }
  return "/storage/" + std::string(value->as_string());
}

// {"name": args[name]} when given, else {} (the route names what is missing).
std::string member_body(const json::object& args, std::string_view name) {
  json::object body;
  if (auto* value = args.if_contains(name)) body[name] = *value;
  return json::serialize(body);
}

void add_query(OpRequest& out, const json::object& args, std::initializer_list<std::string_view> names) {
  for (auto name : names) {
    if (auto* value = args.if_contains(name); value && !value->is_null()) {
      out.query.emplace_back(std::string(name), scalar_text(*value, name));
    }
  }
}

json::object without(json::object args, std::string_view key) {
  args.erase(key);
  return args;
}

std::string message_body(const json::object& args) {
  auto* message = args.if_contains("message");
  if (!message) throw BadRequest("'message' is required");
  return json::serialize(*message);
}

}  // namespace

OpFrame parse_op_frame(std::string_view text) {
  OpFrame out;
  boost::system::error_code ec;
  json::value parsed = json::parse(text, ec);
  if (ec || !parsed.is_object()) {
    out.error = "a frame must be a JSON object {\"id\", \"op\", \"args\"}";
    return out;
  }
  auto& frame = parsed.as_object();
  if (auto* given = frame.if_contains("id")) out.id = *given;
  auto* op_value = frame.if_contains("op");
  if (!op_value || !op_value->is_string()) {
    out.error = "'op' is required (a string)";
    return out;
  }
  out.op = std::string(op_value->as_string());
  if (auto* given = frame.if_contains("args"); given && !given->is_null()) {
    if (!given->is_object()) {
      out.error = "'args' must be an object";
      return out;
    }
    out.args = std::move(given->as_object());
  }
  return out;
}

// The REST equivalent of an op; nullopt for an unknown op. Throws BadRequest
// for args that cannot form a request.
std::optional<OpRequest> op_request(std::string_view op, const json::object& args) {
  OpRequest r;
  auto set = [&r](std::string method, std::string path) {
    r.method = std::move(method);
    r.path = std::move(path);
  };
  if (op == "deploy") {
    set("POST", "/services");
    r.body = json::serialize(args);
  } else if (op == "list") {
    set("GET", "/services");
    add_query(r, args, {"limit", "offset", "status"});
  } else if (op == "status") {
    set("GET", "/services/" + segment(args, "service_id"));
  } else if (op == "kill") {
    set("DELETE", "/services/" + segment(args, "service_id"));
    add_query(r, args, {"force", "purge"});
  } else if (op == "swap") {
    set("PUT", "/services/" + segment(args, "service_id") + "/code");
    r.body = json::serialize(without(args, "service_id"));
  } else if (op == "call" || op == "cast") {
    set("POST", "/services/" + segment(args, "service_id") + "/" + std::string(op));
    r.body = message_body(args);
  } else if (op == "versions") {
    set("GET", "/services/" + segment(args, "service_id") + "/versions");
    add_query(r, args, {"limit", "cursor"});
  } else if (op == "version") {
    set("GET", "/services/" + segment(args, "service_id") + "/versions/" + event_id_segment(args));
  } else if (op == "events") {
    set("GET", "/events");
    add_query(r, args, {"since", "since_id", "limit", "service_id", "type"});
  } else if (op == "logs") {
    set("GET", "/logs");
    add_query(r, args, {"since", "limit", "service_id", "level"});
  } else if (op == "grant") {
    set("POST", "/tokens");
    r.body = json::serialize(args);
  } else if (op == "tokens") {
    set("GET", "/tokens");
  } else if (op == "revoke") {
    set("DELETE", "/tokens/" + segment(args, "token_id"));
  } else if (op == "whoami") {
    set("GET", "/auth/whoami");
  } else if (op == "auth_verify") {
    set("GET", "/auth/verify");
    add_query(r, args, {"permission", "resource"});
  } else if (op == "secret_put") {
    set("POST", "/secrets");
    r.body = json::serialize(args);
  } else if (op == "secret_list") {
    set("GET", "/secrets");
    add_query(r, args, {"limit", "offset"});
  } else if (op == "secret_get") {
    set("GET", "/secrets/" + segment(args, "key"));
    add_query(r, args, {"reveal"});
  } else if (op == "secret_delete") {
    set("DELETE", "/secrets/" + segment(args, "key"));
  } else if (op == "storage_list") {
    set("GET", "/services/" + segment(args, "service_id") + "/storage");
    add_query(r, args, {"prefix", "limit", "cursor"});
  } else if (op == "storage_get") {
    set("GET", "/services/" + segment(args, "service_id") + storage_key_path(args));
  } else if (op == "storage_put") {
    set("PUT", "/services/" + segment(args, "service_id") + storage_key_path(args));
    r.body = member_body(args, "value");
  } else if (op == "storage_delete") {
    set("DELETE", "/services/" + segment(args, "service_id") + storage_key_path(args));
  } else if (op == "storage_import") {
    set("POST", "/services/" + segment(args, "service_id") + "/storage:import");
    r.body = member_body(args, "entries");
  } else if (op == "register") {
    set("POST", "/registry");
    r.body = json::serialize(args);
  } else if (op == "discover") {
    set("GET", "/registry");
    for (const auto& [key, value] : args) {
      if (!value.is_null()) r.query.emplace_back(std::string(key), scalar_text(value, key));
    }
  } else if (op == "unregister") {
    set("DELETE", "/registry/" + segment(args, "handle"));
  } else if (op == "tenant") {
    set("GET", "/tenants/" + segment(args, "tenant_id"));
  } else if (op == "tenant_quota") {
    set("GET", "/tenants/" + segment(args, "tenant_id") + "/quota");
  } else if (op == "tenant_quota_set") {
    set("PUT", "/tenants/" + segment(args, "tenant_id") + "/quota");
    r.body = json::serialize(without(args, "tenant_id"));
  } else if (op == "health") {
    set("GET", "/health");
  } else if (op == "metrics") {
    set("GET", "/metrics");
  } else if (op == "recovery") {
    set("GET", "/system/recovery");
  } else if (op == "verify") {
    set("POST", "/system/verify");
  } else if (op == "shutdown") {
    set("POST", "/system/shutdown");
  } else {
    return std::nullopt;
  }
  return r;
}

// The op as a Request carrying the upgrade request's identity: its
// credentials (Authorization, X-Tenant-ID), tenant and caller.
Request make_request(const Request& upgrade, OpRequest op) {
  Request request;
  request.method = std::move(op.method);
  request.path = std::move(op.path);
  request.target = request.path;
  for (size_t i = 0; i < op.query.size(); ++i) {
    request.target += (i == 0 ? '?' : '&') + op.query[i].first + "=" + op.query[i].second;
  }
  request.query = std::move(op.query);
  for (const auto& [name, value] : upgrade.headers) {
    if (name == "authorization" || name == "x-tenant-id") request.headers.emplace_back(name, value);
  }
  if (op.body) {
    request.headers.emplace_back("content-type", "application/json");
    request.body = std::move(*op.body);
  }
  request.remote_address = upgrade.remote_address;
  request.tenant = upgrade.tenant;
  request.caller = upgrade.caller;
  return request;
}

}  // namespace solo::net
