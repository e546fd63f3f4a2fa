#include "net/api/request_tenant.hpp"

#include "net/api/request_args.hpp"

namespace solo::net {

std::string request_tenant(const Request& request) {
  if (!request.tenant.empty()) return request.tenant;
  auto header = request.header("x-tenant-id");
  if (!header) return "default";
  std::string tenant(*header);
  require_identifier(tenant, "X-Tenant-ID");
  return tenant;
}

}  // namespace solo::net
