// /mcp: the Streamable HTTP transport of MCP 2025-11-25 (docs/mcp.md,
// "Transport"). POST carries JSON-RPC messages (answered as JSON, or as an
// SSE stream when the client accepts only text/event-stream), GET opens the
// session's server stream (SSE, resumable with Last-Event-ID), DELETE ends
// the session.
//
// The Gateway authenticates /mcp like any route (a valid token is all it
// needs; each tool call is then authorized as its REST twin) but does not
// shed it: every tool call and resource read is shed on its own when the
// dispatcher sends it through the Gateway's dispatch (net/gateway.cpp).
//
// Checks, in order: Origin (a browser page of another site: 403, against DNS
// rebinding), Content-Type (415) and Accept (406), MCP-Protocol-Version (an
// unsupported one: 400), Mcp-Session-Id (required but for initialize: 400;
// unknown, expired, ended or another token's: 404).
//
// Engine thread only.
#pragma once

#include <map>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "net/http_message.hpp"
#include "net/mcp/mcp_server.hpp"
#include "net/mcp/mcp_sessions.hpp"

namespace solo {
class Telemetry;
}

namespace solo::net {
class Router;
struct ApiContext;
}  // namespace solo::net

namespace solo::net::mcp {

// The server's version in initialize's serverInfo.
inline constexpr std::string_view solo_server_version = "0.14.0";

class McpEndpoint : public std::enable_shared_from_this<McpEndpoint> {
 public:
  McpEndpoint(asio::any_io_executor executor, std::shared_ptr<ApiContext> context, McpLimits limits = {});

  // How a tool call or resource read is answered: the Gateway's dispatch in
  // solo (Gateway::run hands it over), any handler in tests. Until set, /mcp
  // answers 503.
  void set_dispatch(McpServer::Dispatch dispatch);

  asio::awaitable<Response> post(Request& request);
  asio::awaitable<Response> get(Request& request);
  asio::awaitable<Response> remove(Request& request);

  // Shutdown: every session ends, so their streams return; initialize is
  // refused from now on.
  void drain();

  // solo_mcp_sessions, solo_mcp_sessions_total, solo_mcp_requests_total{method}.
  void register_metrics(Telemetry& telemetry);
  McpSessions& sessions() { return sessions_; }

 private:
  std::shared_ptr<ApiContext> context_;
  std::unique_ptr<McpServer> server_;
  McpSessions sessions_;
  std::map<std::string, std::uint64_t, std::less<>> requests_;  // by known method, and "other"
};

// POST, GET and DELETE /mcp.
void add_mcp_routes(Router& router, std::shared_ptr<McpEndpoint> endpoint);

}  // namespace solo::net::mcp
