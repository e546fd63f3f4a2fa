#include "engine/security/capability.hpp"

#include <algorithm>

namespace solo {

const std::vector<std::string>& known_permissions() {
  static const std::vector<std::string> kPermissions = {
      "deploy",       "kill",          "swap",     "status", "call",    "logs",         "events", "secrets:write",
      "secrets:read", "storage:read", "storage:write", "registry", "grant", "metrics", "tenant_admin", "admin"};
  return kPermissions;
}

bool Capability::is_admin() const {
  return permissions.contains(kAdminPermission) && tenant_id == kAdminTenant && resource == "*";
}

bool Capability::is_tenant_admin() const {
  return permissions.contains(kTenantAdminPermission) && tenant_id != kAdminTenant && resource == "*";
}

bool Capability::has_permission(std::string_view permission) const {
  if (is_admin()) return true;
  if (permission == kAdminPermission) return false;  // an inert (scoped or tenant) admin row grants nothing
  if (is_system()) return permission == kMetricsPermission && permissions.contains(kMetricsPermission);
  if (is_tenant_admin()) return is_known_permission(permission);  // every permission of its tenant but admin
  if (permission == kTenantAdminPermission) return false;  // a tenant_admin row with a narrower scope is inert
  return permissions.contains(permission);
}

bool is_known_permission(std::string_view permission) {
  const auto& all = known_permissions();
  return std::find(all.begin(), all.end(), permission) != all.end();
}

bool scope_covers(std::string_view scope, std::string_view resource) {
  if (scope == "*" || resource.empty()) return true;
  if (!scope.empty() && scope.back() == '*') return resource.starts_with(scope.substr(0, scope.size() - 1));
  return scope == resource;
}

bool scope_within(std::string_view child, std::string_view parent) {
  if (parent == "*") return true;
  if (!parent.empty() && parent.back() == '*') {
    if (child == "*") return false;
    // Every resource the child covers starts with the child's own prefix
    // (the child without its '*', when it is a prefix), which must itself
    // start with the parent's. Comparing the child with its '*' made
    // "services/a-*" within "services/a-**" (a '*' of the child read as a
    // character of a resource), and so within broke transitivity (found by
    // fuzz_token).
    std::string_view child_prefix = child;
    if (!child_prefix.empty() && child_prefix.back() == '*') child_prefix.remove_suffix(1);
    return child_prefix.starts_with(parent.substr(0, parent.size() - 1));
  }
  return child == parent;
}

namespace {
bool is_identifier_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.';
}
}  // namespace

bool is_valid_scope(std::string_view scope) {
  if (scope == "*") return true;
  if (scope.size() > 256) return false;
  std::string_view rest;
  if (scope.starts_with("services/")) {
    rest = scope.substr(9);
  } else if (scope.starts_with("secrets/")) {
    rest = scope.substr(8);
  } else {
    return false;
  }
  bool prefix = !rest.empty() && rest.back() == '*';
  if (prefix) rest.remove_suffix(1);
  if (rest.empty()) return prefix;
  return std::all_of(rest.begin(), rest.end(), is_identifier_char);
}

}  // namespace solo
