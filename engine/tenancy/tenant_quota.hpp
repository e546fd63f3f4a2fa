// TenantQuota: the limits one tenant lives under, by name.
//
//   services                  services deployed at once
//   memory_bytes_total        sum of the deployed services' limits.memory_bytes
//   memory_bytes, cpu_ms_per_message, instructions_per_message, mailbox,
//   call_timeout_ms, payload_bytes, string_bytes
//                             per-service maxima: the highest value a
//                             non-admin deploy may ask in its "limits"
//   code_bytes                bytes of code per deploy or swap (non-admin)
//   tokens                    live (unrevoked, unexpired) tokens
//   secrets                   stored secrets
//   registrations             discovery registrations
//   event_log_bytes_per_hour  bytes of event payload written for the tenant
//                             in the last hour
//   storage_bytes, storage_keys  per-service maxima of limits.storage_*
//   storage_bytes_total, storage_keys_total
//                             solo.storage of all the tenant's services
//                             (engine/storage/storage_directory.hpp)
//
// Defaults (quota_defaults()) hold for every tenant; the per-service maxima
// default to the default service limits (LuaLimits{}), so a tenant that was
// never given a quota may ask no more than the defaults, as before quotas.
// Value type; no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "engine/services/service_spec.hpp"

namespace solo {

// A quota object that does not validate (400); the message says which field and why.
class QuotaError : public Error {
 public:
  explicit QuotaError(const std::string& message) : Error(ErrorKind::invalid, message) {}
};

struct QuotaField {
  std::string name;
  uint64_t default_value = 0;
  uint64_t minimum = 0;
  uint64_t maximum = 0;
  bool per_service = false;  // a maximum for one service's limit, not a tenant total
};

// Every quota, in documentation order, with its default and its valid range
// (per-service maxima are bounded by the server's ceilings).
std::vector<QuotaField> quota_fields(const ServiceLimitsMax& ceilings);

class TenantQuota {
 public:
  // Every field at its default.
  static TenantQuota defaults(const ServiceLimitsMax& ceilings);

  uint64_t get(std::string_view name) const;
  // Applies a partial quota object ({"services": 5, ...}); throws QuotaError
  // on an unknown field or a value that is not an integer in range; then
  // nothing was applied.
  void merge(const boost::json::object& partial, const ServiceLimitsMax& ceilings);
  // Every field: {"services": 100, ...}.
  boost::json::object to_json() const;

 private:
  std::map<std::string, uint64_t, std::less<>> values_;
};

// Throws QuotaExceeded naming the first per-service maximum (or code_bytes)
// that `spec` asks above `quota`. The generalisation of "a non-admin deploy
// may not raise its limits": the maxima default to the default limits.
void check_service_maxima(const ServiceSpec& spec, const TenantQuota& quota);
// Throws QuotaExceeded when `code` is larger than the code_bytes quota.
void check_code_bytes(const std::string& tenant, size_t code_bytes, const TenantQuota& quota);

}  // namespace solo
