#include "net/api/registry_routes.hpp"

#include <boost/json.hpp>

#include "engine/discovery/service_registry.hpp"
#include "net/api/api_context.hpp"
#include "net/api/authorization.hpp"
#include "net/api/quota_checks.hpp"
#include "net/api/request_args.hpp"
#include "net/api/request_tenant.hpp"
#include "net/router.hpp"

namespace solo::net {

namespace {

std::string required_string(const boost::json::object& body, const char* name) {
  auto value = body.if_contains(name);
  if (!value || !value->is_string()) throw BadRequest(std::string("'") + name + "' is required (a string)");
  return std::string(value->as_string());
}

Error unavailable() {
  return Error(ErrorKind::overloaded, "the service registry is not running yet", std::chrono::seconds(1));
}

asio::awaitable<Response> post_registration(std::shared_ptr<ApiContext> context, Request& request) {
  if (!context->registry) throw unavailable();
  auto tenant = request_tenant(request);
  auto body = parse_json_object(request);
  auto service_id = required_string(body, "service_id");
  require_identifier(service_id, "service_id");
  require(request, "registry", "services/" + service_id);
  auto name = required_string(body, "name");
  auto version = required_string(body, "version");
  boost::json::object metadata;
  if (auto value = body.if_contains("metadata"); value && !value->is_null()) {
    if (!value->is_object()) throw BadRequest("'metadata' must be an object");
    metadata = value->as_object();
  }
  std::optional<int64_t> ttl;
  if (auto value = body.if_contains("ttl_seconds"); value && !value->is_null()) {
    if (!value->is_int64()) throw BadRequest("'ttl_seconds' must be an integer");
    ttl = value->as_int64();
  }
  // A new registration takes one of the tenant's `registrations`; a renewal does not.
  auto reserved = reserve_registration(*context, request, tenant, service_id, name, version);
  auto registration = co_await context->registry->register_service(tenant, std::move(service_id), std::move(name),
                                                                   std::move(version), std::move(metadata), ttl);
  co_return json_response(201, context->registry->to_json(registration));
}

asio::awaitable<Response> get_registrations(std::shared_ptr<ApiContext> context, Request& request) {
  require(request, "registry");
  if (!context->registry) throw unavailable();
  auto tenant = request_tenant(request);
  DiscoverQuery query;
  for (const auto& [key, value] : request.query) {
    if (key == "name") {
      query.name = value;
    } else if (key == "version") {
      query.version = value;
    } else {
      query.metadata.emplace_back(key, value);
    }
  }
  boost::json::array registrations;
  for (const auto& registration : context->registry->discover(tenant, query)) {
    registrations.push_back(context->registry->to_json(registration));
  }
  boost::json::object body;
  body["total"] = registrations.size();
  body["registrations"] = std::move(registrations);
  co_return json_response(200, body);
}

asio::awaitable<Response> delete_registration(std::shared_ptr<ApiContext> context, Request& request) {
  if (!context->registry) throw unavailable();
  auto tenant = request_tenant(request);
  const auto& handle = request.params.at("handle");
  const auto* registration = context->registry->find(tenant, handle);
  if (!registration) {
    require(request, "registry");
    throw Error(ErrorKind::not_found, "no registration " + handle);
  }
  require(request, "registry", "services/" + registration->service_id);
  co_await context->registry->unregister(tenant, handle);
  boost::json::object body;
  body["handle"] = handle;
  body["status"] = "unregistered";
  co_return json_response(200, body);
}

}  // namespace

void add_registry_routes(Router& router, std::shared_ptr<ApiContext> context) {
  router.add("POST", "/registry", [context](Request& r) { return post_registration(context, r); });
  router.add("GET", "/registry", [context](Request& r) { return get_registrations(context, r); });
  router.add("DELETE", "/registry/{handle}", [context](Request& r) { return delete_registration(context, r); });
}

}  // namespace solo::net
