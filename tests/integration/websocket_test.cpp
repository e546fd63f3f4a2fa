// WebSocket /ws against the real binary (docs/websocket.md): the op round
// trip deploy/call/status/kill with their ids, errors with the HTTP codes,
// watch with resume from `since` (and logs), unwatch, a tenant token's watch
// seeing only its tenant, and the token at the upgrade (header, query
// parameter, missing or wrong: 401 before the upgrade).
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>


#include <chrono>
#include <csignal>
#include <functional>
#include <optional>

#include "support/async_test.hpp"
#include "support/solo_process.hpp"
#include "support/eventually.hpp"
#include "support/websocket_client.hpp"

using namespace solo;
using solo::test::SoloProcess;
using solo::test::WsClient;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = asio::ip::tcp;

namespace {

constexpr const char* kEcho = R"(
function init(config) return {} end
function handle_call(msg, state)
  solo.log("info", "echo " .. tostring(msg.n))
  return msg, state
end
)";

json::object args_of(std::initializer_list<std::pair<std::string, json::value>> fields) {
  json::object args;
  for (const auto& [key, value] : fields) args[key] = value;
  return args;
}

bool is_event(const json::object& frame, const std::string& type, const std::string& service = "") {
  if (!frame.contains("event")) return false;
  const auto& event = frame.at("event").as_object();
  return event.at("event_type").as_string() == type &&
         (service.empty() || (event.at("service_id").is_string() && event.at("service_id").as_string() == service));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(websocket_api)

BOOST_AUTO_TEST_CASE(ops_round_trip_with_ids_and_errors_carry_the_http_codes) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  WsClient client(solo, solo.admin_token());
  BOOST_TEST_REQUIRE(!client.error, client.error.message());

  auto deployed = client.op(1, "deploy", args_of({{"service_id", "echo"}, {"code", kEcho}}));
  BOOST_TEST_REQUIRE(deployed.at("ok").as_bool(), json::serialize(deployed));
  BOOST_TEST(deployed.at("result").at("service_id").as_string() == "echo");
  BOOST_TEST(deployed.at("result").at("version").as_int64() == 1);

  auto called = client.op(2, "call", args_of({{"service_id", "echo"}, {"message", args_of({{"n", 42}})}}));
  BOOST_TEST_REQUIRE(called.at("ok").as_bool(), json::serialize(called));
  BOOST_TEST(called.at("result").at("reply").at("n").as_int64() == 42);

  auto status = client.op(3, "status", args_of({{"service_id", "echo"}}));
  BOOST_TEST(status.at("result").at("status").as_string() == "running");

  auto listed = client.op(4, "list");
  BOOST_TEST(listed.at("result").at("total").as_int64() == 1);

  // Errors: the HTTP error body, with its status.
  auto conflict = client.op(5, "deploy", args_of({{"service_id", "echo"}, {"code", kEcho}}));
  BOOST_TEST(!conflict.at("ok").as_bool());
  BOOST_TEST(conflict.at("error").at("error").as_string() == "conflict");
  BOOST_TEST(conflict.at("error").at("status").as_int64() == 409);
  BOOST_TEST(!conflict.at("error").at("message").as_string().empty());
  auto bad_code = client.op(6, "deploy", args_of({{"service_id", "broken"}, {"code", "function ("}}));
  BOOST_TEST(bad_code.at("error").at("error").as_string() == "invalid_request");
  BOOST_TEST(bad_code.at("error").at("status").as_int64() == 400);
  auto missing = client.op(7, "status", args_of({{"service_id", "nope"}}));
  BOOST_TEST(missing.at("error").at("error").as_string() == "not_found");
  BOOST_TEST(missing.at("error").at("status").as_int64() == 404);

  auto killed = client.op(8, "kill", args_of({{"service_id", "echo"}}));
  BOOST_TEST_REQUIRE(killed.at("ok").as_bool(), json::serialize(killed));
  BOOST_TEST(killed.at("result").at("status").as_string() == "killed");
  auto gone = client.op(9, "call", args_of({{"service_id", "echo"}, {"message", args_of({{"n", 1}})}}));
  BOOST_TEST(gone.at("error").at("error").as_string() == "not_found");

  // A narrow token: forbidden ops are 403 exactly as over HTTP.
  auto granted = client.op(10, "grant", args_of({{"tenant_id", "acme"}, {"permissions", json::array{"status"}},
                                                 {"ttl_seconds", 600}}));
  BOOST_TEST_REQUIRE(granted.at("ok").as_bool(), json::serialize(granted));
  WsClient narrow(solo, std::string(granted.at("result").at("token").as_string()));
  BOOST_TEST_REQUIRE(!narrow.error);
  auto forbidden = narrow.op(1, "deploy", args_of({{"service_id", "x"}, {"code", kEcho}}));
  BOOST_TEST(forbidden.at("error").at("error").as_string() == "forbidden");
  BOOST_TEST(forbidden.at("error").at("status").as_int64() == 403);
  // Revoking it takes effect on the open connection.
  auto revoked = client.op(11, "revoke", args_of({{"token_id", granted.at("result").at("token_id")}}));
  BOOST_TEST_REQUIRE(revoked.at("ok").as_bool(), json::serialize(revoked));
  auto after = narrow.op(2, "status", args_of({{"service_id", "x"}}));
  BOOST_TEST(after.at("error").at("error").as_string() == "unauthorized");
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(a_tenant_token_deploying_raised_limits_over_the_socket_is_429_quota_exceeded_like_http) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  WsClient admin(solo, solo.admin_token());
  BOOST_TEST_REQUIRE(!admin.error);
  auto granted = admin.op(1, "grant", args_of({{"tenant_id", "acme"}, {"permissions", json::array{"deploy", "call"}},
                                               {"ttl_seconds", 600}}));
  BOOST_TEST_REQUIRE(granted.at("ok").as_bool(), json::serialize(granted));
  WsClient tenant(solo, std::string(granted.at("result").at("token").as_string()));
  BOOST_TEST_REQUIRE(!tenant.error);
  auto raised = tenant.op(1, "deploy", args_of({{"service_id", "x"}, {"code", kEcho},
                                                {"limits", args_of({{"mailbox", 5000}})}}));
  BOOST_TEST(raised.at("error").at("status").as_int64() == 429, json::serialize(raised));
  BOOST_TEST(raised.at("error").at("error").as_string() == "quota_exceeded", json::serialize(raised));
  BOOST_TEST(raised.at("error").at("quota").as_string() == "mailbox", json::serialize(raised));
  BOOST_TEST(std::string(raised.at("error").at("message").as_string()).find(
                 "limits.mailbox 5000 is above the tenant's maximum 1000") != std::string::npos,
             json::serialize(raised));
  auto lowered = tenant.op(2, "deploy", args_of({{"service_id", "x"}, {"code", kEcho},
                                                 {"limits", args_of({{"mailbox", 5}})}}));
  BOOST_TEST(lowered.at("ok").as_bool(), json::serialize(lowered));
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(tenant_quota_ops_set_and_show_a_quota_like_http) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  WsClient admin(solo, solo.admin_token());
  BOOST_TEST_REQUIRE(!admin.error);
  auto set = admin.op(1, "tenant_quota_set", args_of({{"tenant_id", "acme"}, {"services", 0}}));
  BOOST_TEST_REQUIRE(set.at("ok").as_bool(), json::serialize(set));
  BOOST_TEST(set.at("result").at("quota").at("services").as_int64() == 0);
  auto shown = admin.op(2, "tenant_quota", args_of({{"tenant_id", "acme"}}));
  BOOST_TEST(shown.at("result").at("quota").at("services").as_int64() == 0, json::serialize(shown));
  auto bad = admin.op(3, "tenant_quota_set", args_of({{"tenant_id", "acme"}, {"servicez", 1}}));
  BOOST_TEST(bad.at("error").at("status").as_int64() == 400, json::serialize(bad));
  // The quota holds over the socket: 429 with its fields.
  auto granted = admin.op(4, "grant", args_of({{"tenant_id", "acme"}, {"permissions", json::array{"deploy", "status"}},
                                               {"ttl_seconds", 600}}));
  BOOST_TEST_REQUIRE(granted.at("ok").as_bool(), json::serialize(granted));
  WsClient tenant(solo, std::string(granted.at("result").at("token").as_string()));
  BOOST_TEST_REQUIRE(!tenant.error);
  auto refused = tenant.op(1, "deploy", args_of({{"service_id", "x"}, {"code", kEcho}}));
  BOOST_TEST(refused.at("error").at("status").as_int64() == 429, json::serialize(refused));
  BOOST_TEST(refused.at("error").at("quota").as_string() == "services", json::serialize(refused));
  BOOST_TEST(refused.at("error").at("limit").as_int64() == 0, json::serialize(refused));
  auto mine = tenant.op(2, "tenant", args_of({{"tenant_id", "acme"}}));
  BOOST_TEST(mine.at("result").at("quota").at("services").at("limit").as_int64() == 0, json::serialize(mine));
  auto not_mine = tenant.op(3, "tenant_quota_set", args_of({{"tenant_id", "acme"}, {"services", 9}}));
  BOOST_TEST(not_mine.at("error").at("status").as_int64() == 403, json::serialize(not_mine));
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(deploy_and_swap_ops_binding_a_secret_need_secrets_read_like_http) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  WsClient admin(solo, solo.admin_token());
  BOOST_TEST_REQUIRE(!admin.error);
  auto granted = admin.op(1, "grant", args_of({{"tenant_id", "acme"}, {"permissions", json::array{"deploy", "call", "swap"}},
                                               {"ttl_seconds", 600}}));
  BOOST_TEST_REQUIRE(granted.at("ok").as_bool(), json::serialize(granted));
  WsClient tenant(solo, std::string(granted.at("result").at("token").as_string()));
  BOOST_TEST_REQUIRE(!tenant.error);
  auto bound = tenant.op(1, "deploy", args_of({{"service_id", "x"}, {"code", kEcho}, {"secrets", json::array{"db_password"}}}));
  BOOST_TEST(bound.at("error").at("status").as_int64() == 403, json::serialize(bound));
  BOOST_TEST(std::string(bound.at("error").at("message").as_string()).find("secrets/db_password") != std::string::npos,
             json::serialize(bound));
  // The admin deploys it for acme; the tenant's swap op is refused the same way.
  net::HttpClient http = solo.client(std::chrono::seconds(30), "acme");
  json::object body{{"service_id", "x"}, {"code", kEcho}, {"secrets", json::array{"db_password"}}};
  auto deployed = http.request("POST", "/services", json::serialize(body));
  BOOST_TEST_REQUIRE(deployed.status == 201, deployed.body);
  auto swapped = tenant.op(2, "swap", args_of({{"service_id", "x"}, {"code", kEcho}}));
  BOOST_TEST(swapped.at("error").at("status").as_int64() == 403, json::serialize(swapped));
  // Both refusals went through the Gateway's dispatch: two capability_denied events of that token.
  std::string token_id(granted.at("result").at("token_id").as_string());
  auto count_denials = [&] {
    auto events = http.request("GET", "/events?since=0&limit=1000&type=capability_denied");
    size_t n = 0;
    const auto body = json::parse(events.body);
    for (const auto& event : body.at("events").as_array()) n += event.at("subject") == json::value(token_id) ? 1 : 0;
    return n;
  };
  BOOST_TEST(test::eventually([&] { return count_denials() == 2; }), count_denials());
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(watch_streams_events_resumes_from_since_and_stops_at_unwatch) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  WsClient client(solo, solo.admin_token());
  BOOST_TEST_REQUIRE(!client.error, client.error.message());

  // From the start: the system_started of this run is in the log.
  auto watching = client.op(1, "watch", args_of({{"since", 0}, {"logs", true}}));
  BOOST_TEST_REQUIRE(watching.at("ok").as_bool(), json::serialize(watching));
  BOOST_TEST(watching.at("result").at("watching").as_bool());
  auto started = client.next([](const json::object& f) { return is_event(f, "system_started"); });
  const auto started_id = started.at("event").at("id").as_int64();

  // Live: a deploy and a call (its log line) arrive while watching.
  auto deployed = client.op(2, "deploy", args_of({{"service_id", "echo"}, {"code", kEcho}}));
  BOOST_TEST_REQUIRE(deployed.at("ok").as_bool(), json::serialize(deployed));
  auto event = client.next([](const json::object& f) { return is_event(f, "service_deployed", "echo"); });
  const auto deployed_id = event.at("event").at("id").as_int64();
  BOOST_TEST(deployed_id > started_id);
  client.op(3, "call", args_of({{"service_id", "echo"}, {"message", args_of({{"n", 5}})}}));
  auto log = client.next([](const json::object& f) { return f.contains("log"); });
  BOOST_TEST(log.at("log").at("message").as_string().find("echo 5") != json::string::npos);

  // Unwatch: no more events (the kill's reply comes, its event does not).
  auto stopped = client.op(4, "unwatch");
  BOOST_TEST(stopped.at("ok").as_bool());
  client.aside.clear();
  auto killed = client.op(5, "kill", args_of({{"service_id", "echo"}}));
  BOOST_TEST(killed.at("ok").as_bool());
  client.op(6, "health");
  for (const auto& frame : client.aside) BOOST_TEST(!frame.contains("event"), json::serialize(frame));

  // A second connection resumes after the deploy: the kill is the first event
  // it sees, nothing at or before `since` comes again.
  WsClient resumed(solo, solo.admin_token());
  auto again = resumed.op(1, "watch", args_of({{"since", deployed_id}}));
  BOOST_TEST_REQUIRE(again.at("ok").as_bool());
  for (;;) {
    auto frame = resumed.next([](const json::object& f) { return f.contains("event"); });
    BOOST_TEST(frame.at("event").at("id").as_int64() > deployed_id);
    if (is_event(frame, "service_killed", "echo")) break;
  }

  // Bad watch args are 400.
  auto bad = resumed.op(2, "watch", args_of({{"since", "soon"}}));
  BOOST_TEST(bad.at("error").at("error").as_string() == "invalid_request");
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(a_tenant_watch_sees_only_its_tenant) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  WsClient admin(solo, solo.admin_token());
  auto granted = admin.op(1, "grant", args_of({{"tenant_id", "acme"},
                                               {"permissions", json::array{"events", "deploy"}},
                                               {"ttl_seconds", 600}}));
  BOOST_TEST_REQUIRE(granted.at("ok").as_bool(), json::serialize(granted));
  WsClient acme(solo, std::string(granted.at("result").at("token").as_string()));
  BOOST_TEST_REQUIRE(acme.op(1, "watch", args_of({{"since", 0}})).at("ok").as_bool());
  // The admin deploys in "default", then acme deploys its own.
  BOOST_TEST(admin.op(2, "deploy", args_of({{"service_id", "other"}, {"code", kEcho}})).at("ok").as_bool());
  BOOST_TEST(acme.op(2, "deploy", args_of({{"service_id", "mine"}, {"code", kEcho}})).at("ok").as_bool());
  for (;;) {
    auto seen = acme.next([](const json::object& f) { return f.contains("event"); });
    BOOST_TEST(seen.at("event").at("tenant_id").as_string() == "acme", json::serialize(seen));
    BOOST_TEST(!is_event(seen, "service_deployed", "other"));
    if (is_event(seen, "service_deployed", "mine")) break;
  }
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

// ?tenant= on the upgrade stands for X-Tenant-ID (browsers cannot set
// headers): the admin acts for that tenant, ops and watch alike; a tenant's
// token naming another tenant is refused, with the token in the query too.
BOOST_AUTO_TEST_CASE(the_tenant_comes_at_the_upgrade_query_under_the_header_rule) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  WsClient admin(solo, solo.admin_token());
  auto granted = admin.op(1, "grant", args_of({{"tenant_id", "acme"},
                                               {"permissions", json::array{"events", "deploy", "status"}},
                                               {"ttl_seconds", 600}}));
  BOOST_TEST_REQUIRE(granted.at("ok").as_bool(), json::serialize(granted));
  const std::string acme_token(granted.at("result").at("token").as_string());
  BOOST_TEST(admin.op(2, "deploy", args_of({{"service_id", "in-default"}, {"code", kEcho}})).at("ok").as_bool());

  WsClient as_acme(solo, solo.admin_token(), "/ws?tenant=acme");
  BOOST_TEST_REQUIRE(!as_acme.error, as_acme.error.message());
  BOOST_TEST_REQUIRE(as_acme.op(1, "watch", args_of({{"since", 0}})).at("ok").as_bool());
  BOOST_TEST(as_acme.op(2, "deploy", args_of({{"service_id", "mine"}, {"code", kEcho}})).at("ok").as_bool());
  auto listed = as_acme.op(3, "list");
  BOOST_TEST_REQUIRE(listed.at("ok").as_bool(), json::serialize(listed));
  const auto& services = listed.at("result").at("services").as_array();
  BOOST_TEST_REQUIRE(services.size() == 1u, json::serialize(listed));
  BOOST_TEST(services[0].at("service_id").as_string() == "mine");
  for (;;) {  // the watch is acme's only: no event of "default" comes before acme's deploy
    auto seen = as_acme.next([](const json::object& f) { return f.contains("event"); });
    BOOST_TEST(seen.at("event").at("tenant_id").as_string() == "acme", json::serialize(seen));
    if (is_event(seen, "service_deployed", "mine")) break;
  }

  WsClient foreign(solo, "", "/ws?token=" + acme_token + "&tenant=default", false);
  BOOST_TEST(foreign.response.result_int() == 403);
  BOOST_TEST(json::parse(foreign.response.body()).at("error").as_string() == "forbidden");
  WsClient invalid(solo, solo.admin_token(), "/ws?tenant=no%20spaces");
  BOOST_TEST(invalid.response.result_int() == 400);
  WsClient own(solo, "", "/ws?token=" + acme_token + "&tenant=acme", false);
  BOOST_TEST(!own.error, own.error.message());
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(the_token_comes_at_the_upgrade_header_or_query) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  WsClient none(solo, "");
  BOOST_TEST(bool(none.error == websocket::error::upgrade_declined));
  BOOST_TEST(none.response.result_int() == 401);
  BOOST_TEST(json::parse(none.response.body()).at("error").as_string() == "unauthorized");
  WsClient wrong(solo, "not-a-token");
  BOOST_TEST(wrong.response.result_int() == 401);
  WsClient wrong_query(solo, "", "/ws?token=not-a-token", false);
  BOOST_TEST(wrong_query.response.result_int() == 401);

  WsClient query(solo, "", "/ws?token=" + solo.admin_token(), false);
  BOOST_TEST_REQUIRE(!query.error, query.error.message());
  auto health = query.op(1, "health");
  BOOST_TEST(health.at("ok").as_bool());
  BOOST_TEST(health.at("result").at("status").as_string() == "healthy");

  // Shutdown closes open WebSockets with 1001 (going away).
  solo.signal(SIGTERM);
  beast::flat_buffer buffer;
  beast::error_code ec;
  for (;;) {
    ec = test::read_within(query.ws, query.io, buffer, std::chrono::seconds(15));
    if (ec) break;
    buffer.clear();
  }
  BOOST_TEST(bool(ec == websocket::error::closed), ec.message());
  BOOST_TEST(query.ws.reason().code == 1001);
  BOOST_TEST(solo.wait(std::chrono::seconds(15)).value_or(-1) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
