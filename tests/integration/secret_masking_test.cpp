// A bound secret's value is masked (`***`) in everything a service leaves
// behind, through the real binary: its log lines, its emitted events, the
// caller's 500 message, `last_error`, `service_crashed`, `resource_violation`,
// and a swap whose code_change fails. The raw value appears in none of
// /logs, /events and /services/{id}; the reply of a handler that returns it
// on purpose still carries it (masking is not a defence against code that
// means to leak: who may bind a secret is).
#include <string>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "net/http_client.hpp"
#include "support/async_test.hpp"
#include "support/eventually.hpp"
#include "support/solo_process.hpp"

using namespace solo;
using solo::test::SoloProcess;

namespace {

constexpr const char* kValue = "pa55-w0rd-7f3a9c";

constexpr const char* kLeaky = R"(
function init(config) return {} end
function handle_call(msg, state)
  local pw = solo.secret("db-password")
  if msg.op == "reply" then return {pw = pw}, state end
  if msg.op == "log" then solo.log("info", "connecting with " .. pw); return {ok = true}, state end
  if msg.op == "emit" then solo.emit("login", {password = pw, [pw] = 1}); return {ok = true}, state end
  if msg.op == "cpu" then local s = pw; while true do s = s end end
  error("could not connect with password " .. pw)
end
function code_change(old, state) error("migration saw " .. solo.secret("db-password")) end
)";

struct Fixture {
  test::TempDir dir;
  SoloProcess solo{dir.path() / "data"};
  net::HttpClient client = solo.client();

  Fixture() {
    boost::json::object secret{{"key", "db-password"}, {"value", kValue}};
    BOOST_TEST_REQUIRE(client.request("POST", "/secrets", boost::json::serialize(secret)).status == 201);
    boost::json::object deploy{{"service_id", "leaky"}, {"code", kLeaky}, {"secrets", boost::json::array{"db-password"}},
                               {"limits", {{"cpu_ms_per_message", 20}}},
                               {"restart", {{"max_restarts", 100}, {"max_seconds", 60}}}};
    auto deployed = client.request("POST", "/services", boost::json::serialize(deploy));
    BOOST_TEST_REQUIRE(deployed.status == 201, deployed.body);
  }

  net::ClientResponse call(const std::string& op) {
    return client.request("POST", "/services/leaky/call", R"({"op": ")" + op + R"("})");
  }
};

bool has_value(const std::string& text) { return text.find(kValue) != std::string::npos; }

}  // namespace

BOOST_FIXTURE_TEST_SUITE(secret_masking, Fixture)

BOOST_AUTO_TEST_CASE(logs_events_errors_and_status_never_carry_the_value) {
  // A deliberate reply is the service's business: it still works.
  auto replied = call("reply");
  BOOST_TEST_REQUIRE(replied.status == 200, replied.body);
  BOOST_TEST(has_value(replied.body));

  BOOST_TEST(call("log").status == 200);
  BOOST_TEST(call("emit").status == 200);
  auto failed = call("fail");
  BOOST_TEST(failed.status == 500);
  BOOST_TEST(!has_value(failed.body), failed.body);
  BOOST_TEST(failed.body.find("could not connect with password ***") != std::string::npos, failed.body);

  // A breached limit: its resource_violation carries the handler's error.
  BOOST_TEST(test::eventually([&] { return boost::json::parse(client.request("GET", "/services/leaky").body).at("status") == "running"; }));
  auto cpu = call("cpu");
  BOOST_TEST(cpu.status == 500, cpu.body);

  // A swap whose code_change fails answers 400 with the masked error.
  BOOST_TEST(test::eventually([&] { return boost::json::parse(client.request("GET", "/services/leaky").body).at("status") == "running"; }));
  boost::json::object swap{{"code", kLeaky}};
  auto swapped = client.request("PUT", "/services/leaky/code", boost::json::serialize(swap));
  BOOST_TEST(swapped.status == 400, swapped.body);
  BOOST_TEST(!has_value(swapped.body), swapped.body);
  BOOST_TEST(swapped.body.find("migration saw ***") != std::string::npos, swapped.body);

  auto logs = client.request("GET", "/logs?service_id=leaky&limit=1000");
  BOOST_TEST(!has_value(logs.body), logs.body);
  BOOST_TEST(logs.body.find("connecting with ***") != std::string::npos, logs.body);

  auto events = client.request("GET", "/events?service_id=leaky&limit=1000");
  BOOST_TEST(!has_value(events.body), events.body);
  BOOST_TEST(events.body.find("service_crashed") != std::string::npos);
  BOOST_TEST(events.body.find("resource_violation") != std::string::npos);
  BOOST_TEST(events.body.find(R"("password":"***")") != std::string::npos, events.body);

  auto status = client.request("GET", "/services/leaky");
  BOOST_TEST(!has_value(status.body), status.body);
}

BOOST_AUTO_TEST_SUITE_END()
