// A service's versions and the caller's identity through the real binary
// (docs/http-api.md): GET /services/{id}/versions pages the deploys, swaps
// and rollbacks newest first, /versions/{event_id} gives one with its code (a
// rollback the code it restored), another tenant's service is 404, bad
// paging is 400; GET /auth/whoami tells a token what it is; the WebSocket ops
// `versions`, `version` and `whoami` answer the same.
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <thread>

#include "support/async_test.hpp"
#include "support/solo_process.hpp"
#include "support/websocket_client.hpp"

using solo::test::SoloProcess;
using solo::test::WsClient;
using solo::test::send;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

std::string counter_code(const std::string& tag) {
  return "-- " + tag + R"(
function init(config) return { count = 0 } end
function handle_call(msg, state)
  if msg.op == "crash" then error("crash on purpose") end
  state.count = state.count + 1
  return { count = state.count }, state
end
)";
}

json::object get(const SoloProcess& solo, const std::string& target, const std::string& token, int expected = 200) {
  auto response = send(solo, "GET", target, "", token);
  BOOST_TEST_REQUIRE(response.status == expected, target << ": " << response.status << " " << response.body);
  return json::parse(response.body).as_object();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(versions_api)

BOOST_AUTO_TEST_CASE(deploys_swaps_and_a_rollback_page_newest_first_with_their_code) {
  solo::test::TempDir dir;
  SoloProcess solo(dir / "data");
  const auto acme = solo::test::grant_token(solo, "acme", {"deploy", "swap", "call", "status"});
  const auto other = solo::test::grant_token(solo, "other", {"deploy", "status"});

  json::object deploy{{"service_id", "counter"}, {"code", counter_code("v1")}};
  BOOST_TEST_REQUIRE(send(solo, "POST", "/services", json::serialize(deploy), acme).status == 201);
  json::object swap{{"code", counter_code("v2")}, {"rollback_window_ms", 0}};
  BOOST_TEST_REQUIRE(send(solo, "PUT", "/services/counter/code", json::serialize(swap), acme).status == 200);
  // v3 crashes inside its rollback window: v2 comes back.
  json::object risky{{"code", counter_code("v3")}, {"rollback_window_ms", 60000}};
  BOOST_TEST_REQUIRE(send(solo, "PUT", "/services/counter/code", json::serialize(risky), acme).status == 200);
  send(solo, "POST", "/services/counter/call", R"({"op":"crash"})", acme);
  json::array versions;
  for (int i = 0; i < 100; ++i) {
    versions = get(solo, "/services/counter/versions", acme).at("versions").as_array();
    if (versions.size() == 4u) break;
    std::this_thread::sleep_for(50ms);
  }
  BOOST_TEST_REQUIRE(versions.size() == 4u, json::serialize(versions));
  std::vector<std::string> kinds;
  for (const auto& v : versions) kinds.emplace_back(v.at("kind").as_string());
  BOOST_TEST((kinds == std::vector<std::string>{"rollback", "swap", "swap", "deploy"}));
  BOOST_TEST(versions[0].at("version").as_int64() == 2);
  BOOST_TEST(versions[3].at("version").as_int64() == 1);
  BOOST_TEST(!versions[0].as_object().contains("code"));  // the list carries sizes, not code
  BOOST_TEST(versions[0].at("code_bytes").as_int64() == static_cast<int64_t>(counter_code("v2").size()));

  // One entry with its code: the rollback's is v2's.
  const auto rollback_id = std::to_string(versions[0].at("event_id").as_int64());
  auto restored = get(solo, "/services/counter/versions/" + rollback_id, acme);
  BOOST_TEST(restored.at("code").as_string() == counter_code("v2"));
  auto first = get(solo, "/services/counter/versions/" + std::to_string(versions[3].at("event_id").as_int64()), acme);
  BOOST_TEST(first.at("code").as_string() == counter_code("v1"));

  // Pages of one, by cursor, to the end.
  std::vector<int64_t> paged;
  std::string cursor;
  for (int page = 0; page < 10; ++page) {
    auto body = get(solo, "/services/counter/versions?limit=1" + (cursor.empty() ? "" : "&cursor=" + cursor), acme);
    for (const auto& v : body.at("versions").as_array()) paged.push_back(v.at("event_id").as_int64());
    if (body.at("next_cursor").is_null()) break;
    cursor = std::to_string(body.at("next_cursor").as_int64());
  }
  BOOST_TEST(paged.size() == 4u);
  BOOST_TEST(paged.front() == versions[0].at("event_id").as_int64());
  BOOST_TEST(paged.back() == versions[3].at("event_id").as_int64());

  // Bad paging is a 400; another tenant gets 404 for the list and the entry.
  BOOST_TEST(get(solo, "/services/counter/versions?limit=0", acme, 400).at("error").as_string() == "invalid_request");
  BOOST_TEST(get(solo, "/services/counter/versions?limit=101", acme, 400).at("error").as_string() == "invalid_request");
  BOOST_TEST(get(solo, "/services/counter/versions/abc", acme, 400).at("error").as_string() == "invalid_request");
  BOOST_TEST(get(solo, "/services/counter/versions", other, 404).at("error").as_string() == "not_found");
  BOOST_TEST(get(solo, "/services/counter/versions/" + rollback_id, other, 404).at("error").as_string() ==
             "not_found");
  // The same id deployed by the other tenant lists only its own deploy.
  json::object theirs{{"service_id", "counter"}, {"code", counter_code("theirs")}};
  BOOST_TEST_REQUIRE(send(solo, "POST", "/services", json::serialize(theirs), other).status == 201);
  auto their_list = get(solo, "/services/counter/versions", other).at("versions").as_array();
  BOOST_TEST_REQUIRE(their_list.size() == 1u);
  BOOST_TEST(get(solo, "/services/counter/versions/" + std::to_string(their_list[0].at("event_id").as_int64()), other)
                 .at("code")
                 .as_string() == counter_code("theirs"));

  // The WebSocket ops answer the same.
  WsClient client(solo, acme);
  BOOST_TEST_REQUIRE(!client.error, client.error.message());
  auto listed = client.op(1, "versions", json::object{{"service_id", "counter"}, {"limit", 2}});
  BOOST_TEST_REQUIRE(listed.at("ok").as_bool(), json::serialize(listed));
  BOOST_TEST(listed.at("result").at("versions").as_array().size() == 2u);
  BOOST_TEST(listed.at("result").at("next_cursor").as_int64() == versions[1].at("event_id").as_int64());
  auto one = client.op(2, "version", json::object{{"service_id", "counter"}, {"event_id", versions[0].at("event_id")}});
  BOOST_TEST_REQUIRE(one.at("ok").as_bool(), json::serialize(one));
  BOOST_TEST(one.at("result").at("code").as_string() == counter_code("v2"));
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(whoami_tells_a_token_its_tenant_and_permissions_and_refuses_a_bad_one) {
  solo::test::TempDir dir;
  SoloProcess solo(dir / "data");
  auto admin = get(solo, "/auth/whoami", solo.admin_token());
  BOOST_TEST(admin.at("admin").as_bool());

  const auto acme = solo::test::grant_token(solo, "acme", {"call", "status"});
  auto me = get(solo, "/auth/whoami", acme);
  BOOST_TEST(me.at("tenant").as_string() == "acme");
  BOOST_TEST(!me.at("admin").as_bool());
  BOOST_TEST(!me.at("tenant_admin").as_bool());
  std::vector<std::string> permissions;
  for (const auto& p : me.at("permissions").as_array()) permissions.emplace_back(p.as_string());
  BOOST_TEST((permissions == std::vector<std::string>{"call", "status"}));
  BOOST_TEST(!me.at("token_id").as_string().empty());
  BOOST_TEST(me.at("expires_at").is_string());
  // The secret is never echoed back.
  BOOST_TEST(json::serialize(me).find(acme) == std::string::npos);

  BOOST_TEST(send(solo, "GET", "/auth/whoami", "", "solo_not_a_token").status == 401);
  BOOST_TEST(send(solo, "GET", "/auth/whoami", "", "").status == 401);

  WsClient client(solo, acme);
  BOOST_TEST_REQUIRE(!client.error, client.error.message());
  auto ws = client.op(1, "whoami");
  BOOST_TEST_REQUIRE(ws.at("ok").as_bool(), json::serialize(ws));
  BOOST_TEST(ws.at("result").at("tenant").as_string() == "acme");
  BOOST_TEST(ws.at("result").at("token_id") == me.at("token_id"));
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
