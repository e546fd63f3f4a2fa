// QuotaExceeded: a request would take a tenant past one of its quotas
// (engine/tenancy/tenant_quota.hpp). Thrown at the point of use, before
// anything is written, and answered by the Gateway as
//   429 {"error": "quota_exceeded", "message", "quota", "limit", "used", "timestamp"}
// `used` is the tenant's current use (for a per-service maximum: the value
// the request asked for).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace solo {

class QuotaExceeded : public std::runtime_error {
 public:
  QuotaExceeded(std::string quota, uint64_t limit, uint64_t used, const std::string& message)
      : std::runtime_error(message), quota_(std::move(quota)), limit_(limit), used_(used) {}
  const std::string& quota() const { return quota_; }
  uint64_t limit() const { return limit_; }
  uint64_t used() const { return used_; }

 private:
  std::string quota_;
  uint64_t limit_;
  uint64_t used_;
};

}  // namespace solo
