#include "engine/system/system_status.hpp"

#include "stores/event_store.hpp"

namespace solo {

std::string SystemStatus::health() const {
  if (store_ && store_->degraded()) return "degraded";
  switch (phase_) {
    case SystemPhase::starting:
      return "starting";
    case SystemPhase::stopping:
      return "stopping";
    case SystemPhase::running:
      break;
  }
  return "healthy";
}

}  // namespace solo
