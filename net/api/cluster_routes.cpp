#include "net/api/cluster_routes.hpp"

#include <boost/json.hpp>

#include "base/error.hpp"
#include "net/api/api_context.hpp"
#include "net/api/authorization.hpp"
#include "net/router.hpp"
#include "stores/cluster_store.hpp"
#include "stores/event_store.hpp"

namespace solo::net {

namespace {

boost::json::object to_json(const ClusterView& view, const ApiContext& context) {
  boost::json::array nodes;
  for (const auto& node : view.nodes) {
    nodes.push_back({{"node", node.node},
                     {"url", node.url},
                     {"heartbeat_age_ms", node.heartbeat_age_ms},
                     // A node heartbeats every quarter lease: one that missed a
                     // whole lease's worth of them is taken for gone.
                     {"alive", node.heartbeat_age_ms < context.cluster_lease_ttl.count()}});
  }
  boost::json::array leases;
  for (const auto& lease : view.leases) {
    leases.push_back({{"scope", lease.scope},
                      {"owner", lease.owner},
                      {"epoch", lease.epoch},
                      {"expires_in_ms", lease.expires_in_ms}});
  }
  return {{"node", context.cluster_node}, {"nodes", std::move(nodes)}, {"leases", std::move(leases)}};
}

asio::awaitable<Response> get_cluster(std::shared_ptr<ApiContext> context, Request& request) {
  require(request, "admin");
  if (context->cluster_node.empty()) {
    throw Error(ErrorKind::not_found, "this solo is not in a cluster (solo serve --node NAME, docs/cluster.md)");
  }
  std::function<ClusterView(Database&)> read = [](Database& db) { return cluster_store::view(db); };
  auto view = co_await context->events->read<ClusterView>(std::move(read));
  co_return json_response(200, to_json(view, *context));
}

}  // namespace

void add_cluster_routes(Router& router, std::shared_ptr<ApiContext> context) {
  router.add("GET", "/cluster", [context](Request& request) { return get_cluster(context, request); });
}

}  // namespace solo::net
