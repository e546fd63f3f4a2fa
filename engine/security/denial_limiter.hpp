// DenialLimiter: a token bucket for audit events about refused requests
// (capability_denied, secret_access_denied), so a flood of bad tokens cannot
// flood the log. At most `burst` events at once, refilled at `per_second`;
// the refused ones are counted, and the next event that is let through
// reports how many were suppressed before it.
//
// Engine thread only (no locking).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <utility>

namespace solo {

class DenialLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  DenialLimiter(double per_second, double burst) : per_second_(per_second), burst_(burst), tokens_(burst) {}

  // nullopt: suppress this event. Otherwise emit it, with the number of events
  // suppressed since the last one emitted.
  std::optional<uint64_t> admit(Clock::time_point now) {
    if (last_ != Clock::time_point{}) {
      double elapsed = std::chrono::duration<double>(now - last_).count();
      if (elapsed > 0) tokens_ = std::min(burst_, tokens_ + elapsed * per_second_);
    }
    if (now > last_) last_ = now;
    if (tokens_ < 1.0) {
      ++pending_suppressed_;
      ++suppressed_total_;
      return std::nullopt;
    }
    tokens_ -= 1.0;
    return std::exchange(pending_suppressed_, 0);
  }

  uint64_t suppressed_total() const { return suppressed_total_; }

 private:
  double per_second_;
  double burst_;
  double tokens_;
  Clock::time_point last_{};
  uint64_t pending_suppressed_ = 0;
  uint64_t suppressed_total_ = 0;
};

}  // namespace solo
