// Least privilege with the real binary (issue 10, docs/http-api.md
// Permissions): the isolation matrix of the holes a hostile tenant found.
//  - binding a secret to a service (deploy, swap) needs secrets:read on it;
//  - admin only for tenant "*" and resource "*"; an older scoped admin row is inert;
//  - tenant_admin stays in its tenant and off the system routes;
//  - a scoped grant token lists and revokes only its own subtree;
//  - every 403 is a capability_denied event, rate-limited per tenant;
//  - /metrics with a tenant token shows only that tenant's series.
#include <chrono>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "net/http_client.hpp"
#include "stores/sqlite.hpp"
#include "support/async_test.hpp"
#include "support/eventually.hpp"
#include "support/solo_process.hpp"

using namespace solo;
using solo::test::SoloProcess;
using solo::test::send;
namespace json = boost::json;

namespace {

const char* kReader = R"(
function init(config) return {} end
function handle_call(msg, state) return { value = solo.secret("db_password") }, state end
)";
const char* kSecretValue = "hunter2-acme-db";

std::string error_of(const net::ClientResponse& response) {
  boost::system::error_code ec;
  auto body = json::parse(response.body, ec);
  if (ec || !body.is_object() || !body.as_object().contains("error")) return "<none>";
  return std::string(body.at("error").as_string());
}

void expect(const net::ClientResponse& response, int status, const std::string& what) {
  BOOST_TEST(response.status == status, what << ": got " << response.status << " " << response.body);
  if (status == 403) BOOST_TEST(error_of(response) == "forbidden", what);
  if (status == 400) BOOST_TEST(error_of(response) == "invalid_request", what);
  if (status == 404) BOOST_TEST(error_of(response) == "not_found", what);
}

struct Token {
  std::string token;
  std::string id;
};

net::ClientResponse post_token(const SoloProcess& solo, const std::string& bearer, const std::string& tenant,
                               const std::vector<std::string>& permissions, const std::string& resource = "*",
                               int64_t ttl = 3600) {
  json::object body;
  if (!tenant.empty()) body["tenant_id"] = tenant;
  json::array list;
  for (const auto& p : permissions) list.emplace_back(p);
  body["permissions"] = std::move(list);
  body["resource"] = resource;
  if (ttl > 0) body["ttl_seconds"] = ttl;
  return send(solo, "POST", "/tokens", json::serialize(body), bearer);
}

Token grant_with(const SoloProcess& solo, const std::string& bearer, const std::string& tenant,
                 const std::vector<std::string>& permissions, const std::string& resource = "*", int64_t ttl = 3600) {
  auto response = post_token(solo, bearer, tenant, permissions, resource, ttl);
  BOOST_TEST_REQUIRE(response.status == 201, "POST /tokens: " << response.status << " " << response.body);
  auto reply = json::parse(response.body);
  return {std::string(reply.at("token").as_string()), std::string(reply.at("token_id").as_string())};
}

Token grant(const SoloProcess& solo, const std::string& tenant, const std::vector<std::string>& permissions,
            const std::string& resource = "*") {
  return grant_with(solo, solo.admin_token(), tenant, permissions, resource);
}

std::string deploy_body(const std::string& id, const std::vector<std::string>& secrets) {
  json::object body;
  body["service_id"] = id;
  body["code"] = kReader;
  json::array names;
  for (const auto& s : secrets) names.emplace_back(s);
  body["secrets"] = std::move(names);
  return json::serialize(body);
}

void store_secret(const SoloProcess& solo, const std::string& tenant, const std::string& key, const std::string& value) {
  json::object body{{"key", key}, {"value", value}};
  auto stored = send(solo, "POST", "/secrets", json::serialize(body), solo.admin_token(), tenant);
  BOOST_TEST_REQUIRE(stored.status == 201, stored.body);
}

std::set<std::string> listed_ids(const net::ClientResponse& response) {
  std::set<std::string> ids;
  const auto body = json::parse(response.body);
  for (const auto& token : body.at("tokens").as_array()) ids.insert(std::string(token.at("token_id").as_string()));
  return ids;
}

// The capability_denied events of one token, as the admin reads them.
std::vector<json::object> denials_of(const SoloProcess& solo, const std::string& token_id) {
  auto response = send(solo, "GET", "/events?since=0&limit=1000&type=capability_denied", "", solo.admin_token());
  BOOST_TEST_REQUIRE(response.status == 200, response.body);
  std::vector<json::object> out;
  const auto body = json::parse(response.body);
  for (const auto& event : body.at("events").as_array()) {
    const auto& payload = event.at("payload").as_object();
    if (auto id = payload.if_contains("token_id"); id && id->as_string() == token_id) out.push_back(payload);
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(authority)

BOOST_AUTO_TEST_CASE(a_deploy_and_call_token_cannot_bind_a_secret_at_deploy_or_swap) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  store_secret(solo, "acme", "db_password", kSecretValue);
  auto deployer = grant(solo, "acme", {"deploy", "call", "swap"});
  // The hole: the service would read the secret for a token that may not.
  auto refused = send(solo, "POST", "/services", deploy_body("leak", {"db_password"}), deployer.token);
  expect(refused, 403, "deploy binding db_password");
  BOOST_TEST(refused.body.find("secrets/db_password") != std::string::npos, refused.body);
  expect(send(solo, "GET", "/services/leak", "", solo.admin_token(), "acme"), 404, "nothing was deployed");
  // secrets:read on another secret is not enough; on this one (or a prefix) it is.
  auto other = grant(solo, "acme", {"deploy", "call", "secrets:read"}, "secrets/api_key");
  expect(send(solo, "POST", "/services", deploy_body("leak", {"db_password"}), other.token), 403,
         "deploy with secrets:read on another secret");
  auto reader = grant(solo, "acme", {"deploy", "call", "secrets:read"});
  expect(send(solo, "POST", "/services", deploy_body("reader", {"db_password"}), reader.token), 201,
         "deploy with secrets:read");
  auto call = send(solo, "POST", "/services/reader/call", "{}", reader.token);
  BOOST_TEST_REQUIRE(call.status == 200, call.body);
  BOOST_TEST(json::parse(call.body).at("reply").at("value").as_string() == kSecretValue);
  // A service without secrets needs no secret permission.
  expect(send(solo, "POST", "/services", deploy_body("plain", {}), deployer.token), 201, "deploy without secrets");

  // Swap: new code in a service bound to db_password would read it.
  std::string swap = R"({"code": "function handle_call(m, s) return { stolen = solo.secret(\"db_password\") }, s end"})";
  auto swapped = send(solo, "PUT", "/services/reader/code", swap, deployer.token);
  expect(swapped, 403, "swap of a bound service without secrets:read");
  BOOST_TEST(swapped.body.find("secrets/db_password") != std::string::npos, swapped.body);
  auto status = send(solo, "GET", "/services/reader", "", solo.admin_token(), "acme");
  BOOST_TEST(json::parse(status.body).at("version").as_int64() == 1, status.body);
  auto swapper = grant(solo, "acme", {"swap", "secrets:read"}, "*");
  expect(send(solo, "PUT", "/services/reader/code", swap, swapper.token), 200, "swap with secrets:read");
  expect(send(solo, "PUT", "/services/plain/code", R"({"code": "function handle_call(m, s) return 1, s end"})",
              deployer.token),
         200, "swap of a service without secrets");
}

BOOST_AUTO_TEST_CASE(admin_cannot_be_granted_to_a_tenant_or_a_scope_and_an_older_scoped_admin_gets_nothing) {
  test::TempDir dir;
  auto data = dir / "data";
  Token legacy;
  {
    SoloProcess solo(data);
    store_secret(solo, "acme", "db_password", kSecretValue);
    for (const auto& [tenant, resource] : std::vector<std::pair<std::string, std::string>>{
             {"globex", "services/x"}, {"globex", "*"}, {"*", "services/x"}}) {
      auto response = post_token(solo, solo.admin_token(), tenant, {"admin"}, resource);
      expect(response, 400, "admin for " + tenant + " on " + resource);
      BOOST_TEST(response.body.find("tenant_id '*' and resource '*'") != std::string::npos, response.body);
    }
    // The admin's own shape is still grantable.
    grant(solo, "*", {"admin"});
    legacy = grant(solo, "globex", {"status"}, "services/x");
    BOOST_TEST(solo.terminate().value_or(-1) == 0);
  }
  {
    // What an older release let the admin grant: admin for globex, services/x.
    SqliteDatabase db(data / "solo.db", OpenOptions{});
    db.exec("UPDATE tokens SET permissions = '[\"admin\"]' WHERE token_id = '" + legacy.id + "'");
    BOOST_TEST_REQUIRE(db.changes() == 1);
  }
  SoloProcess solo(data);
  expect(send(solo, "GET", "/secrets/db_password?reveal=true", "", legacy.token, "acme"), 403, "reveal naming acme");
  expect(send(solo, "GET", "/secrets/db_password?reveal=true", "", legacy.token), 403, "reveal in globex");
  expect(send(solo, "GET", "/system/recovery", "", legacy.token), 403, "recovery");
  expect(send(solo, "POST", "/vault/rotate", "", legacy.token), 403, "rotate");
  expect(send(solo, "GET", "/services/x", "", legacy.token), 403, "status of its own scope");
  expect(post_token(solo, legacy.token, "globex", {"status"}, "services/x", 60), 403, "grant");
  auto listed = send(solo, "GET", "/tokens", "", legacy.token);
  expect(listed, 403, "list tokens");
}

BOOST_AUTO_TEST_CASE(a_tenant_admin_stays_in_its_tenant_and_off_the_system_routes) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  expect(post_token(solo, solo.admin_token(), "acme", {"tenant_admin"}, "services/*"), 400, "scoped tenant_admin");
  expect(post_token(solo, solo.admin_token(), "*", {"tenant_admin"}), 400, "tenant_admin of the system tenant");
  auto boss = grant(solo, "acme", {"tenant_admin"});
  auto sibling = grant(solo, "acme", {"grant", "call"}, "services/*");
  auto foreign = grant(solo, "globex", {"status"});
  store_secret(solo, "globex", "db_password", "globex-value");

  // Everything in its tenant.
  expect(send(solo, "POST", "/secrets", R"({"key": "db_password", "value": "acme-value"})", boss.token), 201, "secret");
  expect(send(solo, "POST", "/services", deploy_body("reader", {"db_password"}), boss.token), 201, "deploy bound");
  auto call = send(solo, "POST", "/services/reader/call", "{}", boss.token);
  BOOST_TEST(call.status == 200, call.body);
  BOOST_TEST(call.body.find("acme-value") != std::string::npos, call.body);
  expect(send(solo, "GET", "/events?since=0", "", boss.token), 200, "events");
  expect(send(solo, "GET", "/metrics", "", boss.token), 200, "metrics");
  auto minted = grant_with(solo, boss.token, "", {"deploy", "secrets:read"}, "services/*", 600);
  expect(send(solo, "GET", "/auth/verify?permission=deploy&resource=services/a", "", minted.token), 200, "minted");

  // Nothing of another tenant, nothing of the system.
  expect(send(solo, "GET", "/secrets/db_password?reveal=true", "", boss.token, "globex"), 403, "naming globex");
  expect(send(solo, "GET", "/services", "", boss.token, "globex"), 403, "naming globex");
  for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/system/recovery"}, {"POST", "/system/verify"}, {"POST", "/vault/rotate"},
           {"POST", "/system/shutdown"}}) {
    expect(send(solo, method, target, "", boss.token), 403, method + " " + target);
  }
  expect(post_token(solo, boss.token, "*", {"admin"}), 403, "grant admin");
  expect(post_token(solo, boss.token, "acme", {"admin"}), 400, "grant admin for acme");
  expect(post_token(solo, boss.token, "*", {"metrics"}), 403, "grant a system metrics token");
  expect(post_token(solo, boss.token, "globex", {"status"}), 403, "grant for globex");

  // Every token of its tenant, none of another.
  auto listed = send(solo, "GET", "/tokens", "", boss.token);
  BOOST_TEST_REQUIRE(listed.status == 200, listed.body);
  auto ids = listed_ids(listed);
  BOOST_TEST((ids == std::set<std::string>{boss.id, sibling.id, minted.id}));
  expect(send(solo, "DELETE", "/tokens/" + foreign.id, "", boss.token), 404, "revoke globex's token");
  expect(send(solo, "DELETE", "/tokens/" + sibling.id, "", boss.token), 200, "revoke acme's sibling");
  BOOST_TEST(send(solo, "GET", "/auth/verify", "", foreign.token).status == 200);
  BOOST_TEST(send(solo, "GET", "/health", "", boss.token).status == 200);  // still serving
}

BOOST_AUTO_TEST_CASE(a_scoped_grant_token_lists_only_its_subtree_and_cannot_revoke_a_broader_sibling) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  auto broad = grant(solo, "acme", {"grant", "call", "deploy", "status"});
  auto scoped = grant(solo, "acme", {"grant", "call"}, "services/foo");
  auto child = grant_with(solo, scoped.token, "", {"grant", "call"}, "services/foo", 600);
  auto grandchild = grant_with(solo, child.token, "", {"call"}, "services/foo", 60);
  auto broad_child = grant_with(solo, broad.token, "", {"call"}, "*", 60);

  auto listed = send(solo, "GET", "/tokens", "", scoped.token);
  BOOST_TEST_REQUIRE(listed.status == 200, listed.body);
  BOOST_TEST((listed_ids(listed) == std::set<std::string>{scoped.id, child.id, grandchild.id}));
  BOOST_TEST(json::parse(listed.body).at("total").as_int64() == 3);
  auto by_broad = send(solo, "GET", "/tokens", "", broad.token);
  BOOST_TEST((listed_ids(by_broad) == std::set<std::string>{broad.id, broad_child.id}));

  // The broader sibling answers like a token that does not exist.
  auto sibling = send(solo, "DELETE", "/tokens/" + broad.id, "", scoped.token);
  auto unknown = send(solo, "DELETE", "/tokens/tok_0000000000000000", "", scoped.token);
  expect(sibling, 404, "revoke the broader sibling");
  expect(unknown, 404, "revoke an unknown id");
  expect(send(solo, "DELETE", "/tokens/" + broad_child.id, "", scoped.token), 404, "revoke the sibling's child");
  BOOST_TEST(send(solo, "GET", "/auth/verify", "", broad.token).status == 200);
  BOOST_TEST(send(solo, "GET", "/auth/verify", "", broad_child.token).status == 200);
  // Its own subtree it may revoke.
  expect(send(solo, "DELETE", "/tokens/" + grandchild.id, "", scoped.token), 200, "revoke a grandchild");
  BOOST_TEST(send(solo, "GET", "/auth/verify", "", grandchild.token).status == 401);
}

BOOST_AUTO_TEST_CASE(six_403s_are_six_capability_denied_events_and_one_tenants_flood_spares_another) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  auto acme = grant(solo, "acme", {"status"}, "services/a");
  auto globex = grant(solo, "globex", {"status"});
  const std::vector<std::tuple<std::string, std::string, std::string>> refusals = {
      {"GET", "/secrets/db_password?reveal=true", ""},  // require() in a handler
      {"POST", "/services", deploy_body("a", {})},      // require() in a handler
      {"GET", "/services/b", ""},                       // out of scope
      {"GET", "/system/recovery", ""},                  // system route
      {"POST", "/tokens", R"({"permissions": ["status"]})"},  // no grant
      {"GET", "/services", "globex"},                   // X-Tenant-ID of another tenant (Gateway)
  };
  for (const auto& [method, target, extra] : refusals) {
    bool names_tenant = extra == "globex";
    auto response = send(solo, method, target, names_tenant ? "" : extra, acme.token, names_tenant ? extra : "");
    expect(response, 403, method + " " + target);
  }
  test::eventually([&] { return denials_of(solo, acme.id).size() == refusals.size(); }, std::chrono::seconds(10));
  auto denied = denials_of(solo, acme.id);
  BOOST_TEST_REQUIRE(denied.size() == refusals.size());
  for (const auto& payload : denied) {
    BOOST_TEST(payload.contains("reason"));
    BOOST_TEST(payload.at("suppressed").as_int64() == 0);
  }

  // globex floods (far beyond 10 events/s for as long as 200 requests take):
  // its own bucket empties, acme's next denial is still recorded.
  constexpr size_t kFlood = 200;
  for (size_t i = 0; i < kFlood; ++i) send(solo, "GET", "/system/recovery", "", globex.token);
  expect(send(solo, "GET", "/logs", "", acme.token), 403, "acme after globex's flood");
  test::eventually([&] { return denials_of(solo, acme.id).size() == refusals.size() + 1; }, std::chrono::seconds(10));
  BOOST_TEST(denials_of(solo, acme.id).size() == refusals.size() + 1);
  BOOST_TEST(denials_of(solo, globex.id).size() < kFlood);  // rate-limited
}

BOOST_AUTO_TEST_CASE(metrics_with_a_tenant_token_shows_only_that_tenants_series) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  for (const std::string tenant : {"acme", "globex"}) {
    expect(send(solo, "POST", "/services", deploy_body("svc", {}), solo.admin_token(), tenant), 201, "deploy");
    expect(send(solo, "POST", "/services/svc/call", "{}", solo.admin_token(), tenant), 200, "call");
  }
  auto everything = send(solo, "GET", "/metrics", "", solo.admin_token());
  BOOST_TEST_REQUIRE(everything.status == 200);
  BOOST_TEST(everything.body.find("tenant=\"globex\"") != std::string::npos);
  BOOST_TEST(everything.body.find("tenant=\"acme\"") != std::string::npos);

  auto acme = grant(solo, "acme", {"metrics"});
  auto mine = send(solo, "GET", "/metrics", "", acme.token);
  BOOST_TEST_REQUIRE(mine.status == 200, mine.body);
  BOOST_TEST(mine.body.find("tenant=\"acme\"") != std::string::npos, mine.body);
  BOOST_TEST(mine.body.find("globex") == std::string::npos, mine.body);
  BOOST_TEST(mine.body.find("solo_http_requests_total") == std::string::npos, mine.body);
  // Every sample carries its tenant label; comments only for the families shown.
  size_t start = 0;
  while (start < mine.body.size()) {
    auto end = mine.body.find('\n', start);
    auto line = mine.body.substr(start, end - start);
    start = end == std::string::npos ? mine.body.size() : end + 1;
    if (line.empty() || line.starts_with("# ")) continue;
    BOOST_TEST(line.find("tenant=\"acme\"") != std::string::npos, line);
  }

  // The process-wide view: the admin's, or a monitoring token of the system tenant.
  expect(post_token(solo, solo.admin_token(), "*", {"metrics", "status"}), 400, "system token with status");
  auto monitoring = grant(solo, "*", {"metrics"});
  auto all = send(solo, "GET", "/metrics", "", monitoring.token);
  BOOST_TEST_REQUIRE(all.status == 200, all.body);
  BOOST_TEST(all.body.find("tenant=\"globex\"") != std::string::npos);
  BOOST_TEST(all.body.find("solo_http_requests_total") != std::string::npos);
  expect(send(solo, "GET", "/services", "", monitoring.token), 403, "monitoring token lists services");
  expect(send(solo, "GET", "/metrics", "", monitoring.token, "acme"), 403, "monitoring token naming a tenant");
}

BOOST_AUTO_TEST_SUITE_END()
