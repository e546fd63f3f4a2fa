#include "engine/telemetry/service_stats.hpp"

#include <boost/json/array.hpp>

#include "base/iso8601.hpp"

namespace solo {

std::string_view to_string(CallFailure kind) {
  switch (kind) {
    case CallFailure::timeout:
      return "timeout";
    case CallFailure::crash:
      return "crash";
    case CallFailure::overload:
      return "overload";
    case CallFailure::rejected:
      return "rejected";
    case CallFailure::handler:
      return "handler";
    case CallFailure::bad_reply:
      return "bad_reply";
    case CallFailure::other:
      return "other";
  }
  return "other";
}

CallFailure call_failure_of(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::timeout:
      return CallFailure::timeout;
    case ErrorKind::stopped:
      return CallFailure::crash;
    case ErrorKind::overloaded:
      return CallFailure::overload;
    case ErrorKind::service_error:
      return CallFailure::handler;
    case ErrorKind::bad_reply:
      return CallFailure::bad_reply;
    default:
      return CallFailure::other;
  }
}

ServiceStats::ServiceStats() : since_(utc_now_iso8601()) {}

boost::json::object ServiceStats::to_json() const {
  boost::json::object errors;
  for (size_t i = 0; i < kCallFailureKinds; ++i) errors[to_string(static_cast<CallFailure>(i))] = errors_[i];
  boost::json::array buckets;
  const auto& counts = latency_.counts();
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0) continue;
    boost::json::array bucket;
    if (i < LatencyHistogram::finite_buckets) {
      bucket.emplace_back(LatencyHistogram::upper_us(i));
    } else {
      bucket.emplace_back(nullptr);
    }
    bucket.emplace_back(counts[i]);
    buckets.emplace_back(std::move(bucket));
  }
  boost::json::object latency{
      {"p50", latency_.percentile_us(0.50)}, {"p90", latency_.percentile_us(0.90)},
      {"p99", latency_.percentile_us(0.99)}, {"count", latency_.count()},
      {"sum", latency_.sum_us()},
  };
  latency["buckets"] = std::move(buckets);
  boost::json::object out{{"calls", calls_}, {"casts", casts_}};
  out["errors"] = std::move(errors);
  out["call_latency_us"] = std::move(latency);
  out["since"] = since_;
  return out;
}

}  // namespace solo
