#include "apps/cluster_report.hpp"

#include <map>

#include <boost/json.hpp>

namespace solo {

namespace {

// A node heartbeats every quarter lease: one that missed a whole lease's
// worth of them is taken for gone.
bool alive(const ClusterMember& node, const ClusterSnapshot& snapshot) {
  return node.heartbeat_age_ms < snapshot.lease_ttl.count();
}

// The figures a node wrote with its heartbeat; {} when they are not an object.
boost::json::object stats_of(const ClusterMember& node) {
  boost::system::error_code ec;
  auto parsed = boost::json::parse(node.stats, ec);
  if (ec || !parsed.is_object()) return {};
  return std::move(parsed.as_object());
}

int64_t figure(const boost::json::object& stats, std::string_view name) {
  auto found = stats.find(name);
  if (found == stats.end()) return 0;
  if (found->value().is_int64()) return found->value().get_int64();
  if (found->value().is_uint64()) return static_cast<int64_t>(found->value().get_uint64());
  return 0;
}

// "*" for the one shard of an unsharded cluster (the store's own lease), else shard:<k>.
std::string scope_label(const ClusterSnapshot& snapshot, int shard) {
  return snapshot.shard_count == 1 ? std::string(kStoreScope) : "shard:" + std::to_string(shard);
}

boost::json::array tenants_json(const std::vector<std::pair<std::string, int64_t>>& tenants) {
  boost::json::array out;
  for (const auto& [tenant, services] : tenants) out.push_back({{"tenant", tenant}, {"services", services}});
  return out;
}

}  // namespace

std::string shard_owner(const ShardSnapshot& shard) {
  return shard.holder && shard.holder->expires_in_ms > 0 ? shard.holder->owner : std::string();
}

boost::json::object cluster_json(const ClusterSnapshot& snapshot) {
  boost::json::array nodes;
  for (const auto& node : snapshot.members) {
    std::map<std::string, int64_t> tenants;
    boost::json::array held;
    for (const auto& shard : snapshot.shards) {
      if (shard_owner(shard) != node.node) continue;
      held.push_back(shard.shard);
      for (const auto& [tenant, services] : shard.tenants) tenants[tenant] += services;
    }
    nodes.push_back({{"node", node.node},
                     {"url", node.url},
                     {"heartbeat_age_ms", node.heartbeat_age_ms},
                     {"alive", alive(node, snapshot)},
                     {"shards", std::move(held)},
                     {"stats", stats_of(node)},
                     {"tenants", tenants_json({tenants.begin(), tenants.end()})}});
  }
  boost::json::array shards, leases;
  for (const auto& shard : snapshot.shards) {
    boost::json::object entry{{"shard", shard.shard}, {"owner", shard_owner(shard)}};
    if (shard.holder) {
      leases.push_back({{"scope", scope_label(snapshot, shard.shard)},
                        {"owner", shard.holder->owner},
                        {"epoch", shard.holder->epoch},
                        {"expires_in_ms", shard.holder->expires_in_ms}});
      entry["epoch"] = shard.holder->epoch;
      entry["expires_in_ms"] = shard.holder->expires_in_ms;
    }
    entry["tenants"] = tenants_json(shard.tenants);
    shards.push_back(std::move(entry));
  }
  return {{"node", snapshot.node},
          {"shard_count", snapshot.shard_count},
          {"nodes", std::move(nodes)},
          {"shards", std::move(shards)},
          {"leases", std::move(leases)}};
}

std::string cluster_metrics(const ClusterSnapshot& snapshot) {
  std::string up, active, age, forwarded, connections, held;
  for (const auto& node : snapshot.members) {
    const auto stats = stats_of(node);
    // Node names are identifiers (A-Z a-z 0-9 _ - .): nothing to escape.
    const std::string label = "node=\"" + node.node + "\"";
    int64_t shards = 0;
    for (const auto& shard : snapshot.shards) shards += shard_owner(shard) == node.node ? 1 : 0;
    up += "solo_cluster_node_up{" + label + "} " + (alive(node, snapshot) ? "1" : "0") + "\n";
    active += "solo_cluster_node_active{" + label + "} " + (shards > 0 ? "1" : "0") + "\n";
    held += "solo_cluster_node_shards{" + label + "} " + std::to_string(shards) + "\n";
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
  out += "# HELP solo_cluster_node_active 1 for a node that holds at least one shard's lease.\n";
  out += "# TYPE solo_cluster_node_active gauge\n" + active;
  out += "# HELP solo_cluster_node_shards The shards whose lease the node holds.\n";
  out += "# TYPE solo_cluster_node_shards gauge\n" + held;
  out += "# HELP solo_cluster_node_heartbeat_age_seconds Time since the node's last heartbeat.\n";
  out += "# TYPE solo_cluster_node_heartbeat_age_seconds gauge\n" + age;
  out += "# HELP solo_cluster_forwarded_total Requests and WebSocket sessions the node forwarded to another node, "
         "by outcome, as of its last heartbeat.\n";
  out += "# TYPE solo_cluster_forwarded_total counter\n" + forwarded;
  out += "# HELP solo_cluster_forward_connections Connections the node held open to other nodes at its last "
         "heartbeat.\n";
  out += "# TYPE solo_cluster_forward_connections gauge\n" + connections;
  out += "# HELP solo_cluster_lease_epoch The epoch of a shard's lease (it grows at every takeover).\n";
  out += "# TYPE solo_cluster_lease_epoch gauge\n";
  for (const auto& shard : snapshot.shards) {
    if (!shard.holder) continue;
    out += "solo_cluster_lease_epoch{scope=\"" + scope_label(snapshot, shard.shard) + "\",owner=\"" +
           shard.holder->owner + "\"} " + std::to_string(shard.holder->epoch) + "\n";
  }
  out += "# HELP solo_cluster_shard_tenants The tenants with services in a shard.\n";
  out += "# TYPE solo_cluster_shard_tenants gauge\n";
  for (const auto& shard : snapshot.shards) {
    out += "solo_cluster_shard_tenants{shard=\"" + std::to_string(shard.shard) + "\"} " +
           std::to_string(shard.tenants.size()) + "\n";
  }
  return out;
}

}  // namespace solo
