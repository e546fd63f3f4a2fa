#include "net/api/token_routes.hpp"

#include <boost/json.hpp>

#include "engine/security/capability_manager.hpp"
#include "net/api/api_context.hpp"
#include "net/api/authorization.hpp"
#include "net/api/quota_checks.hpp"
#include "net/api/request_args.hpp"
#include "net/router.hpp"
#include "stores/event.hpp"

namespace solo::net {

namespace {

boost::json::value time_json(const std::optional<SystemTimePoint>& at) {
  if (!at) return nullptr;
  return boost::json::value(format_iso8601(*at));
}

boost::json::object capability_json(const Capability& capability) {
  boost::json::array permissions;
  for (const auto& permission : capability.permissions) permissions.emplace_back(permission);
  boost::json::object out;
  out["token_id"] = capability.token_id;
  out["tenant_id"] = capability.tenant_id;
  out["permissions"] = std::move(permissions);
  out["resource"] = capability.resource;
  out["expires_at"] = time_json(capability.expires_at);
  out["parent_id"] = capability.parent_id ? boost::json::value(*capability.parent_id) : boost::json::value(nullptr);
  out["revoked"] = capability.revoked;
  out["created_at"] = format_iso8601(capability.created_at);
  return out;
}

GrantRequest parse_grant(const Request& request) {
  auto body = parse_json_object(request);
  GrantRequest grant;
  if (auto tenant = body.if_contains("tenant_id"); tenant && !tenant->is_null()) {
    if (!tenant->is_string()) throw BadRequest("'tenant_id' must be a string");
    grant.tenant_id = std::string(tenant->as_string());
  } else if (is_admin(request)) {
    grant.tenant_id = request.tenant;  // X-Tenant-ID, or "default"
  }
  auto permissions = body.if_contains("permissions");
  if (!permissions || !permissions->is_array()) throw BadRequest("'permissions' must be an array of names");
  for (const auto& permission : permissions->as_array()) {
    if (!permission.is_string()) throw BadRequest("'permissions' must hold strings");
    grant.permissions.emplace_back(permission.as_string());
  }
  if (auto resource = body.if_contains("resource"); resource && !resource->is_null()) {
    if (!resource->is_string()) throw BadRequest("'resource' must be a string");
    grant.resource = std::string(resource->as_string());
  }
  if (auto ttl = body.if_contains("ttl_seconds"); ttl && !ttl->is_null()) {
    if (!ttl->is_int64() || ttl->as_int64() <= 0) throw BadRequest("'ttl_seconds' must be a positive integer");
    grant.ttl = std::chrono::seconds(ttl->as_int64());
  }
  return grant;
}

asio::awaitable<Response> post_token(std::shared_ptr<ApiContext> context, Request& request) {
  auto grant = parse_grant(request);
  // A grant the caller may not make is refused as such before the quota is
  // looked at: the quota of a tenant the caller cannot grant for is none of
  // its business (a 429 there would tell it that tenant's token count).
  if (auto valid = context->capabilities->validate_grant(grant, request.caller); !valid) throw valid.error();
  // The tenant's `tokens` quota, held until the new token is in the manager.
  const std::string& tenant = grant.tenant_id.empty() && request.caller ? request.caller->tenant_id : grant.tenant_id;
  auto reserved = reserve_token(*context, request, tenant.empty() ? request.tenant : tenant);
  auto result = co_await context->capabilities->grant(std::move(grant), request.caller);
  if (!result) throw result.error();
  boost::json::object body;
  body["token"] = result->token;
  body["token_id"] = result->token_id;
  body["tenant_id"] = result->tenant_id;
  body["expires_at"] = time_json(result->expires_at);
  co_return json_response(201, body);
}

asio::awaitable<Response> list_tokens(std::shared_ptr<ApiContext> context, Request& request) {
  // Listing tokens is capability management: it needs `grant` (a token can
  // always see itself through GET /auth/verify).
  require(request, "grant");
  // An admin sees every tenant's tokens unless it names one; a tenant_admin
  // every token of its tenant; any other token itself and the tokens it
  // granted, transitively (CapabilityManager::manages).
  std::string tenant = is_admin(request) && !request.header("x-tenant-id") ? "" : request.tenant;
  boost::json::array tokens;
  for (const auto& capability : context->capabilities->list(tenant, request.caller.get())) {
    tokens.push_back(capability_json(capability));
  }
  boost::json::object body;
  body["total"] = tokens.size();
  body["tokens"] = std::move(tokens);
  co_return json_response(200, body);
}

asio::awaitable<Response> delete_token(std::shared_ptr<ApiContext> context, Request& request) {
  std::string token_id = request.params.at("token_id");
  auto result = co_await context->capabilities->revoke(token_id, request.caller);
  if (!result) throw result.error();
  boost::json::object body;
  body["token_id"] = token_id;
  body["revoked"] = *result;
  co_return json_response(200, body);
}

asio::awaitable<Response> get_verify(std::shared_ptr<ApiContext> context, Request& request) {
  auto permission = request.query_param("permission").value_or("");
  auto resource = request.query_param("resource").value_or("");
  if (!permission.empty()) require(request, permission, resource);
  boost::json::object body = request.caller ? capability_json(*request.caller) : boost::json::object();
  body["valid"] = true;
  co_return json_response(200, body);
}

// Who the bearer is, for a client that shows only what the token may do (the
// dashboard hides the views it cannot use). Any valid token; no permission,
// as GET /auth/verify without a query: a token always may know itself.
asio::awaitable<Response> get_whoami(std::shared_ptr<ApiContext>, Request& request) {
  boost::json::object body;
  if (request.caller) {
    const auto& caller = *request.caller;
    boost::json::array permissions;
    for (const auto& permission : caller.permissions) permissions.emplace_back(permission);
    body["tenant"] = caller.tenant_id;
    body["admin"] = caller.is_admin();
    body["tenant_admin"] = caller.is_tenant_admin();
    body["permissions"] = std::move(permissions);
    body["resource"] = caller.resource;
    body["token_id"] = caller.token_id;
    body["expires_at"] = time_json(caller.expires_at);
  } else {
    // Authentication off (an embedding program without tokens): all may.
    body["tenant"] = request.tenant;
    body["admin"] = true;
    body["tenant_admin"] = false;
    body["permissions"] = boost::json::array{"admin"};
    body["resource"] = "*";
    body["token_id"] = nullptr;
    body["expires_at"] = nullptr;
  }
  co_return json_response(200, body);
}

}  // namespace

void add_token_routes(Router& router, std::shared_ptr<ApiContext> context) {
  router.add("POST", "/tokens", [context](Request& r) { return post_token(context, r); });
  router.add("GET", "/tokens", [context](Request& r) { return list_tokens(context, r); });
  router.add("DELETE", "/tokens/{token_id}", [context](Request& r) { return delete_token(context, r); });
  router.add("GET", "/auth/verify", [context](Request& r) { return get_verify(context, r); });
  router.add("GET", "/auth/whoami", [context](Request& r) { return get_whoami(context, r); });
}

}  // namespace solo::net
