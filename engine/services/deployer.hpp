// The Deployer: deploy, kill and hot swap of services. It keeps the
// ServiceDirectory (which actor runs each service; its owner is the System
// supervisor's service_directory child) up to date; lookups go there.
//
// Every state change is durable before it is acknowledged, and the
// `services` projection row is written in the same transaction as its event:
//   deploy  validate + compile -> service_deployed {full spec} + row (durable)
//           -> start under the tenant's supervisor (init) -> service_started;
//           an init failure -> service_deployment_failed + row removed (durable)
//   kill    service_killed + row removed (durable) -> terminate (deadline) -> gone
//   swap    compile (a compile error leaves the running version untouched)
//           -> hot_swap_started -> code_change in the actor -> hot_swap_succeeded
//           + row (durable) | hot_swap_failed; a crash inside the rollback
//           window -> hot_swap_rolled_back + row restored to the old version
//
// Per tenant, services run under one supervisor (one_for_one), created on the
// tenant's first deploy under the kernel's Tenants supervisor.
//
// Expected failures are Errors (base/error.hpp) whose kind the
// gateway maps to an HTTP status (net/error_reply.hpp); a StoreError (the
// commit failed) passes through as it is. Engine thread only.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "base/error.hpp"
#include "engine/services/service_actor.hpp"
#include "engine/services/service_directory.hpp"
#include "engine/services/service_spec.hpp"

namespace solo {

class EventStore;
struct ServiceRow;
class LogBook;
class Supervisor;

// The Deployer's expected failures (invalid, not_found, conflict, overloaded,
// ...) are the engine's one error type; the name says where they come from.
using DeployError = Error;

class Deployer : public std::enable_shared_from_this<Deployer> {
 public:
  Deployer(asio::any_io_executor executor, std::shared_ptr<EventStore> events, std::shared_ptr<Supervisor> tenants,
           std::shared_ptr<ServiceDirectory> directory, std::shared_ptr<LogBook> logs,
           std::shared_ptr<const NativeServiceTypes> native_types, ServiceLimitsMax limits);

  // The secrets a service may read with solo.secret (the Vault, once it exists).
  void set_secret_provider(std::function<std::optional<std::string>(const std::string&, const std::string&)> fn);

  // Returns {"service_id", "status": "deployed", "version", "code_sha256", "event_id"}.
  asio::awaitable<boost::json::object> deploy(ServiceSpec spec);
  // Starts a service from its stored spec without a new service_deployed
  // event (recovery). Throws DeployError on failure. `compiled`: its code,
  // already compiled off the engine thread (recovery/sandbox_preparer.hpp).
  asio::awaitable<void> recover(ServiceSpec spec, std::string created_at,
                                std::unique_ptr<LuaSandbox> compiled = nullptr);
  // The same from a row of the services table (its latest spec and version):
  // the Replayer at start and the Verifier's fix of a missing service.
  asio::awaitable<void> recover(const ServiceRow& row);
  // Returns the id of the service_killed event.
  // purge: the service's storage goes too, in the kill event's transaction;
  // a purge of an id that runs no service but still holds data (killed
  // without purge) is a `service_storage_purged` event of its own. Without
  // purge the data stays, for a redeploy of the same id.
  asio::awaitable<int64_t> kill(std::string tenant_id, std::string service_id, bool force, bool purge = false);
  // Returns the new version.
  asio::awaitable<int64_t> swap(std::string tenant_id, std::string service_id, std::string code,
                                std::chrono::milliseconds rollback_window);

  const std::shared_ptr<ServiceDirectory>& directory() const { return directory_; }
  const ServiceLimitsMax& limits_max() const { return limits_; }
  const std::shared_ptr<ServiceWorld>& world() const { return world_; }

 private:
  asio::awaitable<std::shared_ptr<Supervisor>> tenant_supervisor(const std::string& tenant_id);
  asio::awaitable<void> start(std::shared_ptr<ServiceActor> actor);
  void on_rolled_back(const ServiceSpec& restored, const std::string& reason);
  // Throws DeployError invalid (400) when the tenant already has
  // kMaxPerServiceMetrics services with per-service metrics, running or
  // being deployed.
  void check_per_service_metrics(const ServiceSpec& spec) const;

  asio::any_io_executor executor_;
  std::shared_ptr<EventStore> events_;
  std::shared_ptr<Supervisor> tenants_;
  std::shared_ptr<ServiceDirectory> directory_;
  std::shared_ptr<ServiceWorld> world_;
  ServiceLimitsMax limits_;
  std::map<std::string, std::shared_ptr<Supervisor>> tenant_supervisors_;
  std::map<std::string, std::map<std::string, bool>> busy_;  // ids with a deploy/kill/swap in progress
  // tenant -> per-service-metrics deploys past their check, not yet in the directory.
  std::map<std::string, size_t> per_service_pending_;
};

}  // namespace solo
