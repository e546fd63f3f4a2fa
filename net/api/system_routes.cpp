#include "net/api/system_routes.hpp"

#include <boost/json.hpp>

#include "engine/services/deployer.hpp"
#include "engine/system/system_status.hpp"
#include "engine/telemetry/telemetry.hpp"
#include "net/api/api_context.hpp"
#include "net/router.hpp"
#include "stores/event_store.hpp"

namespace solo::net {

namespace {

// {"status", "services", "events", "uptime_s", "timestamp"}; 503 while the
// store is degraded so that load balancers take the instance out.
asio::awaitable<Response> get_health(std::shared_ptr<ApiContext> context, Request&) {
  std::string status = context->status->health();
  boost::json::object body{
      {"status", status},
      {"services", context->deployer ? static_cast<int64_t>(context->deployer->count()) : 0},
      {"events", context->events ? context->events->committed_id() : 0},
      {"uptime_s", static_cast<int64_t>(context->status->uptime_seconds())},
      {"timestamp", utc_timestamp_now()},
  };
  if (context->events && context->events->degraded()) {
    body["store_error"] = context->events->writer().last_error();
  }
  co_return json_response(status == "degraded" ? 503 : 200, body);
}

asio::awaitable<Response> get_metrics(std::shared_ptr<ApiContext> context, Request&) {
  Response response;
  response.content_type = "text/plain; version=0.0.4";
  response.body = context->telemetry->render();
  co_return response;
}

}  // namespace

void add_system_routes(Router& router, std::shared_ptr<ApiContext> context) {
  router.add("GET", "/health", [context](Request& request) { return get_health(context, request); });
  router.add("GET", "/metrics", [context](Request& request) { return get_metrics(context, request); });
}

}  // namespace solo::net
