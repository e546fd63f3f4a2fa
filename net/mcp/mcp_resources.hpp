// The MCP resources and prompts (docs/mcp.md): what an agent can read besides
// calling tools. Every resource read is one REST request (like the tools), so
// it passes the same authorization as its REST twin.
//
// URIs (all under the solo:// scheme):
//   solo://events[?since=N]         the tenant's event log, 1000 events after N
//                                   (subscribable without ?since)
//   solo://services/{id}/code       a service's current code (GET /services/{id}/code)
//   solo://services/{id}/logs[?since=N]  a service's log lines, 1000 after N
//                                   (subscribable without ?since)
//   solo://guide/service-contract   the service contract, the sandbox's limits
//                                   and an example (also the prompt below)
//
// Pure functions; no I/O. Owner: the MCP catalog (net/mcp/mcp_resources.cpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "net/http_message.hpp"
#include "net/websocket_ops.hpp"

namespace solo::net::mcp {

// The `resourceTemplates` array of resources/templates/list.
const boost::json::array& resource_templates();

// resources/list is the fixed resources plus two per service of the caller's
// tenant: first the server awaits services_request(), then builds the list
// from its answer. A non-2xx answer throws Error (the server answers it as a
// JSON-RPC error).
OpRequest services_request();
boost::json::array resource_list(const Response& services);

// The REST request behind resources/read of `uri`; std::nullopt when the URI
// is not one of Solo's (JSON-RPC -32002, resource not found). A URI that needs
// no request (the guide) gives an OpRequest with an empty method.
std::optional<OpRequest> resource_request(std::string_view uri);

// The ReadResourceResult {contents: [{uri, mimeType, text}]} for `uri` from
// the answer to resource_request() (ignored when that had an empty method).
// A 404 answer throws Error(not_found) (-32002), any other non-2xx throws the
// Error it stands for.
boost::json::object resource_result(std::string_view uri, const Response& response);

// Whether resources/subscribe may name this URI, and the tenant-relative
// filter of what updates it: the service id for a service's logs, "" for the
// event log. std::nullopt: not subscribable.
struct Subscription {
  enum class Kind { events, logs } kind;
  std::string service_id;  // empty for events
};
std::optional<Subscription> subscription_for(std::string_view uri);

// The `prompts` array of prompts/list, and prompts/get: std::nullopt for an
// unknown prompt name (-32602). Throws BadRequest for bad arguments.
const boost::json::array& prompt_list();
std::optional<boost::json::object> prompt_get(std::string_view name, const boost::json::object& arguments);

}  // namespace solo::net::mcp
