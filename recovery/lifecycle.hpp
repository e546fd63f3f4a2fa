// Lifecycle events: the event types that decide whether a service should be
// running. The latest one per service wins:
//   service_deployed, hot_swap_succeeded, hot_swap_rolled_back -> run it
//   service_killed, service_deployment_failed                  -> it is gone
// (A deploy after a kill is a later service_deployed, so it runs again.)
#pragma once

#include <array>
#include <string_view>

namespace solo {

inline constexpr std::array<std::string_view, 5> kLifecycleEvents = {
    "service_deployed", "hot_swap_succeeded", "hot_swap_rolled_back", "service_killed",
    "service_deployment_failed"};

inline bool is_lifecycle_event(std::string_view type) {
  for (auto t : kLifecycleEvents) {
    if (t == type) return true;
  }
  return false;
}

// True when the latest lifecycle event of a service means it should run.
inline bool lifecycle_says_running(std::string_view type) {
  return type == "service_deployed" || type == "hot_swap_succeeded" || type == "hot_swap_rolled_back";
}

}  // namespace solo
