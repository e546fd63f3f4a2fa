// The cluster verb: `solo cluster status` (GET /cluster, admin): the nodes
// sharing the store, the shards each holds (active: at least one), and each
// shard's lease (docs/cluster.md). Any node will do: every node answers
// GET /cluster itself. FORWARDED: what each node forwarded to other nodes,
// as of its last heartbeat.
#include <iostream>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "apps/cli_client.hpp"
#include "apps/cli_output.hpp"
#include "apps/cli_verbs.hpp"

namespace solo {

namespace {

int cluster_status(const CliArgs& args) {
  CliClient client(args);
  auto response = client.expect("GET", "/cluster");
  if (args.flag("--json")) {
    std::cout << response.body << "\n";
    return kExitOk;
  }
  auto reply = boost::json::parse(response.body);
  std::vector<std::vector<std::string>> rows;
  for (const auto& node : reply.at("nodes").as_array()) {
    const auto name = field_text(node, "node");
    const bool alive = node.at("alive").as_bool();
    const auto* stats = node.as_object().if_contains("stats");
    const std::string forwarded = stats && stats->is_object() ? field_text(*stats, "forwarded") : "";
    const auto* tenants = node.as_object().if_contains("tenants");
    const auto tenant_count = tenants && tenants->is_array() ? tenants->get_array().size() : 0;
    std::string shards;
    if (const auto* held = node.as_object().if_contains("shards"); held && held->is_array()) {
      for (const auto& shard : held->get_array()) shards += (shards.empty() ? "" : ",") + boost::json::serialize(shard);
    }
    rows.push_back({name, field_text(node, "url"), !alive ? "gone" : !shards.empty() ? "active" : "standby",
                    shards.empty() ? "-" : shards, field_text(node, "heartbeat_age_ms") + " ms ago",
                    std::to_string(tenant_count), forwarded.empty() ? "-" : forwarded});
  }
  print_table(std::cout, {"NODE", "URL", "ROLE", "SHARDS", "HEARTBEAT", "TENANTS", "FORWARDED"}, rows);
  for (const auto& lease : reply.at("leases").as_array()) {
    std::cout << "lease " << field_text(lease, "scope") << ": " << field_text(lease, "owner") << ", epoch "
              << field_text(lease, "epoch") << ", expires in " << field_text(lease, "expires_in_ms") << " ms\n";
  }
  return kExitOk;
}

int cmd_cluster(const CliArgs& args) {
  if (args.positional.size() != 1 || args.positional[0] != "status") {
    throw UsageError("expected: solo cluster status");
  }
  return cluster_status(args);
}

}  // namespace

std::vector<Verb> cluster_verbs() {
  return {
      {"cluster", "cluster status", "the nodes sharing the store, their shards and the leases (admin)", {}, {},
       cmd_cluster},
  };
}

}  // namespace solo
