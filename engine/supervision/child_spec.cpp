// Names for the supervision enums (logs, /health, test messages).
#include "engine/supervision/child_spec.hpp"

namespace solo {

const char* to_string(Restart r) noexcept {
  switch (r) {
    case Restart::permanent: return "permanent";
    case Restart::transient: return "transient";
    case Restart::temporary: return "temporary";
  }
  return "?";
}

const char* to_string(Strategy s) noexcept {
  switch (s) {
    case Strategy::one_for_one: return "one_for_one";
    case Strategy::rest_for_one: return "rest_for_one";
  }
  return "?";
}

const char* to_string(ChildState s) noexcept {
  switch (s) {
    case ChildState::starting: return "starting";
    case ChildState::running: return "running";
    case ChildState::restarting: return "restarting";
    case ChildState::stopping: return "stopping";
    case ChildState::stopped: return "stopped";
    case ChildState::failed: return "failed";
  }
  return "?";
}

}  // namespace solo
