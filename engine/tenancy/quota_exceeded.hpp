// QuotaExceeded: a request would take a tenant past one of its quotas
// (engine/tenancy/tenant_quota.hpp). Thrown at the point of use, before
// anything is written: an Error of kind quota_exceeded whose details are the
// quota, its limit and the use, so the body reads
//   429 {"error": "quota_exceeded", "message", "quota", "limit", "used", "timestamp"}
// `used` is the tenant's current use (for a per-service maximum: the value
// the request asked for).
#pragma once

#include <cstdint>
#include <string>

#include "base/error.hpp"

namespace solo {

class QuotaExceeded : public Error {
 public:
  QuotaExceeded(const std::string& quota, uint64_t limit, uint64_t used, const std::string& message)
      : Error(ErrorKind::quota_exceeded, message, std::nullopt, fields(quota, limit, used)) {}
  std::string quota() const { return std::string(details().at("quota").as_string()); }
  uint64_t limit() const { return details().at("limit").to_number<uint64_t>(); }
  uint64_t used() const { return details().at("used").to_number<uint64_t>(); }

 private:
  static boost::json::object fields(const std::string& quota, uint64_t limit, uint64_t used) {
    boost::json::object out;
    out["quota"] = quota;
    out["limit"] = limit;
    out["used"] = used;
    return out;
  }
};

}  // namespace solo
