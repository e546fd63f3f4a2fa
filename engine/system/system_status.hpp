// SystemStatus: the phase of this process (starting -> running -> stopping)
// and the facts /health reports. Owned by the kernel, read by the gateway.
// Engine thread only.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace solo {

class EventStore;

enum class SystemPhase { starting, running, stopping };

class SystemStatus {
 public:
  SystemStatus() : started_(std::chrono::steady_clock::now()) {}

  void set_phase(SystemPhase phase) { phase_ = phase; }
  SystemPhase phase() const { return phase_; }
  void set_store(std::shared_ptr<EventStore> store) { store_ = std::move(store); }
  // Cluster mode (apps/cluster_node.hpp): whether this node may still answer
  // for the store, i.e. its lease is certainly its own (renewed less than a
  // lease ago by its own clock). Until then the gateway answers nothing but
  // /health, so that a node paused past its lease and resumed serves no
  // stale read before it notices. Unset: always.
  void set_authority(std::function<bool()> holds) { authority_ = std::move(holds); }
  bool has_authority() const { return !authority_ || authority_(); }
  const std::shared_ptr<EventStore>& store() const { return store_; }

  // "starting" until recovery is done, "degraded" while the store cannot
  // commit, "stopping" during shutdown, else "healthy".
  std::string health() const;
  double uptime_seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  }

 private:
  SystemPhase phase_ = SystemPhase::starting;
  std::shared_ptr<EventStore> store_;
  std::function<bool()> authority_;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace solo
