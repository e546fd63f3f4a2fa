// A service's versions over HTTP: GET /services/{id}/versions (a page of its
// deploys, swaps and rollbacks, newest first) and
// GET /services/{id}/versions/{event_id} (one of them with its code). Read
// from the event log (stores/service_versions.hpp) on the Reader thread; the
// dashboard's version list and diff use them. Needs `status` on the service,
// the permission that reads its code today (GET /services/{id}/code).
#pragma once

#include <memory>

namespace solo::net {

class Router;
struct ApiContext;

void add_version_routes(Router& router, std::shared_ptr<ApiContext> context);

}  // namespace solo::net
