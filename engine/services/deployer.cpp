#include "engine/services/deployer.hpp"

#include <exception>
#include <optional>

#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "base/exception_text.hpp"
#include "engine/security/crypto.hpp"
#include "engine/services/log_book.hpp"
#include "engine/services/service_runtime.hpp"
#include "engine/storage/storage_directory.hpp"
#include "engine/supervision/supervisor.hpp"
#include "stores/event_store.hpp"
#include "stores/service_store.hpp"

namespace solo {

namespace {

// Why a start failed, in the service's own words: the actor's StartFailure
// (compile error, init failed); else the supervisor's message (the start
// never reached the service's code).
std::string start_failure_reason(const ServiceActor& actor, const std::string& failure) {
  return actor.start_failure() ? actor.start_failure()->message : failure;
}

constexpr auto kServiceStopDeadline = std::chrono::seconds(5);

std::string child_name(const std::string& service_id) { return "service:" + service_id; }

NewEvent service_event(std::string type, const ServiceSpec& spec, boost::json::object payload) {
  NewEvent event;
  event.event_type = std::move(type);
  event.tenant_id = spec.tenant_id;
  event.service_id = spec.service_id;
  event.payload = std::move(payload);
  return event;
}

// The services row of `spec`, written in its event's transaction. The row's
// spec is `spec_text`, or (nullopt) the event's payload text itself, when the
// payload is to_json(spec) as it is (service_deployed): the spec is then not
// serialized a second time on the engine thread.
ProjectionFn write_row(ServiceSpec spec, std::string code_sha256, std::optional<std::string> spec_text) {
  return [spec = std::move(spec), code_sha256 = std::move(code_sha256), spec_text = std::move(spec_text)](
             Database& db, const Event& event) {
    ServiceRow row{spec.tenant_id, spec.service_id,   spec.version,     spec.format,
                   spec.code,      code_sha256,       spec_text ? *spec_text : event.payload,
                   event.wall_clock, event.wall_clock, event.id};
    upsert_service_row(db, row);
  };
}

ProjectionFn write_row(const ServiceSpec& spec) {
  return write_row(spec, crypto::sha256_hex(spec.code), boost::json::serialize(to_json(spec)));
}

ProjectionFn remove_row(std::string tenant_id, std::string service_id) {
  return [tenant_id = std::move(tenant_id), service_id = std::move(service_id)](Database& db, const Event&) {
    delete_service_row(db, tenant_id, service_id);
  };
}

// Marks an id busy for the duration of one operation (deploy, kill, swap), so
// that two concurrent requests for the same service cannot interleave.
class BusyGuard {
 public:
  BusyGuard(std::map<std::string, std::map<std::string, bool>>& busy, const std::string& tenant,
            const std::string& id)
      : busy_(busy), tenant_(tenant), id_(id) {
    if (busy_[tenant_][id_]) {
      throw DeployError(DeployError::Kind::conflict, "service " + id + " has another operation in progress");
    }
    busy_[tenant_][id_] = true;
  }
  ~BusyGuard() { busy_[tenant_].erase(id_); }

 private:
  std::map<std::string, std::map<std::string, bool>>& busy_;
  std::string tenant_;
  std::string id_;
};

// JSON built outside coroutines: GCC 12 cannot compile initializer lists with
// string literals inside a coroutine body ("array used as initializer").
boost::json::object deployed_reply(const ServiceSpec& spec, const std::string& code_sha256, int64_t event_id) {
  return {{"service_id", spec.service_id},
          {"status", "deployed"},
          {"version", spec.version},
          {"code_sha256", code_sha256},
          {"event_id", event_id}};
}

boost::json::object reason_payload(const std::string& reason) { return {{"reason", reason}}; }

boost::json::object kill_payload(bool force, int64_t version) { return {{"force", force}, {"version", version}}; }

boost::json::object swap_started_payload(int64_t from, int64_t to) {
  return {{"from_version", from}, {"to_version", to}};
}

}  // namespace

Deployer::Deployer(asio::any_io_executor executor, std::shared_ptr<EventStore> events,
                   std::shared_ptr<Supervisor> tenants, std::shared_ptr<ServiceDirectory> directory,
                   std::shared_ptr<LogBook> logs, std::shared_ptr<const NativeServiceTypes> native_types,
                   ServiceLimitsMax limits)
    : executor_(executor),
      events_(std::move(events)),
      tenants_(std::move(tenants)),
      directory_(std::move(directory)),
      limits_(limits) {
  world_ = std::make_shared<ServiceWorld>();
  world_->executor = executor;
  world_->events = events_;
  world_->logs = std::move(logs);
  world_->native_types = std::move(native_types);
  // The Deployer and its directory outlive every actor (the kernel stops the
  // tenants before it drops them), so the world may point back at both; a
  // shared_ptr would be a cycle (directory -> actor -> world -> directory).
  world_->find = [directory = directory_.get()](const std::string& tenant, const std::string& id) {
    return directory->find(tenant, id);
  };
  world_->on_rolled_back = [this](const ServiceSpec& restored, const std::string& reason) {
    on_rolled_back(restored, reason);
  };
}

void Deployer::set_secret_provider(
    std::function<std::optional<std::string>(const std::string&, const std::string&)> fn) {
  world_->secret = std::move(fn);
}

asio::awaitable<std::shared_ptr<Supervisor>> Deployer::tenant_supervisor(const std::string& tenant_id) {
  if (auto it = tenant_supervisors_.find(tenant_id); it != tenant_supervisors_.end()) co_return it->second;
  // Restarts are the services' own business (their spec's intensity); the
  // tenant supervisor only starts and stops them.
  auto supervisor = Supervisor::create(executor_, "tenant:" + tenant_id, Strategy::one_for_one,
                                       Intensity{1000, std::chrono::seconds(1)});
  tenant_supervisors_[tenant_id] = supervisor;
  co_await tenants_->start_child(supervisor->as_child(std::chrono::seconds(30)));
  co_return supervisor;
}

asio::awaitable<void> Deployer::start(std::shared_ptr<ServiceActor> actor) {
  auto supervisor = co_await tenant_supervisor(actor->spec().tenant_id);
  ChildSpec child{child_name(actor->spec().service_id),
                  [actor](ChildContext context) { return ServiceActor::run(actor, context); }, Restart::temporary,
                  kServiceStopDeadline};
  co_await supervisor->start_child(std::move(child));
}

asio::awaitable<boost::json::object> Deployer::deploy(ServiceSpec spec) {
  BusyGuard busy(busy_, spec.tenant_id, spec.service_id);
  DeployMark deploying(*directory_, spec.tenant_id, spec.service_id);
  if (auto existing = directory_->find(spec.tenant_id, spec.service_id)) {
    throw DeployError(DeployError::Kind::conflict, "service " + spec.service_id + " is already deployed (status " +
                                                       to_string(existing->state()) + "); kill it first");
  }
  spec.version = 1;
  check_per_service_metrics(spec);
  // Counted against the cap from here until the directory lists the actor,
  // so two concurrent deploys cannot both take the last slot.
  struct PendingSlot {
    std::map<std::string, size_t>* pending = nullptr;
    std::string tenant;
    void release() {
      if (pending && --(*pending)[tenant] == 0) pending->erase(tenant);
      pending = nullptr;
    }
    ~PendingSlot() { release(); }
  } slot;
  if (spec.per_service_metrics) {
    ++per_service_pending_[spec.tenant_id];
    slot.pending = &per_service_pending_;
    slot.tenant = spec.tenant_id;
  }
  // A compile error (kind invalid) goes to the caller as it is, and nothing
  // is written. The check keeps the compiled chunk (LuaChunkCache), so the
  // sandbox below loads it rather than compiling again.
  check_service_code(spec, *world_->native_types);
  auto actor = std::make_shared<ServiceActor>(world_, spec, utc_now_iso8601());
  // The event goes to the Writer first and the sandbox is made while it
  // commits, so a deploy takes about the longer of the two rather than their
  // sum. The payload is the spec, so the row takes its text (write_row with
  // no spec text).
  const int64_t event_id = events_->append(service_event("service_deployed", spec, to_json(spec)),
                                           write_row(spec, actor->code_sha256(), std::nullopt));
  co_await asio::post(executor_, asio::use_awaitable);  // the Writer takes this turn's writes at its end
  // Making the sandbox runs the code's top level: should that fail (an
  // error, its time or memory limit), the deploy fails as a failed init
  // does, with service_deployment_failed, and the caller gets the error as
  // it is.
  std::exception_ptr prepare_failure;
  try {
    actor->prepare();
  } catch (const std::exception&) {
    prepare_failure = std::current_exception();
  }
  // A StoreError (the commit failed) goes to the caller as it is: the
  // gateway answers it 503 store_unavailable.
  co_await events_->flush();
  if (prepare_failure) {
    const std::string reason = describe_exception(prepare_failure);
    events_->append(service_event("service_deployment_failed", spec, reason_payload(reason)),
                    remove_row(spec.tenant_id, spec.service_id));
    co_await events_->flush();
    std::rethrow_exception(prepare_failure);
  }
  directory_->add(actor);
  slot.release();
  std::string failure;
  try {
    co_await start(actor);
  } catch (const std::exception& error) {
    failure = error.what();
  }
  if (!failure.empty()) {
    directory_->remove(spec.tenant_id, spec.service_id);
    std::string reason = start_failure_reason(*actor, failure);
    events_->append(service_event("service_deployment_failed", spec, reason_payload(reason)),
                    remove_row(spec.tenant_id, spec.service_id));
    co_await events_->flush();
    throw DeployError(DeployError::Kind::invalid, reason);
  }
  co_return deployed_reply(spec, actor->code_sha256(), event_id);
}

void Deployer::check_per_service_metrics(const ServiceSpec& spec) const {
  if (!spec.per_service_metrics) return;
  size_t taken = 0;
  if (auto it = per_service_pending_.find(spec.tenant_id); it != per_service_pending_.end()) taken = it->second;
  for (const auto& actor : directory_->all()) {
    if (actor->spec().tenant_id == spec.tenant_id && actor->spec().per_service_metrics) ++taken;
  }
  if (taken >= kMaxPerServiceMetrics) {
    throw DeployError(DeployError::Kind::invalid,
                      "'metrics': \"per_service\" is limited to " + std::to_string(kMaxPerServiceMetrics) +
                          " services per tenant, and this tenant has " + std::to_string(taken) +
                          "; deploy with \"metrics\": \"tenant\" (the tenant's aggregates) or kill one");
  }
}

asio::awaitable<void> Deployer::recover(const ServiceRow& row) {
  auto spec = service_spec_from_json(boost::json::parse(row.spec).as_object(), row.tenant_id);
  spec.version = row.version;
  co_await recover(std::move(spec), row.created_at);
}

asio::awaitable<void> Deployer::recover(ServiceSpec spec, std::string created_at,
                                        std::unique_ptr<LuaSandbox> compiled) {
  BusyGuard busy(busy_, spec.tenant_id, spec.service_id);
  if (directory_->find(spec.tenant_id, spec.service_id)) {
    throw DeployError(DeployError::Kind::conflict, "service " + spec.service_id + " is already running");
  }
  if (spec.format == "native" && !world_->native_types->find(spec.code)) {
    throw DeployError(DeployError::Kind::invalid, "no native service type named '" + spec.code + "' is registered");
  }
  // No separate compile check (unlike deploy, nothing is appended before the
  // start): starting compiles the code, and a failure says why.
  auto actor = std::make_shared<ServiceActor>(world_, spec, std::move(created_at));
  actor->use_compiled(std::move(compiled));
  directory_->add(actor);
  std::string failure;
  try {
    co_await start(actor);
  } catch (const std::exception& error) {
    failure = error.what();
  }
  if (!failure.empty()) {
    directory_->remove(spec.tenant_id, spec.service_id);
    throw DeployError(DeployError::Kind::invalid, start_failure_reason(*actor, failure));
  }
}

asio::awaitable<int64_t> Deployer::kill(std::string tenant_id, std::string service_id, bool force, bool purge) {
  BusyGuard busy(busy_, tenant_id, service_id);
  auto actor = directory_->find(tenant_id, service_id);
  const auto& storage = world_->storage;
  if (!actor && purge && storage && storage->find(tenant_id, service_id)) {
    NewEvent purged;
    purged.event_type = "service_storage_purged";
    purged.tenant_id = tenant_id;
    purged.service_id = service_id;
    purged.payload = boost::json::object{{"keys", storage->use(tenant_id, service_id).keys}};
    ProjectionFn erase = storage->purge(tenant_id, service_id);
    const int64_t event_id = co_await events_->append_durable(std::move(purged), std::move(erase));
    storage->forget(tenant_id, service_id);
    co_return event_id;
  }
  if (!actor) throw DeployError(DeployError::Kind::not_found, "no service " + service_id);
  ProjectionFn projection = remove_row(tenant_id, service_id);
  if (purge && storage) {
    projection = [remove = std::move(projection), erase = storage->purge(tenant_id, service_id)](
                     Database& db, const Event& event) {
      remove(db, event);
      erase(db, event);
    };
  }
  boost::json::object payload = kill_payload(force, actor->spec().version);
  if (purge) payload["purge"] = true;
  const int64_t event_id = co_await events_->append_durable(
      service_event("service_killed", actor->spec(), std::move(payload)), std::move(projection));
  if (purge && storage) storage->forget(tenant_id, service_id);
  actor->mark_stopping(force ? "kill" : "killed");
  if (auto it = tenant_supervisors_.find(tenant_id); it != tenant_supervisors_.end()) {
    co_await it->second->terminate_child(child_name(service_id));
  }
  directory_->remove(tenant_id, service_id);
  co_return event_id;
}

asio::awaitable<int64_t> Deployer::swap(std::string tenant_id, std::string service_id, std::string code,
                                        std::chrono::milliseconds rollback_window) {
  BusyGuard busy(busy_, tenant_id, service_id);
  auto actor = directory_->find(tenant_id, service_id);
  if (!actor) throw DeployError(DeployError::Kind::not_found, "no service " + service_id);
  if (code.size() > limits_.code_bytes) {
    throw DeployError(DeployError::Kind::invalid, "'code' is larger than " + std::to_string(limits_.code_bytes));
  }
  ServiceSpec next = actor->spec();
  next.code = std::move(code);
  next.version = actor->spec().version + 1;
  check_service_code(next, *world_->native_types);  // a compile error as it is; the running version is untouched
  // Durable before the actor is touched, like deploy's service_deployed: a
  // store that cannot commit refuses the swap (StoreError: 503
  // store_unavailable) while the running version is untouched.
  co_await events_->append_durable(
      service_event("hot_swap_started", next, swap_started_payload(actor->spec().version, next.version)));
  // The actor's Error keeps its kind (a full mailbox is overloaded: 503 with
  // Retry-After, as for a call); anything else it throws is the swap's fault.
  std::optional<Error> failure;
  try {
    co_await actor->swap(next, rollback_window);
  } catch (const Error& error) {
    failure = error;
  } catch (const std::exception& error) {
    failure = Error(ErrorKind::invalid, error.what());
  }
  if (failure) {
    // A StoreError here goes to the caller as it is (503 store_unavailable).
    co_await events_->append_durable(service_event("hot_swap_failed", next, reason_payload(failure->message())));
    throw *failure;
  }
  auto payload = to_json(next);
  payload["rollback_window_ms"] = rollback_window.count();
  co_await events_->append_durable(service_event("hot_swap_succeeded", next, payload), write_row(next));
  co_return next.version;
}

void Deployer::on_rolled_back(const ServiceSpec& restored, const std::string& reason) {
  events_->append(service_event("hot_swap_rolled_back", restored, {{"version", restored.version}, {"reason", reason}}),
                  write_row(restored));
}

}  // namespace solo
