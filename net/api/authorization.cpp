#include "net/api/authorization.hpp"

#include "engine/security/capability.hpp"

namespace solo::net {

bool allowed(const Request& request, std::string_view permission, std::string_view resource) {
  if (!request.caller) return true;  // authentication off (embedded use without a gateway token)
  const auto& caller = *request.caller;
  if (caller.is_admin()) return true;
  return caller.has_permission(permission) && (resource.empty() || scope_covers(caller.resource, resource));
}

void require(const Request& request, std::string_view permission, std::string_view resource) {
  if (allowed(request, permission, resource)) return;
  std::string message = "this token lacks the '" + std::string(permission) + "' permission";
  if (!resource.empty() && request.caller && request.caller->has_permission(permission)) {
    message = "this token's scope does not cover " + std::string(resource);
  }
  throw Forbidden(message);
}

bool is_admin(const Request& request) { return !request.caller || request.caller->is_admin(); }

}  // namespace solo::net
