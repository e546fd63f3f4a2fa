// RestartIntensity: the sliding window behind "at most N restarts in S".
//
// The supervisor asks before every restart; the window remembers when the
// recent restarts happened and refuses the one that would make more than
// max_restarts within period. Time is passed in so tests need no clock.
#pragma once

#include "engine/supervision/child_spec.hpp"

#include <chrono>
#include <deque>

namespace solo {

class RestartIntensity {
 public:
  using clock = std::chrono::steady_clock;

  explicit RestartIntensity(Intensity limit) : limit_(limit) {}

  // Records a restart at `now`; false when it exceeds the intensity (give up).
  bool allow_restart(clock::time_point now);

  void reset() { recent_.clear(); }
  const Intensity& limit() const { return limit_; }

 private:
  Intensity limit_;
  std::deque<clock::time_point> recent_;  // restarts within the last period
};

}  // namespace solo
