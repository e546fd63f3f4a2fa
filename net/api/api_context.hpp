// ApiContext: what the REST handlers reach in the engine. Built once by the
// composition root (apps/kernel.cpp) and shared by every handler; each field
// is owned elsewhere and outlives the gateway.
#pragma once

#include <chrono>
#include <memory>

namespace solo {
class Deployer;
class EventStore;
class LogBook;
class SystemStatus;
class Telemetry;
}  // namespace solo

namespace solo::net {

struct ApiContext {
  std::shared_ptr<EventStore> events;
  std::shared_ptr<SystemStatus> status;
  std::shared_ptr<Telemetry> telemetry;
  std::shared_ptr<Deployer> deployer;
  std::shared_ptr<LogBook> logs;
  // How often an idle SSE stream sends a heartbeat comment.
  std::chrono::milliseconds sse_heartbeat{15000};
};

}  // namespace solo::net
