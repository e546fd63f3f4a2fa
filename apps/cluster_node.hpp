// A cluster node (docs/cluster.md): `solo serve --store postgresql://...
// --node NAME [--shards N]`. Several nodes share one PostgreSQL store and the
// data directory's master.key and admin.token (one directory, or copies of
// both files). The store is split into N shards (apps/cluster_shards.hpp;
// N = 1 by default: the whole store is one shard), each with its own lease
// (stores/cluster_store.hpp) and each held by one node at a time.
//
// A node's life: it listens at once on its address (the port is its own for
// life) and heartbeats every quarter lease. At each heartbeat it renews the
// leases it holds, and takes a free shard's lease when the shard belongs to
// it (rendezvous hashing over the live nodes: apps/cluster_shards.hpp), or
// when nobody took it for a whole lease. For each shard it holds it runs a
// Kernel on that shard's store, listening on loopback, with the lease's fence
// in every write transaction; recovery is a restart's (the shard's last
// holder may have crashed). It gives a shard up when its lease is lost (a
// renewal found it gone, or none succeeded for a whole lease by its own
// clock: the Kernel then answers nothing, SystemStatus::has_authority), and,
// one shard at a time, when a live node is where the shard belongs (a node
// joined): the Kernel's shutdown sequence, then the lease is released and
// that node takes it at its next heartbeat.
//
// Every request to the node's address is answered by the shard it is for
// (cluster_shards::shard_of_request): forwarded to this node's Kernel of
// it, or to the node that holds it (net/forwarder.hpp: HTTP, SSE and
// WebSocket), or, when neither can be done (no node holds it: a move is under
// way), 503 `standby` with Retry-After naming the holder. The node answers
// GET /cluster and GET /cluster/metrics itself (apps/cluster_report.hpp), and
// /health from one of its Kernels (503 `standby` when it serves no shard).
// SIGTERM: every Kernel's shutdown sequence, then the leases are released.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "apps/kernel.hpp"

namespace solo {

struct ClusterOptions {
  std::string node;
  // The URL clients and the other nodes reach this node at; "" = the URL it listens on.
  std::string advertise;
  std::chrono::milliseconds lease_ttl{10000};
  // How many shards the store is split into (apps/cluster_shards.hpp): fixed
  // by the first node that starts on a database; every node must agree.
  int shards = 1;
};

// Runs the node until SIGTERM or SIGINT; returns the process exit code.
int serve_cluster(KernelOptions options, ClusterOptions cluster);

// The routes a node answers itself, beside its Kernels' (docs/openapi.json
// documents both): GET /cluster and GET /cluster/metrics.
std::vector<std::pair<std::string, std::string>> cluster_node_routes();

}  // namespace solo
