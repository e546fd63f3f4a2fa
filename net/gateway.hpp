// The Gateway: the System child that serves the HTTP API. It owns the
// HttpServer and the Router; the composition root adds the API routes.
//
// As a supervised child it binds, announces `listening on http://HOST:PORT`
// (https:// when options.tls is set; with the real port) through on_listening, reports ready, and accepts until
// it is stopped. While the system is still starting (recovery), every request
// but GET /health is answered 503 with Retry-After. Every answered request is
// counted in Telemetry by route pattern and status.
//
// Engine thread only.
#pragma once

#include <functional>
#include <optional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "net/http_request_metrics.hpp"
#include "net/http_server.hpp"
#include "net/router.hpp"

namespace solo {
class CapabilityManager;
class ChildContext;
class SystemStatus;
class Telemetry;
}  // namespace solo

namespace solo::net {

class LoadShedder;

class WebSocketHub;
namespace mcp {
class McpEndpoint;
}

class Gateway : public std::enable_shared_from_this<Gateway> {
 public:
  Gateway(asio::any_io_executor executor, HttpServerOptions options, std::shared_ptr<SystemStatus> status);

  Router& router() { return router_; }
  // Turns authentication on: every request but GET /health must present a
  // bearer token the manager knows (401 otherwise).
  void set_capabilities(std::shared_ptr<CapabilityManager> capabilities) { capabilities_ = std::move(capabilities); }
  // Turns load shedding on (net/resilience/load_shedder.hpp): every
  // authenticated request but GET /health, GET /metrics and /mcp holds a
  // permit while it is handled; refused ones get 429/503 overloaded +
  // Retry-After. (/mcp is not shed itself: each tool call and resource read
  // it makes comes back through dispatch() and is shed on its own.)
  void set_load_shedder(std::shared_ptr<LoadShedder> shedder) { shedder_ = std::move(shedder); }
  // Counts every request in the metrics (the Telemetry child, before run())
  // and adds the connection figures to them.
  void set_telemetry(std::shared_ptr<Telemetry> telemetry);
  void on_listening(std::function<void(const std::string& url)> callback) { on_listening_ = std::move(callback); }
  // A cluster shard's gateway (apps/cluster_shards.hpp): a request that may
  // change something (any method but GET and HEAD) for a tenant `serves`
  // refuses is answered 400 `invalid`: that tenant's data lives in another
  // shard, and writing it here would split it. Empty: every tenant.
  void set_tenant_filter(std::function<bool(std::string_view tenant)> serves) { serves_tenant_ = std::move(serves); }
  // WebSocket /ws (net/websocket_hub.hpp): upgrades the routes accepted go
  // to this hub, whose ops go through dispatch(); drain() drains it too.
  void set_websockets(std::shared_ptr<WebSocketHub> hub) { websockets_ = std::move(hub); }
  // MCP /mcp (net/mcp/mcp_endpoint.hpp): its tool calls and resource reads
  // go through dispatch(); drain() ends its sessions (their streams return).
  void set_mcp(std::shared_ptr<mcp::McpEndpoint> endpoint) { mcp_ = std::move(endpoint); }

  // How a request built inside the server (a WebSocket op, an MCP tool call)
  // is answered: dispatch() exactly as an HTTP request (authentication,
  // authorization, load shedding, the error mapping). Holds the Gateway weakly.
  std::function<asio::awaitable<Response>(Request&)> dispatcher();
  // For a server in front of this gateway in the same process (a cluster
  // node handing a request to its shard's Kernel without a loopback hop):
  // dispatch(), and the request counted in this gateway's request metrics as
  // its own server counts it. Holds the Gateway weakly.
  std::function<asio::awaitable<Response>(Request&)> front_dispatcher();

  static asio::awaitable<void> run(std::shared_ptr<Gateway> self, ChildContext context);

  void stop_accepting();
  asio::awaitable<void> drain(std::chrono::milliseconds deadline);
  std::string url() const;
  size_t in_flight() const;

 private:
  static asio::awaitable<Response> dispatch(std::shared_ptr<Gateway> self, Request& request);
  static asio::awaitable<Response> dispatch_counted(std::shared_ptr<Gateway> self, Request& request);
  // Fills request.caller and request.tenant; an error response when refused.
  std::optional<Response> authenticate(Request& request);

  asio::any_io_executor executor_;
  HttpServerOptions options_;
  std::shared_ptr<SystemStatus> status_;
  std::shared_ptr<Telemetry> telemetry_;
  HttpRequestMetrics requests_;
  std::shared_ptr<CapabilityManager> capabilities_;
  std::shared_ptr<LoadShedder> shedder_;
  std::function<bool(std::string_view)> serves_tenant_;
  Router router_;
  std::unique_ptr<HttpServer> server_;
  std::function<void(const std::string&)> on_listening_;
  std::shared_ptr<WebSocketHub> websockets_;
  std::shared_ptr<mcp::McpEndpoint> mcp_;
};

}  // namespace solo::net
