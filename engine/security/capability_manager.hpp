// CapabilityManager: bearer capability tokens — grant, verify, revoke, purge,
// restore — over the `tokens` projection (stores/token_store.hpp).
//
// A token is 32 random bytes (RAND_bytes) in base64url without padding (43
// characters). It is shown once, in the GrantResult; only its SHA-256 (hex)
// is kept, in memory (the lookup key) and in the tokens table. No event
// payload, log line or error message carries a token or its full hash:
// capability_denied carries at most the first 8 hex digits of the hash.
//
// Durability: grant and revoke answer after their events (capability_granted,
// capability_revoked) and rows are committed in one transaction. revoke marks
// the tokens revoked in memory before the commit (fail closed: a failed commit
// leaves them refused in this run, and the caller gets the error).
//
// Shapes (any granter, the system included): `admin` only for tenant "*" and
// resource "*"; `tenant_admin` only for a real tenant with resource "*";
// tenant "*" only `admin` or `metrics` (invalid_request otherwise).
// Attenuation: a non-admin granter needs `grant`, and mints only for its own
// tenant, a subset of its permissions (a tenant_admin holds every one but
// admin), an equal or narrower scope and an expiry no later than its own.
// Revoking a token revokes every token attenuated from it, transitively.
//
// Denials (unknown, expired or revoked token, missing permission or scope) are
// recorded as capability_denied events (non-durable appends: they are an audit
// trail, not acknowledged state), rate-limited per tenant (KeyedDenialLimiter;
// unauthenticated requests share one bucket) so that one tenant's flood
// cannot hide another's denials. The Gateway records every other 401/403
// (record_refusal).
//
// Thread safety: engine thread only. Coroutines capture `this`: the manager
// must outlive them (it is a supervised child that owns its work).
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "engine/security/capability.hpp"
#include "engine/security/denial_limiter.hpp"
#include "stores/event_store.hpp"
#include "stores/token_store.hpp"

namespace solo {

// The longest a token may live (100 years); a longer ttl is refused.
inline constexpr std::chrono::seconds kMaxTokenTtl{3'155'760'000};

struct GrantRequest {
  std::string tenant_id;                     // "" = the granter's tenant (required for a system grant)
  std::vector<std::string> permissions;      // non-empty, each a known permission
  std::string resource = "*";                // a valid scope
  std::optional<std::chrono::seconds> ttl;   // nullopt = never expires (only under a granter that never does); at most kMaxTokenTtl
};

struct GrantResult {
  std::string token;  // shown once; never stored
  std::string token_id;
  std::string tenant_id;
  std::optional<SystemTimePoint> expires_at;
};

struct CapabilityOptions {
  // Clocks, replaceable by tests.
  std::function<SystemTimePoint()> now = [] {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  };
  std::function<DenialLimiter::Clock::time_point()> steady_now = [] { return DenialLimiter::Clock::now(); };
  double denied_events_per_second = 10;
  double denied_events_burst = 10;
  // A cluster shard (apps/cluster_shards.hpp): every token it mints starts
  // with `token_prefix`, which names the shard that keeps it (a node routes a
  // request by it), and it mints only for the tenants `serves_tenant` accepts
  // (the system tenant "*" always). Empty: no prefix, every tenant.
  std::string token_prefix;
  std::function<bool(std::string_view tenant)> serves_tenant;
};

class CapabilityManager {
 public:
  using CapabilityPtr = std::shared_ptr<const Capability>;

  explicit CapabilityManager(std::shared_ptr<EventStore> events, CapabilityOptions options = {});

  // Loads every live token (not revoked, not expired) into memory, replacing
  // what was there. Returns how many were restored.
  asio::awaitable<int> restore();

  // Mints a token. granter == nullptr: the system itself (bootstrap, CLI on
  // the host) — no attenuation rules, request.tenant_id required. An admin
  // granter may mint anything for any tenant.
  asio::awaitable<AuthResult<GrantResult>> grant(GrantRequest request, CapabilityPtr granter);
  // The checks grant() makes before it writes anything (shape, attenuation,
  // the granter still live), on their own: a caller that reserves a quota
  // first runs these, so that a refused grant is answered as refused (403,
  // 400) and never tells a caller about a tenant's quota it may not use.
  AuthResult<void> validate_grant(const GrantRequest& request, const CapabilityPtr& granter) const;

  // The token's capability, or unauthorized (no, unknown, expired or revoked token).
  AuthResult<CapabilityPtr> authenticate(std::string_view token);
  // Whether `capability` holds `permission` on `resource` ("" = no particular
  // resource); forbidden otherwise. Records the denial.
  AuthResult<void> authorize(const Capability& capability, std::string_view permission, std::string_view resource);
  // Records a refusal decided elsewhere (a handler's 403, the Gateway's 403
  // for a foreign X-Tenant-ID) as a capability_denied event: `reason`, the
  // request ("GET /path") and the message the client got.
  // capability == nullptr: an unauthenticated request.
  void record_refusal(const Capability* capability, std::string_view reason, std::string_view request_line,
                      std::string_view message);
  // authenticate + authorize.
  AuthResult<CapabilityPtr> verify(std::string_view token, std::string_view permission, std::string_view resource);

  // Whether `by` may see and revoke `target`: the admin every token; a
  // tenant_admin every token of its tenant; any other token itself, the
  // tokens it granted and their descendants (parent_id chains).
  bool manages(const Capability& by, const Capability& target) const;

  // Revokes `token_id` and every token attenuated from it (transitively);
  // returns how many tokens were newly revoked (0 if it already was).
  // not_found: no such token, or one `by` does not manage (the same answer,
  // so that token ids cannot be probed). by == nullptr: the system.
  asio::awaitable<AuthResult<int>> revoke(std::string token_id, CapabilityPtr by);

  // The tokens in memory for `tenant` ("" = every tenant) that `by` manages
  // (nullptr = all), by creation time; revoked ones appear (revoked = true)
  // until purged. No secrets in them.
  std::vector<Capability> list(std::string_view tenant, const Capability* by = nullptr) const;
  // The capability of a token id, if in memory.
  CapabilityPtr find(std::string_view token_id) const;

  // Drops expired and revoked tokens from memory and deletes their rows (one
  // capabilities_purged event; the log keeps their history). Returns how
  // many. Call it periodically. Until then a revoked token is refused as
  // "token revoked" and listed with revoked = true; after it, as unknown.
  asio::awaitable<int> purge();

  // The admin bootstrap token in `file` (0600): reused while it still
  // resolves to a live admin capability; otherwise (first start, or the
  // database was replaced) a new one is minted and the file (re)written.
  // adopt = true (a cluster node's shards share one admin token): a token in
  // the file that this store does not know is registered as the admin token
  // here, and the file is left as it is.
  asio::awaitable<std::string> ensure_admin_token(std::filesystem::path file, bool adopt = false);

  size_t size() const { return by_hash_.size(); }
  uint64_t denied_total() const { return denied_total_; }
  uint64_t denied_suppressed_total() const { return limiter_.suppressed_total(); }

 private:
  enum class Lookup { ok, unknown, expired, revoked };
  Lookup lookup(const std::string& token_hash, CapabilityPtr* out) const;
  std::optional<SystemTimePoint> expiry_of(const GrantRequest& request, SystemTimePoint created) const;
  std::optional<Error> check_live_granter(const CapabilityPtr& granter) const;
  std::optional<Error> check_grant(const GrantRequest& request, const Capability* granter,
                                       const std::optional<SystemTimePoint>& expires_at) const;
  // grant() with the token's text given (ensure_admin_token's adoption) or, when empty, a fresh random one.
  asio::awaitable<AuthResult<GrantResult>> grant_token(GrantRequest request, CapabilityPtr granter, std::string token);
  void add(std::string token_hash, CapabilityPtr capability);
  void record_denied(const Capability* capability, std::string_view token_hash, std::string_view reason,
                     std::string_view permission, std::string_view resource, std::string_view request_line = {},
                     std::string_view message = {});
  SystemTimePoint now() const { return options_.now(); }

  std::shared_ptr<EventStore> events_;
  CapabilityOptions options_;
  // All engine-thread only.
  std::unordered_map<std::string, CapabilityPtr> by_hash_;             // SHA-256 hex -> capability
  std::unordered_map<std::string, std::string> hash_by_id_;            // token_id -> SHA-256 hex
  std::unordered_map<std::string, std::vector<std::string>> children_;  // parent token_id -> child ids
  KeyedDenialLimiter limiter_;  // per tenant
  uint64_t denied_total_ = 0;
};

}  // namespace solo
