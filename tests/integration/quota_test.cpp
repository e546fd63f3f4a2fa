// Tenant quotas with the real binary (docs/http-api.md, "Tenants"): each
// quota reached through the real interface answers 429 quota_exceeded naming
// the quota, its limit and the use; raising it with PUT /tenants/{id}/quota
// lets the same call through; quotas survive kill -9; GET /tenants/{id}
// shows use against quota to the admin and to the tenant, no one else.
// Small quotas and few requests keep it fast.
#include <future>
#include <optional>
#include <string>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "net/http_client.hpp"
#include "support/async_test.hpp"
#include "support/solo_process.hpp"

using namespace solo;
using solo::test::SoloProcess;
using solo::test::send;
namespace json = boost::json;

namespace {

constexpr const char* kTenant = "acme";

const char* kEcho = R"(
function handle_call(msg, state) return msg, state end
function handle_cast(msg, state) return state end
)";

// solo.emit on request; returns the Lua error when it is refused.
const char* kEmitter = R"(
function handle_call(msg, state)
  local ok, err = pcall(solo.emit, "tick", { n = 1 })
  return { ok = ok, err = err and tostring(err) or nil }, state
end
function handle_cast(msg, state) return state end
)";

json::object body_of(const net::ClientResponse& response) { return json::parse(response.body).as_object(); }

// The 429 in the documented shape, naming `quota` with its limit and use.
void expect_quota_exceeded(const net::ClientResponse& response, const std::string& quota, int64_t limit,
                           std::optional<int64_t> used = std::nullopt) {
  BOOST_TEST_REQUIRE(response.status == 429, response.body);
  auto body = body_of(response);
  BOOST_TEST(body.at("error").as_string() == "quota_exceeded", response.body);
  BOOST_TEST(body.at("quota").as_string() == quota, response.body);
  BOOST_TEST(body.at("limit").to_number<int64_t>() == limit, response.body);
  if (used) BOOST_TEST(body.at("used").to_number<int64_t>() == *used, response.body);
  BOOST_TEST(body.contains("timestamp"));
  std::string message(body.at("message").as_string());
  BOOST_TEST(message.find("quota '" + quota + "'") != std::string::npos, message);
  BOOST_TEST(message.find(std::to_string(limit)) != std::string::npos, message);
}

// PUT /tenants/acme/quota as the admin; the new quota.
json::object set_quota(const SoloProcess& solo, const std::string& partial, const std::string& tenant = kTenant) {
  auto response = send(solo, "PUT", "/tenants/" + tenant + "/quota", partial, solo.admin_token());
  BOOST_TEST_REQUIRE(response.status == 200, response.body);
  return body_of(response).at("quota").as_object();
}

std::string grant(const SoloProcess& solo, const std::string& tenant) {
  json::object body{{"tenant_id", tenant},
                    {"permissions", json::array{"deploy", "swap", "call", "status", "grant", "secrets:write",
                                                "secrets:read", "registry"}},
                    {"ttl_seconds", 3600}};
  auto response = send(solo, "POST", "/tokens", json::serialize(body), solo.admin_token());
  BOOST_TEST_REQUIRE(response.status == 201, response.body);
  return std::string(json::parse(response.body).at("token").as_string());
}

std::string deploy_body(const std::string& id, const std::string& code, json::object limits = {}) {
  json::object body{{"service_id", id}, {"code", code}};
  if (!limits.empty()) body["limits"] = std::move(limits);
  return json::serialize(body);
}

int64_t used(const SoloProcess& solo, const std::string& token, const std::string& quota) {
  auto response = send(solo, "GET", std::string("/tenants/") + kTenant, "", token);
  BOOST_TEST_REQUIRE(response.status == 200, response.body);
  return body_of(response).at("quota").at(quota).at("used").to_number<int64_t>();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(quota)

BOOST_AUTO_TEST_CASE(each_quota_reached_is_429_and_raising_it_lets_the_call_through) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  const auto tenant = grant(solo, kTenant);  // the tenant's first token

  // services and memory_bytes_total (16 MiB is the default memory limit).
  set_quota(solo, R"({"services": 1, "memory_bytes_total": 20971520})");
  BOOST_TEST_REQUIRE(send(solo, "POST", "/services", deploy_body("s1", kEcho), tenant).status == 201);
  auto second = send(solo, "POST", "/services", deploy_body("s2", kEcho, {{"memory_bytes", 4 << 20}}), tenant);
  expect_quota_exceeded(second, "services", 1, 1);
  set_quota(solo, R"({"services": 5})");
  second = send(solo, "POST", "/services", deploy_body("s2", kEcho, {{"memory_bytes", 4 << 20}}), tenant);
  BOOST_TEST_REQUIRE(second.status == 201, second.body);
  auto third = send(solo, "POST", "/services", deploy_body("s3", kEcho, {{"memory_bytes", 1 << 20}}), tenant);
  expect_quota_exceeded(third, "memory_bytes_total", 20 << 20, 20 << 20);
  // The admin's deploys for the tenant are bound by the totals too.
  auto by_admin =
      send(solo, "POST", "/services", deploy_body("s3", kEcho, {{"memory_bytes", 1 << 20}}), solo.admin_token(), kTenant);
  expect_quota_exceeded(by_admin, "memory_bytes_total", 20 << 20, 20 << 20);
  set_quota(solo, R"({"memory_bytes_total": 67108864})");
  BOOST_TEST_REQUIRE(send(solo, "POST", "/services", deploy_body("s3", kEcho, {{"memory_bytes", 1 << 20}}), tenant).status ==
                     201);

  // A per-service maximum: memory_bytes (default 16 MiB).
  auto big = send(solo, "POST", "/services", deploy_body("s4", kEcho, {{"memory_bytes", 32 << 20}}), tenant);
  expect_quota_exceeded(big, "memory_bytes", 16 << 20, 32 << 20);
  set_quota(solo, R"({"memory_bytes": 33554432})");
  BOOST_TEST_REQUIRE(send(solo, "POST", "/services", deploy_body("s4", kEcho, {{"memory_bytes", 32 << 20}}), tenant).status ==
                     201);

  // code_bytes, at deploy and at swap.
  std::string long_code = std::string(kEcho) + "-- " + std::string(300, 'x') + "\n";
  set_quota(solo, R"({"code_bytes": 200})");
  expect_quota_exceeded(send(solo, "POST", "/services", deploy_body("s5", long_code), tenant), "code_bytes", 200,
                        static_cast<int64_t>(long_code.size()));
  json::object swap{{"code", long_code}};
  expect_quota_exceeded(send(solo, "PUT", "/services/s1/code", json::serialize(swap), tenant), "code_bytes", 200);
  set_quota(solo, R"({"code_bytes": 4096})");
  auto swapped = send(solo, "PUT", "/services/s1/code", json::serialize(swap), tenant);
  BOOST_TEST(swapped.status == 200, swapped.body);

  // tokens: the tenant holds one.
  set_quota(solo, R"({"tokens": 1})");
  const std::string narrower = R"({"permissions": ["call"], "ttl_seconds": 600})";
  expect_quota_exceeded(send(solo, "POST", "/tokens", narrower, tenant), "tokens", 1, 1);
  set_quota(solo, R"({"tokens": 2})");
  BOOST_TEST(send(solo, "POST", "/tokens", narrower, tenant).status == 201);

  // secrets: a new key takes one, overwriting takes none.
  set_quota(solo, R"({"secrets": 1})");
  BOOST_TEST_REQUIRE(send(solo, "POST", "/secrets", R"({"key": "a", "value": "1"})", tenant).status == 201);
  expect_quota_exceeded(send(solo, "POST", "/secrets", R"({"key": "b", "value": "2"})", tenant), "secrets", 1, 1);
  BOOST_TEST(send(solo, "POST", "/secrets", R"({"key": "a", "value": "3"})", tenant).status == 201);
  set_quota(solo, R"({"secrets": 2})");
  BOOST_TEST(send(solo, "POST", "/secrets", R"({"key": "b", "value": "2"})", tenant).status == 201);

  // registrations: a new one takes one, a renewal none.
  set_quota(solo, R"({"registrations": 1})");
  const std::string first = R"({"service_id": "s1", "name": "n1", "version": "1"})";
  const std::string other = R"({"service_id": "s1", "name": "n2", "version": "1"})";
  BOOST_TEST_REQUIRE(send(solo, "POST", "/registry", first, tenant).status == 201);
  expect_quota_exceeded(send(solo, "POST", "/registry", other, tenant), "registrations", 1, 1);
  BOOST_TEST(send(solo, "POST", "/registry", first, tenant).status == 201);
  set_quota(solo, R"({"registrations": 2})");
  BOOST_TEST(send(solo, "POST", "/registry", other, tenant).status == 201);

  // event_log_bytes_per_hour: at the quota, tenant writes are refused and
  // solo.emit raises a Lua error; the admin's deploy still goes through.
  auto emitter = send(solo, "POST", "/services", deploy_body("emitter", kEmitter, {{"memory_bytes", 4 << 20}}), tenant);
  BOOST_TEST_REQUIRE(emitter.status == 201, emitter.body);
  int64_t written = used(solo, tenant, "event_log_bytes_per_hour");
  BOOST_TEST(written > 0);
  set_quota(solo, "{\"event_log_bytes_per_hour\": " + std::to_string(written) + "}");
  expect_quota_exceeded(send(solo, "POST", "/secrets", R"({"key": "c", "value": "3"})", tenant),
                        "event_log_bytes_per_hour", written);
  auto emitted = send(solo, "POST", "/services/emitter/call", "{}", tenant);
  BOOST_TEST_REQUIRE(emitted.status == 200, emitted.body);
  auto reply = body_of(emitted).at("reply").as_object();
  BOOST_TEST(!reply.at("ok").as_bool(), emitted.body);
  BOOST_TEST(std::string(reply.at("err").as_string()).find("quota 'event_log_bytes_per_hour'") != std::string::npos,
             emitted.body);
  set_quota(solo, R"({"event_log_bytes_per_hour": 67108864, "secrets": 3})");
  BOOST_TEST(send(solo, "POST", "/secrets", R"({"key": "c", "value": "3"})", tenant).status == 201);
  emitted = send(solo, "POST", "/services/emitter/call", "{}", tenant);
  BOOST_TEST(body_of(emitted).at("reply").at("ok").as_bool(), emitted.body);

  // Use against quota: the admin and the tenant see it; another tenant 404.
  auto shown = send(solo, "GET", std::string("/tenants/") + kTenant, "", tenant);
  BOOST_TEST_REQUIRE(shown.status == 200, shown.body);
  auto quota = body_of(shown).at("quota").as_object();
  BOOST_TEST(quota.at("services").at("used").to_number<int64_t>() == 5, shown.body);
  BOOST_TEST(quota.at("services").at("limit").to_number<int64_t>() == 5, shown.body);
  BOOST_TEST(quota.at("memory_bytes_total").at("used").to_number<int64_t>() == (16 + 4 + 1 + 32 + 4) << 20,
             shown.body);
  BOOST_TEST(quota.at("memory_bytes").at("used").to_number<int64_t>() == 32 << 20, shown.body);
  BOOST_TEST(quota.at("tokens").at("used").to_number<int64_t>() == 2, shown.body);
  BOOST_TEST(quota.at("secrets").at("used").to_number<int64_t>() == 3, shown.body);
  BOOST_TEST(quota.at("registrations").at("used").to_number<int64_t>() == 2, shown.body);
  BOOST_TEST(send(solo, "GET", "/tenants/acme", "", solo.admin_token()).status == 200);
  const auto globex = grant(solo, "globex");
  BOOST_TEST(send(solo, "GET", "/tenants/acme", "", globex).status == 404);
  // Quota routes are the admin's.
  BOOST_TEST(send(solo, "GET", "/tenants/acme/quota", "", tenant).status == 403);
  BOOST_TEST(send(solo, "PUT", "/tenants/acme/quota", R"({"services": 100})", tenant).status == 403);
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(a_bad_quota_is_400_and_changes_nothing) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  for (const char* bad : {R"({"servicez": 1})", R"({"services": -1})", R"({"services": "1"})",
                          R"({"memory_bytes": 0})", R"({"services": 1, "tokens": 1.5})", R"([1])", "not json"}) {
    auto response = send(solo, "PUT", "/tenants/acme/quota", bad, solo.admin_token());
    BOOST_TEST(response.status == 400, bad << ": " << response.body);
    BOOST_TEST(body_of(response).at("error").as_string() == "invalid_request", response.body);
  }
  auto quota = send(solo, "GET", "/tenants/acme/quota", "", solo.admin_token());
  BOOST_TEST_REQUIRE(quota.status == 200, quota.body);
  BOOST_TEST(body_of(quota).at("quota").at("services").to_number<int64_t>() == 100, quota.body);
  BOOST_TEST(body_of(quota).at("quota").at("tokens").to_number<int64_t>() == 1000, quota.body);
  BOOST_TEST(send(solo, "GET", "/tenants/bad%20id/quota", "", solo.admin_token()).status == 400);
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(a_grant_the_caller_may_not_make_is_403_before_any_quota_is_looked_at) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  const auto acme = grant(solo, kTenant);
  const auto globex = grant(solo, "globex");
  set_quota(solo, R"({"tokens": 0})");  // acme is full
  // Another tenant's token learns nothing of acme's quota: it may not grant for acme at all.
  auto foreign = send(solo, "POST", "/tokens", R"({"tenant_id": "acme", "permissions": ["call"], "ttl_seconds": 60})",
                      globex);
  BOOST_TEST(foreign.status == 403, foreign.body);
  // Within acme, a grant wider than the granter is 403 and a malformed one 400, full or not.
  auto wider = send(solo, "POST", "/tokens", R"({"permissions": ["kill"], "ttl_seconds": 60})", acme);
  BOOST_TEST(wider.status == 403, wider.body);
  auto malformed = send(solo, "POST", "/tokens", R"({"permissions": ["fly"], "ttl_seconds": 60})", acme);
  BOOST_TEST(malformed.status == 400, malformed.body);
  // A grant it may make meets the quota.
  expect_quota_exceeded(send(solo, "POST", "/tokens", R"({"permissions": ["call"], "ttl_seconds": 60})", acme),
                        "tokens", 0);
}

BOOST_AUTO_TEST_CASE(two_concurrent_deploys_cannot_both_take_the_last_slot) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  const auto tenant = grant(solo, kTenant);
  set_quota(solo, R"({"services": 1})");
  auto deploy = [&](const std::string& id) { return send(solo, "POST", "/services", deploy_body(id, kEcho), tenant); };
  auto a = std::async(std::launch::async, deploy, "a");
  auto b = std::async(std::launch::async, deploy, "b");
  auto ra = a.get();
  auto rb = b.get();
  BOOST_TEST(((ra.status == 201) != (rb.status == 201)), ra.body << " / " << rb.body);
  BOOST_TEST((ra.status == 429 || rb.status == 429), ra.body << " / " << rb.body);
  BOOST_TEST(used(solo, solo.admin_token(), "services") == 1);
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(quotas_survive_kill_9) {
  test::TempDir dir;
  std::optional<SoloProcess> solo;
  solo.emplace(dir / "data");
  set_quota(*solo, R"({"services": 1, "secrets": 7})");
  solo->kill9();
  solo.reset();
  solo.emplace(dir / "data");
  auto quota = send(*solo, "GET", "/tenants/acme/quota", "", solo->admin_token());
  BOOST_TEST_REQUIRE(quota.status == 200, quota.body);
  BOOST_TEST(body_of(quota).at("quota").at("services").to_number<int64_t>() == 1, quota.body);
  BOOST_TEST(body_of(quota).at("quota").at("secrets").to_number<int64_t>() == 7, quota.body);
  BOOST_TEST(body_of(quota).at("quota").at("tokens").to_number<int64_t>() == 1000, quota.body);
  const auto tenant = grant(*solo, kTenant);
  BOOST_TEST_REQUIRE(send(*solo, "POST", "/services", deploy_body("one", kEcho), tenant).status == 201);
  expect_quota_exceeded(send(*solo, "POST", "/services", deploy_body("two", kEcho), tenant), "services", 1, 1);
  BOOST_TEST(solo->terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
