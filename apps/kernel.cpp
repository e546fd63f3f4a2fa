#include "apps/kernel.hpp"

#include "apps/data_dir.hpp"

#include <unistd.h>

#include <iostream>

#include "base/prometheus.hpp"
#include "engine/discovery/service_registry.hpp"
#include "base/timeout.hpp"
#include "base/wakeup.hpp"
#include "engine/security/capability_manager.hpp"
#include "engine/security/vault.hpp"
#include "engine/services/deployer.hpp"
#include "engine/services/log_book.hpp"
#include "engine/services/service_directory.hpp"
#include "engine/services/service_actor.hpp"
#include "engine/storage/storage_directory.hpp"
#include "engine/supervision/supervisor.hpp"
#include "base/park.hpp"
#include "engine/system/system_status.hpp"
#include "engine/tenancy/tenant_quotas.hpp"
#include "engine/telemetry/telemetry.hpp"
#include "engine/telemetry/service_metrics.hpp"
#include "net/api/api_context.hpp"
#include "net/api/event_routes.hpp"
#include "net/api/log_routes.hpp"
#include "net/api/openapi_routes.hpp"
#include "net/api/registry_routes.hpp"
#include "net/api/secret_routes.hpp"
#include "net/api/token_routes.hpp"
#include "net/api/service_routes.hpp"
#include "net/api/version_routes.hpp"
#include "net/api/system_routes.hpp"
#include "net/api/tenant_routes.hpp"
#include "net/gateway.hpp"
#include "net/mcp/mcp_endpoint.hpp"
#include "net/ui/dashboard_assets.hpp"
#include "net/websocket_hub.hpp"
#include "recovery/recovery_telemetry.hpp"
#include "recovery/replayer.hpp"
#include "recovery/verifier.hpp"
#include "stores/event_store.hpp"
#include "stores/meta_store.hpp"
#include "stores/database.hpp"

namespace solo {

namespace {

NewEvent system_event(std::string type, boost::json::object payload = {}) {
  NewEvent event;
  event.event_type = std::move(type);
  event.payload = std::move(payload);
  return event;
}

}  // namespace

Kernel::Kernel(asio::any_io_executor executor, KernelOptions options)
    : executor_(std::move(executor)),
      options_(std::move(options)),
      status_(std::make_shared<SystemStatus>()),
      logs_(std::make_shared<LogBook>()),
      recovery_telemetry_(std::make_shared<RecoveryTelemetry>()),
      boot_progress_(std::make_unique<Wakeup>(executor_)),
      shutdown_done_(std::make_unique<Wakeup>(executor_)) {}

std::shared_ptr<Kernel> Kernel::create(asio::any_io_executor executor, KernelOptions options) {
  std::shared_ptr<Kernel> kernel(new Kernel(std::move(executor), std::move(options)));
  kernel->build_tree();
  return kernel;
}

ChildSpec Kernel::system_child(std::string name, ChildBody body, Restart restart) {
  return ChildSpec{std::move(name),
                   [weak = weak_from_this(), body](ChildContext context) {
                     return run_child(weak, body, std::move(context));
                   },
                   restart};
}

asio::awaitable<void> Kernel::run_child(std::weak_ptr<Kernel> weak, ChildBody body, ChildContext context) {
  auto self = weak.lock();
  if (!self) throw std::runtime_error("the kernel is gone");
  co_await body(std::move(self), std::move(context));
}

void Kernel::build_tree() {
  kernel_ = Supervisor::create(executor_, "kernel", Strategy::one_for_one, Intensity{3, std::chrono::seconds(10)});
  system_ = Supervisor::create(executor_, "system", Strategy::rest_for_one, Intensity{5, std::chrono::seconds(10)});
  tenants_ = Supervisor::create(executor_, "tenants", Strategy::one_for_one, Intensity{10, std::chrono::seconds(10)});

  api_ = std::make_shared<net::ApiContext>();
  api_->status = status_;
  api_->sse_heartbeat = options_.sse_heartbeat;
  api_->logs = logs_;
  gateway_ = std::make_shared<net::Gateway>(executor_, options_.http, status_);
  gateway_->set_tenant_filter(options_.serves_tenant);
  gateway_->on_listening(options_.on_listening);
  api_->recovery_report = [weak = weak_from_this()]() -> boost::json::value {
    auto kernel = weak.lock();
    return kernel ? to_json(kernel->report_) : boost::json::value(nullptr);
  };
  api_->verify = [weak = weak_from_this()]() { return verify_now(weak.lock()); };
  api_->request_shutdown = [weak = weak_from_this()]() {
    if (auto kernel = weak.lock(); kernel && kernel->on_shutdown_requested_) kernel->on_shutdown_requested_();
  };
  net::add_system_routes(gateway_->router(), api_);
  net::add_event_routes(gateway_->router(), api_);
  net::add_service_routes(gateway_->router(), api_);
  net::add_version_routes(gateway_->router(), api_);
  net::add_log_routes(gateway_->router(), api_);
  net::add_token_routes(gateway_->router(), api_);
  net::add_secret_routes(gateway_->router(), api_);
  // WebSocket /ws (net/websocket_hub.hpp) and the dashboard at /ui that uses it.
  websockets_ = std::make_shared<net::WebSocketHub>(executor_, api_);
  gateway_->set_websockets(websockets_);
  net::add_websocket_routes(gateway_->router(), websockets_);
  net::add_dashboard_routes(gateway_->router());
  // MCP /mcp (net/mcp/mcp_endpoint.hpp): tools and resources as REST requests.
  mcp_ = std::make_shared<net::mcp::McpEndpoint>(executor_, api_);
  mcp_->set_own_host(options_.http.host);
  gateway_->set_mcp(mcp_);
  net::mcp::add_mcp_routes(gateway_->router(), mcp_);
  net::add_registry_routes(gateway_->router(), api_);
  net::add_tenant_routes(gateway_->router(), api_);
  net::add_openapi_routes(gateway_->router());
  // Circuit breakers need nothing but the options: built with the tree.
  breakers_ = std::make_shared<net::CircuitBreakers>(options_.circuit_breaker);
  api_->breakers = breakers_;

  system_->add_child(system_child("event_store", &Kernel::run_event_store, Restart::permanent));
  system_->add_child(system_child("resource_monitor", &Kernel::run_resource_monitor, Restart::permanent));
  system_->add_child(system_child("service_directory", &Kernel::run_service_directory, Restart::permanent));
  system_->add_child(system_child("storage_directory", &Kernel::run_storage_directory, Restart::permanent));
  system_->add_child(system_child("deployer", &Kernel::run_deployer, Restart::permanent));
  system_->add_child(system_child("replayer", &Kernel::run_replayer, Restart::temporary));
  system_->add_child(system_child("capability_manager", &Kernel::run_capability_manager, Restart::permanent));
  system_->add_child(system_child("load_shedder", &Kernel::run_load_shedder, Restart::permanent));
  system_->add_child(system_child("vault", &Kernel::run_vault, Restart::permanent));
  system_->add_child(system_child("service_registry", &Kernel::run_service_registry, Restart::permanent));
  system_->add_child(system_child("tenant_quotas", &Kernel::run_tenant_quotas, Restart::permanent));
  system_->add_child(system_child("telemetry", &Kernel::run_telemetry, Restart::permanent));
  system_->add_child({"gateway", [gateway = gateway_](ChildContext c) { return net::Gateway::run(gateway, c); },
                      Restart::permanent, options_.step_deadline});

  kernel_->add_child(system_->as_child(std::chrono::seconds(60)));
  kernel_->add_child(tenants_->as_child(options_.step_deadline));

  system_->on_event([](const SupervisorEvent& event) {
    if (event.kind == "child_crashed" || event.kind == "gave_up" || event.kind == "stop_deadline_exceeded") {
      std::cerr << "supervisor " << event.supervisor << ": " << event.child << " " << event.kind << ": "
                << event.reason << "\n";
    }
  });
}

// 1: opens the store (<data>/solo.db, or --store) once; a restart of this
// child finds it open.
asio::awaitable<void> Kernel::run_event_store(std::shared_ptr<Kernel> self, ChildContext context) {
  if (!self->events_) {
    OpenOptions options;
    options.synchronous = self->options_.synchronous;
    options.fence = self->options_.store_fence;
    StoreLocation location = self->options_.store.empty() ? StoreLocation(self->options_.data_dir / "solo.db")
                                                          : StoreLocation::parse(self->options_.store);
    self->events_ = co_await EventStore::open(self->executor_, location, options);
    self->status_->set_store(self->events_);
    self->api_->events = self->events_;
    self->resource_monitor_ = std::make_shared<ResourceMonitor>(self->events_, self->options_.resources);
  }
  context.ready();
  co_await park_until_cancelled();
}

// 2: samples memory, disk and the Lua heaps (engine/system/resource_monitor.hpp).
asio::awaitable<void> Kernel::run_resource_monitor(std::shared_ptr<Kernel> self, ChildContext context) {
  auto monitor = self->resource_monitor_;
  self.reset();  // the monitor runs for the life of the process; it needs no Kernel
  co_await ResourceMonitor::run(std::move(monitor), std::move(context));
}

// 3: the service directory (which actor runs each deployed service), built
// once: a restart of this child keeps it, since the actors it lists live
// under the Tenants supervisor, not under this child.
asio::awaitable<void> Kernel::run_service_directory(std::shared_ptr<Kernel> self, ChildContext context) {
  if (!self->services_) {
    self->services_ = std::make_shared<ServiceDirectory>();
    self->api_->services = self->services_;
    self->resource_monitor_->set_lua_heap_provider([weak = std::weak_ptr<ServiceDirectory>(self->services_)]() {
      auto services = weak.lock();
      return services ? services->lua_heap_bytes() : uint64_t{0};
    });
  }
  context.ready();
  co_await park_until_cancelled();
}

// 4: solo.storage: every service's data, read once from the store and
// kept in memory (engine/storage/storage_directory.hpp), before the Deployer
// and the replayer start a service. Built once; a restart keeps it.
asio::awaitable<void> Kernel::run_storage_directory(std::shared_ptr<Kernel> self, ChildContext context) {
  if (!self->storage_) {
    // Limits of a write: the running service's spec, else the tenant's
    // per-service maxima (data kept after a kill); the tenant's totals.
    StorageLimitsFn limits = [weak = std::weak_ptr<Kernel>(self)](const std::string& tenant,
                                                                    const std::string& service) {
      StorageLimits limits;
      limits.service_bytes = limits.tenant_bytes = UINT64_MAX;
      limits.service_keys = limits.tenant_keys = UINT64_MAX;
      auto kernel = weak.lock();
      if (!kernel) return limits;
      const auto& quotas = kernel->quotas_;
      const bool exempt = is_quota_exempt(tenant);
      if (quotas && !exempt) {
        limits.tenant_bytes = quotas->quota_value(tenant, "storage_bytes_total");
        limits.tenant_keys = quotas->quota_value(tenant, "storage_keys_total");
      }
      if (auto actor = kernel->services_ ? kernel->services_->find(tenant, service) : nullptr) {
        limits.service_bytes = actor->spec().limits.storage_bytes;
        limits.service_keys = actor->spec().limits.storage_keys;
      } else if (quotas && !exempt) {
        limits.service_bytes = quotas->quota_value(tenant, "storage_bytes");
        limits.service_keys = quotas->quota_value(tenant, "storage_keys");
      } else {
        const LuaLimits standard;
        limits.service_bytes = standard.storage_bytes;
        limits.service_keys = standard.storage_keys;
      }
      return limits;
    };
    self->storage_ = co_await StorageDirectory::load(self->executor_, self->events_, std::move(limits));
    self->api_->storage = self->storage_;
  }
  context.ready();
  co_await park_until_cancelled();
}

// 5: the Deployer is built once, like the directory it keeps up to date.
asio::awaitable<void> Kernel::run_deployer(std::shared_ptr<Kernel> self, ChildContext context) {
  if (!self->deployer_) {
    self->deployer_ =
        std::make_shared<Deployer>(self->executor_, self->events_, self->tenants_, self->services_, self->logs_,
                                   self->options_.native_types, self->options_.service_limits);
    self->deployer_->world()->storage = self->storage_;
    self->api_->deployer = self->deployer_;
  }
  context.ready();
  co_await park_until_cancelled();
}

// 7: restores the tokens (skipping expired and revoked ones), makes sure the
// admin token exists in <data>/admin.token, turns authentication on at the
// gateway, then purges expired tokens periodically.
asio::awaitable<void> Kernel::run_capability_manager(std::shared_ptr<Kernel> self, ChildContext context) {
  if (!self->capabilities_) {
    CapabilityOptions capability_options;
    capability_options.token_prefix = self->options_.token_prefix;
    capability_options.serves_tenant = self->options_.serves_tenant;
    auto capabilities = std::make_shared<CapabilityManager>(self->events_, std::move(capability_options));
    self->tokens_restored_ = co_await capabilities->restore();
    // A cluster's nodes and shards share the one admin token its node wrote (apps/cluster_node.cpp).
    const bool adopt = !self->options_.cluster_node.empty();
    self->admin_token_ = co_await capabilities->ensure_admin_token(self->options_.data_dir / "admin.token", adopt);
    self->capabilities_ = capabilities;
    self->api_->capabilities = capabilities;
    self->gateway_->set_capabilities(capabilities);
  }
  context.ready();
  asio::steady_timer timer(self->executor_);
  for (;;) {
    timer.expires_after(self->options_.token_purge_period);
    co_await timer.async_wait(asio::use_awaitable);
    co_await self->capabilities_->purge();
  }
}

// 9: the Vault: loads (or creates) the master key, restores the ciphertext
// rows, and answers solo.secret for the names a service bound at deploy.
asio::awaitable<void> Kernel::run_vault(std::shared_ptr<Kernel> self, ChildContext context) {
  if (!self->vault_) {
    VaultOptions options;
    options.master_key_file = self->options_.master_key_file.value_or(self->options_.data_dir / "master.key");
    options.create_master_key = !self->options_.master_key_file.has_value();
    auto vault = std::make_shared<Vault>(self->events_, options);
    co_await vault->restore();
    self->vault_ = vault;
    self->api_->vault = vault;
    std::weak_ptr<Vault> weak = vault;
    self->deployer_->set_secret_provider(
        [weak](const std::string& tenant, const std::string& name) -> std::optional<std::string> {
          auto vault = weak.lock();
          if (!vault) return std::nullopt;
          auto value = vault->decrypt(tenant, name);
          if (!value) return std::nullopt;
          return std::move(*value);
        });
  }
  context.ready();
  co_await park_until_cancelled();
}

// 6: runs once per start (temporary). It looks at how the previous run ended,
// then reports ready so that the rest of the tree — the gateway included,
// answering "starting" — comes up; it recovers once the Tenants supervisor,
// under which the services run, and the vault, which their init may ask for
// secrets, are up. boot() waits for it before the system runs.
asio::awaitable<void> Kernel::run_replayer(std::shared_ptr<Kernel> self, ChildContext context) {
  Replayer replayer(self->events_, self->deployer_, self->replayer_hooks_, self->recovery_telemetry_);
  co_await replayer.detect();  // before the children after this one append anything
  context.ready();
  while (!self->tree_started_) co_await self->boot_progress_->wait();
  self->report_ = co_await replayer.run();
  self->recovered_ = true;
  self->boot_progress_->notify();
}

// 8: load shedding at the gateway (built once; a restart keeps the counts
// of requests in flight, whose permits point at it).
asio::awaitable<void> Kernel::run_load_shedder(std::shared_ptr<Kernel> self, ChildContext context) {
  if (!self->shedder_) {
    self->shedder_ = std::make_shared<net::LoadShedder>(self->options_.load_shedding);
    self->gateway_->set_load_shedder(self->shedder_);
  }
  context.ready();
  co_await park_until_cancelled();
}

// 10: discovery: restores the registrations (expired ones are never served
// and removed by the first sweep), then expires registrations periodically.
asio::awaitable<void> Kernel::run_service_registry(std::shared_ptr<Kernel> self, ChildContext context) {
  if (!self->registry_) {
    std::weak_ptr<ServiceDirectory> weak = self->services_;
    ServiceRegistry::AliveFn alive = [weak](const std::string& tenant, const std::string& service) {
      auto services = weak.lock();
      if (!services) return false;
      auto actor = services->find(tenant, service);
      return actor && actor->alive();
    };
    auto registry = std::make_shared<ServiceRegistry>(self->events_, std::move(alive));
    co_await registry->restore();
    self->registry_ = registry;
    self->api_->registry = registry;
  }
  context.ready();
  asio::steady_timer timer(self->executor_);
  for (;;) {
    try {
      co_await self->registry_->sweep();
    } catch (const StoreError& error) {
      // The store cannot commit (degraded): expired entries stay hidden; retry next period.
      std::cerr << "service_registry: sweep failed: " << error.what() << "\n";
    }
    timer.expires_after(self->options_.registry_sweep_period);
    co_await timer.async_wait(asio::use_awaitable);
  }
}

// 11: tenant quotas: restores the quotas the admin set and the last hour of
// event-log bytes per tenant, then enforces the event-log quota on solo.emit.
asio::awaitable<void> Kernel::run_tenant_quotas(std::shared_ptr<Kernel> self, ChildContext context) {
  if (!self->quotas_) {
    auto quotas = std::make_shared<TenantQuotas>(self->events_, self->options_.service_limits);
    co_await quotas->restore();
    self->quotas_ = quotas;
    self->api_->quotas = quotas;
    self->deployer_->world()->check_event_log = [weak = std::weak_ptr<TenantQuotas>(quotas)](const std::string& tenant) {
      if (auto quotas = weak.lock()) quotas->check_event_log(tenant);
    };
  }
  context.ready();
  co_await park_until_cancelled();
}

// 12: the metrics. Built once (a restart keeps the request counters): the
// Telemetry object, a collector for each component started before it, so
// /metrics reads every figure from its owner, then handed to the gateway
// (13), which counts requests and serves /metrics.
asio::awaitable<void> Kernel::run_telemetry(std::shared_ptr<Kernel> self, ChildContext context) {
  if (!self->telemetry_) {
    self->telemetry_ = std::make_shared<Telemetry>();
    self->register_collectors();
    self->api_->telemetry = self->telemetry_;
    self->gateway_->set_telemetry(self->telemetry_);
  }
  context.ready();
  co_await park_until_cancelled();
}

void Kernel::register_collectors() {
  Telemetry& telemetry = *telemetry_;
  // The uptime is the process's (SystemStatus counts from its creation).
  telemetry.add_collector([status = std::weak_ptr<SystemStatus>(status_)](std::string& out) {
    auto system = status.lock();
    if (!system) return;
    prometheus::gauge(out, "solo_uptime_seconds", "Seconds since this process started.", system->uptime_seconds());
  });
  resource_monitor_->register_metrics(telemetry);
  telemetry.add_collector([weak = std::weak_ptr<ServiceDirectory>(services_)](std::string& out) {
    auto services = weak.lock();
    if (!services) return;
    prometheus::gauge(out, "solo_services", "Deployed services.", static_cast<double>(services->count()));
    prometheus::gauge(out, "solo_mailbox_messages", "Messages waiting in service mailboxes.",
                      static_cast<double>(services->queued_messages()));
    render_service_metrics(out, *services);
  });
  telemetry.add_collector([figures = recovery_telemetry_](std::string& out) { figures->render_metrics(out); });
  telemetry.add_collector([weak = std::weak_ptr<net::CircuitBreakers>(breakers_)](std::string& out) {
    if (auto breakers = weak.lock()) breakers->render_metrics(out);
  });
  telemetry.add_collector([weak = std::weak_ptr<net::LoadShedder>(shedder_)](std::string& out) {
    if (auto shedder = weak.lock()) shedder->render_metrics(out);
  });
  telemetry.add_collector([weak = std::weak_ptr<ServiceRegistry>(registry_)](std::string& out) {
    if (auto registry = weak.lock()) registry->render_metrics(out);
  });
  websockets_->register_metrics(telemetry);
  mcp_->register_metrics(telemetry);
  telemetry.add_collector([weak = std::weak_ptr<EventStore>(events_)](std::string& out) {
    auto events = weak.lock();
    if (!events) return;
    auto& store = *events;
    const auto& stats = store.writer().stats();
    prometheus::counter(out, "solo_events_appended_total", "Events committed to the log by this process.",
                        static_cast<double>(store.appended_total()));
    prometheus::gauge(out, "solo_last_event_id", "Id of the last committed event.",
                      static_cast<double>(store.committed_id()));
    prometheus::counter(out, "solo_store_commits_total", "Successful group commits.",
                        static_cast<double>(stats.commits));
    prometheus::counter(out, "solo_store_failed_commits_total", "Failed group commits.",
                        static_cast<double>(stats.failed_commits));
    prometheus::gauge(out, "solo_store_degraded", "1 while the store cannot commit.", store.degraded() ? 1 : 0);
    out += stats.batch_size.to_prometheus("solo_store_batch_size", "Writes per group commit.");
    out += stats.commit_seconds.to_prometheus("solo_store_commit_seconds", "Group commit latency (incl. fsync).");
  });
  telemetry.add_collector([weak = std::weak_ptr<StorageDirectory>(storage_)](std::string& out) {
    auto storage = weak.lock();
    if (!storage) return;
    const auto& m = storage->metrics();
    prometheus::counter(out, "solo_storage_reads_total", "solo.storage gets and lists that reached the storage (not those the read cache answered).",
                        static_cast<double>(m.reads));
    prometheus::counter(out, "solo_storage_writes_total", "solo.storage puts and deletes.",
                        static_cast<double>(m.writes));
    prometheus::counter(out, "solo_storage_written_bytes_total", "Bytes of keys and values put.",
                        static_cast<double>(m.bytes_written));
    prometheus::counter(out, "solo_storage_commits_total", "Storage write operations submitted (one per message that wrote).",
                        static_cast<double>(m.commits));
    prometheus::counter(out, "solo_storage_failed_commits_total", "Storage write operations undone by a failed commit.",
                        static_cast<double>(m.failed_commits));
    out += m.gate_wait_seconds.to_prometheus("solo_storage_gate_wait_seconds",
                                             "How long a message's reply and effects waited for its writes to be durable.");
  });
}

// POST /system/verify: the Verifier over the whole log, with the safe fixes.
asio::awaitable<boost::json::value> Kernel::verify_now(std::shared_ptr<Kernel> self) {
  Verifier verifier(self->events_, self->deployer_, self->recovery_telemetry_);
  auto result = co_await verifier.verify(0, true, VerifyTrigger::request);
  boost::json::array inconsistencies;
  for (const auto& text : result.inconsistencies) inconsistencies.emplace_back(text);
  boost::json::object body;
  body["status"] = result.status;
  body["inconsistencies"] = std::move(inconsistencies);
  body["fixes_applied"] = result.fixes_applied;
  body["verified_through"] = result.verified_through;
  co_return body;
}

asio::awaitable<void> Kernel::boot() {
  prepare_data_dir(options_.data_dir, options_.store.empty());
  co_await kernel_->start();
  tree_started_ = true;
  boot_progress_->notify();
  while (!recovered_) co_await boot_progress_->wait();
  report_.tokens_restored = tokens_restored_;
  boost::json::object payload = recovery_summary(report_);
  payload["pid"] = static_cast<int64_t>(::getpid());
  payload["url"] = gateway_->url();
  co_await events_->append_durable(system_event("system_started", std::move(payload)));
  status_->set_phase(SystemPhase::running);
}

// Durable, so that watchers (SSE, WebSocket) receive the notice; then a short
// grace lets their streams write it before the drain closes them.
asio::awaitable<void> Kernel::announce_shutdown(std::shared_ptr<Kernel> self) {
  if (!self->events_) co_return;
  co_await self->events_->append_durable(system_event("system_shutdown_started"));
  asio::steady_timer grace(self->executor_, std::chrono::milliseconds(50));
  co_await grace.async_wait(asio::use_awaitable);
}

asio::awaitable<int> Kernel::shutdown() {
  if (shutting_down_) {
    // A concurrent call (a second signal path) waits for the first to finish.
    while (!shutdown_finished_) co_await shutdown_done_->wait();
    co_return exit_code_;
  }
  shutting_down_ = true;
  status_->set_phase(SystemPhase::stopping);
  auto self = shared_from_this();
  bool final_flush_ok = false;
  auto step = options_.step_deadline;
  ShutdownSequence sequence(options_.shutdown_deadline);
  sequence.add({"stop_accepting", step, [self]() -> asio::awaitable<void> {
                  self->gateway_->stop_accepting();
                  co_return;
                }});
  sequence.add({"announce", step, [self]() { return announce_shutdown(self); }});
  sequence.add({"drain_requests", step, [self, step]() { return self->gateway_->drain(step); }});
  sequence.add({"stop_services", step, [self]() { return self->tenants_->stop(); }});
  sequence.add({"flush_stores", step, [self]() -> asio::awaitable<void> {
                  if (self->events_) co_await self->events_->flush();
                }});
  sequence.add({"stop_system", step, [self]() { return self->kernel_->stop(); }});
  sequence.add({"complete", step, [self, &final_flush_ok]() -> asio::awaitable<void> {
                  if (!self->events_) co_return;
                  // The log and the projections agree by construction (one
                  // transaction each), so a clean stop marks everything verified.
                  self->events_->append(system_event("system_shutdown_complete"), MetaStore::mark_verified_through());
                  co_await self->events_->flush();
                  final_flush_ok = true;
                }});
  sequence.add({"close_database", step, [self]() -> asio::awaitable<void> {
                  if (self->events_) co_await self->events_->close();
                }});
  auto results = co_await sequence.run();
  exit_code_ = exit_codes::after_shutdown(final_flush_ok, results);
  shutdown_results_ = std::move(results);
  shutdown_finished_ = true;
  shutdown_done_->notify();
  co_return exit_code_;
}

asio::awaitable<bool> Kernel::emergency_flush() {
  if (!events_) co_return true;
  try {
    auto flushed = co_await with_timeout(events_->flush(), std::chrono::seconds(2));
    co_return flushed;
  } catch (const std::exception&) {
    co_return false;
  }
}

void Kernel::on_system_event(std::function<void(const SupervisorEvent&)> listener) {
  system_->on_event(std::move(listener));
}

asio::awaitable<std::string> Kernel::wait_failed() { co_return co_await kernel_->wait_gave_up(); }

std::string Kernel::url() const { return gateway_->url(); }

std::function<asio::awaitable<net::Response>(net::Request&)> Kernel::dispatcher() const {
  return gateway_->front_dispatcher();
}

std::vector<std::pair<std::string, std::string>> Kernel::routes() const { return gateway_->router().routes(); }

}  // namespace solo
