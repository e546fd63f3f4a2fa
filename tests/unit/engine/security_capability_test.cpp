// CapabilityManager over a real SQLite file in a temp dir.
#include "engine/security/capability_manager.hpp"

#include <sys/stat.h>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "security_test_support.hpp"
#include "engine/security/crypto.hpp"
#include "stores/sqlite.hpp"
#include "stores/token_store.hpp"

using namespace solo;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

// A manager on <dir>/solo.db with clocks the test moves by hand.
struct Fixture {
  test::TempDir dir;
  asio::io_context io;
  std::shared_ptr<EventStore> store;
  SystemTimePoint now = SystemTimePoint(std::chrono::milliseconds(1'800'000'000'000));
  DenialLimiter::Clock::time_point steady = DenialLimiter::Clock::time_point(1h);
  std::unique_ptr<CapabilityManager> manager;

  Fixture() { open(); }

  void open() {
    store = test::run_awaitable(io, EventStore::open(io.get_executor(), dir / "solo.db"));
    CapabilityOptions options;
    options.now = [this] { return now; };
    options.steady_now = [this] { return steady; };
    manager = std::make_unique<CapabilityManager>(store, options);
    test::run_awaitable(io, manager->restore());
  }

  void reopen() {
    manager.reset();
    test::run_awaitable(io, store->close());
    store.reset();
    open();
  }

  AuthResult<GrantResult> grant(std::string tenant, std::vector<std::string> permissions, std::string resource = "*",
                                std::optional<std::chrono::seconds> ttl = std::nullopt,
                                CapabilityManager::CapabilityPtr granter = nullptr) {
    GrantRequest request;
    request.tenant_id = std::move(tenant);
    request.permissions = std::move(permissions);
    request.resource = std::move(resource);
    request.ttl = ttl;
    return test::run_awaitable(io, manager->grant(std::move(request), std::move(granter)));
  }

  // Grants and returns (token, capability).
  std::pair<std::string, CapabilityManager::CapabilityPtr> mint(
      std::string tenant, std::vector<std::string> permissions, std::string resource = "*",
      std::optional<std::chrono::seconds> ttl = std::nullopt, CapabilityManager::CapabilityPtr granter = nullptr) {
    auto granted = grant(std::move(tenant), std::move(permissions), std::move(resource), ttl, std::move(granter));
    BOOST_REQUIRE_MESSAGE(granted.has_value(), (granted ? "" : granted.error().message()));
    auto capability = manager->authenticate(granted->token);
    BOOST_REQUIRE(capability.has_value());
    return {granted->token, *capability};
  }

  int revoke(const std::string& token_id, CapabilityManager::CapabilityPtr by) {
    return test::run_awaitable(io, manager->revoke(token_id, std::move(by))).value();
  }

  std::optional<ErrorKind> status(const std::string& token, std::string_view permission, std::string_view resource) {
    auto result = manager->verify(token, permission, resource);
    return result ? std::nullopt : std::optional<ErrorKind>(result.error().kind());
  }
};

const std::optional<ErrorKind> kOk{};

}  // namespace

BOOST_AUTO_TEST_SUITE(security_capabilities)

BOOST_AUTO_TEST_CASE(a_granted_token_is_43_base64url_characters_and_verifies_for_its_permissions_and_scope) {
  Fixture f;
  auto granted = f.grant("t1", {"deploy", "status"}, "services/api*", 3600s);
  BOOST_REQUIRE(granted.has_value());
  BOOST_TEST(granted->token.size() == 43u);
  BOOST_TEST(granted->token.find_first_not_of(
                 "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == std::string::npos);
  BOOST_TEST(granted->token_id.starts_with("tok_"));
  BOOST_TEST(granted->token_id.size() == 20u);
  BOOST_TEST(granted->tenant_id == "t1");
  BOOST_REQUIRE(granted->expires_at.has_value());
  BOOST_TEST((*granted->expires_at == f.now + 3600s));

  const std::string& token = granted->token;
  BOOST_TEST((f.status(token, "deploy", "services/api-1") == kOk));
  BOOST_TEST((f.status(token, "status", "services/api") == kOk));
  BOOST_TEST((f.status(token, "status", "") == kOk));  // no particular resource
  BOOST_TEST((f.status(token, "kill", "services/api-1") == ErrorKind::forbidden));
  BOOST_TEST((f.status(token, "deploy", "services/other") == ErrorKind::forbidden));
  BOOST_TEST((f.status(token, "deploy", "secrets/api") == ErrorKind::forbidden));
  auto capability = f.manager->authenticate(token);
  BOOST_REQUIRE(capability.has_value());
  BOOST_TEST((*capability)->tenant_id == "t1");
  BOOST_TEST(!(*capability)->parent_id.has_value());
}

BOOST_AUTO_TEST_CASE(no_unknown_or_malformed_tokens_are_unauthorized) {
  Fixture f;
  f.mint("t1", {"status"});
  BOOST_TEST((f.status("", "status", "") == ErrorKind::unauthorized));
  BOOST_TEST((f.status("not-a-token", "status", "") == ErrorKind::unauthorized));
  BOOST_TEST((f.status(std::string(43, 'A'), "status", "") == ErrorKind::unauthorized));
}

BOOST_AUTO_TEST_CASE(the_admin_permission_implies_every_permission_and_scope) {
  Fixture f;
  auto [token, capability] = f.mint(std::string(kAdminTenant), {"admin"});
  BOOST_TEST(capability->is_admin());
  for (const auto& permission : known_permissions()) {
    BOOST_TEST((f.status(token, permission, "services/anything") == kOk));
  }
  BOOST_TEST((f.status(token, "secrets:read", "secrets/x") == kOk));
}

BOOST_AUTO_TEST_CASE(an_expired_token_is_unauthorized_not_forbidden) {
  Fixture f;
  auto [token, capability] = f.mint("t1", {"status"}, "*", 60s);
  BOOST_TEST((f.status(token, "status", "") == kOk));
  f.now += 59s;
  BOOST_TEST((f.status(token, "status", "") == kOk));
  f.now += 1s;
  BOOST_TEST((f.status(token, "status", "") == ErrorKind::unauthorized));
  BOOST_TEST(f.manager->verify(token, "status", "").error().message() == "token expired");
}

BOOST_AUTO_TEST_CASE(grant_rejects_unknown_permissions_bad_scopes_bad_tenants_and_nonpositive_ttls) {
  Fixture f;
  BOOST_TEST((f.grant("t1", {"fly"}).error().kind() == ErrorKind::invalid));
  BOOST_TEST((f.grant("t1", {}).error().kind() == ErrorKind::invalid));
  BOOST_TEST((f.grant("t1", {"status"}, "files/x").error().kind() == ErrorKind::invalid));
  BOOST_TEST((f.grant("t1", {"status"}, "services/").error().kind() == ErrorKind::invalid));
  BOOST_TEST((f.grant("t1", {"status"}, "services/a b").error().kind() == ErrorKind::invalid));
  BOOST_TEST((f.grant(".hidden", {"status"}).error().kind() == ErrorKind::invalid));
  BOOST_TEST((f.grant("", {"status"}).error().kind() == ErrorKind::invalid));
  BOOST_TEST((f.grant("t1", {"status"}, "*", 0s).error().kind() == ErrorKind::invalid));
  BOOST_TEST(f.grant("t1", {"status"}, "services/*").has_value());
  BOOST_TEST(f.grant("t1", {"status"}, "secrets/db-*").has_value());
}

// Found by fuzz_token (tests/fuzz/corpus/token/token_08): now + a ttl near
// INT64_MAX milliseconds overflowed (UB; in practice an expiry in the past).
BOOST_AUTO_TEST_CASE(grant_refuses_a_ttl_past_100_years_instead_of_overflowing_the_expiry) {
  Fixture f;
  auto huge = f.grant("t1", {"status"}, "*", std::chrono::seconds(9'223'372'036'854'775));
  BOOST_TEST_REQUIRE(!huge.has_value());
  BOOST_TEST((huge.error().kind() == ErrorKind::invalid));
  BOOST_TEST(huge.error().message().find("at most 3155760000") != std::string::npos);
  BOOST_TEST(!f.grant("t1", {"status"}, "*", kMaxTokenTtl + 1s).has_value());
  auto [token, capability] = f.mint("t1", {"status"}, "*", kMaxTokenTtl);
  BOOST_TEST_REQUIRE(capability->expires_at.has_value());
  BOOST_TEST((*capability->expires_at == f.now + kMaxTokenTtl));
  BOOST_TEST(f.manager->authenticate(token).has_value());
}

BOOST_AUTO_TEST_CASE(attenuation_mints_only_narrower_tokens_of_the_granters_own_tenant) {
  Fixture f;
  auto [granter_token, granter] = f.mint("t1", {"grant", "deploy", "status"}, "services/*", 3600s);
  auto [plain_token, plain] = f.mint("t1", {"deploy", "status"}, "services/*", 3600s);

  auto rejected = [&](std::string tenant, std::vector<std::string> permissions, std::string resource,
                      std::optional<std::chrono::seconds> ttl, CapabilityManager::CapabilityPtr by) {
    auto result = f.grant(std::move(tenant), std::move(permissions), std::move(resource), ttl, std::move(by));
    BOOST_TEST(!result.has_value());
    return result ? std::nullopt : std::optional<ErrorKind>(result.error().kind());
  };
  // Without `grant`.
  BOOST_TEST((rejected("t1", {"status"}, "services/a", 60s, plain) == ErrorKind::forbidden));
  // Another tenant.
  BOOST_TEST((rejected("t2", {"status"}, "services/a", 60s, granter) == ErrorKind::forbidden));
  // A permission the granter lacks.
  BOOST_TEST((rejected("t1", {"status", "kill"}, "services/a", 60s, granter) == ErrorKind::forbidden));
  BOOST_TEST((rejected("t1", {"tenant_admin"}, "*", 60s, granter) == ErrorKind::forbidden));
  // `admin` never takes this shape, whoever asks (400, not 403).
  BOOST_TEST((rejected("t1", {"admin"}, "services/a", 60s, granter) == ErrorKind::invalid));
  // A wider scope.
  BOOST_TEST((rejected("t1", {"status"}, "*", 60s, granter) == ErrorKind::forbidden));
  BOOST_TEST((rejected("t1", {"status"}, "secrets/a", 60s, granter) == ErrorKind::forbidden));
  // A later expiry, or none.
  BOOST_TEST((rejected("t1", {"status"}, "services/a", 3601s, granter) == ErrorKind::forbidden));
  BOOST_TEST((rejected("t1", {"status"}, "services/a", std::nullopt, granter) == ErrorKind::forbidden));

  // Narrower in every way: accepted, with the granter as parent; tenant "" = the granter's.
  auto child = f.grant("", {"status"}, "services/api-*", 1800s, granter);
  BOOST_REQUIRE(child.has_value());
  BOOST_TEST(child->tenant_id == "t1");
  auto child_capability = f.manager->authenticate(child->token).value();
  BOOST_REQUIRE(child_capability->parent_id.has_value());
  BOOST_TEST(*child_capability->parent_id == granter->token_id);
  BOOST_TEST((f.status(child->token, "status", "services/api-7") == kOk));
  BOOST_TEST((f.status(child->token, "deploy", "services/api-7") == ErrorKind::forbidden));
  BOOST_TEST((f.status(child->token, "status", "services/web") == ErrorKind::forbidden));
  // Equal is allowed too.
  BOOST_TEST(f.grant("t1", {"grant", "deploy", "status"}, "services/*", 3600s, granter).has_value());

  // A revoked granter can no longer grant.
  f.revoke(granter->token_id, nullptr);
  BOOST_TEST((f.grant("t1", {"status"}, "services/a", 60s, granter).error().kind() == ErrorKind::unauthorized));
}

BOOST_AUTO_TEST_CASE(an_admin_grants_anything_for_any_tenant_without_becoming_a_parent) {
  Fixture f;
  auto [admin_token, admin] = f.mint(std::string(kAdminTenant), {"admin"});
  auto granted = f.grant("t9", {"deploy", "grant"}, "*", std::nullopt, admin);
  BOOST_REQUIRE(granted.has_value());
  auto capability = f.manager->authenticate(granted->token).value();
  BOOST_TEST(capability->tenant_id == "t9");
  BOOST_TEST(!capability->parent_id.has_value());
  BOOST_TEST(!capability->expires_at.has_value());
}

BOOST_AUTO_TEST_CASE(revoking_a_token_revokes_every_token_attenuated_from_it_transitively) {
  Fixture f;
  auto [root_token, root] = f.mint("t1", {"grant", "status", "deploy"}, "*", 3600s);
  auto [child_token, child] = f.mint("t1", {"grant", "status"}, "services/*", 1800s, root);
  auto [grandchild_token, grandchild] = f.mint("t1", {"status"}, "services/a", 600s, child);
  auto [sibling_token, sibling] = f.mint("t1", {"status"}, "*", 600s);
  auto [other_token, other] = f.mint("t2", {"grant", "status"}, "*", 600s);

  // Another tenant's token looks like nothing.
  auto foreign = test::run_awaitable(f.io, f.manager->revoke(root->token_id, other));
  BOOST_TEST((foreign.error().kind() == ErrorKind::not_found));
  // Nor does a token of the same tenant it did not grant (it may revoke itself).
  auto denied = test::run_awaitable(f.io, f.manager->revoke(root->token_id, sibling));
  BOOST_TEST((denied.error().kind() == ErrorKind::not_found));
  BOOST_TEST(denied.error().message() == "no token '" + root->token_id + "'");  // as for an unknown id

  BOOST_TEST(f.revoke(root->token_id, root) == 3);
  for (const auto* token : {&root_token, &child_token, &grandchild_token}) {
    BOOST_TEST((f.status(*token, "status", "services/a") == ErrorKind::unauthorized));
    BOOST_TEST(f.manager->authenticate(*token).error().message() == "token revoked");
  }
  BOOST_TEST((f.status(sibling_token, "status", "services/a") == kOk));
  BOOST_TEST(f.revoke(root->token_id, nullptr) == 0);  // already revoked
  BOOST_TEST(f.revoke(sibling->token_id, sibling) == 1);

  auto events = test::all_events(f.io, *f.store, "capability_revoked");
  BOOST_TEST(events.size() == 4u);
  // The rows are marked in the same transactions.
  auto revoked_rows = test::run_awaitable(
      f.io, f.store->read<int64_t>([](Database& db) { return db.query_int("SELECT count(*) FROM tokens WHERE revoked = 1"); }));
  BOOST_TEST(revoked_rows == 4);
  auto listed = f.manager->list("t1");
  BOOST_TEST(listed.size() == 4u);
  BOOST_TEST(f.manager->list("t2").size() == 1u);
  BOOST_TEST(f.manager->list("").size() == 5u);
}

BOOST_AUTO_TEST_CASE(restore_after_reopening_the_store_skips_expired_and_revoked_tokens) {
  Fixture f;
  auto [live_token, live] = f.mint("t1", {"status"}, "*", 3600s);
  auto [forever_token, forever] = f.mint("t1", {"status"});
  auto [short_token, short_lived] = f.mint("t1", {"status"}, "*", 10s);
  auto [revoked_token, revoked] = f.mint("t1", {"grant", "status"}, "*", 3600s);
  auto [child_token, child] = f.mint("t1", {"status"}, "*", 60s, revoked);
  BOOST_TEST(f.revoke(revoked->token_id, nullptr) == 2);
  f.now += 11s;

  f.reopen();
  BOOST_TEST(f.manager->size() == 2u);
  BOOST_TEST((f.status(live_token, "status", "") == kOk));
  BOOST_TEST((f.status(forever_token, "status", "") == kOk));
  BOOST_TEST((f.status(short_token, "status", "") == ErrorKind::unauthorized));
  BOOST_TEST((f.status(revoked_token, "status", "") == ErrorKind::unauthorized));
  BOOST_TEST((f.status(child_token, "status", "") == ErrorKind::unauthorized));
  auto restored = f.manager->authenticate(live_token).value();
  BOOST_TEST(restored->token_id == live->token_id);
  BOOST_TEST(restored->permissions.contains("status"));
  BOOST_TEST((restored->expires_at == live->expires_at));
}

BOOST_AUTO_TEST_CASE(purge_drops_expired_and_revoked_tokens_from_memory_and_deletes_their_rows) {
  Fixture f;
  auto [keep_token, keep] = f.mint("t1", {"status"}, "*", 3600s);
  auto [old_token, old] = f.mint("t1", {"status"}, "*", 10s);
  auto [revoked_token, revoked] = f.mint("t1", {"status"});
  f.revoke(revoked->token_id, nullptr);
  f.now += 9s;
  BOOST_TEST(test::run_awaitable(f.io, f.manager->purge()) == 1);
  f.now += 1s;
  BOOST_TEST(test::run_awaitable(f.io, f.manager->purge()) == 1);
  BOOST_TEST(f.manager->size() == 1u);
  BOOST_TEST(f.manager->find(old->token_id) == nullptr);
  BOOST_TEST(f.manager->find(revoked->token_id) == nullptr);
  BOOST_TEST((f.status(revoked_token, "status", "") == ErrorKind::unauthorized));
  BOOST_TEST((f.status(keep_token, "status", "") == kOk));
  auto rows = test::run_awaitable(
      f.io, f.store->read<int64_t>([](Database& db) { return db.query_int("SELECT count(*) FROM tokens"); }));
  BOOST_TEST(rows == 1);
  BOOST_TEST(test::all_events(f.io, *f.store, "capabilities_purged").size() == 2u);
}

// fuzz_token found purge() quadratic in a parent's children (each purged id
// was erased from its parent's list one by one; ~50,000 took 27 s). The lists
// are now filtered once per parent: purging some of many children keeps
// exactly the others attached.
BOOST_AUTO_TEST_CASE(purging_many_revoked_children_keeps_exactly_the_live_ones_under_their_parent) {
  Fixture f;
  auto [parent_token, parent] = f.mint("t1", {"grant", "status"}, "*", 3600s);
  std::vector<CapabilityManager::CapabilityPtr> children;
  for (int i = 0; i < 200; ++i) children.push_back(f.mint("t1", {"status"}, "*", 600s, parent).second);
  for (size_t i = 0; i < children.size(); i += 2) f.revoke(children[i]->token_id, children[i]);
  BOOST_TEST(test::run_awaitable(f.io, f.manager->purge()) == 100);
  BOOST_TEST(f.manager->size() == 101u);
  // Revoking the parent reaches the 100 children still attached, and only them.
  BOOST_TEST(f.revoke(parent->token_id, parent) == 101);
  BOOST_TEST(test::run_awaitable(f.io, f.manager->purge()) == 101);
  BOOST_TEST(f.manager->size() == 0u);
}

BOOST_AUTO_TEST_CASE(denied_events_are_rate_limited_and_report_how_many_were_suppressed) {
  Fixture f;
  auto [token, capability] = f.mint("t1", {"status"}, "services/a");
  for (int i = 0; i < 1000; ++i) f.manager->verify("bad-token-" + std::to_string(i), "status", "");
  BOOST_TEST(f.manager->denied_total() == 1000u);
  BOOST_TEST(f.manager->denied_suppressed_total() == 990u);
  auto denied = test::all_events(f.io, *f.store, "capability_denied");
  BOOST_TEST(denied.size() == 10u);

  // Tenant t1 has a bucket of its own: the flood of unknown tokens does not
  // suppress its denials.
  f.manager->verify(token, "kill", "services/a");  // forbidden: names the token id, not the token
  denied = test::all_events(f.io, *f.store, "capability_denied");
  BOOST_REQUIRE(denied.size() == 11u);
  auto payload = boost::json::parse(denied.back().payload).as_object();
  BOOST_TEST(payload.at("suppressed").as_int64() == 0);
  BOOST_TEST(payload.at("reason").as_string() == "missing_permission");
  BOOST_TEST(payload.at("token_id").as_string() == capability->token_id);
  BOOST_TEST(denied.back().tenant_id == "t1");
  auto first = boost::json::parse(denied.front().payload).as_object();
  BOOST_TEST(first.at("reason").as_string() == "unknown_token");
  BOOST_TEST(first.at("token_sha256_prefix").as_string().size() == 8u);
  for (const auto& event : denied) BOOST_TEST(event.payload.find("bad-token") == std::string::npos);

  f.steady += 1s;  // the unauthenticated bucket refills; its next event reports the flood
  f.manager->verify("bad-token-again", "status", "");
  denied = test::all_events(f.io, *f.store, "capability_denied");
  BOOST_REQUIRE(denied.size() == 12u);
  BOOST_TEST(boost::json::parse(denied.back().payload).at("suppressed").as_int64() == 990);
}

BOOST_AUTO_TEST_CASE(the_admin_token_file_is_created_0600_and_reused_while_it_resolves) {
  Fixture f;
  auto file = f.dir / "admin.token";
  std::string token = test::run_awaitable(f.io, f.manager->ensure_admin_token(file));
  struct stat st {};
  BOOST_REQUIRE(::stat(file.c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
  BOOST_TEST(test::read_bytes(file) == token + "\n");
  auto capability = f.manager->authenticate(token).value();
  BOOST_TEST(capability->is_admin());
  BOOST_TEST(capability->tenant_id == std::string(kAdminTenant));
  BOOST_TEST(!capability->expires_at.has_value());

  // After a restart: the same token.
  f.reopen();
  BOOST_TEST(test::run_awaitable(f.io, f.manager->ensure_admin_token(file)) == token);
  BOOST_TEST(test::all_events(f.io, *f.store, "capability_granted").size() == 1u);

  // A database that does not know it (replaced): a new token, file rewritten 0600.
  test::TempDir other;
  auto other_store = test::run_awaitable(f.io, EventStore::open(f.io.get_executor(), other / "solo.db"));
  CapabilityManager fresh(other_store);
  std::string replaced = test::run_awaitable(f.io, fresh.ensure_admin_token(file));
  BOOST_TEST(replaced != token);
  BOOST_TEST(test::read_bytes(file) == replaced + "\n");
  BOOST_REQUIRE(::stat(file.c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
  BOOST_TEST(fresh.authenticate(replaced).has_value());
  BOOST_TEST(!std::filesystem::exists(f.dir / "admin.token.tmp"));
  test::run_awaitable(f.io, other_store->close());
}

BOOST_AUTO_TEST_CASE(no_token_appears_in_the_database_the_wal_or_any_event_payload) {
  Fixture f;
  std::vector<std::string> tokens;
  auto [admin_token, admin] = f.mint(std::string(kAdminTenant), {"admin"});
  tokens.push_back(admin_token);
  for (int i = 0; i < 20; ++i) {
    auto granted = f.grant("t" + std::to_string(i % 3), {"status", "grant"}, "*", 3600s, admin);
    tokens.push_back(granted.value().token);
  }
  for (const auto& token : tokens) f.manager->verify(token + "x", "status", "");
  f.revoke(f.manager->authenticate(tokens[1]).value()->token_id, admin);
  auto events = test::all_events(f.io, *f.store);
  BOOST_TEST(events.size() >= 22u);
  std::string bytes = test::database_bytes(f.dir.path());
  BOOST_TEST(bytes.size() > 0u);
  for (const auto& token : tokens) {
    BOOST_TEST(bytes.find(token) == std::string::npos);
    for (const auto& event : events) BOOST_TEST(event.payload.find(token) == std::string::npos);
  }
  // The hash is stored (that is how restore finds it), but never in an event.
  auto hashes = test::run_awaitable(f.io, f.store->read<std::vector<std::string>>([](Database& db) {
    std::vector<std::string> out;
    auto statement = db.prepare("SELECT token_hash FROM tokens");
    while (statement->step()) out.push_back(statement->column_text(0));
    return out;
  }));
  BOOST_TEST(hashes.size() == tokens.size());
  for (const auto& hash : hashes) {
    BOOST_TEST(hash.size() == 64u);
    for (const auto& event : events) BOOST_TEST(event.payload.find(hash) == std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(scope_rules_cover_prefixes_and_attenuate_only_narrower) {
  BOOST_TEST(scope_covers("*", "services/a"));
  BOOST_TEST(scope_covers("services/*", "services/a"));
  BOOST_TEST(!scope_covers("services/*", "secrets/a"));
  BOOST_TEST(scope_covers("services/a", "services/a"));
  BOOST_TEST(!scope_covers("services/a", "services/ab"));
  BOOST_TEST(scope_within("services/a", "*"));
  BOOST_TEST(scope_within("services/a*", "services/*"));
  BOOST_TEST(scope_within("services/*", "services/*"));
  BOOST_TEST(!scope_within("*", "services/*"));
  BOOST_TEST(!scope_within("services/*", "services/a*"));
  BOOST_TEST(!scope_within("services/ab", "services/a"));
  // A prefix child is compared by its prefix, not by its '*' (fuzz_token's
  // case: a within b and b within c, but a not within c).
  BOOST_TEST(scope_within("services/a-*", "services/a*"));
  BOOST_TEST(!scope_within("services/a-*", "services/a-**"));
  BOOST_TEST(scope_within("services/a-x", "services/a-*"));
  BOOST_TEST(!scope_within("services/a-x", "services/a-**"));
}

BOOST_AUTO_TEST_CASE(admin_is_granted_only_for_the_system_tenant_and_every_resource) {
  Fixture f;
  auto [admin_token, admin] = f.mint(std::string(kAdminTenant), {"admin"});
  for (const auto& [tenant, resource] : std::vector<std::pair<std::string, std::string>>{
           {"globex", "*"}, {"globex", "services/x"}, {"*", "services/x"}, {"*", "secrets/*"}}) {
    for (auto granter : {admin, CapabilityManager::CapabilityPtr()}) {
      auto result = f.grant(tenant, {"admin"}, resource, std::nullopt, granter);
      BOOST_REQUIRE(!result.has_value());
      BOOST_TEST((result.error().kind() == ErrorKind::invalid));
      BOOST_TEST(result.error().message().find("tenant_id '*' and resource '*'") != std::string::npos);
    }
  }
  BOOST_TEST(f.grant("*", {"admin"}, "*", std::nullopt, admin).has_value());
}

// A row written by an older release (admin for one tenant, or one resource)
// is restored but grants nothing: fail closed.
BOOST_AUTO_TEST_CASE(a_scoped_or_tenant_admin_row_already_in_the_database_is_inert) {
  Fixture f;
  std::vector<std::string> tokens;
  int n = 0;
  for (const auto& [tenant, resource] : std::vector<std::pair<std::string, std::string>>{
           {"globex", "services/x"}, {"globex", "*"}, {"*", "services/x"}}) {
    std::string token = "legacy-admin-token-" + std::to_string(n);
    TokenRow row;
    row.token_id = "tok_legacy" + std::to_string(n++);
    row.token_hash = crypto::sha256_hex(token);
    row.tenant_id = tenant;
    row.permissions = {"admin"};
    row.resource = resource;
    row.created_at_ms = 1;
    NewEvent event;
    event.event_type = "capability_granted";
    test::run_awaitable(f.io, f.store->append_durable(std::move(event), TokenStore::insert(std::move(row))));
    tokens.push_back(token);
  }
  f.reopen();
  for (const auto& token : tokens) {
    auto capability = f.manager->authenticate(token);
    BOOST_REQUIRE(capability.has_value());
    BOOST_TEST(!(*capability)->is_admin());
    for (const auto& permission : known_permissions()) {
      BOOST_TEST((f.status(token, permission, "secrets/db_password") == ErrorKind::forbidden));
      BOOST_TEST((f.status(token, permission, "services/x") == ErrorKind::forbidden));
    }
    // Nor can it grant or revoke anything but itself.
    BOOST_TEST(!f.grant("acme", {"status"}, "*", 60s, *capability).has_value());
    BOOST_TEST(f.manager->list("", capability->get()).size() == 1u);
  }
}

BOOST_AUTO_TEST_CASE(tenant_admin_holds_every_permission_of_its_tenant_but_admin) {
  Fixture f;
  // Its shape: resource "*" and a real tenant.
  BOOST_TEST((f.grant("acme", {"tenant_admin"}, "services/*").error().kind() == ErrorKind::invalid));
  BOOST_TEST((f.grant("*", {"tenant_admin"}).error().kind() == ErrorKind::invalid));
  auto [token, capability] = f.mint("acme", {"tenant_admin"});
  BOOST_TEST(capability->is_tenant_admin());
  BOOST_TEST(!capability->is_admin());
  for (const auto& permission : known_permissions()) {
    auto expected = permission == "admin" ? ErrorKind::forbidden : kOk;
    BOOST_TEST((f.status(token, permission, "secrets/db_password") == expected), permission);
  }
  // It grants any non-admin permission for its own tenant, with itself as parent.
  auto child = f.grant("", {"deploy", "secrets:read", "tenant_admin"}, "*", std::nullopt, capability);
  BOOST_REQUIRE(child.has_value());
  BOOST_TEST(child->tenant_id == "acme");
  BOOST_TEST((f.grant("", {"admin"}, "*", std::nullopt, capability).error().kind() == ErrorKind::invalid));
  BOOST_TEST((f.grant("*", {"admin"}, "*", std::nullopt, capability).error().kind() == ErrorKind::forbidden));
  BOOST_TEST((f.grant("globex", {"status"}, "*", std::nullopt, capability).error().kind() == ErrorKind::forbidden));

  // It manages every token of its tenant, and none of another.
  auto [other_token, other] = f.mint("acme", {"grant", "call"}, "services/*");
  auto [foreign_token, foreign] = f.mint("globex", {"status"});
  auto listed = f.manager->list("acme", capability.get());
  BOOST_TEST(listed.size() == 3u);
  BOOST_TEST(f.manager->list("", capability.get()).size() == 3u);
  BOOST_TEST((test::run_awaitable(f.io, f.manager->revoke(foreign->token_id, capability)).error().kind() ==
              ErrorKind::not_found));
  BOOST_TEST(f.revoke(other->token_id, capability) == 1);
}

BOOST_AUTO_TEST_CASE(the_system_tenant_holds_only_admin_or_metrics) {
  Fixture f;
  auto [admin_token, admin] = f.mint(std::string(kAdminTenant), {"admin"});
  auto refused = f.grant("*", {"metrics", "status"}, "*", std::nullopt, admin);
  BOOST_REQUIRE(!refused.has_value());
  BOOST_TEST((refused.error().kind() == ErrorKind::invalid));
  BOOST_TEST(refused.error().message().find("'status'") != std::string::npos);
  auto [token, monitoring] = f.mint("*", {"metrics"}, "*", std::nullopt, admin);
  BOOST_TEST(monitoring->is_system());
  BOOST_TEST(!monitoring->is_admin());
  BOOST_TEST((f.status(token, "metrics", "") == kOk));
  BOOST_TEST((f.status(token, "status", "") == ErrorKind::forbidden));
  BOOST_TEST((f.status(token, "admin", "") == ErrorKind::forbidden));
}

BOOST_AUTO_TEST_CASE(a_token_lists_and_revokes_only_itself_and_the_tokens_it_granted) {
  Fixture f;
  auto [broad_token, broad] = f.mint("acme", {"grant", "call", "deploy"}, "*", 3600s);
  auto [scoped_token, scoped] = f.mint("acme", {"grant", "call"}, "services/foo", 3600s, broad);
  auto [child_token, child] = f.mint("acme", {"grant", "call"}, "services/foo", 600s, scoped);
  auto [grandchild_token, grandchild] = f.mint("acme", {"call"}, "services/foo", 60s, child);
  auto [sibling_token, sibling] = f.mint("acme", {"grant", "call"}, "*", 3600s);

  auto ids = [](const std::vector<Capability>& list) {
    std::set<std::string> out;
    for (const auto& c : list) out.insert(c.token_id);
    return out;
  };
  BOOST_TEST((ids(f.manager->list("acme", scoped.get())) ==
              std::set<std::string>{scoped->token_id, child->token_id, grandchild->token_id}));
  BOOST_TEST(ids(f.manager->list("acme", broad.get())).size() == 4u);  // itself and its subtree
  BOOST_TEST((ids(f.manager->list("acme", sibling.get())) == std::set<std::string>{sibling->token_id}));

  // A broader sibling, or its own parent, looks like no token at all.
  for (const auto& target : {sibling->token_id, broad->token_id}) {
    auto result = test::run_awaitable(f.io, f.manager->revoke(target, scoped));
    BOOST_REQUIRE(!result.has_value());
    BOOST_TEST((result.error().kind() == ErrorKind::not_found));
  }
  BOOST_TEST((f.status(sibling_token, "call", "services/bar") == kOk));
  BOOST_TEST(f.revoke(grandchild->token_id, scoped) == 1);  // a descendant two levels down
  BOOST_TEST(f.revoke(scoped->token_id, scoped) == 2);      // itself, with the rest of its subtree
}

BOOST_AUTO_TEST_CASE(denial_buckets_are_per_tenant_and_bounded) {
  KeyedDenialLimiter limiter(1, 2, 3);
  auto now = DenialLimiter::Clock::time_point(1h);
  BOOST_TEST(limiter.admit("a", now).has_value());
  BOOST_TEST(limiter.admit("a", now).has_value());
  BOOST_TEST(!limiter.admit("a", now).has_value());  // a's burst is spent
  BOOST_TEST(limiter.admit("b", now).has_value());   // b is not suppressed by a
  BOOST_TEST(limiter.admit("c", now).has_value());
  BOOST_TEST(limiter.keys() == 3u);
  // Full: new keys share one overflow bucket until old ones are idle again.
  for (int i = 0; i < 100; ++i) limiter.admit("flood-" + std::to_string(i), now);
  BOOST_TEST(limiter.keys() == 3u);
  BOOST_TEST(!limiter.admit("d", now).has_value());
  now += 10s;  // every bucket refilled: idle ones are dropped for new keys
  BOOST_TEST(limiter.admit("d", now).has_value());
  BOOST_TEST(limiter.keys() <= 3u);
}

BOOST_AUTO_TEST_SUITE_END()
