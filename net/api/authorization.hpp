// Authorization inside handlers: each handler states the permission and the
// resource it needs (`require(request, "deploy", "services/counter")`);
// a capability that lacks either gets 403 `forbidden`. The Gateway has
// already authenticated the bearer (401 otherwise) and fixed request.tenant.
//
// Thrown as Forbidden and answered by the Gateway, so handlers stay linear.
#pragma once

#include <stdexcept>
#include <string_view>

#include "base/error.hpp"
#include "net/http_message.hpp"

namespace solo::net {

// A refusal: an Error of kind forbidden.
class Forbidden : public Error {
 public:
  explicit Forbidden(const std::string& message) : Error(ErrorKind::forbidden, message) {}
};

// resource "" checks only the permission (listing endpoints).
void require(const Request& request, std::string_view permission, std::string_view resource = {});
// True when the caller holds the permission for the resource (no throw).
bool allowed(const Request& request, std::string_view permission, std::string_view resource = {});
bool is_admin(const Request& request);

}  // namespace solo::net
