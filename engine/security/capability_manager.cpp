#include "engine/security/capability_manager.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>
#include <tuple>
#include <unordered_set>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "base/hex.hpp"
#include "engine/security/crypto.hpp"
#include "engine/security/private_file.hpp"

namespace solo {
namespace {

constexpr size_t kTokenBytes = 32;
constexpr size_t kHashPrefixInEvents = 8;
constexpr size_t kDetailInEvents = 256;  // bounds what a request can put in an audit event

int64_t to_unix_ms(SystemTimePoint t) { return t.time_since_epoch().count(); }
SystemTimePoint from_unix_ms(int64_t ms) { return SystemTimePoint(std::chrono::milliseconds(ms)); }

boost::json::value json_time(const std::optional<SystemTimePoint>& t) {
  if (!t) return nullptr;
  return to_unix_ms(*t);
}

boost::json::array json_permissions(const std::set<std::string, std::less<>>& permissions) {
  boost::json::array array;
  for (const auto& p : permissions) array.emplace_back(p);
  return array;
}

std::string new_token_id() { return "tok_" + to_hex(crypto::random_bytes(8)); }

std::string trim(std::string s) {
  auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

}  // namespace

CapabilityManager::CapabilityManager(std::shared_ptr<EventStore> events, CapabilityOptions options)
    : events_(std::move(events)),
      options_(std::move(options)),
      limiter_(options_.denied_events_per_second, options_.denied_events_burst) {}

void CapabilityManager::add(std::string token_hash, CapabilityPtr capability) {
  hash_by_id_[capability->token_id] = token_hash;
  if (capability->parent_id) children_[*capability->parent_id].push_back(capability->token_id);
  by_hash_[std::move(token_hash)] = std::move(capability);
}

asio::awaitable<int> CapabilityManager::restore() {
  int64_t now_ms = to_unix_ms(now());
  std::function<std::vector<TokenRow>(Database&)> load = [now_ms](Database& db) {
    return TokenStore::load_live(db, now_ms);
  };
  std::vector<TokenRow> rows = co_await events_->read<std::vector<TokenRow>>(std::move(load));
  by_hash_.clear();
  hash_by_id_.clear();
  children_.clear();
  for (auto& row : rows) {
    auto capability = std::make_shared<Capability>();
    capability->token_id = std::move(row.token_id);
    capability->tenant_id = std::move(row.tenant_id);
    capability->permissions.insert(row.permissions.begin(), row.permissions.end());
    capability->resource = std::move(row.resource);
    if (row.expires_at_ms) capability->expires_at = from_unix_ms(*row.expires_at_ms);
    capability->parent_id = std::move(row.parent_id);
    capability->created_at = from_unix_ms(row.created_at_ms);
    add(std::move(row.token_hash), std::move(capability));
  }
  co_return static_cast<int>(rows.size());
}

std::optional<Error> CapabilityManager::check_grant(const GrantRequest& request, const Capability* granter,
                                                        const std::optional<SystemTimePoint>& expires_at) const {
  auto invalid = [](std::string message) { return Error(ErrorKind::invalid, std::move(message)); };
  auto forbidden = [](std::string message) { return Error(ErrorKind::forbidden, std::move(message)); };
  if (request.permissions.empty()) return invalid("permissions must name at least one permission");
  for (const auto& p : request.permissions) {
    if (!is_known_permission(p)) return invalid("unknown permission '" + p + "'");
  }
  if (!is_valid_scope(request.resource)) {
    return invalid("resource must be '*', 'services/<id>' or 'secrets/<name>' (a trailing * matches a prefix), not '" +
                   request.resource + "'");
  }
  if (request.ttl && request.ttl->count() <= 0) return invalid("ttl_seconds must be positive");
  // Bounded so that now + ttl cannot overflow the clock (found by fuzz_token).
  if (request.ttl && *request.ttl > kMaxTokenTtl) {
    return invalid("ttl_seconds must be at most " + std::to_string(kMaxTokenTtl.count()) + " (100 years)");
  }
  const std::string& tenant = request.tenant_id.empty() && granter ? granter->tenant_id : request.tenant_id;
  if (tenant != kAdminTenant && !is_valid_identifier(tenant)) {
    return invalid("tenant_id must be 1 to 128 characters of A-Z a-z 0-9 _ - . not starting with '.'");
  }
  if (tenant != kAdminTenant && options_.serves_tenant && !options_.serves_tenant(tenant)) {
    return invalid("tenant '" + tenant + "' is kept by another shard of this cluster: send the request with X-Tenant-ID: " +
                   tenant + " (docs/cluster.md)");
  }
  // The shapes a permission may take, whoever grants it (capability.hpp).
  auto has = [&](std::string_view p) {
    return std::find(request.permissions.begin(), request.permissions.end(), p) != request.permissions.end();
  };
  if (has(kAdminPermission) && (tenant != kAdminTenant || request.resource != "*")) {
    return invalid("'admin' may only be granted with tenant_id '*' and resource '*' (for a tenant's administrator, "
                   "grant 'tenant_admin')");
  }
  if (has(kTenantAdminPermission) && (tenant == kAdminTenant || request.resource != "*")) {
    return invalid("'tenant_admin' may only be granted for a tenant (not '*') with resource '*'");
  }
  if (tenant == kAdminTenant) {
    for (const auto& p : request.permissions) {
      if (p != kAdminPermission && p != kMetricsPermission) {
        return invalid("a token of the system tenant '*' may hold only 'admin' or 'metrics', not '" + p + "'");
      }
    }
  }
  if (granter == nullptr || granter->is_admin()) return std::nullopt;
  if (!granter->has_permission(kGrantPermission)) return forbidden("the token lacks the 'grant' permission");
  if (!request.tenant_id.empty() && request.tenant_id != granter->tenant_id) {
    return forbidden("a token may grant only for its own tenant");
  }
  for (const auto& p : request.permissions) {
    if (!granter->has_permission(p)) return forbidden("cannot grant '" + p + "': the granting token does not hold it");
  }
  if (!scope_within(request.resource, granter->resource)) {
    return forbidden("resource '" + request.resource + "' is wider than the granting token's '" +
                     granter->resource + "'");
  }
  if (granter->expires_at && (!expires_at || *expires_at > *granter->expires_at)) {
    return forbidden("the new token cannot expire later than the granting token");
  }
  return std::nullopt;
}

std::optional<SystemTimePoint> CapabilityManager::expiry_of(const GrantRequest& request,
                                                            SystemTimePoint created) const {
  // A ttl past kMaxTokenTtl would overflow here; check_grant refuses it.
  if (!request.ttl || *request.ttl > kMaxTokenTtl) return std::nullopt;
  return created + std::chrono::duration_cast<std::chrono::milliseconds>(*request.ttl);
}

std::optional<Error> CapabilityManager::check_live_granter(const CapabilityPtr& granter) const {
  if (!granter) return std::nullopt;
  // The granter was verified by the caller, but it may have been revoked or
  // expired since (e.g. while this request waited).
  auto live = hash_by_id_.find(granter->token_id);
  CapabilityPtr current;
  if (live == hash_by_id_.end() || lookup(live->second, &current) != Lookup::ok) {
    return Error(ErrorKind::unauthorized, "the granting token is no longer valid");
  }
  return std::nullopt;
}

AuthResult<void> CapabilityManager::validate_grant(const GrantRequest& request, const CapabilityPtr& granter) const {
  if (auto error = check_live_granter(granter)) return *error;
  if (auto error = check_grant(request, granter.get(), expiry_of(request, now()))) return *error;
  return {};
}

asio::awaitable<AuthResult<GrantResult>> CapabilityManager::grant(GrantRequest request, CapabilityPtr granter) {
  co_return co_await grant_token(std::move(request), std::move(granter), std::string());
}

asio::awaitable<AuthResult<GrantResult>> CapabilityManager::grant_token(GrantRequest request, CapabilityPtr granter,
                                                                        std::string token) {
  SystemTimePoint created = now();
  std::optional<SystemTimePoint> expires_at = expiry_of(request, created);
  if (auto error = check_live_granter(granter)) co_return *error;
  if (auto error = check_grant(request, granter.get(), expires_at)) co_return *error;

  auto capability = std::make_shared<Capability>();
  capability->token_id = new_token_id();
  capability->tenant_id = request.tenant_id.empty() ? granter->tenant_id : request.tenant_id;
  capability->permissions.insert(request.permissions.begin(), request.permissions.end());
  capability->resource = request.resource;
  capability->expires_at = expires_at;
  if (granter && !granter->is_admin()) capability->parent_id = granter->token_id;
  capability->created_at = created;

  if (token.empty()) token = options_.token_prefix + crypto::base64url(crypto::random_bytes(kTokenBytes));
  std::string token_hash = crypto::sha256_hex(token);

  TokenRow row;
  row.token_id = capability->token_id;
  row.token_hash = token_hash;
  row.tenant_id = capability->tenant_id;
  row.permissions.assign(capability->permissions.begin(), capability->permissions.end());
  row.resource = capability->resource;
  if (expires_at) row.expires_at_ms = to_unix_ms(*expires_at);
  row.parent_id = capability->parent_id;
  row.created_at_ms = to_unix_ms(created);

  NewEvent event;
  event.event_type = "capability_granted";
  event.tenant_id = capability->tenant_id;
  event.subject = capability->token_id;
  boost::json::object payload;
  payload["token_id"] = capability->token_id;
  payload["tenant_id"] = capability->tenant_id;
  payload["permissions"] = json_permissions(capability->permissions);
  payload["resource"] = capability->resource;
  payload["expires_at"] = json_time(expires_at);
  payload["parent_id"] = capability->parent_id ? boost::json::value(*capability->parent_id) : nullptr;
  payload["granted_by"] = granter ? boost::json::value(granter->token_id) : boost::json::value("system");
  event.payload = std::move(payload);
  ProjectionFn projection = TokenStore::insert(std::move(row));
  co_await events_->append_durable(std::move(event), std::move(projection));

  GrantResult result;
  result.token = std::move(token);
  result.token_id = capability->token_id;
  result.tenant_id = capability->tenant_id;
  result.expires_at = expires_at;
  add(std::move(token_hash), std::move(capability));
  co_return result;
}

CapabilityManager::Lookup CapabilityManager::lookup(const std::string& token_hash, CapabilityPtr* out) const {
  auto it = by_hash_.find(token_hash);
  if (it == by_hash_.end()) return Lookup::unknown;
  *out = it->second;
  if (it->second->revoked) return Lookup::revoked;
  if (it->second->expired_at(now())) return Lookup::expired;
  return Lookup::ok;
}

AuthResult<CapabilityManager::CapabilityPtr> CapabilityManager::authenticate(std::string_view token) {
  if (token.empty()) {
    record_denied(nullptr, "", "missing_token", "", "");
    return Error(ErrorKind::unauthorized, "a bearer token is required");
  }
  std::string hash = crypto::sha256_hex(token);
  CapabilityPtr capability;
  switch (lookup(hash, &capability)) {
    case Lookup::ok:
      return capability;
    case Lookup::unknown:
      record_denied(nullptr, hash, "unknown_token", "", "");
      return Error(ErrorKind::unauthorized, "unknown token");
    case Lookup::expired:
      record_denied(capability.get(), hash, "expired", "", "");
      return Error(ErrorKind::unauthorized, "token expired");
    case Lookup::revoked:
      record_denied(capability.get(), hash, "revoked", "", "");
      return Error(ErrorKind::unauthorized, "token revoked");
  }
  return Error(ErrorKind::unauthorized, "unknown token");
}

AuthResult<void> CapabilityManager::authorize(const Capability& capability, std::string_view permission,
                                              std::string_view resource) {
  if (!permission.empty() && !capability.has_permission(permission)) {
    record_denied(&capability, "", "missing_permission", permission, resource);
    return Error(ErrorKind::forbidden, "the token lacks the '" + std::string(permission) + "' permission");
  }
  if (!capability.is_admin() && !scope_covers(capability.resource, resource)) {
    record_denied(&capability, "", "out_of_scope", permission, resource);
    return Error(ErrorKind::forbidden, "the token's scope '" + capability.resource + "' does not cover '" +
                                                  std::string(resource) + "'");
  }
  return {};
}

AuthResult<CapabilityManager::CapabilityPtr> CapabilityManager::verify(std::string_view token,
                                                                       std::string_view permission,
                                                                       std::string_view resource) {
  auto capability = authenticate(token);
  if (!capability) return capability;
  if (auto allowed = authorize(**capability, permission, resource); !allowed) return allowed.error();
  return capability;
}

void CapabilityManager::record_denied(const Capability* capability, std::string_view token_hash,
                                      std::string_view reason, std::string_view permission,
                                      std::string_view resource, std::string_view request_line,
                                      std::string_view message) {
  ++denied_total_;
  // Per tenant; every unauthenticated request shares one bucket ("" is no tenant id).
  auto suppressed = limiter_.admit(capability ? std::string_view(capability->tenant_id) : std::string_view(),
                                   options_.steady_now());
  if (!suppressed) return;
  NewEvent event;
  event.event_type = "capability_denied";
  boost::json::object payload;
  payload["reason"] = reason;
  if (capability) {
    event.tenant_id = capability->tenant_id;
    event.subject = capability->token_id;
    payload["token_id"] = capability->token_id;
  } else if (!token_hash.empty()) {
    payload["token_sha256_prefix"] = token_hash.substr(0, kHashPrefixInEvents);
  }
  if (!permission.empty()) payload["permission"] = permission;
  if (!resource.empty()) payload["resource"] = resource;
  if (!request_line.empty()) payload["request"] = request_line.substr(0, kDetailInEvents);
  if (!message.empty()) payload["message"] = message.substr(0, kDetailInEvents);
  payload["suppressed"] = *suppressed;
  event.payload = std::move(payload);
  events_->append(std::move(event));
}

void CapabilityManager::record_refusal(const Capability* capability, std::string_view reason,
                                       std::string_view request_line, std::string_view message) {
  record_denied(capability, "", reason, "", "", request_line, message);
}

bool CapabilityManager::manages(const Capability& by, const Capability& target) const {
  if (by.is_admin() || target.token_id == by.token_id) return true;
  if (by.is_system() || target.tenant_id != by.tenant_id) return false;
  if (by.is_tenant_admin()) return true;
  // Itself, or a token whose chain of parents reaches it. A chain is at most
  // as long as the number of tokens (a parent is always older).
  const Capability* at = &target;
  for (size_t steps = 0; steps <= by_hash_.size(); ++steps) {
    if (at->token_id == by.token_id) return true;
    if (!at->parent_id) return false;
    auto parent = find(*at->parent_id);
    if (!parent) return false;
    at = parent.get();
  }
  return false;
}

asio::awaitable<AuthResult<int>> CapabilityManager::revoke(std::string token_id, CapabilityPtr by) {
  auto it = hash_by_id_.find(token_id);
  CapabilityPtr target = it == hash_by_id_.end() ? nullptr : by_hash_.at(it->second);
  // A token outside the caller's reach answers like one that does not exist,
  // so that ids cannot be probed.
  if (!target || (by && !manages(*by, *target))) {
    co_return Error(ErrorKind::not_found, "no token '" + token_id + "'");
  }

  // The token and its descendants, breadth first; ones already revoked are
  // skipped (their own descendants were revoked with them).
  std::vector<std::string> revoked_ids;
  std::vector<std::string> frontier{token_id};
  while (!frontier.empty()) {
    std::vector<std::string> next;
    for (const auto& id : frontier) {
      auto hash = hash_by_id_.find(id);
      if (hash == hash_by_id_.end()) continue;
      auto& slot = by_hash_.at(hash->second);
      if (slot->revoked) continue;
      auto copy = std::make_shared<Capability>(*slot);
      copy->revoked = true;
      slot = std::move(copy);  // refused from now on, before the commit (fail closed)
      revoked_ids.push_back(id);
      if (auto kids = children_.find(id); kids != children_.end()) {
        next.insert(next.end(), kids->second.begin(), kids->second.end());
      }
    }
    frontier = std::move(next);
  }
  if (revoked_ids.empty()) co_return 0;

  std::vector<NewEvent> events;
  for (const auto& id : revoked_ids) {
    const auto& capability = by_hash_.at(hash_by_id_.at(id));
    NewEvent event;
    event.event_type = "capability_revoked";
    event.tenant_id = capability->tenant_id;
    event.subject = id;
    boost::json::object payload;
    payload["token_id"] = id;
    payload["revoked_by"] = by ? boost::json::value(by->token_id) : boost::json::value("system");
    if (id != token_id) payload["cascade_from"] = token_id;
    event.payload = std::move(payload);
    events.push_back(std::move(event));
  }
  int count = static_cast<int>(revoked_ids.size());
  ProjectionFn projection = TokenStore::mark_revoked(std::move(revoked_ids));
  co_await events_->append_all_durable(std::move(events), std::move(projection));
  co_return count;
}

std::vector<Capability> CapabilityManager::list(std::string_view tenant, const Capability* by) const {
  std::vector<Capability> out;
  for (const auto& [hash, capability] : by_hash_) {
    if (!tenant.empty() && capability->tenant_id != tenant) continue;
    if (by && !manages(*by, *capability)) continue;
    out.push_back(*capability);
  }
  std::sort(out.begin(), out.end(), [](const Capability& a, const Capability& b) {
    return std::tie(a.created_at, a.token_id) < std::tie(b.created_at, b.token_id);
  });
  return out;
}

CapabilityManager::CapabilityPtr CapabilityManager::find(std::string_view token_id) const {
  auto it = hash_by_id_.find(std::string(token_id));
  return it == hash_by_id_.end() ? nullptr : by_hash_.at(it->second);
}

asio::awaitable<int> CapabilityManager::purge() {
  SystemTimePoint at = now();
  std::vector<std::string> expired;  // or revoked: restore would skip both anyway
  for (const auto& [hash, capability] : by_hash_) {
    if (capability->expired_at(at) || capability->revoked) expired.push_back(capability->token_id);
  }
  if (expired.empty()) co_return 0;
  std::sort(expired.begin(), expired.end());
  // The parents' child lists are filtered once each, after the loop: erasing
  // ids one by one was quadratic in a parent's children (found by fuzz_token:
  // ~50,000 revoked children of one token held the engine thread for 27 s).
  const std::unordered_set<std::string> gone(expired.begin(), expired.end());
  std::unordered_set<std::string> parents;
  for (const auto& id : expired) {
    auto hash = hash_by_id_.find(id);
    auto capability = by_hash_.at(hash->second);
    by_hash_.erase(hash->second);
    hash_by_id_.erase(hash);
    children_.erase(id);
    if (capability->parent_id) parents.insert(*capability->parent_id);
  }
  for (const auto& parent : parents) {
    if (auto siblings = children_.find(parent); siblings != children_.end()) {
      std::erase_if(siblings->second, [&gone](const std::string& id) { return gone.contains(id); });
      if (siblings->second.empty()) children_.erase(siblings);
    }
  }
  int count = static_cast<int>(expired.size());
  NewEvent event;
  event.event_type = "capabilities_purged";
  boost::json::object payload;
  payload["count"] = count;
  boost::json::array ids;
  for (const auto& id : expired) ids.emplace_back(id);
  payload["token_ids"] = std::move(ids);
  event.payload = std::move(payload);
  ProjectionFn projection = TokenStore::erase(std::move(expired));
  co_await events_->append_durable(std::move(event), std::move(projection));
  co_return count;
}

asio::awaitable<std::string> CapabilityManager::ensure_admin_token(std::filesystem::path file, bool adopt) {
  bool exists = std::filesystem::exists(file);
  std::string adopted;
  if (exists) {
    std::ifstream in(file);
    std::stringstream content;
    content << in.rdbuf();
    std::string token = trim(content.str());
    CapabilityPtr capability;
    const auto found = token.empty() ? Lookup::unknown : lookup(crypto::sha256_hex(token), &capability);
    if (found == Lookup::ok && capability->is_admin()) {
      std::filesystem::permissions(file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                                   std::filesystem::perm_options::replace);
      co_return token;
    }
    // Only a token this store has never seen: a revoked one stays revoked.
    if (adopt && found == Lookup::unknown && !token.empty()) adopted = token;
  }
  GrantRequest request;
  request.tenant_id = std::string(kAdminTenant);
  request.permissions = {std::string(kAdminPermission)};
  request.resource = "*";
  CapabilityPtr system;  // a named local: no class temporaries inside co_await (GCC 12)
  auto granted = co_await grant_token(std::move(request), system, adopted);
  std::string token = granted.value().token;
  if (!adopted.empty()) co_return token;
  std::string content = token + "\n";
  write_private_file(file, content);
  co_return token;
}

}  // namespace solo
