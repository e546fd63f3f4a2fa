// Fuzz target: tokens — the scope grammar and its rules (is_valid_scope,
// scope_covers, scope_within; engine/security/capability.hpp), token lookup
// (CapabilityManager::authenticate / verify), and the grant body of POST
// /tokens parsed and granted by the real handler (net/api/token_routes.cpp)
// over the real CapabilityManager and store (fuzz_kernel.hpp). The bearer
// header itself is parsed by the Gateway, which the http target reaches.
//
// Input: lines — scope A, scope B, scope C, a resource, a token, then the
// grant body (JSON, the rest). Invariants:
//   - a valid scope is within itself and within "*"; "*" is within nothing narrower;
//   - attenuation is sound: A within B and A covers R imply B covers R;
//     and transitive: A within B within C implies A within C;
//   - an unknown token never authenticates, and verify agrees with
//     authenticate + scope_covers;
//   - a granted token (201) authenticates, belongs to the granter's tenant,
//     holds no permission the granter lacks, a scope within the granter's and
//     an expiry no later than its; a refusal is a 4xx in the error shape.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "engine/security/capability.hpp"
#include "fuzz/fuzz_check.hpp"
#include "fuzz/fuzz_kernel.hpp"
#include "net/api/api_context.hpp"
#include "net/api/authorization.hpp"
#include "net/api/request_args.hpp"
#include "net/api/token_routes.hpp"
#include "net/error_reply.hpp"
#include "net/router.hpp"

namespace json = boost::json;

namespace {

using CapabilityPtr = solo::CapabilityManager::CapabilityPtr;

// A granter with `grant`, bounded to tenant acme, services/fuzz-*, one day.
struct TokenWorld {
  solo::fuzz::FuzzKernel& world = solo::fuzz::FuzzKernel::get();
  solo::net::Router router;
  CapabilityPtr granter;
  std::string granter_token;

  TokenWorld() {
    auto context = std::make_shared<solo::net::ApiContext>();
    context->events = world.kernel().events();
    context->capabilities = world.kernel().capabilities();
    solo::net::add_token_routes(router, context);
    solo::GrantRequest request;
    request.tenant_id = "acme";
    request.permissions = {"grant", "call", "status", "deploy"};
    request.resource = "services/fuzz-*";
    request.ttl = std::chrono::hours(24);
    granter_token = world.run(world.kernel().capabilities()->grant(std::move(request), nullptr)).value().token;
    granter = world.kernel().capabilities()->authenticate(granter_token).value();
  }
};

void check_scopes(std::string_view a, std::string_view b, std::string_view c, std::string_view resource) {
  if (solo::is_valid_scope(a)) {
    FUZZ_CHECK(solo::scope_within(a, a), a);
    FUZZ_CHECK(solo::scope_within(a, "*"), a);
    FUZZ_CHECK(a == "*" || a.starts_with("services/") || a.starts_with("secrets/"), a);
    FUZZ_CHECK(a == "*" || !solo::scope_within("*", a), a);
  }
  if (solo::scope_within(a, b) && solo::scope_covers(a, resource)) {
    FUZZ_CHECK(solo::scope_covers(b, resource),
               std::string(a) + " within " + std::string(b) + " but covers " + std::string(resource));
  }
  if (solo::scope_within(a, b) && solo::scope_within(b, c)) {
    FUZZ_CHECK(solo::scope_within(a, c), std::string(a) + " / " + std::string(b) + " / " + std::string(c));
  }
}

void check_lookup(TokenWorld& tokens, const std::string& token, const std::string& permission,
                  const std::string& resource) {
  auto& capabilities = *tokens.world.kernel().capabilities();
  auto found = capabilities.authenticate(token);
  bool known = token == tokens.granter_token || token == tokens.world.admin_token() ||
               token == tokens.world.tenant_token();
  if (!known) FUZZ_CHECK(!found, "an unknown token authenticated");
  auto verified = capabilities.verify(token, permission, resource);
  bool expected = found && (*found)->has_permission(permission) &&
                  ((*found)->is_admin() || solo::scope_covers((*found)->resource, resource));
  FUZZ_CHECK(static_cast<bool>(verified) == expected, "verify disagrees with authenticate + scope_covers");
}

void check_grant(TokenWorld& tokens, std::string body, bool as_admin) {
  auto& world = tokens.world;
  solo::net::Request request;
  request.method = "POST";
  request.path = request.target = "/tokens";
  request.headers.emplace_back("content-type", "application/json");
  request.body = std::move(body);
  request.caller = as_admin ? world.kernel().capabilities()->authenticate(world.admin_token()).value()
                            : tokens.granter;
  request.tenant = as_admin ? "default" : "acme";
  solo::net::Response response;
  try {
    response = world.run(tokens.router.route(request));
  } catch (const solo::Error& refused) {
    // The Gateway answers it with net/error_reply: a refused grant is the
    // caller's mistake (4xx), never a server error.
    const int status = solo::net::error_reply(refused).status;
    FUZZ_CHECK(status >= 400 && status < 500, "a grant refused with " + std::to_string(status) + ": " + refused.what());
    return;
  }
  auto parsed = json::parse(response.body);
  if (response.status != 201) {
    FUZZ_CHECK(response.status >= 400 && response.status < 500, "grant answered " + response.body);
    FUZZ_CHECK(parsed.as_object().contains("error") && parsed.as_object().contains("message"), response.body);
    return;
  }
  const std::string token(parsed.at("token").as_string());
  auto minted = world.kernel().capabilities()->authenticate(token);
  FUZZ_CHECK(minted, "a granted token does not authenticate");
  const auto& child = **minted;
  if (!as_admin) {
    const auto& parent = *tokens.granter;
    FUZZ_CHECK(child.tenant_id == parent.tenant_id, child.tenant_id);
    for (const auto& permission : child.permissions) FUZZ_CHECK(parent.has_permission(permission), permission);
    FUZZ_CHECK(solo::scope_within(child.resource, parent.resource), child.resource);
    FUZZ_CHECK(child.expires_at && *child.expires_at <= *parent.expires_at, "an expiry past the granter's");
  }
  FUZZ_CHECK(solo::is_valid_scope(child.resource), child.resource);
  // Keep the store small: the token revokes itself (always allowed).
  auto revoked = world.run(world.kernel().capabilities()->revoke(child.token_id, *minted));
  FUZZ_CHECK(revoked && *revoked >= 1, "a token could not revoke itself");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static TokenWorld tokens;
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> lines;
  while (lines.size() < 5) {
    auto end = rest.find('\n');
    lines.emplace_back(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  }
  check_scopes(lines[0], lines[1], lines[2], lines[3]);
  // The token line may name a real token, as an input cannot know one.
  std::string token = lines[4];
  if (token == "@ADMIN@") token = tokens.world.admin_token();
  if (token == "@TENANT@") token = tokens.world.tenant_token();
  if (token == "@GRANTER@") token = tokens.granter_token;
  const auto& permissions = solo::known_permissions();
  check_lookup(tokens, token, permissions[size % permissions.size()], lines[3]);
  if (!rest.empty()) check_grant(tokens, std::string(rest), !lines[0].empty() && lines[0][0] == '!');
  tokens.world.reset_if_needed();
  return 0;
}
