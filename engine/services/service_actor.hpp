// ServiceActor: one deployed service — its bounded mailbox, its current code
// (a ServiceRuntime), its restart loop and its status figures.
//
// Life: the Deployer starts run() as a child of the tenant's supervisor.
// Each incarnation builds a runtime, runs init(config) (or, after a failed hot
// swap, restores the previous code and state), reports ready and handles one
// message at a time. A handler error or a breached limit crashes the
// incarnation: the caller of the failing call gets the service's error, a
// `service_crashed` event is written, and the actor restarts within the
// spec's intensity (RestartIntensity, as supervisors use); past it the
// service stays down as `crashed`. The mailbox outlives incarnations, so
// queued messages wait for the restart instead of being lost.
//
// Stopping (kill, shutdown) is terminal cancellation of run(): the actor
// runs terminate(reason, state) (bounded by the instruction budget) and ends.
//
// solo.call: the handler yields a PendingCall; the actor awaits the target's
// call() (the engine thread never blocks) and resumes the handler. Every call
// carries the chain of services it passes through, so a call to oneself or
// around a cycle fails at once with a clear error instead of timing out.
//
// Engine thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/value.hpp>

#include "engine/actor/call_result.hpp"
#include "engine/actor/mailbox.hpp"
#include "engine/actor/reply.hpp"
#include "engine/services/secret_mask.hpp"
#include "engine/services/service_runtime.hpp"
#include "engine/services/service_spec.hpp"
#include "engine/storage/output_gate.hpp"
#include "engine/telemetry/service_stats.hpp"

namespace solo {

class ChildContext;
class EventStore;
class LogBook;
class ServiceActor;
class StorageDirectory;

// What every service actor needs from the world around it (owned by the Deployer).
struct ServiceWorld {
  asio::any_io_executor executor;
  std::shared_ptr<EventStore> events;
  std::shared_ptr<LogBook> logs;
  // solo.storage (engine/storage/); null: services have no storage.
  std::shared_ptr<StorageDirectory> storage;
  std::shared_ptr<const NativeServiceTypes> native_types;
  std::function<std::shared_ptr<ServiceActor>(const std::string& tenant, const std::string& service)> find;
  std::function<std::optional<std::string>(const std::string& tenant, const std::string& name)> secret;
  // A hot swap was rolled back: the spec now running (the old one).
  std::function<void(const ServiceSpec& restored, const std::string& reason)> on_rolled_back;
  // Before a solo.emit: throws (a Lua error for the service) when the tenant's
  // event-log quota is used up (engine/tenancy/tenant_quotas.hpp); null: no quota.
  std::function<void(const std::string& tenant)> check_event_log;
  // The service exceeded its restart intensity and stays down.
  std::function<void(const ServiceSpec& spec, const std::string& reason)> on_gave_up;
};

enum class ServiceState { starting, running, restarting, crashed, stopping, stopped };

// Why a service's first start failed, as the step that failed: its code did
// not compile (recovery starts from stored code without a prepare()), or its
// init raised or ran out of budget. `message` is what the client and the
// service_deployment_failed event read ("init failed: ..." for init_failed).
struct StartFailure {
  enum class Kind { compile_error, init_failed } kind;
  std::string message;
};
const char* to_string(ServiceState state);

using CallChain = std::vector<std::string>;

class ServiceActor : public ServiceHost, public std::enable_shared_from_this<ServiceActor> {
 public:
  ServiceActor(std::shared_ptr<ServiceWorld> world, ServiceSpec spec, std::string created_at);
  ~ServiceActor() override;

  // Compiles the code into the runtime the first start will use, so that
  // deploy can refuse code that does not compile before anything is logged
  // and without compiling it twice. Throws the compile error (a LuaError or
  // SpecError, kind invalid) as it is.
  void prepare();
  // Recovery's alternative to prepare(): the code compiled on another thread
  // (LuaSandbox::compile). The first start runs its top level, as it would
  // have compiled and run it, with the same failures.
  void use_compiled(std::unique_ptr<LuaSandbox> compiled) { compiled_ = std::move(compiled); }

  // The supervised child body (see the file comment).
  static asio::awaitable<void> run(std::shared_ptr<ServiceActor> self, ChildContext context);

  // Request/reply; failures are values: overloaded (full, nothing queued),
  // timeout, stopped (crashed or killed), error (the service's error message).
  //
  // A call from outside any service (an empty chain: HTTP, WebSocket, CLI)
  // to an actor that is idle — running, not inside a message, its mailbox
  // empty — runs inline: its first step runs at once on the caller's
  // coroutine, with the same budgets and slice as in the run loop, and a
  // reply ready at the end of it returns with no mailbox round trip and no
  // timer. A step that cannot finish at once (preempted at the end of its
  // slice, waiting in solo.call, or failed, which crashes the incarnation)
  // is handed to the run loop at the head of the mailbox and the caller
  // waits for it as for any queued call, within what is left of `timeout`.
  // Inline never overtakes a queued message (only an empty mailbox), never
  // runs beside a message in progress, and never nests: a call from inside
  // a handler (solo.call) always goes through the target's mailbox, so the
  // engine time of a chain of calls stays sliced.
  asio::awaitable<CallResult<boost::json::value>> call(boost::json::value msg, std::chrono::milliseconds timeout,
                                                       CallChain chain = {});
  // Fire and forget; false when the mailbox is full or the service is down.
  bool cast(boost::json::value msg);
  // Hot swap, in mailbox order: compile, migrate the state through
  // code_change, switch; a crash within rollback_window restores the old code
  // and state. Returns the new version, or throws an Error: overloaded (the
  // mailbox is full; nothing was queued), invalid (not running, the code does
  // not compile, the state cannot be migrated, code_change raised).
  asio::awaitable<int64_t> swap(ServiceSpec next, std::chrono::milliseconds rollback_window);

  const ServiceSpec& spec() const { return spec_; }
  // The sha256 (hex) of the running version's code.
  const std::string& code_sha256() const { return code_sha256_; }
  ServiceState state() const { return state_; }
  bool alive() const { return state_ == ServiceState::running || state_ == ServiceState::starting; }
  boost::json::object status_json() const;
  // The per-service figures (docs/operations.md, "Per-service figures"):
  // the counters of stats() plus cpu_time_us, instructions, memory_bytes,
  // mailbox_depth, restarts, timers and storage {keys, bytes}. The circuit
  // state is the gateway's (net/api/service_figures.hpp adds it).
  boost::json::object stats_json() const;
  // Counted by the actor itself; the gateway adds the calls its circuit
  // breaker rejected (ServiceStats::call_rejected).
  ServiceStats& stats() { return stats_; }
  const ServiceStats& stats() const { return stats_; }
  uint64_t instructions() const { return retired_.reductions + (runtime_ ? runtime_->reductions() : 0); }
  std::chrono::nanoseconds cpu_time() const {
    return retired_.cpu_time + (runtime_ ? runtime_->cpu_time() : std::chrono::nanoseconds{0});
  }
  int restarts() const { return restarts_; }
  // What the service holds: its heap (Lua) plus the messages of its pending
  // timers, of its queued mailbox and of the effects its output gate holds,
  // which live outside the heap but are the service's doing. A new timer, cast or call that would take this past
  // limits.memory_bytes is refused.
  size_t memory_bytes() const {
    return (runtime_ ? runtime_->memory_bytes() : 0) + timer_bytes_ + mailbox_->bytes() + gate_.held_bytes();
  }
  size_t queue_length() const { return mailbox_->size(); }
  void mark_stopping(std::string reason) { stop_reason_ = std::move(reason); }
  // Set when the first start failed (run() then ended with that failure).
  const std::optional<StartFailure>& start_failure() const { return start_failure_; }

  // ServiceHost (LuaHost + NativeContext): called from inside handlers.
  void log(std::string_view level, std::string_view line) override;
  void emit(std::string_view kind, boost::json::value payload) override;
  int64_t after(int64_t ms, boost::json::value msg) override;
  bool cancel(int64_t timer_id) override;
  void cast(std::string_view service_id, boost::json::value msg) override;
  std::optional<std::string> secret(std::string_view name) override;
  const std::string* storage_get(std::string_view key) override;
  std::uint64_t storage_version() override;
  void storage_put(std::string_view key, std::string value_json) override;
  bool storage_delete(std::string_view key) override;
  std::vector<std::pair<std::string, std::string>> storage_list(std::string_view prefix,
                                                                std::string_view start_after,
                                                                std::size_t limit) override;
  const std::string& tenant_id() const override { return spec_.tenant_id; }
  const std::string& service_id() const override { return spec_.service_id; }

 private:
  struct Envelope {
    enum class Kind { call, cast, info, swap } kind;
    boost::json::value msg;
    ReplySender<boost::json::value> reply;  // call and swap
    CallChain chain;
    std::shared_ptr<ServiceSpec> next;  // swap
    std::chrono::milliseconds rollback_window{0};
    size_t bytes = 0;  // msg's serialized size, counted in memory_bytes() while queued
    // call: set to Fault::reply by crash() when the handler's reply could not
    // be encoded, so call() can tell its caller it was that call only.
    std::shared_ptr<StepResult::Fault> fault;
    // call: the first step, already run inline by call() (msg is then unused).
    std::optional<StepResult> started;
  };
  struct Timer {
    std::shared_ptr<asio::steady_timer> timer;
    size_t bytes = 0;  // its message's serialized size
  };
  struct Rollback {
    ServiceSpec spec;
    boost::json::value state;
    std::chrono::steady_clock::time_point until;
  };

  static asio::awaitable<void> run_incarnation(std::shared_ptr<ServiceActor> self, ChildContext& context,
                                               bool restarted);
  static asio::awaitable<StepResult> drive(std::shared_ptr<ServiceActor> self, StepResult step, CallChain chain);
  static asio::awaitable<void> handle(std::shared_ptr<ServiceActor> self, Envelope envelope);
  static asio::awaitable<void> handle_swap(std::shared_ptr<ServiceActor> self, Envelope envelope);
  static asio::awaitable<void> fire_timer(std::weak_ptr<ServiceActor> weak, std::shared_ptr<asio::steady_timer> timer,
                                          int64_t id, uint64_t incarnation, boost::json::value msg);
  void run_terminate(const std::string& reason);
  // The output gate (engine/storage/output_gate.hpp): ends a message that
  // succeeded. Its effects (and `reply`, if any) go now when nothing is on
  // its way to the disk, else from a coroutine that waits for the commit
  // (the run loop goes on with the next message meanwhile).
  void release(OutputGate::Release release, std::optional<ReplySender<boost::json::value>> reply,
               boost::json::value value);
  static asio::awaitable<void> release_when_durable(std::shared_ptr<ServiceActor> self, OutputGate::Release release,
                                                    std::optional<ReplySender<boost::json::value>> reply,
                                                    boost::json::value value);
  // call()'s inline path when the reply must wait for the gate.
  // `metered`: the step's own time, which the commit wait adds to (its latency).
  asio::awaitable<CallResult<boost::json::value>> call_gated(boost::json::value reply, std::chrono::nanoseconds metered);
  // Ends a message's writes and waits for them (init, swap, a solo.call in
  // the middle of a message); throws StoreError when they failed.
  static asio::awaitable<void> flush_message(std::shared_ptr<ServiceActor> self);
  // Crashes the incarnation when a failed commit undid writes it may have read.
  void check_storage_rollback();
  void crashed_event(const std::string& reason, StepResult::Fault fault);
  void append(std::string type, boost::json::object payload);
  void cancel_timers();
  [[noreturn]] void crash(const StepResult& step);
  // Whether `bytes` more outside the heap keep memory_bytes() within the limit.
  bool has_room_for(size_t bytes) const;
  std::string held_past_memory(size_t bytes) const;
  // call() past its inline fast path: checks and queues the message, or
  // hands the run loop the `started` first step, and waits for the reply
  // within `timeout` (`call_timeout` is what a timeout reports).
  asio::awaitable<CallResult<boost::json::value>> call_queued(boost::json::value msg, std::chrono::milliseconds timeout,
                                                              std::chrono::milliseconds call_timeout, CallChain chain,
                                                              std::unique_ptr<StepResult> started);
  // Whether a call from outside may run inline now (see call()).
  bool idle() const {
    return state_ == ServiceState::running && runtime_ && !handling_ && mailbox_->empty();
  }

  std::shared_ptr<ServiceWorld> world_;
  ServiceSpec spec_;
  std::string code_sha256_;
  std::string created_at_;
  std::string updated_at_;
  std::shared_ptr<Mailbox<Envelope>> mailbox_;
  std::unique_ptr<ServiceRuntime> runtime_;
  std::unique_ptr<ServiceRuntime> prepared_runtime_;  // prepare()'s, taken by the first incarnation
  std::unique_ptr<LuaSandbox> compiled_;              // use_compiled()'s, taken by the first incarnation
  ServiceState state_ = ServiceState::starting;
  std::string last_error_;
  StartFailure::Kind start_step_ = StartFailure::Kind::compile_error;  // the step a first start is in
  std::optional<StartFailure> start_failure_;
  std::string stop_reason_;
  int restarts_ = 0;
  // The figures of runtimes that are gone (earlier incarnations, swapped-out code).
  struct RetiredFigures {
    uint64_t reductions = 0;
    std::chrono::nanoseconds cpu_time{0};
    void add(const ServiceRuntime& runtime) {
      reductions += runtime.reductions();
      cpu_time += runtime.cpu_time();
    }
  } retired_;
  uint64_t incarnation_ = 0;
  std::optional<Rollback> rollback_;
  std::map<int64_t, Timer> timers_;
  size_t timer_bytes_ = 0;  // the pending timers' message bytes
  int64_t next_timer_ = 1;
  std::shared_ptr<StepResult::Fault> handling_fault_;  // of the call envelope being handled
  bool handling_ = false;  // the run loop is inside a message (it may be suspended in it)
  // The secret values this service has read, hidden in its logs, events and errors.
  SecretMask secret_mask_;
  OutputGate gate_;
  ServiceStats stats_;
};

}  // namespace solo
