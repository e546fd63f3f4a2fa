// Tenant isolation with the real binary (docs/http-api.md, Authentication and
// Errors): every endpoint (the storage routes included) × no token, an unknown, an expired and a revoked
// token (401 unauthorized); a token missing the permission and one of the
// wrong scope (403 forbidden); another tenant's token on this tenant's
// service, secret or token (404 not_found: another tenant's things look like
// nothing); a tenant token naming another tenant in X-Tenant-ID (403).
// Then attenuation and cascading revoke over HTTP, and tokens and secrets
// surviving a SIGTERM and a SIGKILL of the binary.
#include <signal.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "net/http_client.hpp"
#include "support/async_test.hpp"
#include "support/solo_process.hpp"

using namespace solo;
using solo::test::SoloProcess;

namespace {

constexpr const char* kTenant = "alpha";
constexpr const char* kOther = "beta";
constexpr const char* kService = "svc";
constexpr const char* kSecret = "api-key";
constexpr const char* kSecretValue = "alpha-secret-value-3f9c";

const char* kCode = R"(
function init(config) return { n = 0 } end
function handle_call(msg, state) state.n = state.n + 1; return { n = state.n }, state end
function handle_cast(msg, state) return state end
)";

// Every permission but admin and tenant_admin (which imply the others).
const std::vector<std::string> kAllPermissions = {"deploy",       "kill",         "swap",          "status",
                                                  "call",         "logs",         "events",        "secrets:write",
                                                  "secrets:read", "storage:read", "storage:write", "registry",
                                                  "grant",        "metrics"};

net::ClientResponse send(const SoloProcess& solo, const std::string& method, const std::string& target,
                         const std::string& body, const std::optional<std::string>& token,
                         const std::string& tenant = "") {
  net::HttpClient client(solo.url(), std::chrono::seconds(30));
  net::HeaderList headers;
  if (token) headers.emplace_back("authorization", "Bearer " + *token);
  if (!tenant.empty()) headers.emplace_back("x-tenant-id", tenant);
  return client.request(method, target, body, headers);
}

std::string error_code(const net::ClientResponse& response) {
  boost::system::error_code ec;
  auto body = boost::json::parse(response.body, ec);
  if (ec || !body.is_object() || !body.as_object().contains("error")) return "<no error code>";
  return std::string(body.at("error").as_string());
}

struct Token {
  std::string token;
  std::string id;
};

boost::json::array to_array(const std::vector<std::string>& items) {
  boost::json::array out;
  for (const auto& item : items) out.emplace_back(item);
  return out;
}

// A token minted through POST /tokens with `bearer` (the admin token by default).
Token grant_with(const SoloProcess& solo, const std::string& bearer, const std::string& tenant,
                 const std::vector<std::string>& permissions, const std::string& resource = "*", int64_t ttl = 3600,
                 int expected = 201) {
  boost::json::object body;
  if (!tenant.empty()) body["tenant_id"] = tenant;
  body["permissions"] = to_array(permissions);
  body["resource"] = resource;
  if (ttl > 0) body["ttl_seconds"] = ttl;
  auto response = send(solo, "POST", "/tokens", boost::json::serialize(body), bearer);
  BOOST_TEST_REQUIRE(response.status == expected, "POST /tokens: " << response.status << " " << response.body);
  if (response.status != 201) return {};
  auto reply = boost::json::parse(response.body);
  return {std::string(reply.at("token").as_string()), std::string(reply.at("token_id").as_string())};
}

Token grant(const SoloProcess& solo, const std::string& tenant, const std::vector<std::string>& permissions,
            const std::string& resource = "*", int64_t ttl = 3600) {
  return grant_with(solo, solo.admin_token(), tenant, permissions, resource, ttl);
}

void revoke(const SoloProcess& solo, const std::string& token_id) {
  auto response = send(solo, "DELETE", "/tokens/" + token_id, "", solo.admin_token());
  BOOST_TEST_REQUIRE(response.status == 200, "revoke: " << response.body);
}

int verify_status(const SoloProcess& solo, const std::string& token) {
  return send(solo, "GET", "/auth/verify", "", token).status;
}

// One endpoint of the matrix.
struct Endpoint {
  std::string method;
  std::string target;
  std::string body;
  // Permissions whose absence must give 403 (empty: none is needed).
  std::vector<const char*> needs;
  // The resource scope the request touches ("" = none: scope does not apply).
  std::string resource;
  // 404 for another tenant's token (the path names this tenant's thing).
  bool owned = false;
  std::string name() const { return method + " " + target; }
};

std::string service_body(const std::string& id) {
  boost::json::object body;
  body["service_id"] = id;
  body["code"] = kCode;
  body["format"] = "lua";
  return boost::json::serialize(body);
}

// The tenant world every matrix test starts from: a service and a secret of
// tenant alpha, and a token of alpha for DELETE /tokens to aim at.
struct World {
  test::TempDir dir;
  SoloProcess solo{dir / "data"};
  Token victim;  // an alpha token
  std::string deploy_event;  // the event id of svc's deploy: its first version

  World() {
    auto client = solo.client(std::chrono::seconds(30), kTenant);
    auto deployed = client.request("POST", "/services", service_body(kService));
    BOOST_TEST_REQUIRE(deployed.status == 201, deployed.body);
    deploy_event = std::to_string(boost::json::parse(deployed.body).at("event_id").as_int64());
    boost::json::object secret;
    secret["key"] = kSecret;
    secret["value"] = kSecretValue;
    auto stored = client.request("POST", "/secrets", boost::json::serialize(secret));
    BOOST_TEST_REQUIRE(stored.status == 201, stored.body);
    auto kept = client.request("PUT", std::string("/services/") + kService + "/storage/k", R"({"value": "kept"})");
    BOOST_TEST_REQUIRE(kept.status == 200, kept.body);
    victim = grant(solo, kTenant, {"status"});
  }

  std::vector<Endpoint> endpoints() const {
    boost::json::object token_body;
    token_body["permissions"] = to_array({"status"});
    token_body["resource"] = std::string("services/") + kService;
    token_body["ttl_seconds"] = 60;
    boost::json::object secret_body;
    secret_body["key"] = kSecret;
    secret_body["value"] = "overwritten";
    std::string svc = std::string("/services/") + kService;
    std::string sec = std::string("/secrets/") + kSecret;
    std::string svc_scope = std::string("services/") + kService;
    std::string sec_scope = std::string("secrets/") + kSecret;
    return {
        {"POST", "/services", service_body(kService), {"deploy"}, svc_scope, false},
        {"GET", "/services", "", {"status"}, "", false},
        {"GET", svc, "", {"status"}, svc_scope, true},
        {"DELETE", svc, "", {"kill"}, svc_scope, true},
        {"PUT", svc + "/code", R"({"code": "function handle_call(m, s) return 1, s end"})", {"swap"}, svc_scope, true},
        {"GET", svc + "/versions", "", {"status"}, svc_scope, true},
        {"GET", svc + "/versions/" + deploy_event, "", {"status"}, svc_scope, true},
        {"POST", svc + "/call", "{}", {"call"}, svc_scope, true},
        {"POST", svc + "/cast", "{}", {"call"}, svc_scope, true},
        {"GET", svc + "/storage", "", {"storage:read"}, svc_scope, true},
        {"GET", svc + "/storage/k", "", {"storage:read"}, svc_scope, true},
        {"PUT", svc + "/storage/k", R"({"value": "overwritten"})", {"storage:write"}, svc_scope, true},
        {"DELETE", svc + "/storage/k", "", {"storage:write"}, svc_scope, true},
        {"POST", svc + "/storage:import", R"({"entries": [{"key": "k", "value": 1}]})", {"storage:write"}, svc_scope,
         true},
        {"GET", "/events?since=0", "", {"events"}, "", false},
        {"GET", "/logs", "", {"logs"}, "", false},
        {"GET", "/metrics", "", {"metrics"}, "", false},
        {"POST", "/tokens", boost::json::serialize(token_body), {"grant"}, "", false},
        {"GET", "/tokens", "", {"grant"}, "", false},
        // Not a permission but a relation: a token the caller manages, 404 otherwise (authority_test).
        {"DELETE", "/tokens/" + victim.id, "", {}, "", true},
        {"GET", "/auth/verify", "", {}, "", false},
        {"GET", "/auth/whoami", "", {}, "", false},
        {"GET", "/auth/verify?permission=call&resource=" + svc_scope, "", {"call"}, svc_scope, false},
        {"POST", "/secrets", boost::json::serialize(secret_body), {"secrets:write"}, sec_scope, false},
        {"GET", "/secrets", "", {"secrets:read", "secrets:write"}, "", false},
        {"GET", sec, "", {"secrets:read", "secrets:write"}, sec_scope, true},
        {"GET", sec + "?reveal=true", "", {"secrets:read"}, sec_scope, true},
        {"DELETE", sec, "", {"secrets:write"}, sec_scope, true},
        {"GET", "/system/recovery", "", {"admin"}, "", false},
        {"POST", "/system/verify", "", {"admin"}, "", false},
        {"POST", "/vault/rotate", "", {"admin"}, "", false},
    };
  }

  // The things the refused requests must not have touched.
  void check_untouched() {
    auto client = solo.client(std::chrono::seconds(30), kTenant);
    auto service = client.request("GET", std::string("/services/") + kService);
    BOOST_TEST(service.status == 200, service.body);
    BOOST_TEST(boost::json::parse(service.body).at("version").as_int64() == 1);
    auto secret = client.request("GET", std::string("/secrets/") + kSecret + "?reveal=true");
    BOOST_TEST_REQUIRE(secret.status == 200, secret.body);
    BOOST_TEST(boost::json::parse(secret.body).at("value").as_string() == kSecretValue);
    auto stored = client.request("GET", std::string("/services/") + kService + "/storage/k");
    BOOST_TEST_REQUIRE(stored.status == 200, stored.body);
    BOOST_TEST(boost::json::parse(stored.body).at("value").as_string() == "kept");
    BOOST_TEST(verify_status(solo, victim.token) == 200);
  }
};

void expect_status(const net::ClientResponse& response, int status, const std::string& code, const std::string& what) {
  BOOST_TEST(response.status == status, what << ": got " << response.status << " " << response.body);
  if (status >= 400) BOOST_TEST(error_code(response) == code, what << ": " << response.body);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(isolation)

BOOST_AUTO_TEST_CASE(every_endpoint_refuses_no_unknown_malformed_expired_and_revoked_tokens_with_401) {
  World world;
  auto& solo = world.solo;
  auto expired = grant(solo, kTenant, kAllPermissions, "*", 1);
  auto revoked = grant(solo, kTenant, kAllPermissions);
  revoke(solo, revoked.id);
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));
  const std::string unknown = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
  for (const auto& endpoint : world.endpoints()) {
    auto what = endpoint.name();
    expect_status(send(solo, endpoint.method, endpoint.target, endpoint.body, std::nullopt), 401, "unauthorized",
                  what + " without a token");
    expect_status(send(solo, endpoint.method, endpoint.target, endpoint.body, unknown), 401, "unauthorized",
                  what + " with an unknown token");
    expect_status(send(solo, endpoint.method, endpoint.target, endpoint.body, std::string()), 401, "unauthorized",
                  what + " with an empty bearer");
    expect_status(send(solo, endpoint.method, endpoint.target, endpoint.body, expired.token), 401, "unauthorized",
                  what + " with an expired token");
    expect_status(send(solo, endpoint.method, endpoint.target, endpoint.body, revoked.token), 401, "unauthorized",
                  what + " with a revoked token");
    // Not a bearer at all.
    net::HttpClient client(solo.url());
    auto basic = client.request(endpoint.method, endpoint.target, endpoint.body,
                                {{"authorization", "Basic " + revoked.token}});
    expect_status(basic, 401, "unauthorized", what + " with a Basic header");
  }
  // The admin token itself, with X-Tenant-ID naming an unknown tenant's token... no: only /health is open.
  auto health = send(solo, "GET", "/health", "", std::nullopt);
  BOOST_TEST(health.status == 200);
  // A 401 never echoes the token.
  auto refused = send(solo, "GET", "/services", "", revoked.token);
  BOOST_TEST(refused.body.find(revoked.token) == std::string::npos);
  world.check_untouched();
}

BOOST_AUTO_TEST_CASE(a_token_missing_the_permission_or_of_the_wrong_scope_is_403_on_every_endpoint) {
  World world;
  auto& solo = world.solo;
  for (const auto& endpoint : world.endpoints()) {
    auto what = endpoint.name();
    if (!endpoint.needs.empty()) {
      std::vector<std::string> permissions;
      for (const auto& permission : kAllPermissions) {
        bool drop = false;
        for (const char* needed : endpoint.needs) drop = drop || permission == needed;
        if (!drop) permissions.push_back(permission);
      }
      auto lacking = grant(solo, kTenant, permissions);
      expect_status(send(solo, endpoint.method, endpoint.target, endpoint.body, lacking.token), 403, "forbidden",
                    what + " without " + endpoint.needs.front());
    }
    if (!endpoint.resource.empty()) {
      // Every permission, scoped to a sibling of the resource.
      std::string other = endpoint.resource.rfind("services/", 0) == 0 ? "services/other" : "secrets/other";
      auto scoped = grant(solo, kTenant, kAllPermissions, other);
      expect_status(send(solo, endpoint.method, endpoint.target, endpoint.body, scoped.token), 403, "forbidden",
                    what + " scoped to " + other);
      // The right scope passes the check (a prefix scope too).
      auto prefix = endpoint.resource.substr(0, endpoint.resource.find('/') + 1) + "*";
      auto allowed = grant(solo, kTenant, {endpoint.needs.front()}, prefix);
      auto verdict = send(solo, "GET",
                          std::string("/auth/verify?permission=") + endpoint.needs.front() +
                              "&resource=" + endpoint.resource,
                          "", allowed.token);
      BOOST_TEST(verdict.status == 200, what << " with " << prefix << ": " << verdict.body);
    }
  }
  // Creating tokens: a grant token scoped to services/other cannot mint for services/svc.
  auto scoped_granter = grant(solo, kTenant, {"grant", "status"}, "services/other");
  grant_with(solo, scoped_granter.token, "", {"status"}, std::string("services/") + kService, 60, 403);
  world.check_untouched();
}

BOOST_AUTO_TEST_CASE(another_tenants_service_secret_and_token_look_like_nothing) {
  World world;
  auto& solo = world.solo;
  auto stranger = grant(solo, kOther, kAllPermissions);
  for (const auto& endpoint : world.endpoints()) {
    if (!endpoint.owned) continue;
    expect_status(send(solo, endpoint.method, endpoint.target, endpoint.body, stranger.token), 404, "not_found",
                  endpoint.name() + " with tenant beta's token");
  }
  // The lists show beta nothing of alpha's.
  auto services = send(solo, "GET", "/services", "", stranger.token);
  BOOST_TEST_REQUIRE(services.status == 200);
  BOOST_TEST(boost::json::parse(services.body).at("total").as_int64() == 0);
  auto secrets = send(solo, "GET", "/secrets", "", stranger.token);
  BOOST_TEST_REQUIRE(secrets.status == 200);
  BOOST_TEST(boost::json::parse(secrets.body).at("total").as_int64() == 0);
  for (const char* target : {"/tokens", "/events?since=0&limit=1000", "/logs"}) {
    auto response = send(solo, "GET", target, "", stranger.token);
    BOOST_TEST(response.status == 200, target << ": " << response.body);
    BOOST_TEST(response.body.find(std::string("\"") + kTenant + "\"") == std::string::npos, target << ": " << response.body);
    BOOST_TEST(response.body.find(world.victim.id) == std::string::npos, target);
  }
  // Beta's own service and secret of the same names are beta's: no 409, and alpha's stay as they were.
  expect_status(send(solo, "POST", "/services", service_body(kService), stranger.token), 201, "", "beta deploys svc");
  auto call = send(solo, "POST", std::string("/services/") + kService + "/call", "{}", stranger.token);
  BOOST_TEST(call.status == 200, call.body);
  expect_status(send(solo, "POST", "/secrets", R"({"key": "api-key", "value": "beta-value"})", stranger.token), 201, "",
                "beta stores api-key");
  auto beta_secret = send(solo, "GET", "/secrets/api-key?reveal=true", "", stranger.token);
  BOOST_TEST(boost::json::parse(beta_secret.body).at("value").as_string() == "beta-value");
  // A beta granter cannot mint for alpha.
  grant_with(solo, stranger.token, kTenant, {"status"}, "*", 60, 403);
  world.check_untouched();
}

BOOST_AUTO_TEST_CASE(a_tenant_token_naming_another_tenant_in_x_tenant_id_is_403_everywhere) {
  World world;
  auto& solo = world.solo;
  auto alpha = grant(solo, kTenant, kAllPermissions);
  for (const auto& endpoint : world.endpoints()) {
    expect_status(send(solo, endpoint.method, endpoint.target, endpoint.body, alpha.token, kOther), 403, "forbidden",
                  endpoint.name() + " naming beta");
  }
  // Naming its own tenant is fine; the admin may name anyone.
  BOOST_TEST(send(solo, "GET", std::string("/services/") + kService, "", alpha.token, kTenant).status == 200);
  BOOST_TEST(send(solo, "GET", std::string("/services/") + kService, "", solo.admin_token(), kTenant).status == 200);
  BOOST_TEST(send(solo, "GET", std::string("/services/") + kService, "", solo.admin_token(), kOther).status == 404);
  // An invalid tenant name is a 400.
  expect_status(send(solo, "GET", "/services", "", alpha.token, "../alpha"), 400, "invalid_request", "bad X-Tenant-ID");
  world.check_untouched();
}

BOOST_AUTO_TEST_CASE(a_grant_token_mints_only_narrower_tokens_of_its_own_tenant) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  auto admin = solo.client(std::chrono::seconds(30), kTenant);
  BOOST_TEST_REQUIRE(admin.request("POST", "/services", service_body(kService)).status == 201);
  BOOST_TEST_REQUIRE(admin.request("POST", "/services", service_body("other")).status == 201);
  auto parent = grant(solo, kTenant, {"grant", "call", "status"}, "services/*", 3600);

  // Narrower: a subset, a narrower scope, an earlier expiry.
  auto child = grant_with(solo, parent.token, "", {"call"}, std::string("services/") + kService, 60);
  BOOST_TEST(send(solo, "POST", "/services/svc/call", "{}", child.token).status == 200);
  expect_status(send(solo, "POST", "/services/other/call", "{}", child.token), 403, "forbidden", "child on other");
  expect_status(send(solo, "GET", "/services/svc", "", child.token), 403, "forbidden", "child without status");
  // Equal is allowed too.
  grant_with(solo, parent.token, kTenant, {"grant", "call", "status"}, "services/*", 3000);

  // Wider: each refused with 403.
  grant_with(solo, parent.token, "", {"deploy"}, "services/svc", 60, 403);         // a permission it lacks
  grant_with(solo, parent.token, "", {"call", "tenant_admin"}, "*", 60, 403);      // tenant_admin
  grant_with(solo, parent.token, "", {"call", "admin"}, "services/svc", 60, 400);  // admin: never scoped
  grant_with(solo, parent.token, "", {"call"}, "*", 60, 403);                      // a wider scope
  grant_with(solo, parent.token, "", {"call"}, "secrets/*", 60, 403);              // another scope
  grant_with(solo, parent.token, "", {"call"}, "services/svc", 7200, 403);         // a later expiry
  grant_with(solo, parent.token, "", {"call"}, "services/svc", 0, 403);            // never expiring
  grant_with(solo, parent.token, kOther, {"call"}, "services/svc", 60, 403);       // another tenant
  // A token without grant mints nothing, not even a narrower one.
  grant_with(solo, child.token, "", {"call"}, "services/svc", 10, 403);
  // Malformed requests are 400.
  grant_with(solo, parent.token, "", {"fly"}, "services/svc", 60, 400);
  grant_with(solo, parent.token, "", {}, "services/svc", 60, 400);

  // The child's row names its parent.
  auto listed = send(solo, "GET", "/tokens", "", parent.token);
  BOOST_TEST_REQUIRE(listed.status == 200, listed.body);
  bool found = false;
  const auto listed_body = boost::json::parse(listed.body);  // alive through the loop
  for (const auto& token : listed_body.at("tokens").as_array()) {
    if (token.at("token_id").as_string() != child.id) continue;
    found = true;
    BOOST_TEST(token.at("parent_id").as_string() == parent.id);
    BOOST_TEST(token.at("resource").as_string() == "services/svc");
    BOOST_TEST(!token.as_object().contains("token"));
  }
  BOOST_TEST(found);
  BOOST_TEST(listed.body.find(child.token) == std::string::npos);
  BOOST_TEST(listed.body.find(parent.token) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(revoking_a_token_revokes_every_token_attenuated_from_it) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  auto a = grant(solo, kTenant, {"grant", "call", "status"});
  auto b = grant_with(solo, a.token, "", {"grant", "call"}, "*", 600);
  auto c = grant_with(solo, b.token, "", {"call"}, "*", 300);
  auto d = grant_with(solo, a.token, "", {"status"}, "*", 600);  // b's sibling
  auto bystander = grant(solo, kTenant, {"status"});
  for (const auto* token : {&a, &b, &c, &d, &bystander}) BOOST_TEST(verify_status(solo, token->token) == 200);

  // A token may revoke only itself and the tokens it granted: another looks like nothing.
  expect_status(send(solo, "DELETE", "/tokens/" + bystander.id, "", d.token), 404, "not_found", "d revokes bystander");
  auto self = grant(solo, kTenant, {"status"});
  auto own = send(solo, "DELETE", "/tokens/" + self.id, "", self.token);
  BOOST_TEST(own.status == 200, own.body);
  BOOST_TEST(verify_status(solo, self.token) == 401);

  // a revokes b: b and c go, a and d stay.
  auto reply = send(solo, "DELETE", "/tokens/" + b.id, "", a.token);
  BOOST_TEST_REQUIRE(reply.status == 200, reply.body);
  BOOST_TEST(boost::json::parse(reply.body).at("revoked").as_int64() == 2);
  BOOST_TEST(verify_status(solo, b.token) == 401);
  BOOST_TEST(verify_status(solo, c.token) == 401);
  BOOST_TEST(verify_status(solo, a.token) == 200);
  BOOST_TEST(verify_status(solo, d.token) == 200);
  // A second revoke is a no-op.
  auto again = send(solo, "DELETE", "/tokens/" + b.id, "", solo.admin_token());
  BOOST_TEST(again.status == 200);
  BOOST_TEST(boost::json::parse(again.body).at("revoked").as_int64() == 0);
  // An unknown id is 404.
  expect_status(send(solo, "DELETE", "/tokens/nope", "", solo.admin_token()), 404, "not_found", "unknown id");

  // The admin revokes a: d goes with it, the bystander stays.
  revoke(solo, a.id);
  BOOST_TEST(verify_status(solo, a.token) == 401);
  BOOST_TEST(verify_status(solo, d.token) == 401);
  BOOST_TEST(verify_status(solo, bystander.token) == 200);
  auto listed = send(solo, "GET", "/tokens", "", solo.admin_token(), kTenant);
  BOOST_TEST_REQUIRE(listed.status == 200);
  std::set<std::string> revoked;
  const auto listed_body = boost::json::parse(listed.body);  // alive through the loop
  for (const auto& token : listed_body.at("tokens").as_array()) {
    if (token.at("revoked").as_bool()) revoked.insert(std::string(token.at("token_id").as_string()));
  }
  for (const auto* token : {&a, &b, &c, &d}) BOOST_TEST(revoked.count(token->id) == 1);
  BOOST_TEST(revoked.count(bystander.id) == 0);
}

BOOST_AUTO_TEST_CASE(tokens_and_secrets_survive_sigterm_and_sigkill) {
  test::TempDir dir;
  Token live, revoked, child, revoked_child, late, late_revoked;
  std::string admin_token;
  {
    SoloProcess solo(dir / "data");
    admin_token = solo.admin_token();
    live = grant(solo, kTenant, {"grant", "status", "secrets:read", "secrets:write"}, "*", 0);
    child = grant_with(solo, live.token, "", {"secrets:read"}, "secrets/*", 3600);
    revoked = grant(solo, kTenant, {"grant", "status"});
    revoked_child = grant_with(solo, revoked.token, "", {"status"}, "*", 3000);
    revoke(solo, revoked.id);
    auto stored = send(solo, "POST", "/secrets", R"({"key": "db-password", "value": "before-restart-41d2"})", live.token);
    BOOST_TEST_REQUIRE(stored.status == 201, stored.body);
    BOOST_TEST(solo.terminate().value_or(-1) == 0);
  }
  auto check = [&](const SoloProcess& solo) {
    BOOST_TEST(solo.admin_token() == admin_token);
    BOOST_TEST(verify_status(solo, admin_token) == 200);
    BOOST_TEST(verify_status(solo, live.token) == 200);
    BOOST_TEST(verify_status(solo, child.token) == 200);
    BOOST_TEST(verify_status(solo, revoked.token) == 401);
    BOOST_TEST(verify_status(solo, revoked_child.token) == 401);
    auto secret = send(solo, "GET", "/secrets/db-password?reveal=true", "", child.token);
    BOOST_TEST_REQUIRE(secret.status == 200, secret.body);
    BOOST_TEST(boost::json::parse(secret.body).at("value").as_string() == "before-restart-41d2");
    // The child is still attenuated from live: it cannot write.
    expect_status(send(solo, "POST", "/secrets", R"({"key": "x", "value": "y"})", child.token), 403, "forbidden",
                  "child writes");
  };
  {
    SoloProcess solo(dir / "data");
    check(solo);
    auto recovery = send(solo, "GET", "/system/recovery", "", solo.admin_token());
    BOOST_TEST_REQUIRE(recovery.status == 200, recovery.body);
    BOOST_TEST(boost::json::parse(recovery.body).at("previous_shutdown").as_string() == "clean");
    // Acknowledged work just before a crash: a grant, a revoke, a secret.
    late = grant_with(solo, live.token, "", {"status"}, "*", 3600);
    late_revoked = grant_with(solo, live.token, "", {"status"}, "*", 3600);
    auto gone = send(solo, "DELETE", "/tokens/" + late_revoked.id, "", live.token);
    BOOST_TEST_REQUIRE(gone.status == 200, gone.body);
    auto stored = send(solo, "POST", "/secrets", R"({"key": "db-password", "value": "after-restart-77ab"})", live.token);
    BOOST_TEST_REQUIRE(stored.status == 201, stored.body);
    solo.kill9();
  }
  {
    SoloProcess solo(dir / "data");
    auto recovery = send(solo, "GET", "/system/recovery", "", solo.admin_token());
    BOOST_TEST(boost::json::parse(recovery.body).at("previous_shutdown").as_string() == "crash");
    BOOST_TEST(verify_status(solo, late.token) == 200);
    BOOST_TEST(verify_status(solo, late_revoked.token) == 401);
    BOOST_TEST(verify_status(solo, live.token) == 200);
    BOOST_TEST(verify_status(solo, revoked.token) == 401);
    BOOST_TEST(verify_status(solo, revoked_child.token) == 401);
    auto secret = send(solo, "GET", "/secrets/db-password?reveal=true", "", child.token);
    BOOST_TEST_REQUIRE(secret.status == 200, secret.body);
    BOOST_TEST(boost::json::parse(secret.body).at("value").as_string() == "after-restart-77ab");
    // Revoking the root now still cascades to tokens restored from the database.
    revoke(solo, live.id);
    BOOST_TEST(verify_status(solo, child.token) == 401);
    BOOST_TEST(verify_status(solo, late.token) == 401);
    BOOST_TEST(solo.terminate().value_or(-1) == 0);
  }
}

BOOST_AUTO_TEST_SUITE_END()
