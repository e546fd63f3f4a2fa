// The cluster verb: `solo cluster status` (GET /cluster, admin): the nodes
// sharing the store, which one is active, and the lease (docs/cluster.md).
// Any node will do: a standby forwards the request to the active node, and
// when it cannot, its 503 names the active node and the client follows it
// (CliClient::send). FORWARDED: what each node forwarded, as of its last
// heartbeat.
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
  std::string owner;
  for (const auto& lease : reply.at("leases").as_array()) {
    if (field_text(lease, "scope") == "*") owner = field_text(lease, "owner");
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& node : reply.at("nodes").as_array()) {
    const auto name = field_text(node, "node");
    const bool alive = node.at("alive").as_bool();
    const auto* stats = node.as_object().if_contains("stats");
    const std::string forwarded = stats && stats->is_object() ? field_text(*stats, "forwarded") : "";
    const auto* tenants = node.as_object().if_contains("tenants");
    const auto tenant_count = tenants && tenants->is_array() ? tenants->get_array().size() : 0;
    rows.push_back({name, field_text(node, "url"), !alive ? "gone" : name == owner ? "active" : "standby",
                    field_text(node, "heartbeat_age_ms") + " ms ago", std::to_string(tenant_count),
                    forwarded.empty() ? "-" : forwarded});
  }
  print_table(std::cout, {"NODE", "URL", "ROLE", "HEARTBEAT", "TENANTS", "FORWARDED"}, rows);
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
      {"cluster", "cluster status", "the nodes sharing the store, the active one and its lease (admin)", {}, {},
       cmd_cluster},
  };
}

}  // namespace solo
