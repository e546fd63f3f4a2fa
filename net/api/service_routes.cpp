#include "net/api/service_routes.hpp"

#include <boost/json.hpp>

#include "net/resilience/circuit_breaker.hpp"
#include "engine/services/deployer.hpp"
#include "engine/services/service_directory.hpp"
#include "engine/storage/storage_directory.hpp"
#include "net/api/api_context.hpp"
#include "net/api/authorization.hpp"
#include "net/api/quota_checks.hpp"
#include "net/api/request_args.hpp"
#include "net/api/request_tenant.hpp"
#include "net/api/service_figures.hpp"
#include "net/api/storage_routes.hpp"
#include "net/router.hpp"

namespace solo::net {

namespace {

// Expected failures are thrown as Errors (base/error.hpp): the
// gateway answers them (net/error_reply.hpp); no status is chosen here.

// An open circuit: fail fast with the time until the next probe.
Error circuit_open(const std::string& service_id, const CircuitBreaker& breaker) {
  return Error(ErrorKind::overloaded,
               "circuit open for service " + service_id + " after repeated failures; retry after the cool-down",
               std::chrono::seconds(std::max<int64_t>(1, breaker.retry_after_s())));
}

// The service named in the path, after checking the caller may `permission` it.
std::shared_ptr<ServiceActor> find_service(const ApiContext& context, const Request& request,
                                           const std::string& tenant, std::string_view permission) {
  const auto& id = request.params.at("id");
  require_identifier(id, "service id");
  require(request, permission, "services/" + id);
  auto actor = context.services->find(tenant, id);
  if (!actor) throw Error(ErrorKind::not_found, "no service " + id);
  return actor;
}

// A service reads its bound secrets (solo.secret), so binding one, or
// swapping the code of a service that has some, hands their values to code the
// caller wrote: it needs `secrets:read` on each, as reading them directly would.
void require_secret_reads(const Request& request, const std::vector<std::string>& secrets, std::string_view why) {
  for (const auto& name : secrets) {
    if (!allowed(request, "secrets:read", "secrets/" + name)) {
      throw Forbidden(std::string(why) + " needs 'secrets:read' on secrets/" + name + ", which this token lacks");
    }
  }
}

asio::awaitable<Response> post_service(std::shared_ptr<ApiContext> context, Request& request) {
  auto tenant = request_tenant(request);
  auto body = parse_json_object(request);
  ServiceSpec spec = parse_service_spec(body, tenant, context->deployer->limits_max());
  require(request, "deploy", "services/" + spec.service_id);
  require_secret_reads(request, spec.secrets, "binding a secret to a service");
  // The tenant's quotas (429 quota_exceeded): held until the service counts.
  auto reserved = reserve_deploy(*context, request, spec);
  auto reply = co_await context->deployer->deploy(std::move(spec));
  co_return json_response(201, reply);
}

asio::awaitable<Response> list_services(std::shared_ptr<ApiContext> context, Request& request) {
  require(request, "status");
  auto tenant = request_tenant(request);
  auto limit = query_int(request, "limit", 100, 1, 1000);
  auto offset = query_int(request, "offset", 0, 0, INT64_MAX);
  std::string status = request.query_param("status").value_or("");
  auto page = context->services->list(tenant, status, static_cast<size_t>(limit), static_cast<size_t>(offset));
  boost::json::array services;
  for (auto& service : page.services) {
    // The same figures as GET /services/{id} (service_figures.hpp).
    if (auto actor = context->services->find(tenant, std::string(service.at("service_id").as_string()))) {
      service["stats"] = service_stats(*context, *actor);
    }
    services.push_back(std::move(service));
  }
  boost::json::object body;
  body["services"] = std::move(services);
  body["total"] = page.total;
  body["limit"] = limit;
  body["offset"] = offset;
  co_return json_response(200, body);
}

asio::awaitable<Response> get_service(std::shared_ptr<ApiContext> context, Request& request) {
  auto tenant = request_tenant(request);
  auto actor = find_service(*context, request, tenant, "status");
  auto body = actor->status_json();
  // The circuit breaker's state (resilience/circuit_breaker.hpp); closed until a call reached it.
  if (context->breakers) {
    auto& breaker = context->breakers->get(tenant, actor->spec().service_id, actor.get());
    body["circuit"] = breaker.to_json();
  }
  // What its durable data takes (solo.storage), against limits.storage_bytes / storage_keys.
  if (context->storage) {
    auto use = context->storage->use(tenant, actor->spec().service_id);
    body["storage"] = boost::json::object{{"bytes", use.bytes}, {"keys", use.keys}};
  }
  body["stats"] = service_stats(*context, *actor);
  co_return json_response(200, body);
}

// The code of the version that runs now: what an agent reads before it swaps
// (the MCP resource solo://services/{id}/code). Reading it needs `status`, as
// its sha256 does; the code holds no secret value (secrets are bound by name).
asio::awaitable<Response> get_code(std::shared_ptr<ApiContext> context, Request& request) {
  auto actor = find_service(*context, request, request_tenant(request), "status");
  const auto& spec = actor->spec();
  boost::json::object body;
  body["service_id"] = spec.service_id;
  body["version"] = spec.version;
  body["format"] = spec.format;
  body["code_sha256"] = actor->code_sha256();
  body["code"] = spec.code;
  co_return json_response(200, body);
}

asio::awaitable<Response> delete_service(std::shared_ptr<ApiContext> context, Request& request) {
  auto tenant = request_tenant(request);
  const auto& id = request.params.at("id");
  require_identifier(id, "service id");
  require(request, "kill", "services/" + id);
  bool force = request.query_param("force").value_or("false") == "true";
  // purge: the service's storage goes too, in the kill event's transaction;
  // without it the data stays for a redeploy of the same id.
  bool purge = request.query_param("purge").value_or("false") == "true";
  int64_t event_id = co_await context->deployer->kill(tenant, id, force, purge);
  boost::json::object body;
  body["service_id"] = id;
  body["status"] = "killed";
  body["purged"] = purge;
  body["event_id"] = event_id;
  co_return json_response(202, body);
}

asio::awaitable<Response> put_code(std::shared_ptr<ApiContext> context, Request& request) {
  auto tenant = request_tenant(request);
  const auto& id = request.params.at("id");
  require_identifier(id, "service id");
  require(request, "swap", "services/" + id);
  if (auto actor = context->services->find(tenant, id)) {
    require_secret_reads(request, actor->spec().secrets, "swapping the code of a service bound to a secret");
  }
  auto body = parse_json_object(request);
  auto code = body.if_contains("code");
  if (!code || !code->is_string()) throw BadRequest("'code' is required (a string)");
  auto window = std::chrono::milliseconds(5000);
  if (auto ms = body.if_contains("rollback_window_ms")) {
    if (!ms->is_int64() || ms->as_int64() < 0 || ms->as_int64() > 3'600'000) {
      throw BadRequest("'rollback_window_ms' must be an integer from 0 to 3600000");
    }
    window = std::chrono::milliseconds(ms->as_int64());
  }
  check_swap(*context, request, tenant, code->as_string().size());
  auto version = co_await context->deployer->swap(tenant, id, std::string(code->as_string()), window);
  boost::json::object reply;
  reply["service_id"] = id;
  reply["version"] = version;
  co_return json_response(200, reply);
}

asio::awaitable<Response> call_service(std::shared_ptr<ApiContext> context, Request& request) {
  auto actor = find_service(*context, request, request_tenant(request), "call");
  auto message = parse_json_body(request);
  // Circuit breaker: fail fast while open; errors, timeouts and a stopped
  // service count as failures; a full mailbox and a reply that cannot be
  // encoded (the service itself is fine) as neither.
  CircuitBreaker* breaker = nullptr;
  if (context->breakers) {
    breaker = &context->breakers->get(actor->spec().tenant_id, actor->spec().service_id, actor.get());
    if (!breaker->allow()) {
      actor->stats().call_rejected();
      throw circuit_open(actor->spec().service_id, *breaker);
    }
  }
  auto timeout = actor->spec().limits.call_timeout;
  auto result = co_await actor->call(std::move(message), timeout);
  if (breaker) {
    // Re-fetched: the map may have changed while the call was in flight.
    breaker = &context->breakers->get(actor->spec().tenant_id, actor->spec().service_id, actor.get());
    if (result.ok()) {
      breaker->on_success();
    } else if (result.error() != ErrorKind::overloaded && result.error() != ErrorKind::bad_reply) {
      breaker->on_failure();
    } else {
      breaker->release_probe();
    }
  }
  if (!result.ok()) throw result.failure();
  boost::json::object body;
  body["reply"] = std::move(result.value());
  co_return json_response(200, body);
}

asio::awaitable<Response> cast_service(std::shared_ptr<ApiContext> context, Request& request) {
  auto actor = find_service(*context, request, request_tenant(request), "call");
  auto message = parse_json_body(request);
  CircuitBreaker* breaker = nullptr;
  if (context->breakers) {
    breaker = &context->breakers->get(actor->spec().tenant_id, actor->spec().service_id, actor.get());
    if (breaker->rejecting()) {
      actor->stats().cast_refused(CallFailure::rejected);
      throw circuit_open(actor->spec().service_id, *breaker);
    }
  }
  if (!actor->alive() && actor->state() != ServiceState::restarting) {
    if (breaker) breaker->on_failure();
    actor->stats().cast_refused(CallFailure::crash);
    throw Error(ErrorKind::stopped, "service " + actor->spec().service_id + " is " + to_string(actor->state()));
  }
  if (!actor->cast(std::move(message))) {
    throw Error(ErrorKind::overloaded,
                "service " + actor->spec().service_id +
                    " is overloaded (mailbox full, or its queued messages and timers would pass its memory "
                    "limit); nothing was queued",
                std::chrono::seconds(1));
  }
  boost::json::object body;
  body["service_id"] = actor->spec().service_id;
  body["status"] = "queued";
  co_return json_response(202, body);
}

}  // namespace

void add_service_routes(Router& router, std::shared_ptr<ApiContext> context) {
  router.add("POST", "/services", [context](Request& r) { return post_service(context, r); });
  router.add("GET", "/services", [context](Request& r) { return list_services(context, r); });
  router.add("GET", "/services/{id}", [context](Request& r) { return get_service(context, r); });
  router.add("DELETE", "/services/{id}", [context](Request& r) { return delete_service(context, r); });
  router.add("GET", "/services/{id}/code", [context](Request& r) { return get_code(context, r); });
  router.add("PUT", "/services/{id}/code", [context](Request& r) { return put_code(context, r); });
  router.add("POST", "/services/{id}/call", [context](Request& r) { return call_service(context, r); });
  router.add("POST", "/services/{id}/cast", [context](Request& r) { return cast_service(context, r); });
  // A service's durable data lives under its path (storage_routes.hpp).
  add_storage_routes(router, context);
}

}  // namespace solo::net
