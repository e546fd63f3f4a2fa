#include "net/api/system_routes.hpp"

#include <charconv>

#include <boost/json.hpp>

#include "base/iso8601.hpp"
#include "base/version.hpp"
#include "engine/security/capability.hpp"
#include "engine/services/service_directory.hpp"
#include "engine/system/system_status.hpp"
#include "engine/telemetry/telemetry.hpp"
#include "engine/telemetry/tenant_series.hpp"
#include "net/api/api_context.hpp"
#include "net/api/authorization.hpp"
#include "net/router.hpp"
#include "stores/event_store.hpp"

namespace solo::net {

namespace {

void append_number(std::string& out, int64_t value) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, end);
}

// {"status", "version", "services", "events", "uptime_s", "timestamp"}; 503 while the
// store is degraded so that load balancers take the instance out (with
// "store_error", built by boost::json since it quotes an SQLite message).
// Monitors poll this, so the usual answer is written straight into the body:
// every value is a number or a word of SystemStatus::health() (no escaping),
// and the bytes are what boost::json would write for the same object.
Response health_response(const ApiContext& context) {
  const std::string status = context.status->health();
  const int64_t services = context.services ? static_cast<int64_t>(context.services->count()) : 0;
  const int64_t events = context.events ? context.events->committed_id() : 0;
  const auto uptime_s = static_cast<int64_t>(context.status->uptime_seconds());
  if (context.events && context.events->degraded()) {
    boost::json::object body{
        {"status", status},
        {"version", solo_version()},
        {"services", services},
        {"events", events},
        {"uptime_s", uptime_s},
        {"timestamp", utc_now_iso8601()},
        {"store_error", context.events->writer().last_error()},
    };
    return json_response(status == "degraded" ? 503 : 200, body);
  }
  Response response;
  response.status = status == "degraded" ? 503 : 200;
  std::string& out = response.body;
  out.reserve(128);
  out += R"({"status":")";
  out += status;
  out += R"(","version":")";
  out += solo_version();  // digits and dots (project VERSION): nothing to escape
  out += R"(","services":)";
  append_number(out, services);
  out += R"(,"events":)";
  append_number(out, events);
  out += R"(,"uptime_s":)";
  append_number(out, uptime_s);
  out += R"(,"timestamp":")";
  out += utc_now_iso8601();
  out += R"("})";
  return response;
}

asio::awaitable<Response> get_health(std::shared_ptr<ApiContext> context, Request&) {
  co_return health_response(*context);
}

asio::awaitable<Response> get_metrics(std::shared_ptr<ApiContext> context, Request& request) {
  require(request, "metrics");
  Response response;
  response.content_type = "text/plain; version=0.0.4";
  response.body = context->telemetry->render();
  // The whole process (every tenant's series and the process-wide ones) is
  // the admin's and the system tenant's monitoring tokens'; a tenant's token
  // sees its own series only.
  if (request.caller && !request.caller->is_admin() && !request.caller->is_system()) {
    response.body = tenant_series(response.body, request.caller->tenant_id);
  }
  co_return response;
}

asio::awaitable<Response> get_recovery(std::shared_ptr<ApiContext> context, Request& request) {
  require(request, "admin");
  co_return json_response(200, context->recovery_report());
}

asio::awaitable<Response> post_verify(std::shared_ptr<ApiContext> context, Request& request) {
  require(request, "admin");
  auto report = co_await context->verify();
  co_return json_response(200, report);
}

asio::awaitable<Response> post_shutdown(std::shared_ptr<ApiContext> context, Request& request) {
  require(request, "admin");
  context->request_shutdown();
  boost::json::object body;
  body["status"] = "shutting_down";
  co_return json_response(202, body);
}

}  // namespace

void add_system_routes(Router& router, std::shared_ptr<ApiContext> context) {
  router.add("GET", "/health", [context](Request& request) { return get_health(context, request); });
  router.add("GET", "/metrics", [context](Request& request) { return get_metrics(context, request); });
  router.add("GET", "/system/recovery", [context](Request& request) { return get_recovery(context, request); });
  router.add("POST", "/system/verify", [context](Request& request) { return post_verify(context, request); });
  router.add("POST", "/system/shutdown", [context](Request& request) { return post_shutdown(context, request); });
}

}  // namespace solo::net
