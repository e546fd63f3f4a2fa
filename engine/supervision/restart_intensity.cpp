// RestartIntensity: see restart_intensity.hpp.
#include "engine/supervision/restart_intensity.hpp"

namespace solo {

bool RestartIntensity::allow_restart(clock::time_point now) {
  while (!recent_.empty() && now - recent_.front() > limit_.period) recent_.pop_front();
  recent_.push_back(now);
  return static_cast<int>(recent_.size()) <= limit_.max_restarts;
}

}  // namespace solo
