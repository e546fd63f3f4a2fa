// The Kernel: Solo's composition root. It builds the supervision tree of
// docs/architecture.md, boots it in order, and runs the timed shutdown
// sequence.
//
//   Kernel (one_for_one)
//   ├── System (rest_for_one), each child ready before the next starts:
//   │    1 event_store  2 resource_monitor  3 service_directory  4 deployer
//   │    5 replayer (temporary)  6 capability_manager  7 load_shedder
//   │    8 vault  9 service_registry  10 tenant_quotas  11 telemetry
//   │    12 gateway
//   └── Tenants (one_for_one, dynamic): one supervisor per tenant
//
// An embedding program creates a Kernel on its own io_context and awaits
// boot(); `solo serve` does the same from apps/serve.cpp.
//
// Engine thread only.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "net/resilience/circuit_breaker.hpp"
#include "net/resilience/load_shedder.hpp"
#include "base/wakeup.hpp"
#include "engine/services/native_service.hpp"
#include "engine/services/service_spec.hpp"
#include "engine/shutdown/shutdown_sequence.hpp"
#include "engine/supervision/child_spec.hpp"
#include "apps/exit_codes.hpp"
#include "engine/system/resource_monitor.hpp"
#include "net/http_server.hpp"
#include "recovery/recovery_report.hpp"
#include "recovery/replayer.hpp"

namespace solo {

namespace asio = boost::asio;

class CapabilityManager;
class Database;
class Deployer;
class EventStore;
class ServiceDirectory;
class StorageDirectory;
class ServiceRegistry;
class Vault;
class LogBook;
class RecoveryTelemetry;
class Supervisor;
class SystemStatus;
class Telemetry;
class TenantQuotas;
namespace net {
class Gateway;
class WebSocketHub;
namespace mcp {
class McpEndpoint;
}
struct ApiContext;
}  // namespace net

struct KernelOptions {
  std::filesystem::path data_dir = "data";
  // Where the durable store lives: empty is <data_dir>/solo.db (SQLite); a
  // postgresql:// URI keeps it in that PostgreSQL database instead (the data
  // directory still holds admin.token and master.key).
  std::string store;
  // Cluster mode (apps/cluster_node.hpp), set by the node that runs this
  // Kernel while it holds a shard's lease: its name (the Kernel then adopts
  // the data directory's admin token, which every shard shares), and the
  // fence every write transaction runs first (stores/cluster_store.hpp).
  // Empty: a solo of its own.
  std::string cluster_node;
  std::function<void(Database&)> store_fence;
  // A cluster shard's Kernel (apps/cluster_shards.hpp): the tenants it may
  // act for (requests that change something, and new tokens, for any other
  // tenant are refused: they belong to another shard), and the prefix of the
  // tokens it mints, by which a node routes a request to the shard. Empty:
  // every tenant, no prefix.
  std::function<bool(std::string_view tenant)> serves_tenant;
  std::string token_prefix;
  net::HttpServerOptions http;
  std::string synchronous = "FULL";
  // The whole shutdown sequence, and each of its steps (and a System child's stop).
  std::chrono::milliseconds shutdown_deadline{10000};
  std::chrono::milliseconds step_deadline{5000};
  std::chrono::milliseconds sse_heartbeat{15000};
  ResourceLimits resources;
  ServiceLimitsMax service_limits;
  // The Vault's master key; default <data>/master.key, created at first start.
  std::optional<std::filesystem::path> master_key_file;
  std::chrono::seconds token_purge_period{60};
  // Load shedding at the gateway and circuit breakers in front of service
  // calls (net/resilience/); the discovery registry's TTL sweep period.
  net::LoadShedderOptions load_shedding;
  net::CircuitBreakerOptions circuit_breaker;
  std::chrono::milliseconds registry_sweep_period{1000};
  // Native service types an embedding program registers before boot().
  std::shared_ptr<NativeServiceTypes> native_types = std::make_shared<NativeServiceTypes>();
  // Called once the gateway listens, with its URL ("http://127.0.0.1:8080").
  std::function<void(const std::string& url)> on_listening;
};

class Kernel : public std::enable_shared_from_this<Kernel> {
 public:
  static std::shared_ptr<Kernel> create(asio::any_io_executor executor, KernelOptions options);

  // Creates the data directory (0700, files 0600: apps/data_dir.hpp), starts the tree in order, waits for recovery
  // (the gateway already answers /health with "starting" meanwhile), then
  // appends system_started (durably). Throws when a System child fails to start.
  asio::awaitable<void> boot();

  // The timed shutdown sequence; returns its exit code
  // (apps/exit_codes.hpp: 0 clean, 1 the final flush
  // failed, 4 a step was cut off at its deadline or failed). Later and
  // concurrent calls return the first call's code once it is known.
  asio::awaitable<int> shutdown();

  // Called when POST /system/shutdown asks for the shutdown sequence (the
  // serve loop treats it like SIGTERM).
  void on_shutdown_requested(std::function<void()> callback) { on_shutdown_requested_ = std::move(callback); }

  // A second signal: flush what can be flushed, quickly; true on success.
  asio::awaitable<bool> emergency_flush();

  // Calls `listener` with every event of the System supervisor (a child
  // started, crashed, restarted, stopped...); call before boot().
  void on_system_event(std::function<void(const SupervisorEvent&)> listener);

  // Completes when the tree gave up (a System child exceeded its restart
  // intensity and the kernel with it); returns the reason.
  asio::awaitable<std::string> wait_failed();

  const std::shared_ptr<EventStore>& events() const { return events_; }
  const std::shared_ptr<SystemStatus>& status() const { return status_; }
  // Null until the System child that owns it started.
  const std::shared_ptr<Telemetry>& telemetry() const { return telemetry_; }
  const std::shared_ptr<ServiceDirectory>& services() const { return services_; }
  const std::shared_ptr<StorageDirectory>& storage() const { return storage_; }
  const std::shared_ptr<Deployer>& deployer() const { return deployer_; }
  const std::shared_ptr<LogBook>& logs() const { return logs_; }
  const std::shared_ptr<CapabilityManager>& capabilities() const { return capabilities_; }
  const std::shared_ptr<Vault>& vault() const { return vault_; }
  // The admin token (also in <data>/admin.token, mode 0600).
  const std::string& admin_token() const { return admin_token_; }
  const RecoveryReport& recovery_report() const { return report_; }
  const std::vector<ShutdownStepResult>& shutdown_results() const { return shutdown_results_; }
  std::string url() const;
  // Answers a request as the gateway's own server would, in this process (a
  // cluster node in front of the Kernel: net::Gateway::front_dispatcher()).
  std::function<asio::awaitable<net::Response>(net::Request&)> dispatcher() const;
  // Every (method, pattern) the gateway routes (the OpenAPI check).
  std::vector<std::pair<std::string, std::string>> routes() const;
  const std::shared_ptr<ServiceRegistry>& registry() const { return registry_; }
  const std::shared_ptr<net::LoadShedder>& load_shedder() const { return shedder_; }
  const std::shared_ptr<net::CircuitBreakers>& breakers() const { return breakers_; }

 private:
  Kernel(asio::any_io_executor executor, KernelOptions options);
  void build_tree();
  // A System child's body, and the spec that runs it holding the Kernel only
  // weakly: the Kernel owns the supervisors, which own the specs, so a strong
  // capture would be a cycle and the Kernel would never be freed.
  using ChildBody = asio::awaitable<void> (*)(std::shared_ptr<Kernel>, ChildContext);
  ChildSpec system_child(std::string name, ChildBody body, Restart restart);
  static asio::awaitable<void> run_child(std::weak_ptr<Kernel> weak, ChildBody body, ChildContext context);
  static asio::awaitable<void> run_event_store(std::shared_ptr<Kernel> self, ChildContext context);
  static asio::awaitable<void> run_resource_monitor(std::shared_ptr<Kernel> self, ChildContext context);
  static asio::awaitable<void> run_service_directory(std::shared_ptr<Kernel> self, ChildContext context);
  static asio::awaitable<void> run_storage_directory(std::shared_ptr<Kernel> self, ChildContext context);
  static asio::awaitable<void> run_deployer(std::shared_ptr<Kernel> self, ChildContext context);
  static asio::awaitable<void> run_capability_manager(std::shared_ptr<Kernel> self, ChildContext context);
  static asio::awaitable<void> run_vault(std::shared_ptr<Kernel> self, ChildContext context);
  static asio::awaitable<void> run_replayer(std::shared_ptr<Kernel> self, ChildContext context);
  static asio::awaitable<void> run_load_shedder(std::shared_ptr<Kernel> self, ChildContext context);
  static asio::awaitable<void> run_service_registry(std::shared_ptr<Kernel> self, ChildContext context);
  static asio::awaitable<void> run_tenant_quotas(std::shared_ptr<Kernel> self, ChildContext context);
  static asio::awaitable<void> run_telemetry(std::shared_ptr<Kernel> self, ChildContext context);
  static asio::awaitable<boost::json::value> verify_now(std::shared_ptr<Kernel> self);
  static asio::awaitable<void> announce_shutdown(std::shared_ptr<Kernel> self);
  void register_collectors();

  asio::any_io_executor executor_;
  KernelOptions options_;
  std::shared_ptr<SystemStatus> status_;
  std::shared_ptr<Telemetry> telemetry_;
  std::shared_ptr<EventStore> events_;
  std::shared_ptr<ResourceMonitor> resource_monitor_;
  std::shared_ptr<LogBook> logs_;
  std::shared_ptr<ServiceDirectory> services_;
  std::shared_ptr<StorageDirectory> storage_;
  std::shared_ptr<Deployer> deployer_;
  std::shared_ptr<CapabilityManager> capabilities_;
  std::shared_ptr<Vault> vault_;
  std::shared_ptr<net::LoadShedder> shedder_;
  std::shared_ptr<net::CircuitBreakers> breakers_;
  std::shared_ptr<ServiceRegistry> registry_;
  std::shared_ptr<TenantQuotas> quotas_;
  std::string admin_token_;
  int64_t tokens_restored_ = 0;
  std::shared_ptr<net::ApiContext> api_;
  std::shared_ptr<net::Gateway> gateway_;
  std::shared_ptr<net::WebSocketHub> websockets_;
  std::shared_ptr<net::mcp::McpEndpoint> mcp_;
  std::shared_ptr<Supervisor> kernel_;
  std::shared_ptr<Supervisor> system_;
  std::shared_ptr<Supervisor> tenants_;
  ReplayerHooks replayer_hooks_;
  RecoveryReport report_;
  std::shared_ptr<RecoveryTelemetry> recovery_telemetry_;  // recovery and verification figures for /metrics
  // Boot progress, each a predicate waited on through boot_progress_: the
  // whole tree (Tenants included) has started; recovery has finished.
  bool tree_started_ = false;
  bool recovered_ = false;
  std::unique_ptr<Wakeup> boot_progress_;
  bool shutting_down_ = false;
  // Notified when the shutdown sequence has finished (a concurrent
  // shutdown() waits on it for the exit code).
  std::unique_ptr<Wakeup> shutdown_done_;
  bool shutdown_finished_ = false;
  std::function<void()> on_shutdown_requested_;
  int exit_code_ = 0;
  std::vector<ShutdownStepResult> shutdown_results_;
};

}  // namespace solo
