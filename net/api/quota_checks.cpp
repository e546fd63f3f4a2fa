#include "net/api/quota_checks.hpp"

#include <algorithm>

#include <boost/json.hpp>

#include "engine/discovery/service_registry.hpp"
#include "engine/security/capability_manager.hpp"
#include "engine/security/vault.hpp"
#include "engine/services/service_actor.hpp"
#include "engine/services/service_directory.hpp"
#include "engine/storage/storage_directory.hpp"
#include "net/api/api_context.hpp"
#include "net/api/authorization.hpp"

namespace solo::net {

namespace {

uint64_t per_service_value(const ServiceSpec& spec, const std::string& quota_name) {
  if (quota_name == "code_bytes") return spec.code.size();
  boost::system::error_code ec;
  uint64_t value = solo::to_json(spec).at("limits").as_object().at(quota_name).to_number<uint64_t>(ec);
  return ec ? 0 : value;
}

// Event-log writes a tenant starts (not the admin's).
void check_event_log(const ApiContext& context, const Request& request, const std::string& tenant) {
  if (!is_admin(request)) context.quotas->check_event_log(tenant);
}

}  // namespace

uint64_t quota_usage(const ApiContext& context, const std::string& tenant, const std::string& quota_name) {
  if (quota_name == "tokens") {
    if (!context.capabilities) return 0;
    auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
    auto tokens = context.capabilities->list(tenant);
    return std::count_if(tokens.begin(), tokens.end(),
                         [&](const Capability& c) { return !c.revoked && !c.expired_at(now); });
  }
  if (quota_name == "secrets") return context.vault ? context.vault->list(tenant).size() : 0;
  if (quota_name == "registrations") return context.registry ? context.registry->count(tenant) : 0;
  if (quota_name == "event_log_bytes_per_hour") return context.quotas->event_log_bytes(tenant);
  if (quota_name == "storage_bytes_total") return context.storage ? context.storage->tenant_use(tenant).bytes : 0;
  if (quota_name == "storage_keys_total") return context.storage ? context.storage->tenant_use(tenant).keys : 0;
  // services, memory_bytes_total, code_bytes and the per-service maxima: the deployed services'.
  if (!context.services) return 0;
  auto services = context.services->deployed(tenant);
  if (quota_name == "services") return services.size();
  uint64_t total = 0, highest = 0;
  for (const auto& actor : services) {
    total += actor->spec().limits.memory_bytes;
    if (quota_name != "memory_bytes_total") highest = std::max(highest, per_service_value(actor->spec(), quota_name));
  }
  return quota_name == "memory_bytes_total" ? total : highest;
}

boost::json::object quota_usage_json(const ApiContext& context, const std::string& tenant) {
  auto quota = context.quotas->quota(tenant);
  boost::json::object out;
  for (const auto& field : quota_fields(context.quotas->ceilings())) {
    boost::json::object entry;
    entry["limit"] = quota.get(field.name);
    entry["used"] = quota_usage(context, tenant, field.name);
    if (field.per_service || field.name == "code_bytes") entry["per_service"] = true;
    out[field.name] = std::move(entry);
  }
  return out;
}

std::vector<QuotaReservation> reserve_deploy(const ApiContext& context, const Request& request,
                                             const ServiceSpec& spec) {
  std::vector<QuotaReservation> held;
  if (!context.quotas) return held;
  const auto& tenant = spec.tenant_id;
  if (!is_admin(request)) {
    check_service_maxima(spec, context.quotas->quota(tenant));
    check_event_log(context, request, tenant);
  }
  held.push_back(context.quotas->reserve(tenant, "services", quota_usage(context, tenant, "services")));
  held.push_back(context.quotas->reserve(tenant, "memory_bytes_total",
                                         quota_usage(context, tenant, "memory_bytes_total"),
                                         spec.limits.memory_bytes));
  return held;
}

void check_swap(const ApiContext& context, const Request& request, const std::string& tenant, size_t code_bytes) {
  if (!context.quotas || is_admin(request)) return;
  check_code_bytes(tenant, code_bytes, context.quotas->quota(tenant));
  check_event_log(context, request, tenant);
}

QuotaReservation reserve_token(const ApiContext& context, const Request& request, const std::string& tenant) {
  if (!context.quotas) return {};
  check_event_log(context, request, tenant);
  return context.quotas->reserve(tenant, "tokens", quota_usage(context, tenant, "tokens"));
}

QuotaReservation reserve_secret(const ApiContext& context, const Request& request, const std::string& tenant,
                                const std::string& name) {
  if (!context.quotas) return {};
  check_event_log(context, request, tenant);
  if (context.vault && context.vault->exists(tenant, name)) return {};
  return context.quotas->reserve(tenant, "secrets", quota_usage(context, tenant, "secrets"));
}

QuotaReservation reserve_registration(const ApiContext& context, const Request& request, const std::string& tenant,
                                      const std::string& service_id, const std::string& name,
                                      const std::string& version) {
  if (!context.quotas) return {};
  check_event_log(context, request, tenant);
  if (context.registry && context.registry->is_renewal(tenant, service_id, name, version)) return {};
  return context.quotas->reserve(tenant, "registrations", quota_usage(context, tenant, "registrations"));
}

}  // namespace solo::net
