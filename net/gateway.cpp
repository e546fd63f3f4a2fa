#include "net/gateway.hpp"

#include <iostream>

#include "engine/supervision/child_context.hpp"
#include "engine/system/park.hpp"
#include "engine/system/system_status.hpp"
#include "engine/telemetry/telemetry.hpp"
#include "engine/identifier.hpp"
#include "engine/security/capability_manager.hpp"
#include "engine/resilience/load_shedder.hpp"
#include "engine/tenancy/quota_exceeded.hpp"
#include "net/api/authorization.hpp"
#include "net/api/request_args.hpp"
#include "net/api/store_unavailable.hpp"
#include "stores/sqlite.hpp"
#include "net/websocket_hub.hpp"  // WebSocket /ws

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/json/parse.hpp>

namespace solo::net {

namespace {

// 429 quota_exceeded: the error shape plus the quota, its limit and the use.
Response quota_exceeded_response(const QuotaExceeded& error) {
  boost::json::object body;
  body["error"] = "quota_exceeded";
  body["message"] = error.what();
  body["quota"] = error.quota();
  body["limit"] = error.limit();
  body["used"] = error.used();
  body["timestamp"] = utc_timestamp_now();
  return json_response(429, body);
}

// The "message" of an error body (error_response's shape), for the audit event.
std::string error_message(const Response& response) {
  boost::system::error_code ec;
  auto body = boost::json::parse(response.body, ec);
  if (ec || !body.is_object()) return {};
  auto message = body.as_object().if_contains("message");
  return message && message->is_string() ? std::string(message->as_string()) : std::string();
}
}  // namespace

Gateway::Gateway(asio::any_io_executor executor, HttpServerOptions options, std::shared_ptr<SystemStatus> status,
                 std::shared_ptr<Telemetry> telemetry)
    : executor_(std::move(executor)),
      options_(std::move(options)),
      status_(std::move(status)),
      telemetry_(std::move(telemetry)) {
  telemetry_->add_collector([this](std::string& out) {
    if (!server_) return;
    Telemetry::gauge(out, "solo_http_connections", "Open HTTP connections.",
                     static_cast<double>(server_->active_connections()));
    Telemetry::gauge(out, "solo_http_in_flight", "HTTP requests being handled.",
                     static_cast<double>(server_->in_flight()));
    Telemetry::gauge(out, "solo_http_overflow_connections",
                     "Open connections over a connection cap (they serve only /health).",
                     static_cast<double>(server_->overflow_connections()));
    Telemetry::counter(out, "solo_http_connections_refused_total",
                       "Connections over a connection cap (per address or in all), since start.",
                       static_cast<double>(server_->refused_connections()));
  });
}

std::optional<Response> Gateway::authenticate(Request& request) {
  auto named = request.header("x-tenant-id");
  if (named && !is_valid_identifier(*named)) {
    return error_response(400, "invalid_request", "X-Tenant-ID must be a valid identifier");
  }
  if (!capabilities_) {
    request.tenant = named ? std::string(*named) : "default";
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
  if (!caller) return error_response(401, "unauthorized", caller.error().message);
  request.caller = *caller;
  const auto& capability = **caller;
  if (capability.is_admin()) {
    request.tenant = named ? std::string(*named) : "default";
  } else if (named && *named != capability.tenant_id) {
    std::string message = "X-Tenant-ID may only name this token's own tenant";
    capabilities_->record_refusal(&capability, "foreign_tenant", request.method + " " + request.path, message);
    return error_response(403, "forbidden", message);
  } else {
    request.tenant = capability.tenant_id;
  }
  return std::nullopt;
}

asio::awaitable<Response> Gateway::dispatch(std::shared_ptr<Gateway> self, Request& request) {
  bool health = request.path == "/health";
  // The OpenAPI document is public, like /health (net/api/openapi_routes.cpp).
  bool open_document = request.path == "/openapi.json" && request.method == "GET";
  // GET /ui is a static page that asks for the token itself (net/websocket_ui_page.hpp).
  bool open_page = request.path == "/ui" && request.method == "GET";
  if (!health && !open_document && !open_page) {
    if (auto refused = self->authenticate(request)) co_return std::move(*refused);
  }
  if (self->status_->phase() == SystemPhase::starting && !health) {
    auto response = error_response(503, "overloaded", "solo is starting (recovery in progress); retry shortly");
    response.headers.emplace_back("Retry-After", "1");
    co_return response;
  }
  // Load shedding after authentication (the tenant is known); /health and
  // /metrics stay answerable under overload. The permit lives until the
  // response is built.
  LoadPermit permit;
  if (self->shedder_ && !health && request.path != "/metrics") {
    LoadRejection rejection;
    auto acquired = self->shedder_->try_acquire(request.tenant, &rejection);
    if (!acquired) {
      auto response = error_response(rejection.status, "overloaded", rejection.message);
      response.headers.emplace_back("Retry-After", std::to_string(rejection.retry_after_s));
      co_return response;
    }
    permit = std::move(*acquired);
  }
  Response response;
  try {
    response = co_await self->router_.route(request);
  } catch (const BadRequest& error) {
    co_return error_response(400, "invalid_request", error.what());
  } catch (const Forbidden& error) {
    response = error_response(403, "forbidden", error.what());
  } catch (const StoreError& error) {
    co_return store_unavailable_response(error);
  } catch (const QuotaExceeded& error) {
    co_return quota_exceeded_response(error);
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
  self->server_ = std::make_unique<HttpServer>(
      self->executor_, self->options_,
      [weak = std::weak_ptr<Gateway>(self)](Request& request) {
        auto gateway = weak.lock();
        if (!gateway) throw std::runtime_error("gateway stopped");
        return dispatch(gateway, request);
      });
  self->server_->set_on_request([telemetry = self->telemetry_](const Request& request, int status,
                                                                std::chrono::nanoseconds elapsed) {
    telemetry->observe_request(request.route.empty() ? "unmatched" : request.route, request.method, status,
                               std::chrono::duration<double>(elapsed).count());
  });
  // WebSocket /ws: ops go through dispatch(); 101 answers hand the socket to the hub.
  if (self->websockets_) {
    self->websockets_->set_dispatch([weak = std::weak_ptr<Gateway>(self)](Request& request) {
      auto gateway = weak.lock();
      if (!gateway) throw std::runtime_error("gateway stopped");
      return dispatch(gateway, request);
    });
    self->server_->set_on_upgrade([hub = self->websockets_](Request&& request, asio::ip::tcp::socket&& socket,
                                                            ConnectionSlot slot) {
      hub->accept(std::move(request), std::move(socket), std::move(slot));
    });
  }
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

asio::awaitable<void> Gateway::drain(std::chrono::milliseconds deadline) {
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
