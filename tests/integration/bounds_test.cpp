// Bounds with the real binary (docs/services.md, "The sandbox and its limits"; docs/http-api.md, Errors):
// a tenant token cannot deploy limits above its quota's per-service maxima,
// the defaults unless the admin raised them (429 quota_exceeded), but may lower
// them; replies, timers and casts are bounded outside the Lua heap; a reply
// that cannot be encoded fails that call only (no crash, no restart, no
// circuit-breaker failure); a non-finite number in a body is a 400.
#include <string>
#include <thread>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "net/http_client.hpp"
#include "support/async_test.hpp"
#include "support/eventually.hpp"
#include "support/solo_process.hpp"

using namespace solo;
using solo::test::SoloProcess;
using solo::test::send;
namespace json = boost::json;

using solo::test::eventually;

namespace {

constexpr const char* kTenant = "alpha";

json::object body_of(const net::ClientResponse& response) { return json::parse(response.body).as_object(); }

void expect_error(const net::ClientResponse& response, int status, const std::string& code) {
  BOOST_TEST(response.status == status, response.body);
  auto body = body_of(response);
  BOOST_TEST(body.at("error").as_string() == code, response.body);
  BOOST_TEST(body.at("message").is_string());
  BOOST_TEST(body.contains("timestamp"));
}

std::string message_of(const net::ClientResponse& response) {
  return std::string(body_of(response).at("message").as_string());
}

// A token of `tenant` with `permissions`, minted by the admin.
std::string grant(const SoloProcess& solo, const std::string& tenant, std::initializer_list<const char*> permissions) {
  json::array list;
  for (const char* p : permissions) list.emplace_back(p);
  json::object body{{"tenant_id", tenant}, {"permissions", list}, {"resource", "*"}, {"ttl_seconds", 3600}};
  auto response = send(solo, "POST", "/tokens", json::serialize(body), solo.admin_token());
  BOOST_TEST_REQUIRE(response.status == 201, response.body);
  return std::string(json::parse(response.body).at("token").as_string());
}

std::string deploy_body(const std::string& id, const std::string& code, json::object limits = {}) {
  json::object body{{"service_id", id}, {"code", code}};
  if (!limits.empty()) body["limits"] = std::move(limits);
  return json::serialize(body);
}


const char* kEcho = R"(
function handle_call(msg, state) return msg, state end
function handle_cast(msg, state) return state end
)";

// Replies that cannot be encoded, on request.
const char* kBadReplies = R"(
function init(config) return { n = 0 } end
function handle_call(msg, state)
  state.n = state.n + 1
  if msg.op == "big" then
    local s = string.rep("x", 1024 * 1024)
    local t = {}
    for i = 1, 60 do t[i] = s end
    return t, state
  elseif msg.op == "fn" then return { f = print }, state
  elseif msg.op == "nan" then return 0/0, state
  elseif msg.op == "huge" then return math.huge, state
  elseif msg.op == "cycle" then local t = {} t.self = t return t, state
  end
  return { n = state.n }, state
end
)";

// Timers holding ~1 MB each until solo.after refuses one. The string stays
// in the state, so the heap does not shrink under the test's feet.
const char* kTimerHoarder = R"(
function handle_call(msg, state)
  local s = string.rep("t", msg.size)
  state.keep = s
  local made = 0
  for i = 1, msg.count do
    local ok, err = pcall(solo.after, 600000, { s })
    if not ok then return { made = made, err = err }, state end
    made = made + 1
  end
  return { made = made }, state
end
function handle_info(msg, state) return state end
function handle_cast(msg, state) return state end
)";

}  // namespace

BOOST_AUTO_TEST_SUITE(bounds)

BOOST_AUTO_TEST_CASE(a_tenant_token_may_lower_limits_but_only_its_quota_or_an_admin_may_raise_them) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  const auto tenant = grant(solo, kTenant, {"deploy", "call", "status"});

  struct Raise {
    const char* field;
    int64_t value;
    int64_t quota;
  };
  // The per-service maxima of the default quota are the default limits.
  const Raise raises[] = {
      {"instructions_per_message", 1'000'000'000, 100'000'000},
      {"cpu_ms_per_message", 1000, 50},
      {"memory_bytes", 64 << 20, 16 << 20},
      {"mailbox", 1001, 1000},
      {"call_timeout_ms", 6000, 5000},
      {"payload_bytes", 2 << 20, 1 << 20},
  };
  for (const auto& raise : raises) {
    auto refused = send(solo, "POST", "/services", deploy_body("raised", kEcho, {{raise.field, raise.value}}), tenant);
    expect_error(refused, 429, "quota_exceeded");
    auto body = body_of(refused);
    BOOST_TEST(body.at("quota").as_string() == raise.field, refused.body);
    BOOST_TEST(body.at("limit").to_number<int64_t>() == raise.quota, refused.body);
    BOOST_TEST(body.at("used").to_number<int64_t>() == raise.value, refused.body);
    auto expected = "limits." + std::string(raise.field) + " " + std::to_string(raise.value) +
                    " is above the tenant's maximum " + std::to_string(raise.quota);
    BOOST_TEST(message_of(refused).find(expected) != std::string::npos, refused.body);
  }
  // Nothing was deployed.
  auto missing = send(solo, "GET", "/services/raised", "", solo.admin_token(), kTenant);
  BOOST_TEST(missing.status == 404, missing.body);

  // Lowering (and the defaults themselves) is the tenant's choice.
  json::object lowered{{"memory_bytes", 4 << 20},
                       {"cpu_ms_per_message", 20},
                       {"instructions_per_message", 20'000'000},
                       {"mailbox", 10},
                       {"call_timeout_ms", 1000},
                       {"payload_bytes", 4096}};
  auto deployed = send(solo, "POST", "/services", deploy_body("lowered", kEcho, lowered), tenant);
  BOOST_TEST_REQUIRE(deployed.status == 201, deployed.body);
  auto called = send(solo, "POST", "/services/lowered/call", R"({"hi": 1})", tenant);
  BOOST_TEST(called.status == 200, called.body);
  auto status = body_of(send(solo, "GET", "/services/lowered", "", tenant));
  BOOST_TEST(status.at("status").as_string() == "running");

  // The admin token may raise them.
  auto admin = send(solo, "POST", "/services",
                    deploy_body("raised", kEcho, {{"instructions_per_message", 1'000'000'000}, {"payload_bytes", 2 << 20}}),
                    solo.admin_token(), kTenant);
  BOOST_TEST(admin.status == 201, admin.body);
  BOOST_TEST(send(solo, "POST", "/services/raised/call", "{}", tenant).status == 200);
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(replies_that_cannot_be_encoded_fail_that_call_only) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  auto client = solo.client(std::chrono::seconds(30), kTenant);
  auto deployed = client.request("POST", "/services", deploy_body("bad", kBadReplies, {{"memory_bytes", 8 << 20}}));
  BOOST_TEST_REQUIRE(deployed.status == 201, deployed.body);

  struct Case {
    const char* op;
    const char* says;
  };
  const Case cases[] = {
      {"big", "handle_call reply is too large (more than 1048576 bytes as JSON)"},
      {"fn", "cannot encode a function"},
      {"nan", "cannot encode NaN or infinity"},
      {"huge", "cannot encode NaN or infinity"},
      {"cycle", "table contains a cycle"},
      {"big", "is too large"},
      {"fn", "cannot encode a function"},
  };
  for (const auto& c : cases) {
    auto failed = client.request("POST", "/services/bad/call", json::serialize(json::object{{"op", c.op}}));
    expect_error(failed, 500, "service_error");
    BOOST_TEST(message_of(failed).find(c.says) != std::string::npos, c.op << ": " << failed.body);
  }
  auto status = body_of(client.request("GET", "/services/bad"));
  BOOST_TEST(status.at("status").as_string() == "running", json::serialize(status));
  BOOST_TEST(status.at("restarts").as_int64() == 0);
  BOOST_TEST(status.at("circuit").at("state").as_string() == "closed", json::serialize(status));
  BOOST_TEST(status.at("circuit").at("consecutive_failures").as_int64() == 0, json::serialize(status));
  // The state survived (init did not run again) and kept what the seven handlers did.
  auto ok = client.request("POST", "/services/bad/call", "{}");
  BOOST_TEST_REQUIRE(ok.status == 200, ok.body);
  BOOST_TEST(json::parse(ok.body).at("reply").at("n").as_int64() == 8);
  // No crash was recorded.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto events = body_of(client.request("GET", "/events?service_id=bad&type=service_crashed"));
  BOOST_TEST(events.at("events").as_array().empty(), json::serialize(events));
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(pending_timers_count_against_memory_and_past_it_solo_after_and_casts_are_refused) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  auto client = solo.client(std::chrono::seconds(30), kTenant);
  auto deployed =
      client.request("POST", "/services", deploy_body("hoarder", kTimerHoarder, {{"memory_bytes", 4 << 20}}));
  BOOST_TEST_REQUIRE(deployed.status == 201, deployed.body);

  // ~500 KB a timer: the 4 MiB limit holds seven or so, never twenty (and
  // the message stays well within its 50 ms of CPU: each is encoded once).
  auto made = client.request("POST", "/services/hoarder/call", R"({"size": 500000, "count": 20})");
  BOOST_TEST_REQUIRE(made.status == 200, made.body);
  auto reply = json::parse(made.body).at("reply");
  BOOST_TEST(reply.at("made").as_int64() >= 5);
  BOOST_TEST(reply.at("made").as_int64() < 8);
  const std::string err(reply.at("err").as_string());
  BOOST_TEST(err.find("solo.after: the timer's message of 500004 bytes would take the service past its memory "
                      "limit of 4194304 bytes") != std::string::npos,
             err);
  auto status = body_of(client.request("GET", "/services/hoarder"));
  BOOST_TEST(status.at("memory_bytes").as_int64() > 5 * 500000, json::serialize(status));
  BOOST_TEST(status.at("memory_bytes").as_int64() <= 4 << 20, json::serialize(status));
  BOOST_TEST(status.at("status").as_string() == "running");

  // A message that does not fit what is left: 503 overloaded, nothing queued.
  const std::string big = json::serialize(json::value(std::string(600000, 'c')));
  auto cast = client.request("POST", "/services/hoarder/cast", big);
  BOOST_TEST(cast.status == 503, cast.body);
  BOOST_TEST(body_of(cast).at("error").as_string() == "overloaded");
  auto call = client.request("POST", "/services/hoarder/call", big);
  BOOST_TEST(call.status == 503, call.body);
  BOOST_TEST(body_of(call).at("error").as_string() == "overloaded");
  // Small ones still fit, and the service is fine.
  BOOST_TEST(client.request("POST", "/services/hoarder/cast", "{}").status == 202);
  auto again = client.request("POST", "/services/hoarder/call", R"({"size": 10, "count": 1})");
  BOOST_TEST(again.status == 200, again.body);
  BOOST_TEST(body_of(client.request("GET", "/services/hoarder")).at("restarts").as_int64() == 0);
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(a_non_finite_number_in_a_body_is_400_on_every_json_route) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  auto client = solo.client(std::chrono::seconds(30), kTenant);
  auto deployed = client.request("POST", "/services", deploy_body("echo", kEcho));
  BOOST_TEST_REQUIRE(deployed.status == 201, deployed.body);

  auto call = client.request("POST", "/services/echo/call", R"({"a": 1e400})");
  expect_error(call, 400, "invalid_request");
  BOOST_TEST(message_of(call).find("(at .a)") != std::string::npos, call.body);
  expect_error(client.request("POST", "/services/echo/call", R"([1, -1e999])"), 400, "invalid_request");
  expect_error(client.request("POST", "/services/echo/cast", R"({"a": [1e400]})"), 400, "invalid_request");
  expect_error(client.request("POST", "/services",
                              R"({"service_id": "other", "code": "x = 1", "config": {"n": 1e400}})"),
               400, "invalid_request");
  expect_error(client.request("POST", "/secrets", R"({"key": "k", "value": "v", "n": 1e400})"), 400,
               "invalid_request");
  // The service never saw them, and ordinary numbers still pass.
  for (int i = 0; i < 4; ++i) {
    expect_error(client.request("POST", "/services/echo/call", R"({"a": 1e400})"), 400, "invalid_request");
  }
  auto ok = client.request("POST", "/services/echo/call", R"({"a": 1e300})");
  BOOST_TEST(ok.status == 200, ok.body);
  auto status = body_of(client.request("GET", "/services/echo"));
  BOOST_TEST(status.at("status").as_string() == "running");
  BOOST_TEST(status.at("restarts").as_int64() == 0);
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
