#include "engine/tenancy/tenant_quota.hpp"

#include <algorithm>

#include <boost/json.hpp>

#include "engine/tenancy/quota_exceeded.hpp"

namespace solo {

namespace {

constexpr uint64_t kMaxTotal = uint64_t{1} << 50;  // far above any machine; keeps JSON integers exact
constexpr uint64_t kDefaultServices = 100;

}  // namespace

std::vector<QuotaField> quota_fields(const ServiceLimitsMax& ceilings) {
  const LuaLimits standard;
  return {
      {"services", kDefaultServices, 0, 1'000'000, false},
      // Room for the default number of services at the default memory limit.
      {"memory_bytes_total", kDefaultServices * standard.memory_bytes, 0, kMaxTotal, false},
      {"memory_bytes", standard.memory_bytes, 1, ceilings.memory_bytes, true},
      {"cpu_ms_per_message", static_cast<uint64_t>(standard.cpu_time_per_message.count()), 1,
       static_cast<uint64_t>(ceilings.cpu_time_per_message.count()), true},
      {"instructions_per_message", standard.instructions_per_message, 1, ceilings.instructions_per_message, true},
      {"mailbox", standard.mailbox, 1, ceilings.mailbox, true},
      {"call_timeout_ms", static_cast<uint64_t>(standard.call_timeout.count()), 1,
       static_cast<uint64_t>(ceilings.call_timeout.count()), true},
      {"payload_bytes", standard.payload_bytes, 1, ceilings.payload_bytes, true},
      {"string_bytes", standard.string_bytes, 1, ceilings.string_bytes, true},
      {"storage_bytes", standard.storage_bytes, 1, ceilings.storage_bytes, true},
      {"storage_keys", standard.storage_keys, 1, ceilings.storage_keys, true},
      {"code_bytes", ceilings.code_bytes, 1, ceilings.code_bytes, false},
      {"tokens", 1000, 0, 1'000'000, false},
      {"secrets", 1000, 0, 1'000'000, false},
      {"registrations", 10'000, 0, 1'000'000, false},
      {"event_log_bytes_per_hour", uint64_t{64} << 20, 0, kMaxTotal, false},
      // solo.storage of all the tenant's services (and of killed ones that kept their data).
      {"storage_bytes_total", uint64_t{64} << 20, 0, kMaxTotal, false},
      {"storage_keys_total", 100'000, 0, 1'000'000'000, false},
  };
}

TenantQuota TenantQuota::defaults(const ServiceLimitsMax& ceilings) {
  TenantQuota quota;
  for (const auto& field : quota_fields(ceilings)) quota.values_[field.name] = field.default_value;
  return quota;
}

uint64_t TenantQuota::get(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw std::logic_error("no quota named " + std::string(name));
  return it->second;
}

void TenantQuota::merge(const boost::json::object& partial, const ServiceLimitsMax& ceilings) {
  auto fields = quota_fields(ceilings);
  std::map<std::string, uint64_t, std::less<>> next = values_;
  for (const auto& [key, value] : partial) {
    const std::string_view name = key;  // a structured binding cannot be captured (clang 14)
    auto field = std::find_if(fields.begin(), fields.end(), [&](const QuotaField& f) { return f.name == name; });
    if (field == fields.end()) {
      std::string known;
      for (const auto& f : fields) known += (known.empty() ? "" : ", ") + f.name;
      throw QuotaError("unknown quota '" + std::string(key) + "' (known: " + known + ")");
    }
    bool integer = value.is_int64() || value.is_uint64();
    bool in_range = integer && !(value.is_int64() && value.as_int64() < 0);
    uint64_t n = !in_range ? 0 : value.is_int64() ? static_cast<uint64_t>(value.as_int64()) : value.as_uint64();
    if (!in_range || n < field->minimum || n > field->maximum) {
      throw QuotaError("quota '" + field->name + "' must be an integer from " + std::to_string(field->minimum) +
                       " to " + std::to_string(field->maximum));
    }
    next[field->name] = n;
  }
  values_ = std::move(next);
}

boost::json::object TenantQuota::to_json() const {
  boost::json::object out;
  // In documentation order (the names do not depend on the ceilings).
  for (const auto& field : quota_fields(ServiceLimitsMax{})) out[field.name] = get(field.name);
  return out;
}

void check_service_maxima(const ServiceSpec& spec, const TenantQuota& quota) {
  check_code_bytes(spec.tenant_id, spec.code.size(), quota);
  // The "limits" object of the full spec: every limit field, by its quota name.
  const auto limits = solo::to_json(spec).at("limits").as_object();
  for (const auto& [key, value] : limits) {
    boost::system::error_code ec;
    uint64_t asked = value.to_number<uint64_t>(ec);
    if (ec) continue;
    uint64_t limit = quota.get(key);
    if (asked <= limit) continue;
    throw QuotaExceeded(std::string(key), limit, asked,
                        "quota '" + std::string(key) + "' of tenant " + spec.tenant_id + " exceeded: limits." +
                            std::string(key) + " " + std::to_string(asked) + " is above the tenant's maximum " +
                            std::to_string(limit) + " per service (the admin raises it with PUT /tenants/" +
                            spec.tenant_id + "/quota)");
  }
}

void check_code_bytes(const std::string& tenant, size_t code_bytes, const TenantQuota& quota) {
  uint64_t limit = quota.get("code_bytes");
  if (code_bytes <= limit) return;
  throw QuotaExceeded("code_bytes", limit, code_bytes,
                      "quota 'code_bytes' of tenant " + tenant + " exceeded: the code is " +
                          std::to_string(code_bytes) + " bytes, above the tenant's limit of " +
                          std::to_string(limit) + " bytes per deploy or swap");
}

}  // namespace solo
