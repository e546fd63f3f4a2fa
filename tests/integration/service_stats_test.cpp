// Per-service figures through the real binary (docs/operations.md,
// "Per-service figures"): GET /services/{id} and the GET /services items
// carry `stats` (calls, errors by kind, the latency histogram); /metrics has
// the tenant's aggregates and per-service series only for a service that
// opted in ("metrics": "per_service"); a tenant's token sees neither another
// tenant's service nor its series; the WebSocket watch with "stats": true
// sends stats frames of the token's tenant only; /health shows the version.
#include <sstream>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "support/async_test.hpp"
#include "support/solo_process.hpp"
#include "support/websocket_client.hpp"

using solo::test::SoloProcess;
using solo::test::WsClient;
namespace json = boost::json;

namespace {

constexpr const char* kCounter = R"(
function init(config) return { count = 0 } end
function handle_call(msg, state)
  if msg.op == "boom" then error("boom on purpose") end
  state.count = state.count + 1
  return { count = state.count }, state
end
)";

json::object deploy_body(const std::string& id, bool per_service = false) {
  json::object body{{"service_id", id}, {"code", kCounter}};
  if (per_service) body["metrics"] = "per_service";
  return body;
}

bool has_line(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(service_stats_api)

BOOST_AUTO_TEST_CASE(stats_in_the_api_metrics_by_tenant_and_per_service_only_when_opted_in) {
  solo::test::TempDir dir;
  SoloProcess solo(dir / "data");
  const auto acme = solo::test::grant_token(solo, "acme", {"deploy", "call", "status", "metrics"});
  const auto other = solo::test::grant_token(solo, "other", {"deploy", "call", "status", "metrics"});
  using solo::test::send;

  BOOST_TEST_REQUIRE(send(solo, "POST", "/services", json::serialize(deploy_body("counter")), acme).status == 201);
  BOOST_TEST_REQUIRE(send(solo, "POST", "/services", json::serialize(deploy_body("watched", true)), acme).status == 201);
  BOOST_TEST_REQUIRE(send(solo, "POST", "/services", json::serialize(deploy_body("theirs")), other).status == 201);

  constexpr int kCalls = 5;
  for (int i = 0; i < kCalls; ++i) {
    BOOST_TEST_REQUIRE(send(solo, "POST", "/services/counter/call", "{}", acme).status == 200);
  }
  auto failed = send(solo, "POST", "/services/counter/call", R"({"op":"boom"})", acme);
  BOOST_TEST(failed.status == 500, failed.body);
  BOOST_TEST_REQUIRE(send(solo, "POST", "/services/watched/call", "{}", acme).status == 200);

  auto status = send(solo, "GET", "/services/counter", "", acme);
  BOOST_TEST_REQUIRE(status.status == 200, status.body);
  const auto stats = json::parse(status.body).at("stats").as_object();
  BOOST_TEST(stats.at("calls").to_number<std::uint64_t>() == kCalls + 1u, status.body);
  BOOST_TEST(stats.at("errors").at("handler").to_number<std::uint64_t>() == 1u, status.body);
  BOOST_TEST(stats.at("errors").at("timeout").to_number<std::uint64_t>() == 0u, status.body);
  BOOST_TEST(stats.at("call_latency_us").at("count").to_number<std::uint64_t>() == kCalls + 1u, status.body);
  BOOST_TEST(stats.at("call_latency_us").at("p99").to_number<std::uint64_t>() >= stats.at("call_latency_us").at("p50").to_number<std::uint64_t>());
  BOOST_TEST(stats.at("circuit").as_string() == "closed", status.body);
  BOOST_TEST(stats.at("storage").at("keys").to_number<std::uint64_t>() == 0u, status.body);
  for (auto field : {"casts", "cpu_time_us", "instructions", "memory_bytes", "mailbox_depth", "restarts", "timers",
                     "since"}) {
    BOOST_TEST(stats.contains(field), field);
  }

  // The list items carry the same object.
  auto list = send(solo, "GET", "/services", "", acme);
  BOOST_TEST_REQUIRE(list.status == 200, list.body);
  const auto listed = json::parse(list.body);
  for (const auto& item : listed.at("services").as_array()) {
    BOOST_TEST(item.as_object().contains("stats"), json::serialize(item));
    if (item.at("service_id").as_string() == "counter") {
      BOOST_TEST(item.at("stats").at("calls").to_number<std::uint64_t>() == kCalls + 1u);
    }
  }

  // Another tenant's token: 404 for acme's service, as for a missing one.
  BOOST_TEST(send(solo, "GET", "/services/counter", "", other).status == 404);

  // /metrics: the admin sees every tenant's aggregates, and a service label only for the opted-in one.
  auto metrics = send(solo, "GET", "/metrics", "", solo.admin_token());
  BOOST_TEST_REQUIRE(metrics.status == 200);
  BOOST_TEST(has_line(metrics.body, "solo_service_calls_total{tenant=\"acme\"} 7"), metrics.body);
  BOOST_TEST(has_line(metrics.body, "solo_service_calls_total{tenant=\"other\"} 0"));
  BOOST_TEST(has_line(metrics.body, "solo_service_errors_total{tenant=\"acme\",kind=\"handler\"} 1"));
  BOOST_TEST(has_line(metrics.body, "solo_service_call_duration_seconds_count{tenant=\"acme\"} 7"));
  BOOST_TEST(has_line(metrics.body, "solo_service_calls_total{tenant=\"acme\",service=\"watched\"} 1"));
  // No solo_service_* series of the one that did not opt in (solo_circuit_state
  // has a service label for every breaker, as before).
  std::istringstream lines(metrics.body);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("solo_service_", 0) == 0) BOOST_TEST(line.find("service=\"counter\"") == std::string::npos, line);
  }
  BOOST_TEST(has_line(metrics.body, "solo_tenant_services{tenant=\"acme\",status=\"running\"} 2"));
  BOOST_TEST(metrics.body.find("# TYPE solo_services gauge") != std::string::npos);  // the existing name stays

  // A tenant's token: its own series only.
  auto mine = send(solo, "GET", "/metrics", "", other);
  BOOST_TEST_REQUIRE(mine.status == 200);
  BOOST_TEST(has_line(mine.body, "solo_service_calls_total{tenant=\"other\"} 0"), mine.body);
  BOOST_TEST(mine.body.find("tenant=\"acme\"") == std::string::npos, mine.body);

  // The 21st opt-in of a tenant: 400 in the documented error shape.
  for (int i = 1; i < 20; ++i) {
    auto body = json::serialize(deploy_body("w" + std::to_string(i), true));
    BOOST_TEST_REQUIRE(send(solo, "POST", "/services", body, acme).status == 201);
  }
  auto refused = send(solo, "POST", "/services", json::serialize(deploy_body("w20", true)), acme);
  BOOST_TEST(refused.status == 400, refused.body);
  auto error = json::parse(refused.body).as_object();
  BOOST_TEST(error.at("error").as_string() == "invalid_request", refused.body);
  BOOST_TEST(std::string(error.at("message").as_string()).find("limited to 20") != std::string::npos, refused.body);

  // /health: the build's version and the uptime.
  auto health = json::parse(send(solo, "GET", "/health", "", "").body).as_object();
  BOOST_TEST(health.at("version").as_string() == "0.16.0", json::serialize(health));
  BOOST_TEST(health.contains("uptime_s"));
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(a_watch_with_stats_sends_stats_frames_of_the_tokens_tenant_only) {
  solo::test::TempDir dir;
  SoloProcess solo(dir / "data");
  const auto acme = solo::test::grant_token(solo, "acme", {"deploy", "call", "status", "events"});
  const auto other = solo::test::grant_token(solo, "other", {"deploy", "status", "events"});
  using solo::test::send;
  BOOST_TEST_REQUIRE(send(solo, "POST", "/services", json::serialize(deploy_body("counter")), acme).status == 201);
  BOOST_TEST_REQUIRE(send(solo, "POST", "/services", json::serialize(deploy_body("theirs")), other).status == 201);
  BOOST_TEST_REQUIRE(send(solo, "POST", "/services/counter/call", "{}", acme).status == 200);

  WsClient client(solo, acme);
  BOOST_TEST_REQUIRE(!client.error, client.error.message());
  auto watching = client.op(1, "watch", json::object{{"stats", true}});
  BOOST_TEST_REQUIRE(watching.at("ok").as_bool(), json::serialize(watching));
  auto frame = client.next([](const json::object& f) { return f.contains("type") && f.at("type") == "stats"; });
  const auto& services = frame.at("services").as_array();
  BOOST_TEST_REQUIRE(services.size() == 1u, json::serialize(frame));
  BOOST_TEST(services[0].at("id").as_string() == "counter");
  BOOST_TEST(services[0].at("status").as_string() == "running");
  BOOST_TEST(!services[0].as_object().contains("tenant"));
  BOOST_TEST(services[0].at("stats").at("calls").to_number<std::uint64_t>() == 1u);

  // A bad value, and a token without `status`, are refused.
  auto bad = client.op(2, "watch", json::object{{"stats", "yes"}});
  BOOST_TEST(bad.at("error").at("status").as_int64() == 400, json::serialize(bad));
  const auto events_only = solo::test::grant_token(solo, "acme", {"events"});
  WsClient narrow(solo, events_only);
  auto forbidden = narrow.op(1, "watch", json::object{{"stats", true}});
  BOOST_TEST(forbidden.at("error").at("status").as_int64() == 403, json::serialize(forbidden));

  // The admin sees every tenant, each item with its tenant.
  WsClient admin(solo, solo.admin_token());
  BOOST_TEST_REQUIRE(admin.op(1, "watch", json::object{{"stats", true}}).at("ok").as_bool());
  auto all = admin.next([](const json::object& f) { return f.contains("type") && f.at("type") == "stats"; });
  BOOST_TEST(all.at("services").as_array().size() == 2u, json::serialize(all));
  for (const auto& item : all.at("services").as_array()) BOOST_TEST(item.as_object().contains("tenant"));
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
