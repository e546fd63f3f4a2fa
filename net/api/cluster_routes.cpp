#include "net/api/cluster_routes.hpp"

#include <boost/json.hpp>

#include <map>

#include "base/error.hpp"
#include "engine/services/service_actor.hpp"
#include "engine/services/service_directory.hpp"
#include "net/api/api_context.hpp"
#include "net/api/authorization.hpp"
#include "net/router.hpp"
#include "stores/cluster_store.hpp"
#include "stores/event_store.hpp"

namespace solo::net {

namespace {

// A node heartbeats every quarter lease: one that missed a whole lease's
// worth of them is taken for gone.
bool alive(const ClusterMember& node, const ApiContext& context) {
  return node.heartbeat_age_ms < context.cluster_lease_ttl.count();
}

// The figures a node wrote with its heartbeat; {} when they are not an object.
boost::json::object stats_of(const ClusterMember& node) {
  boost::system::error_code ec;
  auto parsed = boost::json::parse(node.stats, ec);
  if (ec || !parsed.is_object()) return {};
  return std::move(parsed.as_object());
}

asio::awaitable<ClusterView> read_view(ApiContext& context) {
  std::function<ClusterView(Database&)> read = [](Database& db) { return cluster_store::view(db); };
  co_return co_await context.events->read<ClusterView>(std::move(read));
}

// The tenants whose services run here, with how many each: every tenant's,
// on the active node (the one answering); a standby runs none.
boost::json::array tenants_here(const ApiContext& context) {
  std::map<std::string, int64_t> services;
  if (context.services) {
    for (const auto& actor : context.services->all()) ++services[actor->tenant_id()];
  }
  boost::json::array out;
  for (const auto& [tenant, count] : services) out.push_back({{"tenant", tenant}, {"services", count}});
  return out;
}

boost::json::object to_json(const ClusterView& view, const ApiContext& context) {
  boost::json::array nodes;
  for (const auto& node : view.nodes) {
    nodes.push_back({{"node", node.node},
                     {"url", node.url},
                     {"heartbeat_age_ms", node.heartbeat_age_ms},
                     {"alive", alive(node, context)},
                     {"stats", stats_of(node)},
                     {"tenants", node.node == context.cluster_node ? tenants_here(context) : boost::json::array{}}});
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
  auto view = co_await read_view(*context);
  co_return json_response(200, to_json(view, *context));
}

int64_t figure(const boost::json::object& stats, std::string_view name) {
  auto found = stats.find(name);
  return found != stats.end() && found->value().is_int64() ? found->value().get_int64()
         : found != stats.end() && found->value().is_uint64() ? static_cast<int64_t>(found->value().get_uint64())
                                                               : 0;
}

}  // namespace

asio::awaitable<std::string> cluster_metrics(std::shared_ptr<ApiContext> context) {
  if (context->cluster_node.empty()) co_return std::string();
  auto view = co_await read_view(*context);
  std::string up, active, age, forwarded, connections;
  for (const auto& node : view.nodes) {
    const auto stats = stats_of(node);
    // Node names are identifiers (A-Z a-z 0-9 _ - .): nothing to escape.
    const std::string label = "node=\"" + node.node + "\"";
    up += "solo_cluster_node_up{" + label + "} " + (alive(node, *context) ? "1" : "0") + "\n";
    const auto role = stats.find("role");
    const bool is_active = role != stats.end() && role->value().is_string() && role->value().get_string() == "active";
    active += "solo_cluster_node_active{" + label + "} " + (is_active ? "1" : "0") + "\n";
    age += "solo_cluster_node_heartbeat_age_seconds{" + label + "} " +
           std::to_string(static_cast<double>(node.heartbeat_age_ms) / 1000.0) + "\n";
    for (const auto& [outcome, field] : {std::pair{"answered", "forwarded"}, {"unreachable", "forward_unreachable"},
                                         {"failed", "forward_failed"}, {"refused", "forward_refused"}}) {
      forwarded += "solo_cluster_forwarded_total{" + label + ",outcome=\"" + outcome + "\"} " +
                   std::to_string(figure(stats, field)) + "\n";
    }
    connections += "solo_cluster_forward_connections{" + label + "} " +
                   std::to_string(figure(stats, "forward_connections")) + "\n";
  }
  std::string out;
  out += "# HELP solo_cluster_node_up 1 while the node heartbeats (within the last lease), else 0.\n";
  out += "# TYPE solo_cluster_node_up gauge\n" + up;
  out += "# HELP solo_cluster_node_active 1 for the node that held the store's lease at its last heartbeat.\n";
  out += "# TYPE solo_cluster_node_active gauge\n" + active;
  out += "# HELP solo_cluster_node_heartbeat_age_seconds Time since the node's last heartbeat.\n";
  out += "# TYPE solo_cluster_node_heartbeat_age_seconds gauge\n" + age;
  out += "# HELP solo_cluster_forwarded_total Requests and WebSocket sessions the node forwarded to the active node, "
         "by outcome, as of its last heartbeat.\n";
  out += "# TYPE solo_cluster_forwarded_total counter\n" + forwarded;
  out += "# HELP solo_cluster_forward_connections Connections the node held open to the active node at its last "
         "heartbeat.\n";
  out += "# TYPE solo_cluster_forward_connections gauge\n" + connections;
  out += "# HELP solo_cluster_lease_epoch The epoch of the lease on a scope (it grows at every takeover).\n";
  out += "# TYPE solo_cluster_lease_epoch gauge\n";
  for (const auto& lease : view.leases) {
    out += "solo_cluster_lease_epoch{scope=\"" + lease.scope + "\",owner=\"" + lease.owner + "\"} " +
           std::to_string(lease.epoch) + "\n";
  }
  co_return out;
}

void add_cluster_routes(Router& router, std::shared_ptr<ApiContext> context) {
  router.add("GET", "/cluster", [context](Request& request) { return get_cluster(context, request); });
}

}  // namespace solo::net
