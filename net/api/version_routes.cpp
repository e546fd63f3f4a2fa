#include "net/api/version_routes.hpp"

#include <functional>

#include <boost/json.hpp>

#include "net/api/api_context.hpp"
#include "net/api/authorization.hpp"
#include "net/api/request_args.hpp"
#include "net/api/request_tenant.hpp"
#include "net/router.hpp"
#include "stores/event_store.hpp"
#include "stores/service_versions.hpp"

namespace solo::net {

namespace {

constexpr int64_t kDefaultPage = 20;
constexpr int64_t kMaxPage = 100;

boost::json::object version_json(const ServiceVersion& entry, bool with_code) {
  boost::json::object out;
  out["event_id"] = entry.event_id;
  out["kind"] = entry.kind;
  out["version"] = entry.version;
  out["at"] = entry.at;
  out["code_bytes"] = entry.code.size();
  if (with_code) out["code"] = entry.code;
  return out;
}

// The service id of the path, once the caller may read that service.
std::string readable_service(const Request& request) {
  const auto& id = request.params.at("id");
  require_identifier(id, "service id");
  require(request, "status", "services/" + id);
  return id;
}

Error no_service(const std::string& id) { return Error(ErrorKind::not_found, "no service " + id); }

asio::awaitable<Response> list_versions(std::shared_ptr<ApiContext> context, Request& request) {
  auto id = readable_service(request);
  auto tenant = request_tenant(request);
  auto limit = query_int(request, "limit", kDefaultPage, 1, kMaxPage);
  auto cursor = query_int(request, "cursor", 0, 1, INT64_MAX);
  // One more than the page, to know whether another follows.
  const auto page_plus_one = static_cast<size_t>(limit) + 1;
  // A named std::function, not a temporary in the co_await expression:
  // GCC 12 mis-copies those (a bad free; stores/event_store.hpp).
  std::function<std::vector<ServiceVersion>(Database&)> page = [tenant, id, cursor, page_plus_one](Database& db) {
    return list_service_versions(db, tenant, id, cursor, page_plus_one);
  };
  auto entries = co_await context->events->read<std::vector<ServiceVersion>>(std::move(page));
  // A service with no version at all is missing (another tenant's id
  // included); past the last page of one that has some, the page is empty.
  if (entries.empty() && cursor == 0) throw no_service(id);
  bool more = entries.size() > static_cast<size_t>(limit);
  if (more) entries.pop_back();
  boost::json::array versions;
  for (const auto& entry : entries) versions.push_back(version_json(entry, false));
  boost::json::object body;
  body["service_id"] = id;
  body["versions"] = std::move(versions);
  body["next_cursor"] = more ? boost::json::value(entries.back().event_id) : boost::json::value(nullptr);
  co_return json_response(200, body);
}

asio::awaitable<Response> get_version(std::shared_ptr<ApiContext> context, Request& request) {
  auto id = readable_service(request);
  auto tenant = request_tenant(request);
  const auto& event_text = request.params.at("event_id");
  auto event_id = parse_int(event_text, "event_id", 1, INT64_MAX);
  std::function<std::optional<ServiceVersion>(Database&)> one = [tenant, id, event_id](Database& db) {
    return find_service_version(db, tenant, id, event_id);
  };
  auto entry = co_await context->events->read<std::optional<ServiceVersion>>(std::move(one));
  if (!entry) throw Error(ErrorKind::not_found, "no version " + event_text + " of service " + id);
  co_return json_response(200, version_json(*entry, true));
}

}  // namespace

void add_version_routes(Router& router, std::shared_ptr<ApiContext> context) {
  router.add("GET", "/services/{id}/versions", [context](Request& r) { return list_versions(context, r); });
  router.add("GET", "/services/{id}/versions/{event_id}", [context](Request& r) { return get_version(context, r); });
}

}  // namespace solo::net
