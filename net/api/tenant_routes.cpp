#include "net/api/tenant_routes.hpp"

#include <boost/json.hpp>

#include "engine/identifier.hpp"
#include "engine/security/capability.hpp"
#include "engine/tenancy/tenant_quotas.hpp"
#include "net/api/api_context.hpp"
#include "net/api/authorization.hpp"
#include "net/api/quota_checks.hpp"
#include "net/api/request_args.hpp"
#include "net/router.hpp"

namespace solo::net {

namespace {

Error unavailable() { return Error(ErrorKind::overloaded, "tenant quotas are not loaded yet", std::chrono::seconds(1)); }

const std::string& tenant_param(const Request& request) {
  const auto& id = request.params.at("id");
  require_identifier(id, "tenant id");
  return id;
}

boost::json::object quota_body(const std::string& tenant, const TenantQuota& quota) {
  boost::json::object body;
  body["tenant_id"] = tenant;
  body["quota"] = quota.to_json();
  return body;
}

asio::awaitable<Response> get_quota(std::shared_ptr<ApiContext> context, Request& request) {
  require(request, "admin");
  const auto& tenant = tenant_param(request);
  if (!context->quotas) throw unavailable();
  co_return json_response(200, quota_body(tenant, context->quotas->quota(tenant)));
}

asio::awaitable<Response> put_quota(std::shared_ptr<ApiContext> context, Request& request) {
  require(request, "admin");
  std::string tenant = tenant_param(request);
  if (!context->quotas) throw unavailable();
  auto partial = parse_json_object(request);
  std::string set_by = request.caller ? request.caller->token_id : "system";
  // QuotaError (invalid) and QuotaChangeInProgress (conflict) go to the gateway.
  auto quota = co_await context->quotas->set(tenant, std::move(partial), std::move(set_by));
  co_return json_response(200, quota_body(tenant, quota));
}

asio::awaitable<Response> get_tenant(std::shared_ptr<ApiContext> context, Request& request) {
  const auto& tenant = tenant_param(request);
  // Another tenant's id looks like one that does not exist.
  if (!is_admin(request) && request.caller->tenant_id != tenant) {
    throw Error(ErrorKind::not_found, "no tenant " + tenant);
  }
  if (!context->quotas) throw unavailable();
  boost::json::object body;
  body["tenant_id"] = tenant;
  body["quota"] = quota_usage_json(*context, tenant);
  co_return json_response(200, body);
}

}  // namespace

void add_tenant_routes(Router& router, std::shared_ptr<ApiContext> context) {
  router.add("GET", "/tenants/{id}/quota", [context](Request& r) { return get_quota(context, r); });
  router.add("PUT", "/tenants/{id}/quota", [context](Request& r) { return put_quota(context, r); });
  router.add("GET", "/tenants/{id}", [context](Request& r) { return get_tenant(context, r); });
}

}  // namespace solo::net
