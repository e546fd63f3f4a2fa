#include "net/api/storage_routes.hpp"

#include <boost/json.hpp>

#include "engine/services/service_directory.hpp"
#include "engine/storage/storage_directory.hpp"
#include "net/api/api_context.hpp"
#include "net/api/authorization.hpp"
#include "net/api/request_args.hpp"
#include "net/api/request_tenant.hpp"
#include "net/api/storage_args.hpp"
#include "net/router.hpp"

namespace solo::net {

namespace {

// A list page stops adding entries past this many bytes of keys and values
// (it always holds at least one): 1000 values of 128 KiB would otherwise make
// one reply of 128 MiB.
constexpr std::size_t kPageBytes = 1024 * 1024;

// The (tenant, service) the path names, after checking the caller may
// `permission` it. Another tenant's service, and an id that is neither
// deployed nor holding data, is 404 (nothing of it is visible).
struct Target {
  std::string tenant;
  std::string service;
};
Target target(const ApiContext& context, const Request& request, std::string_view permission) {
  Target out{request_tenant(request), request.params.at("id")};
  require_identifier(out.service, "service id");
  require(request, permission, "services/" + out.service);
  if (!context.storage) {
    throw Error(ErrorKind::overloaded, "storage is not open yet; retry shortly", std::chrono::seconds(1));
  }
  if (!context.services->find(out.tenant, out.service) && !context.storage->find(out.tenant, out.service)) {
    throw Error(ErrorKind::not_found, "no service " + out.service + " and no data of one");
  }
  return out;
}

boost::json::object use_json(const StorageUse& use) { return {{"bytes", use.bytes}, {"keys", use.keys}}; }

asio::awaitable<Response> list_entries(std::shared_ptr<ApiContext> context, Request& request) {
  auto at = target(*context, request, "storage:read");
  auto query = parse_list_query(request);
  auto entries = context->storage->list(at.tenant, at.service, query.prefix, query.cursor, query.limit);
  boost::json::array page;
  std::size_t bytes = 0;
  bool more = entries.size() >= query.limit;
  for (auto& entry : entries) {
    if (!page.empty() && bytes + entry.key.size() + entry.value.size() > kPageBytes) {
      more = true;
      break;
    }
    bytes += entry.key.size() + entry.value.size();
    page.push_back(boost::json::object{{"key", entry.key}, {"value", stored_value(entry.value)}});
  }
  boost::json::object body;
  body["next_cursor"] = more && !page.empty() ? boost::json::value(page.back().at("key")) : boost::json::value(nullptr);
  body["entries"] = std::move(page);
  co_return json_response(200, body);
}

asio::awaitable<Response> get_entry(std::shared_ptr<ApiContext> context, Request& request) {
  auto at = target(*context, request, "storage:read");
  const auto& key = require_storage_key(request.params.at("key"));
  auto value = context->storage->get(at.tenant, at.service, key);
  if (!value) throw Error(ErrorKind::not_found, "service " + at.service + " has no key '" + key + "'");
  co_return json_response(200, boost::json::object{{"key", key}, {"value", stored_value(*value)}});
}

asio::awaitable<Response> put_entry(std::shared_ptr<ApiContext> context, Request& request) {
  auto at = target(*context, request, "storage:write");
  std::string key = require_storage_key(request.params.at("key"));
  auto value = parse_put_body(parse_json_object(request));
  const auto bytes = key.size() + value.size();
  co_await context->storage->put(at.tenant, at.service, key, std::move(value));
  boost::json::object body;
  body["key"] = key;
  body["bytes"] = bytes;
  body["storage"] = use_json(context->storage->use(at.tenant, at.service));
  co_return json_response(200, body);
}

asio::awaitable<Response> delete_entry(std::shared_ptr<ApiContext> context, Request& request) {
  auto at = target(*context, request, "storage:write");
  std::string key = require_storage_key(request.params.at("key"));
  bool deleted = co_await context->storage->erase(at.tenant, at.service, key);
  boost::json::object body;
  body["key"] = key;
  body["deleted"] = deleted;
  co_return json_response(200, body);
}

asio::awaitable<Response> import_entries(std::shared_ptr<ApiContext> context, Request& request) {
  auto at = target(*context, request, "storage:write");
  auto entries = parse_import_body(parse_json_object(request));
  auto imported = co_await context->storage->import(at.tenant, at.service, std::move(entries));
  boost::json::object body;
  body["imported"] = imported;
  body["storage"] = use_json(context->storage->use(at.tenant, at.service));
  co_return json_response(200, body);
}

}  // namespace

void add_storage_routes(Router& router, std::shared_ptr<ApiContext> context) {
  router.add("GET", "/services/{id}/storage", [context](Request& r) { return list_entries(context, r); });
  // A literal segment of its own: no key can reach it (keys live under
  // /storage/).
  router.add("POST", "/services/{id}/storage:import", [context](Request& r) { return import_entries(context, r); });
  router.add("GET", "/services/{id}/storage/{key+}", [context](Request& r) { return get_entry(context, r); });
  router.add("PUT", "/services/{id}/storage/{key+}", [context](Request& r) { return put_entry(context, r); });
  router.add("DELETE", "/services/{id}/storage/{key+}", [context](Request& r) { return delete_entry(context, r); });
}

}  // namespace solo::net
