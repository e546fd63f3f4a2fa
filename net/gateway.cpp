#include "net/gateway.hpp"

#include <iostream>

#include "base/iso8601.hpp"
#include "base/park.hpp"
#include "base/prometheus.hpp"
#include "engine/identifier.hpp"
#include "engine/security/capability_manager.hpp"
#include "engine/supervision/child_context.hpp"
#include "engine/system/system_status.hpp"
#include "engine/telemetry/telemetry.hpp"
#include "net/error_reply.hpp"
#include "net/resilience/load_shedder.hpp"
#include "net/mcp/mcp_endpoint.hpp"  // MCP /mcp
#include "net/websocket_hub.hpp"  // WebSocket /ws
#include "stores/database.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/json/parse.hpp>

namespace solo::net {

namespace {

// The "message" of an error body (error_response's shape), for the audit event.
std::string error_message(const Response& response) {
  boost::system::error_code ec;
  auto body = boost::json::parse(response.body, ec);
  if (ec || !body.is_object()) return {};
  auto message = body.as_object().if_contains("message");
  return message && message->is_string() ? std::string(message->as_string()) : std::string();
}
}  // namespace

Gateway::Gateway(asio::any_io_executor executor, HttpServerOptions options, std::shared_ptr<SystemStatus> status)
    : executor_(std::move(executor)), options_(std::move(options)), status_(std::move(status)) {}

void Gateway::set_telemetry(std::shared_ptr<Telemetry> telemetry) {
  telemetry_ = std::move(telemetry);
  telemetry_->add_collector([this](std::string& out) {
    if (!server_) return;
    prometheus::gauge(out, "solo_http_connections", "Open HTTP connections.",
                      static_cast<double>(server_->active_connections()));
    prometheus::gauge(out, "solo_http_in_flight", "HTTP requests being handled.",
                      static_cast<double>(server_->in_flight()));
    prometheus::gauge(out, "solo_http_overflow_connections",
                      "Open connections over a connection cap (they serve only /health).",
                      static_cast<double>(server_->overflow_connections()));
    prometheus::counter(out, "solo_http_connections_refused_total",
                        "Connections over a connection cap (per address or in all), since start.",
                        static_cast<double>(server_->refused_connections()));
    requests_.render(out);
  });
}

std::optional<Response> Gateway::authenticate(Request& request) {
  // A copy, not a view: the header list may grow below (the token of /ws).
  std::optional<std::string> named;
  if (auto header = request.header("x-tenant-id")) {
    named = std::string(*header);
  } else if (request.path == "/ws") {
    // Browsers cannot set headers on a WebSocket upgrade: ?tenant= stands for
    // X-Tenant-ID there (the admin's console picks a tenant so), under the
    // same rule. Kept as the header, which the session's ops and watch read.
    if (auto tenant = request.query_param("tenant")) {
      named = *tenant;
      request.headers.emplace_back("x-tenant-id", *tenant);
    }
  }
  if (named && !is_valid_identifier(*named)) {
    return error_reply(Error(ErrorKind::invalid, "X-Tenant-ID must be a valid identifier"));
  }
  if (!capabilities_) {
    request.tenant = named.value_or("default");
    return std::nullopt;
  }
  std::string_view token;
  if (auto header = request.header("authorization")) {
    if (header->size() > 7 && (header->substr(0, 7) == "Bearer " || header->substr(0, 7) == "bearer ")) {
      token = header->substr(7);
    }
  } else if (auto query = request.query_param("token"); query && request.path == "/ws") {
    // Browsers cannot set headers on a WebSocket upgrade.
    request.headers.emplace_back("authorization", "Bearer " + *query);
    token = std::string_view(request.headers.back().second).substr(7);  // a view into the kept header
  }
  auto caller = capabilities_->authenticate(token);
  if (!caller) return error_reply(caller.error());
  request.caller = *caller;
  const auto& capability = **caller;
  if (capability.is_admin()) {
    request.tenant = named.value_or("default");
  } else if (named && *named != capability.tenant_id) {
    std::string message = "X-Tenant-ID may only name this token's own tenant";
    capabilities_->record_refusal(&capability, "foreign_tenant", request.method + " " + request.path, message);
    return error_reply(Error(ErrorKind::forbidden, message));
  } else {
    request.tenant = capability.tenant_id;
  }
  return std::nullopt;
}

asio::awaitable<Response> Gateway::dispatch(std::shared_ptr<Gateway> self, Request& request) {
  bool health = request.path == "/health";
  // The OpenAPI document is public, like /health (net/api/openapi_routes.cpp).
  bool open_document = request.path == "/openapi.json" && request.method == "GET";
  // The dashboard's static files ask for the token themselves (net/ui/dashboard_assets.hpp);
  // a path under /ui/ that is not one of them is the Router's 404.
  bool open_page = request.method == "GET" && (request.path == "/ui" || request.path.starts_with("/ui/"));
  if (!health && !open_document && !open_page) {
    if (auto refused = self->authenticate(request)) co_return std::move(*refused);
  }
  if (self->serves_tenant_ && !health && request.method != "GET" && request.method != "HEAD" &&
      !self->serves_tenant_(request.tenant)) {
    co_return error_reply(Error(ErrorKind::invalid, "tenant '" + request.tenant +
                                                        "' is kept by another shard of this cluster: name it with "
                                                        "X-Tenant-ID (docs/cluster.md)"));
  }
  if (self->status_->phase() == SystemPhase::starting && !health) {
    co_return error_reply(
        Error(ErrorKind::overloaded, "solo is starting (recovery in progress); retry shortly", std::chrono::seconds(1)));
  }
  if (!health && !self->status_->has_authority()) {
    co_return error_reply(Error(ErrorKind::overloaded,
                                "this node cannot confirm its lease on the store (docs/cluster.md); retry shortly",
                                std::chrono::seconds(1)));
  }
  // Load shedding after authentication (the tenant is known); /health and
  // /metrics stay answerable under overload. The permit lives until the
  // response is built. /mcp is not shed here: every tool call and resource
  // read it makes comes back through this dispatch as its REST request and is
  // shed on its own (a held permit around it would count each call twice and
  // let a long GET /mcp stream hold a permit for hours).
  LoadPermit permit;
  if (self->shedder_ && !health && request.path != "/metrics" && request.path != "/mcp") {
    auto acquired = self->shedder_->try_acquire(request.tenant);
    if (!acquired) co_return error_reply(acquired.error());  // 429 throttled or 503 overloaded
    permit = std::move(*acquired);
  }
  // Every expected failure a route lets through is answered here, by the one
  // mapping (net/error_reply.hpp); anything else is the server's 500.
  Response response;
  try {
    response = co_await self->router_.route(request);
  } catch (const Error& error) {
    response = error_reply(error);
  } catch (const StoreError& error) {
    response = error_reply(error);
  }
  // Every refusal a handler decided (require()'s 403s, a grant beyond the
  // granter's own) is audited like the manager's own denials.
  if ((response.status == 401 || response.status == 403) && self->capabilities_) {
    self->capabilities_->record_refusal(request.caller.get(), response.status == 401 ? "unauthorized" : "forbidden",
                                        request.method + " " + request.path, error_message(response));
  }
  co_return response;
}

asio::awaitable<void> Gateway::run(std::shared_ptr<Gateway> self, ChildContext context) {
  self->server_ = std::make_unique<HttpServer>(self->executor_, self->options_, self->dispatcher());
  self->server_->set_on_request([weak = std::weak_ptr<Gateway>(self)](const Request& request, int status,
                                                                       std::chrono::nanoseconds elapsed) {
    if (auto gateway = weak.lock()) {
      const std::string_view route = request.route.empty() ? std::string_view("unmatched") : request.route;
      gateway->requests_.observe(route, request.method, status, std::chrono::duration<double>(elapsed).count());
    }
  });
  // WebSocket /ws: ops go through dispatch(); 101 answers hand the socket to the hub.
  if (self->websockets_) {
    self->websockets_->set_dispatch(self->dispatcher());
    self->server_->set_on_upgrade([hub = self->websockets_](Request&& request, asio::ip::tcp::socket&& socket,
                                                            ConnectionSlot slot) {
      hub->accept(std::move(request), std::move(socket), std::move(slot));
    });
  }
  // MCP /mcp: tool calls and resource reads go through dispatch().
  if (self->mcp_) self->mcp_->set_dispatch(self->dispatcher());
  self->server_->listen();
  if (self->on_listening_) self->on_listening_(self->url());
  context.ready();
  co_await self->server_->run();
  // The accept loop ends at stop_accepting() during shutdown; the child stays
  // until the supervisor stops it, so that this is not an exit to restart.
  co_await park_until_cancelled();
}

void Gateway::stop_accepting() {
  if (server_) server_->stop_accepting();
}

std::function<asio::awaitable<Response>(Request&)> Gateway::dispatcher() {
  return [weak = weak_from_this()](Request& request) {
    auto gateway = weak.lock();
    if (!gateway) throw std::runtime_error("gateway stopped");
    return dispatch(gateway, request);
  };
}

std::function<asio::awaitable<Response>(Request&)> Gateway::front_dispatcher() {
  return [weak = weak_from_this()](Request& request) {
    auto gateway = weak.lock();
    if (!gateway) throw std::runtime_error("gateway stopped");
    return dispatch_counted(gateway, request);
  };
}

asio::awaitable<Response> Gateway::dispatch_counted(std::shared_ptr<Gateway> self, Request& request) {
  const auto start = std::chrono::steady_clock::now();
  Response response = co_await dispatch(self, request);
  const std::string_view route = request.route.empty() ? std::string_view("unmatched") : request.route;
  self->requests_.observe(route, request.method, response.status,
                          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  co_return response;
}

asio::awaitable<void> Gateway::drain(std::chrono::milliseconds deadline) {
  if (mcp_) mcp_->drain();  // MCP sessions end: their GET streams return, so connections can close
  if (server_ && websockets_) {  // HTTP and WebSocket connections drain side by side
    using namespace asio::experimental::awaitable_operators;
    co_await (server_->drain(deadline) && websockets_->drain(deadline));
  } else if (server_) {
    co_await server_->drain(deadline);
  }
}

std::string Gateway::url() const {
  auto endpoint = server_->local_endpoint();
  auto address = endpoint.address();
  std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return (server_->tls() ? "https://" : "http://") + host + ":" + std::to_string(endpoint.port());
}

size_t Gateway::in_flight() const { return server_ ? server_->in_flight() : 0; }

}  // namespace solo::net
