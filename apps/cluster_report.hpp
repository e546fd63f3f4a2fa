// What a cluster node says of the cluster (docs/cluster.md): GET /cluster
// (JSON) and GET /cluster/metrics (Prometheus text), both built from what the
// node's last heartbeat read: every node's heartbeat and figures, and each
// shard's lease and tenants. The node answers both itself, whatever shards it
// holds, so any node shows the whole cluster.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "stores/cluster_store.hpp"

namespace solo {

struct ShardSnapshot {
  int shard = 0;
  std::optional<LeaseHolder> holder;  // the lease row, if any (it may have expired)
  std::vector<std::pair<std::string, int64_t>> tenants;  // tenant, services
};

struct ClusterSnapshot {
  std::string node;  // the node answering
  int shard_count = 1;
  std::chrono::milliseconds lease_ttl{0};
  std::vector<ClusterMember> members;
  std::vector<ShardSnapshot> shards;
};

// The owner of a shard's lease while it is unexpired; "" otherwise.
std::string shard_owner(const ShardSnapshot& shard);
boost::json::object cluster_json(const ClusterSnapshot& snapshot);
std::string cluster_metrics(const ClusterSnapshot& snapshot);

}  // namespace solo
