// Quota checks at the point of use (engine/tenancy/tenant_quotas.hpp): each
// handler calls one of these on the engine thread before its first
// suspension and keeps the returned reservations until it answers, so that
// the resource it creates is counted by its owner before they are released.
// Over quota: QuotaExceeded, answered by the Gateway as 429 quota_exceeded.
//
// The tenant's use of each quota is counted here from the owners of the
// resources (Deployer, CapabilityManager, Vault, ServiceRegistry,
// TenantQuotas for the event log). No checks when the context has no
// TenantQuotas (handlers built without a kernel).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "engine/services/service_spec.hpp"
#include "engine/tenancy/tenant_quotas.hpp"
#include "net/http_message.hpp"

namespace solo::net {

struct ApiContext;

// The tenant's current use of `quota_name` (per-service maxima: the highest
// value among its services).
uint64_t quota_usage(const ApiContext& context, const std::string& tenant, const std::string& quota_name);
// {"<quota>": {"limit": N, "used": N}, ...} for GET /tenants/{id}.
boost::json::object quota_usage_json(const ApiContext& context, const std::string& tenant);

// A deploy: per-service maxima, code_bytes and the event-log rate for a
// non-admin caller; services and memory_bytes_total for every caller.
std::vector<QuotaReservation> reserve_deploy(const ApiContext& context, const Request& request,
                                             const ServiceSpec& spec);
// A swap: code_bytes and the event-log rate (non-admin caller).
void check_swap(const ApiContext& context, const Request& request, const std::string& tenant, size_t code_bytes);
// A new token for `tenant` (every caller: a token count is the tenant's).
QuotaReservation reserve_token(const ApiContext& context, const Request& request, const std::string& tenant);
// A secret: a new name takes one of the `secrets` quota; overwriting does not.
QuotaReservation reserve_secret(const ApiContext& context, const Request& request, const std::string& tenant,
                                const std::string& name);
// A registration: a new one takes one of `registrations`; a renewal does not.
QuotaReservation reserve_registration(const ApiContext& context, const Request& request, const std::string& tenant,
                                      const std::string& service_id, const std::string& name,
                                      const std::string& version);

}  // namespace solo::net
