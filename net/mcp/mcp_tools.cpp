// The MCP tool catalog (mcp_tools.hpp): one row per tool, each the twin of a
// REST route reached through the WebSocket op of the same request
// (net/websocket_ops.hpp), so permissions, quotas and errors are the route's.
//
// The inputSchema is also what the arguments are checked against
// (json_schema_check.hpp) before a request is built: a model sees the same
// rules it is held to. The outputSchemas declare only what the route always
// answers and allow more, because the SDK client validates
// structuredContent against them.
#include "net/mcp/mcp_tools.hpp"

#include <boost/json.hpp>

#include "net/api/request_args.hpp"
#include "net/mcp/json_schema_check.hpp"
#include "net/mcp/mcp_rest_answer.hpp"

namespace solo::net::mcp {

namespace {

namespace json = boost::json;

// One tool. `op` is the WebSocket op whose REST request it sends;
// `permission` is what the route checks (for the forbidden advice and the docs).
struct ToolRow {
  std::string_view name;
  std::string_view op;
  std::string_view permission;
  std::string_view title;
  std::string_view description;
  std::string_view input;   // JSON Schema of the arguments
  std::string_view output;  // JSON Schema of the 2xx body
  bool read_only;
  bool destructive;
  bool idempotent;
};

// Shared schema pieces, spliced into the rows' JSON text.
#define SOLO_ID_SCHEMA(what)                                                                                  \
  R"json({"type": "string", "minLength": 1, "maxLength": 128, "pattern": "^[A-Za-z0-9_-][A-Za-z0-9_.-]*$", )json" \
  R"json("description": ")json" what R"json( (1-128 characters of A-Z a-z 0-9 _ - ., not starting with '.')"})json"
#define SOLO_STORAGE_KEY_SCHEMA                                                                       \
  R"json({"type": "string", "minLength": 1, "maxLength": 1024, "description": "The storage key: 1 to 1024 )json" \
  R"json(bytes of UTF-8, any character ('/' included)"})json"

constexpr ToolRow kTools[] = {
    {"deploy_service", "deploy", "deploy", "Deploy a service",
     "Deploys a new Lua service (an actor: init, handle_call, handle_cast, ...) under service_id in this "
     "tenant and starts it. Read the prompt write_service or the resource solo://guide/service-contract "
     "first: it gives the contract, the sandbox's limits and an example. The code is compiled and init "
     "runs before this answers. Limits: code up to 512 KiB (the tenant's code_bytes quota); limits.* up to "
     "the tenant's per-service maxima (defaults: memory_bytes 16 MiB, cpu_ms_per_message 50, "
     "instructions_per_message 100000000, mailbox 1000, call_timeout_ms 5000, payload_bytes and "
     "string_bytes 1 MiB, storage_bytes 4 MiB, storage_keys 10000). Binding secrets needs secrets:read on "
     "each. Errors: invalid_request (the code does not compile: the message names the line; or init "
     "failed; fix the Lua and deploy again), conflict (the id is deployed already: swap_code it or pick "
     "another id), quota_exceeded (too many services, or limits above the tenant's maxima), forbidden (the "
     "token lacks deploy on services/<id>).",
     R"json({"type": "object", "additionalProperties": false, "required": ["service_id", "code"], "properties": {
        "service_id": )json" SOLO_ID_SCHEMA("The new service's id, unique in the tenant") R"json(,
        "code": {"type": "string", "minLength": 1, "maxLength": 524288, "description": "The Lua source of the service"},
        "format": {"type": "string", "enum": ["lua", "native"], "description": "lua (the default); native only for C++ types the server embeds"},
        "config": {"description": "Any JSON, passed to init(config)"},
        "limits": {"type": "object", "additionalProperties": false, "properties": {
          "memory_bytes": {"type": "integer", "minimum": 1},
          "cpu_ms_per_message": {"type": "integer", "minimum": 1},
          "instructions_per_message": {"type": "integer", "minimum": 1},
          "mailbox": {"type": "integer", "minimum": 1},
          "call_timeout_ms": {"type": "integer", "minimum": 1},
          "payload_bytes": {"type": "integer", "minimum": 1},
          "string_bytes": {"type": "integer", "minimum": 1},
          "storage_bytes": {"type": "integer", "minimum": 1},
          "storage_keys": {"type": "integer", "minimum": 1}}},
        "secrets": {"type": "array", "items": {"type": "string"}, "description": "Names of tenant secrets the code may read with solo.secret(name)"},
        "restart": {"type": "object", "additionalProperties": false, "properties": {
          "max_restarts": {"type": "integer", "minimum": 0}, "max_seconds": {"type": "integer", "minimum": 1}},
          "description": "Restart intensity: at most max_restarts crashes within max_seconds (default 3 in 5)"}}})json",
     R"json({"type": "object", "required": ["service_id", "version"], "properties": {
        "service_id": {"type": "string"}, "status": {"type": "string"}, "version": {"type": "integer"},
        "code_sha256": {"type": "string"}, "event_id": {"type": "integer"}}})json",
     false, false, false},

    {"swap_code", "swap", "swap", "Hot-swap a service's code",
     "Replaces the code of a running service without losing its state: the new code is compiled, then "
     "code_change(old_state, old_version) of the new code migrates the state. If the new version crashes "
     "within rollback_window_ms (default 5000), the old code and state come back. Storage data is kept "
     "(never rolled back). Limits: code up to 512 KiB; the running limits stay. Errors: invalid_request (the "
     "code does not compile: the message names the line; code_change failed; the service is not running: the "
     "running version is untouched, fix the Lua and swap again), not_found (no such service), overloaded "
     "(mailbox full: retry after the given seconds), forbidden (the token lacks swap on services/<id>, or "
     "secrets:read on a secret the service is bound to).",
     R"json({"type": "object", "additionalProperties": false, "required": ["service_id", "code"], "properties": {
        "service_id": )json" SOLO_ID_SCHEMA("The running service's id") R"json(,
        "code": {"type": "string", "minLength": 1, "maxLength": 524288, "description": "The new Lua source"},
        "rollback_window_ms": {"type": "integer", "minimum": 0, "maximum": 3600000, "description": "How long a crash of the new version rolls back (default 5000)"}}})json",
     R"json({"type": "object", "required": ["service_id", "version"], "properties": {
        "service_id": {"type": "string"}, "version": {"type": "integer"}}})json",
     false, true, false},

    {"kill_service", "kill", "kill", "Stop and remove a service",
     "Stops a service (terminate runs) and removes it from the tenant; its id can be deployed again. Its "
     "storage data is kept for a redeploy of the same id unless purge is true, which deletes the data too "
     "(irreversibly). Errors: not_found (no such service in this tenant), forbidden (the token lacks kill on "
     "services/<id>).",
     R"json({"type": "object", "additionalProperties": false, "required": ["service_id"], "properties": {
        "service_id": )json" SOLO_ID_SCHEMA("The service to stop") R"json(,
        "force": {"type": "boolean", "description": "Stop at once, without waiting for the message in progress"},
        "purge": {"type": "boolean", "description": "Also delete the service's storage data (cannot be undone)"}}})json",
     R"json({"type": "object", "required": ["service_id", "status"], "properties": {
        "service_id": {"type": "string"}, "status": {"type": "string"}, "purged": {"type": "boolean"},
        "event_id": {"type": "integer"}}})json",
     false, true, true},

    {"call_service", "call", "call", "Call a service and wait for its reply",
     "Sends message to the service's handle_call(msg, state) and returns {reply}. One message at a time per "
     "service; the message and the reply are JSON (at most the service's payload_bytes, 1 MiB by default). "
     "Errors: service_error (the handler raised: the message quotes the Lua error and line; read get_logs, "
     "fix the code, swap_code), timeout (no reply within call_timeout_ms, 5 s by default; the message may "
     "still be handled), overloaded (mailbox full or circuit breaker open after 5 failures: retry after the "
     "given seconds), not_found (no such service), forbidden (the token lacks call on services/<id>).",
     R"json({"type": "object", "additionalProperties": false, "required": ["service_id"], "properties": {
        "service_id": )json" SOLO_ID_SCHEMA("The service to call") R"json(,
        "message": {"description": "Any JSON: the msg handle_call receives (objects become Lua tables; default {})"}}})json",
     R"json({"type": "object", "required": ["reply"], "properties": {"reply": {"description": "What handle_call returned, as JSON"}}})json",
     false, true, false},

    {"cast_service", "cast", "call", "Send a service a message without waiting",
     "Queues message for the service's handle_cast(msg, state) and returns at once with status queued; no "
     "reply comes back (errors in the handler show in get_logs and get_events). Errors: overloaded (mailbox "
     "full or circuit open: retry after the given seconds), service_error (the service is not running), "
     "not_found, forbidden (the token lacks call on services/<id>).",
     R"json({"type": "object", "additionalProperties": false, "required": ["service_id"], "properties": {
        "service_id": )json" SOLO_ID_SCHEMA("The service to send to") R"json(,
        "message": {"description": "Any JSON: the msg handle_cast receives (default {})"}}})json",
     R"json({"type": "object", "required": ["service_id", "status"], "properties": {
        "service_id": {"type": "string"}, "status": {"type": "string"}}})json",
     false, true, false},

    {"list_services", "list", "status", "List the tenant's services",
     "Lists the services of this tenant with their status (starting, running, restarting, crashed, stopping, "
     "stopped), a page at a time: at most limit (1-1000, default 100) from offset; total counts them all. "
     "Errors: forbidden (the token lacks status).",
     R"json({"type": "object", "additionalProperties": false, "properties": {
        "limit": {"type": "integer", "minimum": 1, "maximum": 1000},
        "offset": {"type": "integer", "minimum": 0},
        "status": {"type": "string", "enum": ["starting", "running", "restarting", "crashed", "stopping", "stopped"]}}})json",
     R"json({"type": "object", "required": ["services", "total"], "properties": {
        "services": {"type": "array", "items": {"type": "object"}}, "total": {"type": "integer"},
        "limit": {"type": "integer"}, "offset": {"type": "integer"}}})json",
     true, false, true},

    {"get_service_status", "status", "status", "A service's status",
     "Returns one service's state: status, alive, version, code_sha256, memory_bytes, message_queue_len, "
     "cpu_time_ms, restarts, last_error (the last crash's message, with its Lua line), the circuit breaker and "
     "its storage use. Errors: not_found (no such service in this tenant), forbidden (the token lacks status "
     "on services/<id>).",
     R"json({"type": "object", "additionalProperties": false, "required": ["service_id"], "properties": {
        "service_id": )json" SOLO_ID_SCHEMA("The service") R"json(}})json",
     R"json({"type": "object", "required": ["service_id", "status", "version"], "properties": {
        "service_id": {"type": "string"}, "status": {"type": "string"}, "alive": {"type": "boolean"},
        "version": {"type": "integer"}, "restarts": {"type": "integer"}}})json",
     true, false, true},

    {"get_logs", "logs", "logs", "Read log lines",
     "Returns the tenant's log lines (solo.log and print of its services, and warnings such as failed calls), "
     "oldest first, after the id since (exclusive, default 0), at most limit (1-1000, default 100); next is "
     "the cursor for the following page (pass it as since). Filter by service_id and a minimum level. Lines "
     "live in a bounded in-memory ring: old ones are dropped. Errors: invalid_request (a bad level or "
     "service_id), forbidden (the token lacks logs).",
     R"json({"type": "object", "additionalProperties": false, "properties": {
        "service_id": )json" SOLO_ID_SCHEMA("Only this service's lines") R"json(,
        "level": {"type": "string", "enum": ["debug", "info", "warn", "error"], "description": "Minimum level"},
        "since": {"type": "integer", "minimum": 0},
        "limit": {"type": "integer", "minimum": 1, "maximum": 1000}}})json",
     R"json({"type": "object", "required": ["logs", "next"], "properties": {
        "logs": {"type": "array", "items": {"type": "object"}}, "next": {"type": "integer"}}})json",
     true, false, true},

    {"get_events", "events", "events", "Read the event log",
     "Returns the tenant's durable events (service_deployed, service_crashed with its reason, hot_swap_*, "
     "service_event from solo.emit, capability_denied, ...), oldest first, after the id since (exclusive, "
     "default 0), at most limit (1-1000, default 100); next is the cursor for the next page. Filter by "
     "service_id and event type. Errors: invalid_request, forbidden (the token lacks events).",
     R"json({"type": "object", "additionalProperties": false, "properties": {
        "since": {"type": "integer", "minimum": 0},
        "limit": {"type": "integer", "minimum": 1, "maximum": 1000},
        "service_id": )json" SOLO_ID_SCHEMA("Only this service's events") R"json(,
        "type": {"type": "string", "minLength": 1, "maxLength": 64, "description": "Only events of this event_type"}}})json",
     R"json({"type": "object", "required": ["events", "next"], "properties": {
        "events": {"type": "array", "items": {"type": "object"}}, "next": {"type": "integer"}}})json",
     true, false, true},

    {"put_secret", "secret_put", "secrets:write", "Store a secret",
     "Stores (or replaces) the tenant secret key = value, encrypted at rest. A service reads it with "
     "solo.secret(key) only if deployed with \"secrets\": [key]; its value is masked as *** in what the "
     "service logs or emits. Values are never shown back by list_secrets. Errors: invalid_request (a bad "
     "key), quota_exceeded (the tenant's secrets quota, 1000 by default), forbidden (the token lacks "
     "secrets:write on secrets/<key>).",
     R"json({"type": "object", "additionalProperties": false, "required": ["key", "value"], "properties": {
        "key": )json" SOLO_ID_SCHEMA("The secret's name") R"json(,
        "value": {"type": "string", "description": "The secret value (within the 1 MiB request limit)"}}})json",
     R"json({"type": "object", "required": ["key", "stored"], "properties": {
        "key": {"type": "string"}, "stored": {"type": "boolean"}}})json",
     false, true, true},

    {"list_secrets", "secret_list", "secrets:read or secrets:write", "List secret names",
     "Lists the names of the tenant's secrets (never their values). Errors: forbidden (the token has neither "
     "secrets:read nor secrets:write).",
     R"json({"type": "object", "additionalProperties": false, "properties": {}})json",
     R"json({"type": "object", "required": ["secrets", "total"], "properties": {
        "secrets": {"type": "array", "items": {"type": "string"}}, "total": {"type": "integer"}}})json",
     true, false, true},

    {"get_storage_value", "storage_get", "storage:read", "Read a storage key",
     "Reads one key of a service's durable data (what its code keeps with solo.storage). Errors: not_found "
     "(no such service for this tenant, or the key is absent), forbidden (the token lacks storage:read on "
     "services/<id>).",
     R"json({"type": "object", "additionalProperties": false, "required": ["service_id", "key"], "properties": {
        "service_id": )json" SOLO_ID_SCHEMA("The service whose data to read") R"json(,
        "key": )json" SOLO_STORAGE_KEY_SCHEMA R"json(}})json",
     R"json({"type": "object", "required": ["key"], "properties": {"key": {"type": "string"}, "value": {}}})json",
     true, false, true},

    {"put_storage_value", "storage_put", "storage:write", "Write a storage key",
     "Writes one key of a service's durable data (replacing its value); the service sees it between two "
     "messages, and it is durable when this answers. Limits: key 1-1024 bytes, value at most 128 KiB as "
     "JSON; the service's storage_bytes (4 MiB) and storage_keys (10000) and the tenant's totals. Errors: "
     "invalid_request (key or value too large), quota_exceeded (nothing written: delete data or ask for a "
     "higher quota), not_found (no such service), store_unavailable (retry later), forbidden (the token "
     "lacks storage:write on services/<id>).",
     R"json({"type": "object", "additionalProperties": false, "required": ["service_id", "key", "value"], "properties": {
        "service_id": )json" SOLO_ID_SCHEMA("The service whose data to write") R"json(,
        "key": )json" SOLO_STORAGE_KEY_SCHEMA R"json(,
        "value": {"description": "Any JSON value (at most 128 KiB as JSON)"}}})json",
     R"json({"type": "object", "required": ["key", "bytes"], "properties": {
        "key": {"type": "string"}, "bytes": {"type": "integer"}, "storage": {"type": "object"}}})json",
     false, true, true},

    {"list_storage", "storage_list", "storage:read", "List a service's storage",
     "Lists a service's storage entries {key, value} in byte order of the keys, those starting with prefix, "
     "at most limit (1-1000, default 100) and about 1 MiB per page; pass next_cursor as cursor for the next "
     "page (null on the last). Errors: not_found (no such service), forbidden (the token lacks storage:read "
     "on services/<id>).",
     R"json({"type": "object", "additionalProperties": false, "required": ["service_id"], "properties": {
        "service_id": )json" SOLO_ID_SCHEMA("The service whose data to list") R"json(,
        "prefix": {"type": "string", "maxLength": 1024},
        "limit": {"type": "integer", "minimum": 1, "maximum": 1000},
        "cursor": {"type": "string", "maxLength": 1024, "description": "The last key of the previous page"}}})json",
     R"json({"type": "object", "required": ["entries"], "properties": {
        "entries": {"type": "array", "items": {"type": "object"}}, "next_cursor": {"type": ["string", "null"]}}})json",
     true, false, true},

    {"register_service", "register", "registry", "Register a service for discovery",
     "Registers a service of this tenant under a name and version with metadata, so others (and "
     "discover_services) can find it; it expires after ttl_seconds (1-86400, default 60) unless registered "
     "again (a renewal keeps the handle). Limits: 32 metadata keys, 256 characters per version, key and "
     "value. Errors: invalid_request, quota_exceeded (registrations), forbidden (the token lacks registry "
     "on services/<service_id>).",
     R"json({"type": "object", "additionalProperties": false, "required": ["service_id", "name", "version"], "properties": {
        "service_id": )json" SOLO_ID_SCHEMA("The service to register") R"json(,
        "name": )json" SOLO_ID_SCHEMA("The name to find it by") R"json(,
        "version": {"type": "string", "minLength": 1, "maxLength": 256},
        "metadata": {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]}},
        "ttl_seconds": {"type": "integer", "minimum": 1, "maximum": 86400}}})json",
     R"json({"type": "object", "required": ["handle", "service_id", "name", "version"], "properties": {
        "handle": {"type": "string"}, "service_id": {"type": "string"}, "name": {"type": "string"},
        "version": {"type": "string"}, "alive": {"type": "boolean"}}})json",
     false, false, true},

    {"discover_services", "discover", "registry", "Find registered services",
     "Lists the tenant's live registrations, filtered by name, version and metadata (every metadata filter "
     "must match; numbers and booleans compare as their JSON text), sorted by name, version and service. "
     "Errors: forbidden (the token lacks registry).",
     R"json({"type": "object", "additionalProperties": false, "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 128},
        "version": {"type": "string", "minLength": 1, "maxLength": 256},
        "metadata": {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]}}}})json",
     R"json({"type": "object", "required": ["registrations", "total"], "properties": {
        "registrations": {"type": "array", "items": {"type": "object"}}, "total": {"type": "integer"}}})json",
     true, false, true},

    {"grant_token", "grant", "grant", "Mint an attenuated token",
     "Mints a new bearer token of this tenant with at most the permissions of the current token (never "
     "wider) and an optional resource scope (\"*\", \"services/<id>\", \"secrets/<name>\", a trailing * "
     "matches a prefix) and lifetime. Hand it to another agent that should do less. The token is shown "
     "once. Errors: forbidden (the token lacks grant, or asks for more than it holds), invalid_request (an "
     "unknown permission or a bad shape), quota_exceeded (the tenant's tokens quota).",
     R"json({"type": "object", "additionalProperties": false, "required": ["permissions"], "properties": {
        "permissions": {"type": "array", "minItems": 1, "items": {"type": "string", "enum": [
          "deploy", "kill", "swap", "status", "call", "logs", "events", "secrets:write", "secrets:read",
          "storage:read", "storage:write", "registry", "grant", "metrics", "tenant_admin"]}},
        "resource": {"type": "string", "minLength": 1, "description": "Scope: * (default), services/<id>, secrets/<name>; a trailing * matches a prefix"},
        "ttl_seconds": {"type": "integer", "minimum": 1, "maximum": 3155760000}}})json",
     R"json({"type": "object", "required": ["token", "token_id", "tenant_id"], "properties": {
        "token": {"type": "string"}, "token_id": {"type": "string"}, "tenant_id": {"type": "string"}}})json",
     false, false, false},
};

#undef SOLO_ID_SCHEMA
#undef SOLO_STORAGE_KEY_SCHEMA

const ToolRow* find_row(std::string_view name) {
  for (const auto& row : kTools) {
    if (row.name == name) return &row;
  }
  return nullptr;
}

// The parsed input schemas, in kTools order (parsed once; the text is ours,
// so a parse failure is a bug that the unit tests catch at once).
const std::vector<json::object>& input_schemas() {
  static const std::vector<json::object> schemas = [] {
    std::vector<json::object> out;
    for (const auto& row : kTools) out.push_back(json::parse(row.input).as_object());
    return out;
  }();
  return schemas;
}

// discover's REST twin takes metadata filters as query parameters of their own.
json::object discover_args(const json::object& arguments) {
  json::object out;
  if (auto* metadata = arguments.if_contains("metadata")) {
    for (const auto& [key, value] : metadata->as_object()) {
      if (key == "name" || key == "version") {
        throw BadRequest("a metadata filter may not be named '" + std::string(key) + "'");
      }
      out[key] = value;
    }
  }
  for (const auto& [key, value] : arguments) {
    if (key != "metadata") out[key] = value;
  }
  return out;
}

}  // namespace

const json::array& tool_list() {
  static const json::array tools = [] {
    json::array out;
    for (const auto& row : kTools) {
      json::object tool;
      tool["name"] = row.name;
      tool["title"] = row.title;
      tool["description"] = row.description;
      tool["inputSchema"] = json::parse(row.input);
      tool["outputSchema"] = json::parse(row.output);
      tool["annotations"] = json::object{{"title", row.title},
                                         {"readOnlyHint", row.read_only},
                                         {"destructiveHint", row.destructive},
                                         {"idempotentHint", row.idempotent},
                                         {"openWorldHint", false}};
      out.push_back(std::move(tool));
    }
    return out;
  }();
  return tools;
}

std::optional<std::string_view> tool_permission(std::string_view tool) {
  if (auto* row = find_row(tool)) return row->permission;
  return std::nullopt;
}

std::optional<OpRequest> tool_request(std::string_view tool, const json::object& arguments) {
  const auto* row = find_row(tool);
  if (!row) return std::nullopt;
  check_against_schema(input_schemas()[static_cast<size_t>(row - kTools)], arguments);
  if (row->op == "discover") return op_request(row->op, discover_args(arguments));
  if ((row->op == "call" || row->op == "cast") && !arguments.contains("message")) {
    auto with_message = arguments;
    with_message["message"] = json::object();
    return op_request(row->op, with_message);
  }
  auto request = op_request(row->op, arguments);
  // The WebSocket kill op has no purge; the REST route does.
  if (request && row->op == "kill") {
    if (auto* purge = arguments.if_contains("purge"); purge && purge->as_bool()) {
      request->query.emplace_back("purge", "true");
    }
  }
  return request;
}

json::object tool_result(std::string_view tool, const Response& response) {
  json::object result;
  json::array content;
  if (is_success(response)) {
    auto body = answer_body(response);
    content.push_back(json::object{{"type", "text"}, {"text", json::serialize(body)}});
    // structuredContent must be an object; every tool's route answers one.
    if (!body.is_object()) body = json::object{{"value", body}};
    result["content"] = std::move(content);
    result["structuredContent"] = std::move(body);
    result["isError"] = false;
    return result;
  }
  auto permission = tool_permission(tool).value_or("the one this operation needs");
  content.push_back(json::object{{"type", "text"}, {"text", answer_advice(response, permission)}});
  result["content"] = std::move(content);
  result["isError"] = true;
  return result;
}

}  // namespace solo::net::mcp
