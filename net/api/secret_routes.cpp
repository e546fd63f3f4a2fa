#include "net/api/secret_routes.hpp"

#include <boost/json.hpp>

#include "engine/security/capability.hpp"
#include "engine/security/vault.hpp"
#include "net/api/api_context.hpp"
#include "net/api/authorization.hpp"
#include "net/api/quota_checks.hpp"
#include "net/api/request_args.hpp"
#include "net/router.hpp"

namespace solo::net {

namespace {

std::string actor(const Request& request) { return request.caller ? request.caller->token_id : "system"; }

// Reading names or existence needs either secrets permission; values need read.
void require_any_secret_permission(const Request& request, const std::string& resource) {
  if (!allowed(request, "secrets:read", resource)) require(request, "secrets:write", resource);
}

asio::awaitable<Response> post_secret(std::shared_ptr<ApiContext> context, Request& request) {
  auto body = parse_json_object(request);
  auto key = body.if_contains("key");
  auto value = body.if_contains("value");
  if (!key || !key->is_string()) throw BadRequest("'key' is required (a string)");
  if (!value || !value->is_string()) throw BadRequest("'value' is required (a string)");
  std::string name(key->as_string());
  require_identifier(name, "key");
  require(request, "secrets:write", "secrets/" + name);
  auto reserved = reserve_secret(*context, request, request.tenant, name);  // a new name takes one of `secrets`
  auto result = co_await context->vault->put(request.tenant, name, std::string(value->as_string()), actor(request));
  if (!result) throw result.error();
  boost::json::object reply;
  reply["key"] = name;
  reply["stored"] = true;
  co_return json_response(201, reply);
}

asio::awaitable<Response> list_secrets(std::shared_ptr<ApiContext> context, Request& request) {
  require_any_secret_permission(request, "");
  boost::json::array keys;
  for (const auto& info : context->vault->list(request.tenant)) keys.emplace_back(info.name);
  boost::json::object body;
  body["total"] = keys.size();
  body["secrets"] = std::move(keys);
  co_return json_response(200, body);
}

asio::awaitable<Response> get_secret(std::shared_ptr<ApiContext> context, Request& request) {
  const auto& name = request.params.at("key");
  require_identifier(name, "key");
  std::string resource = "secrets/" + name;
  bool reveal = request.query_param("reveal").value_or("false") == "true";
  if (reveal && !allowed(request, "secrets:read", resource)) {
    context->vault->record_access_denied(request.tenant, name, "missing secrets:read", actor(request));
    require(request, "secrets:read", resource);
  }
  require_any_secret_permission(request, resource);
  auto result = context->vault->get(request.tenant, name, reveal, actor(request));
  if (!result) throw result.error();
  boost::json::object body;
  body["key"] = name;
  body["exists"] = true;
  if (reveal && *result) body["value"] = **result;
  co_return json_response(200, body);
}

asio::awaitable<Response> delete_secret(std::shared_ptr<ApiContext> context, Request& request) {
  const auto& name = request.params.at("key");
  require_identifier(name, "key");
  require(request, "secrets:write", "secrets/" + name);
  auto result = co_await context->vault->remove(request.tenant, name, actor(request));
  if (!result) throw result.error();
  boost::json::object body;
  body["key"] = name;
  body["deleted"] = true;
  co_return json_response(200, body);
}

// POST /vault/rotate (admin): a new master key version, every secret
// re-encrypted under it while the server keeps serving.
asio::awaitable<Response> post_rotate(std::shared_ptr<ApiContext> context, Request& request) {
  require(request, "admin");
  auto result = co_await context->vault->rotate();
  if (!result) throw result.error();
  boost::json::array failed;
  for (const auto& row : result->failed) failed.emplace_back(row);
  boost::json::object body;
  body["key_version"] = result->key_version;
  body["reencrypted"] = result->reencrypted;
  body["batches"] = result->batches;
  body["failed"] = std::move(failed);
  co_return json_response(200, body);
}

}  // namespace

void add_secret_routes(Router& router, std::shared_ptr<ApiContext> context) {
  router.add("POST", "/secrets", [context](Request& r) { return post_secret(context, r); });
  router.add("GET", "/secrets", [context](Request& r) { return list_secrets(context, r); });
  router.add("GET", "/secrets/{key}", [context](Request& r) { return get_secret(context, r); });
  router.add("DELETE", "/secrets/{key}", [context](Request& r) { return delete_secret(context, r); });
  router.add("POST", "/vault/rotate", [context](Request& r) { return post_rotate(context, r); });
}

}  // namespace solo::net
