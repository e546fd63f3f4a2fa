// GET /cluster: the nodes sharing this node's PostgreSQL store, and the
// leases (docs/cluster.md). Permission `admin`: it names every node's
// address. 404 `not_found` on a solo that is not in a cluster.
#pragma once

#include <memory>

namespace solo::net {

class Router;
struct ApiContext;

void add_cluster_routes(Router& router, std::shared_ptr<ApiContext> context);

}  // namespace solo::net
