// The gateway's resilience and discovery through the real `solo serve`:
// discovery (register, discover by name/version/metadata with `alive`,
// tenant scoping, unregister, TTL expiry with its event, restore after a
// restart), the circuit breaker (opens after 5 failures, fails fast with
// Retry-After, shows in the service status and in /metrics), the load
// shedding metrics, and the OpenAPI document: served without a token, and
// every path in it answers (no router 404, no 405).
#include <thread>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "net/http_client.hpp"
#include "support/async_test.hpp"
#include "support/solo_process.hpp"

using namespace solo;
using namespace std::chrono_literals;
using solo::test::SoloProcess;

namespace {

const char* kFlaky = R"lua(
function handle_call(msg, state)
  if msg.op == "boom" then error("boom on purpose") end
  return { ok = true }, state
end
)lua";

boost::json::object as_object(const net::ClientResponse& response) {
  return boost::json::parse(response.body).as_object();
}

void deploy(net::HttpClient& client, const std::string& id, const char* code = kFlaky) {
  boost::json::object body;
  body["service_id"] = id;
  body["code"] = code;
  // Every failure crashes the service; it must outlive the breaker's five
  // (the default intensity, 3 in 5 s, would leave it down as crashed).
  boost::json::object restart;
  restart["max_restarts"] = 20;
  restart["max_seconds"] = 60;
  body["restart"] = restart;
  auto response = client.request("POST", "/services", boost::json::serialize(body));
  BOOST_TEST_REQUIRE(response.status == 201, response.body);
}

std::string registration(const std::string& service, const std::string& name, const std::string& version,
                         const std::string& region, int ttl) {
  boost::json::object body;
  body["service_id"] = service;
  body["name"] = name;
  body["version"] = version;
  boost::json::object metadata;
  metadata["region"] = region;
  body["metadata"] = metadata;
  body["ttl_seconds"] = ttl;
  return boost::json::serialize(body);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(gateway)

BOOST_AUTO_TEST_CASE(discovery_registers_discovers_expires_and_survives_a_restart) {
  test::TempDir dir;
  std::string kept;
  {
    SoloProcess solo(dir / "data");
    auto client = solo.client();
    deploy(client, "api-1");
    auto created = client.request("POST", "/registry", registration("api-1", "api", "1.0", "eu", 300));
    BOOST_TEST_REQUIRE(created.status == 201, created.body);
    kept = std::string(as_object(created).at("handle").as_string());
    auto other = client.request("POST", "/registry", registration("api-2", "api", "2.0", "us", 300));
    BOOST_TEST_REQUIRE(other.status == 201, other.body);
    auto brief = client.request("POST", "/registry", registration("api-3", "api", "3.0", "eu", 1));
    BOOST_TEST_REQUIRE(brief.status == 201, brief.body);
    BOOST_TEST(client.request("POST", "/registry", registration("api-1", "api", "1.0", "eu", 0)).status == 400);
    BOOST_TEST(client.request("POST", "/registry", registration("bad id", "api", "1.0", "eu", 5)).status == 400);

    auto eu = as_object(client.request("GET", "/registry?name=api&region=eu"));
    BOOST_TEST(eu.at("total").as_int64() == 2);
    auto v1 = as_object(client.request("GET", "/registry?name=api&version=1.0"));
    BOOST_TEST_REQUIRE(v1.at("total").as_int64() == 1);
    auto first = v1.at("registrations").as_array()[0].as_object();
    BOOST_TEST(first.at("handle").as_string() == kept);
    BOOST_TEST(first.at("alive").as_bool());  // api-1 runs
    auto v2 = as_object(client.request("GET", "/registry?version=2.0"));
    BOOST_TEST(!v2.at("registrations").as_array()[0].as_object().at("alive").as_bool());  // api-2 does not

    // Tenant-scoped: another tenant sees none of them and cannot delete them.
    auto stranger = solo.client(30s, "stranger");
    BOOST_TEST(as_object(stranger.request("GET", "/registry?name=api")).at("total").as_int64() == 0);
    BOOST_TEST(stranger.request("DELETE", "/registry/" + kept).status == 404);

    // Unregister.
    auto handle2 = std::string(as_object(other).at("handle").as_string());
    BOOST_TEST(client.request("DELETE", "/registry/" + handle2).status == 200);
    BOOST_TEST(client.request("DELETE", "/registry/" + handle2).status == 404);

    // TTL expiry: the 1 s registration disappears, with its event.
    std::this_thread::sleep_for(2500ms);
    auto left = as_object(client.request("GET", "/registry?name=api"));
    BOOST_TEST(left.at("total").as_int64() == 1);
    auto events = client.request("GET", "/events?type=registration_expired");
    BOOST_TEST(events.body.find("registration_expired") != std::string::npos, events.body);
    auto metrics = client.request("GET", "/metrics");
    BOOST_TEST(metrics.body.find("solo_registrations 1") != std::string::npos);
    BOOST_TEST(solo.terminate().value_or(-1) == 0);
  }
  SoloProcess again(dir / "data");
  auto client = again.client();
  auto restored = as_object(client.request("GET", "/registry?name=api"));
  BOOST_TEST_REQUIRE(restored.at("total").as_int64() == 1);
  auto registration = restored.at("registrations").as_array()[0].as_object();
  BOOST_TEST(registration.at("handle").as_string() == kept);
  BOOST_TEST(registration.at("metadata").as_object().at("region").as_string() == "eu");
  BOOST_TEST(registration.at("alive").as_bool());  // the service was recovered too
  BOOST_TEST(again.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(the_circuit_opens_after_five_failures_and_shows_in_status_and_metrics) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  auto client = solo.client();
  deploy(client, "flaky");
  auto status = as_object(client.request("GET", "/services/flaky"));
  BOOST_TEST(status.at("circuit").as_object().at("state").as_string() == "closed");
  BOOST_TEST(client.request("POST", "/services/flaky/call", R"({"op":"fine"})").status == 200);
  for (int i = 0; i < 5; ++i) {
    auto failed = client.request("POST", "/services/flaky/call", R"({"op":"boom"})");
    BOOST_TEST(failed.status == 500, failed.body);
  }
  auto fast = client.request("POST", "/services/flaky/call", R"({"op":"fine"})");
  BOOST_TEST(fast.status == 503, fast.body);
  BOOST_TEST(as_object(fast).at("error").as_string() == "overloaded");
  BOOST_TEST(fast.header("retry-after").has_value());
  BOOST_TEST(client.request("POST", "/services/flaky/cast", R"({"op":"fine"})").status == 503);
  status = as_object(client.request("GET", "/services/flaky"));
  BOOST_TEST(status.at("circuit").as_object().at("state").as_string() == "open");
  auto metrics = client.request("GET", "/metrics");
  BOOST_TEST(metrics.body.find("solo_circuit_state{tenant=\"default\",service=\"flaky\"} 1") != std::string::npos,
             metrics.body);
  BOOST_TEST(metrics.body.find("solo_shed_requests_total{reason=\"global\"}") != std::string::npos);
  BOOST_TEST(metrics.body.find("solo_load_in_flight") != std::string::npos);
  // After the cool-down (5 s) a probe passes; two successes close it.
  std::this_thread::sleep_for(5200ms);
  BOOST_TEST(client.request("POST", "/services/flaky/call", R"({"op":"fine"})").status == 200);
  BOOST_TEST(client.request("POST", "/services/flaky/call", R"({"op":"fine"})").status == 200);
  status = as_object(client.request("GET", "/services/flaky"));
  BOOST_TEST(status.at("circuit").as_object().at("state").as_string() == "closed");
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(openapi_is_public_and_every_documented_path_answers) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  net::HttpClient anonymous(solo.url());
  auto served = anonymous.request("GET", "/openapi.json");
  BOOST_TEST_REQUIRE(served.status == 200, served.body);
  auto document = boost::json::parse(served.body).as_object();
  auto client = solo.client();
  deploy(client, "probe");
  int checked = 0;
  bool shutdown = false;
  for (const auto& [path, item] : document.at("paths").as_object()) {
    // A cluster node's own routes (apps/cluster_node.hpp) exist only with
    // --node: integration_cluster and integration_cluster_sharded drive them.
    if (path == "/cluster" || path == "/cluster/metrics") continue;
    std::string target(path);
    // Path parameters: a real service id; any value for the others.
    for (auto open = target.find('{'); open != std::string::npos; open = target.find('{')) {
      auto close = target.find('}', open);
      std::string name = target.substr(open + 1, close - open - 1);
      target.replace(open, close - open + 1, name == "id" ? "probe" : "probe-" + name);
    }
    for (const auto& [method, operation] : item.as_object()) {
      if (method == "parameters") continue;
      std::string verb(method);
      for (auto& c : verb) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (target == "/system/shutdown") {
        shutdown = true;  // last
        continue;
      }
      auto response = client.request(verb, target, verb == "GET" || verb == "DELETE" ? "" : "{}");
      ++checked;
      BOOST_TEST(response.status != 405, verb << " " << target << ": " << response.body);
      bool router_404 = response.status == 404 && response.body.find("no route for") != std::string::npos;
      BOOST_TEST(!router_404, verb << " " << target << ": " << response.body);
    }
  }
  BOOST_TEST(checked > 20);
  BOOST_TEST(shutdown);
  BOOST_TEST(client.request("POST", "/system/shutdown").status == 202);
  BOOST_TEST(solo.wait(15s).value_or(-1) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
