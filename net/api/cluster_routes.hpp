// GET /cluster: the nodes sharing this node's PostgreSQL store, and the
// leases (docs/cluster.md). Permission `admin`: it names every node's
// address. 404 `not_found` on a solo that is not in a cluster.
//
// cluster_metrics(): the cluster's series for GET /metrics (every node's
// liveness, role and forwarding figures as of its last heartbeat); "" on a
// solo that is not in a cluster.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>

namespace solo::net {

class Router;
struct ApiContext;

void add_cluster_routes(Router& router, std::shared_ptr<ApiContext> context);
boost::asio::awaitable<std::string> cluster_metrics(std::shared_ptr<ApiContext> context);

}  // namespace solo::net
