// Capability: what a bearer token allows, and the pure rules over it.
//
// A capability belongs to one tenant and carries a set of permissions, one
// resource scope and an expiry. Scope grammar:
//   "*"                 everything
//   "services/<id>"     one service;  "secrets/<name>" one secret
//   "<prefix>*"         every resource starting with <prefix>, e.g. "services/*",
//                       "services/billing-*"
// Who holds what (docs/http-api.md, Permissions):
//  - `admin` implies every permission, every scope and every tenant, but only
//    on a capability of the system tenant "*" with resource "*" (the only way
//    it can be granted); an `admin` row of another tenant or a narrower scope
//    (e.g. from an older release) is inert: it grants nothing (fail closed).
//  - `tenant_admin` (resource "*" only) implies every permission but `admin`
//    within its own tenant; it never reaches system routes or another tenant.
//  - A token of the system tenant "*" may hold only `admin` or `metrics` (a
//    monitoring token); any other permission on such a row is inert.
//
// The admin bootstrap token (<data>/admin.token) belongs to the reserved tenant
// kAdminTenant = "*", which is not a valid tenant identifier (docs/http-api.md,
// Errors: identifiers), so no real tenant can ever share it. An admin acting for a
// tenant names it with X-Tenant-ID (the HTTP layer's rule).
//
// Expected failures are values: an Error (base/error.hpp) of kind
// unauthorized, forbidden, not_found or invalid inside an AuthResult.
#pragma once

#include "engine/identifier.hpp"

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/result.hpp>

#include "base/error.hpp"

namespace solo {

using SystemTimePoint = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;

inline constexpr std::string_view kAdminTenant = "*";
inline constexpr std::string_view kAdminPermission = "admin";
inline constexpr std::string_view kGrantPermission = "grant";
inline constexpr std::string_view kTenantAdminPermission = "tenant_admin";
inline constexpr std::string_view kMetricsPermission = "metrics";

// Every permission a token may carry (docs/http-api.md, "Permissions: who may do what").
const std::vector<std::string>& known_permissions();
bool is_known_permission(std::string_view permission);

struct Capability {
  std::string token_id;
  std::string tenant_id;
  std::set<std::string, std::less<>> permissions;
  std::string resource = "*";
  std::optional<SystemTimePoint> expires_at;  // nullopt = never
  std::optional<std::string> parent_id;       // the token it was attenuated from
  bool revoked = false;
  SystemTimePoint created_at{};

  // The system administrator: `admin` on tenant "*" and resource "*".
  bool is_admin() const;
  // `tenant_admin` on resource "*" of a real tenant.
  bool is_tenant_admin() const;
  // Whether the capability holds `permission` (directly or implied), by the rules above.
  bool has_permission(std::string_view permission) const;
  // A token of the system tenant "*" (the admin, or a monitoring token).
  bool is_system() const { return tenant_id == kAdminTenant; }
  bool expired_at(SystemTimePoint now) const { return expires_at && now >= *expires_at; }
};

// Whether `scope` covers the concrete `resource` ("" = no particular resource:
// only the permission is checked, e.g. listing).
bool scope_covers(std::string_view scope, std::string_view resource);
// Whether scope `child` is equal to or narrower than `parent` (attenuation).
bool scope_within(std::string_view child, std::string_view parent);
// "*", or "services/" / "secrets/" followed by identifier characters, optionally ending in '*'.
bool is_valid_scope(std::string_view scope);
// Tenant and secret names: is_valid_identifier (engine/identifier.hpp).

// Refusals are the engine's one error type (unauthorized, forbidden,
// not_found, invalid); the message is for the client and never contains a token.
template <class T>
using AuthResult = Result<T>;

}  // namespace solo
