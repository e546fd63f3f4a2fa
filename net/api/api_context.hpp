// ApiContext: what the REST handlers reach in the engine. Built once by the
// composition root (apps/kernel.cpp) and shared by every handler; each field
// is owned elsewhere and outlives the gateway.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

namespace solo {
class CapabilityManager;
class ServiceRegistry;
class Vault;
class Deployer;
class ServiceDirectory;
class StorageDirectory;
class EventStore;
class LogBook;
class SystemStatus;
class Telemetry;
class TenantQuotas;
}  // namespace solo

namespace solo::net {

class CircuitBreakers;

struct ApiContext {
  std::shared_ptr<EventStore> events;
  std::shared_ptr<SystemStatus> status;
  std::shared_ptr<Telemetry> telemetry;
  std::shared_ptr<Deployer> deployer;
  // Which actor runs each service (engine/services/service_directory.hpp).
  std::shared_ptr<ServiceDirectory> services;
  // Every service's durable data (engine/storage/storage_directory.hpp).
  std::shared_ptr<StorageDirectory> storage;
  std::shared_ptr<LogBook> logs;
  std::shared_ptr<CapabilityManager> capabilities;
  std::shared_ptr<Vault> vault;
  // Per-service circuit breakers in front of call/cast (service_routes.cpp);
  // null: no breakers.
  std::shared_ptr<CircuitBreakers> breakers;
  // Discovery (registry_routes.cpp); null until its System child started.
  std::shared_ptr<ServiceRegistry> registry;
  // Tenant quotas (engine/tenancy/tenant_quotas.hpp; net/api/quota_checks.hpp);
  // null: no quotas (until its System child started, or without a kernel).
  std::shared_ptr<TenantQuotas> quotas;
  // The system endpoints reach the kernel through these (apps/kernel.cpp).
  std::function<boost::json::value()> recovery_report;
  std::function<boost::asio::awaitable<boost::json::value>()> verify;
  std::function<void()> request_shutdown;
  // How often an idle SSE stream sends a heartbeat comment.
  std::chrono::milliseconds sse_heartbeat{15000};
};

}  // namespace solo::net
