// A cluster node (docs/cluster.md): `solo serve --store postgresql://...
// --node NAME`. Several nodes share one PostgreSQL store and the data
// directory's master.key and admin.token (one directory, or copies of both
// files). One node at a time holds the store's lease (stores/cluster_store.hpp)
// and is active: it runs a Kernel exactly as a solo of its own does, with the
// lease's fence in every write transaction. The others stand by on their
// address: /health answers 503 "standby" and names the active node; every
// other request, WebSocket and SSE included, is forwarded to the active node
// (net/forwarder.hpp), or, when that cannot be done (no node is active, an
// https:// one), answered 503 `standby` with Retry-After and the active
// node's URL.
//
// A node's life: it listens at once (the port is its own for life: a standby
// that turns active hands the same port to its Kernel's gateway) and
// heartbeats every quarter lease. Standing by, it tries to take the lease at
// each heartbeat; once it holds it, it boots a Kernel (recovery as after a
// restart: the previous active node may have crashed) and renews the lease at
// each heartbeat. It loses the lease when a renewal finds it gone, or when no
// renewal has succeeded for a whole lease by its own clock (it may have
// expired): its gateway then answers nothing but /health
// (SystemStatus::has_authority), the Kernel shuts down (its writes already
// fail, fenced), it releases the lease if it still can, and it stands by
// again. SIGTERM on the active node: the Kernel's shutdown sequence, then the
// lease is released, so a standby takes over at its next heartbeat.
#pragma once

#include <chrono>
#include <string>

#include "apps/kernel.hpp"

namespace solo {

struct ClusterOptions {
  std::string node;
  // The URL clients and the other nodes reach this node at; "" = the URL it listens on.
  std::string advertise;
  std::chrono::milliseconds lease_ttl{10000};
};

// Runs the node until SIGTERM or SIGINT; returns the process exit code.
int serve_cluster(KernelOptions options, ClusterOptions cluster);

}  // namespace solo
