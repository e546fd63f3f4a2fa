// ServiceStats: the figures one service's actor counts as it works — calls,
// casts, failed calls by kind and the call latency histogram (the `stats`
// object of GET /services/{id}, the WebSocket stats frames, the
// solo_service_* metrics; docs/operations.md, "Per-service figures").
//
// Owned by the ServiceActor, so the counters live as long as the deployment:
// a hot swap and a restart of the actor keep them; a kill ends them, a new
// deploy of the same id starts at 0, and so does every process start
// (recovery builds new actors): `since` says when they started.
//
// Counting is on the call path: increments of plain integers, no
// allocation, no lock, no clock read of its own. Engine thread only.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "base/error.hpp"
#include "engine/telemetry/latency_histogram.hpp"

namespace solo {

// Why a call (or cast) to the service failed, as the figures count it.
enum class CallFailure {
  timeout,    // no reply within the call timeout
  crash,      // the service was down, crashed or stopped before replying
  overload,   // a full mailbox, the memory limit, storage that could not commit; casts refused likewise
  rejected,   // an open circuit breaker failed the call fast (net/resilience)
  handler,    // the handler raised an error (the incarnation crashed)
  bad_reply,  // the reply could not be encoded (the service is fine)
  other,      // anything else (an internal failure)
};
inline constexpr size_t kCallFailureKinds = 7;
// "timeout", "crash", ... (the JSON field and the metric's kind label).
std::string_view to_string(CallFailure kind);
// The figure a failed call's Error kind counts under.
CallFailure call_failure_of(ErrorKind kind);

class ServiceStats {
 public:
  ServiceStats();

  // A call the service answered, with the time it took.
  void call_succeeded(std::chrono::nanoseconds latency) {
    ++calls_;
    latency_.record(latency);
  }
  // A call that failed; `latency` when the service took it (not refused at the door).
  void call_failed(ErrorKind kind, std::optional<std::chrono::nanoseconds> latency) {
    ++calls_;
    ++errors_[static_cast<size_t>(call_failure_of(kind))];
    if (latency) latency_.record(*latency);
  }
  // A call that an open circuit failed before it reached the service.
  void call_rejected() {
    ++calls_;
    ++errors_[static_cast<size_t>(CallFailure::rejected)];
  }
  void cast_queued() { ++casts_; }
  // A cast that was not queued: overload (no room), crash (the service is
  // down), rejected (an open circuit).
  void cast_refused(CallFailure why) {
    ++casts_;
    ++errors_[static_cast<size_t>(why)];
  }

  uint64_t calls() const { return calls_; }
  uint64_t casts() const { return casts_; }
  uint64_t errors(CallFailure kind) const { return errors_[static_cast<size_t>(kind)]; }
  const LatencyHistogram& latency() const { return latency_; }
  // When these counters started (ISO 8601, UTC).
  const std::string& since() const { return since_; }

  // {"calls", "casts", "errors": {kind: n, ...}, "call_latency_us": {"p50",
  // "p90", "p99", "count", "sum", "buckets": [[upper_us, n], ...]}, "since"}.
  // Only non-empty finite buckets are listed; the +Inf bucket as [null, n].
  boost::json::object to_json() const;

 private:
  uint64_t calls_ = 0;
  uint64_t casts_ = 0;
  std::array<uint64_t, kCallFailureKinds> errors_{};
  LatencyHistogram latency_;
  std::string since_;
};

}  // namespace solo
