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
#include <map>
#include <optional>
#include <string>
#include <string_view>
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
  // Full again and nothing pending: forgetting it changes nothing.
  bool idle(Clock::time_point now) const {
    if (pending_suppressed_ != 0) return false;
    double elapsed = std::chrono::duration<double>(now - last_).count();
    return tokens_ + elapsed * per_second_ >= burst_;
  }

 private:
  double per_second_;
  double burst_;
  double tokens_;
  Clock::time_point last_{};
  uint64_t pending_suppressed_ = 0;
  uint64_t suppressed_total_ = 0;
};

// One DenialLimiter per key (a tenant id), so that one tenant's flood of
// refused requests cannot suppress another tenant's audit events. The number
// of buckets is bounded: when it is reached, idle buckets (full again, nothing
// pending) are dropped; if none is idle, new keys share one overflow bucket.
class KeyedDenialLimiter {
 public:
  KeyedDenialLimiter(double per_second, double burst, size_t max_keys = 4096)
      : per_second_(per_second), burst_(burst), max_keys_(max_keys), overflow_(per_second, burst) {}

  std::optional<uint64_t> admit(std::string_view key, DenialLimiter::Clock::time_point now) {
    auto it = buckets_.find(key);
    if (it == buckets_.end()) {
      if (buckets_.size() >= max_keys_) std::erase_if(buckets_, [now](const auto& entry) { return entry.second.idle(now); });
      if (buckets_.size() >= max_keys_) return count(overflow_.admit(now));
      it = buckets_.emplace(std::string(key), DenialLimiter(per_second_, burst_)).first;
    }
    return count(it->second.admit(now));
  }

  uint64_t suppressed_total() const { return suppressed_total_; }
  size_t keys() const { return buckets_.size(); }

 private:
  std::optional<uint64_t> count(std::optional<uint64_t> admitted) {
    if (!admitted) ++suppressed_total_;
    return admitted;
  }

  double per_second_;
  double burst_;
  size_t max_keys_;
  std::map<std::string, DenialLimiter, std::less<>> buckets_;
  DenialLimiter overflow_;
  uint64_t suppressed_total_ = 0;
};

}  // namespace solo
