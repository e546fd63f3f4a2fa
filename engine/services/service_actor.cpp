#include "engine/services/service_actor.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/exception_text.hpp"
#include "engine/security/crypto.hpp"
#include "engine/services/log_book.hpp"
#include "engine/storage/service_storage.hpp"
#include "engine/storage/storage_directory.hpp"
#include "engine/supervision/child_context.hpp"
#include "engine/supervision/restart_intensity.hpp"
#include "stores/event_store.hpp"

namespace solo {

namespace {

constexpr size_t kMaxTimers = 1000;
// The longest a preempted step waits after a slice that ran long: a slice
// cannot run longer than a message's CPU time.
constexpr std::chrono::milliseconds kLongestOverrunPause{50};
constexpr size_t kMaxLogLine = 4096;
// A full mailbox drains as the service handles messages: retry shortly.
constexpr std::chrono::seconds kMailboxRetryAfter{1};

// What the caller of a message whose storage writes did not commit gets
// (503 with Retry-After: the store is degraded; nothing of the message was kept).
Error storage_commit_failed(const std::string& service, const std::string& why) {
  return Error(ErrorKind::overloaded,
               "service " + service + " could not make its storage writes durable (" + why +
                   "); nothing of this message was kept",
               std::chrono::seconds(1));
}

// Thrown inside an incarnation to end it as a crash.
class ServiceCrash : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown out of handle() when a call failed but the service did not (its
// reply cannot be encoded): the incarnation catches it and goes on.
class CallFailedOnly : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Marks the run loop as inside a message until the message is done, however
// it ends (a crash or a cancellation unwinds through it), so that call() does
// not run a step inline beside it.
class Handling {
 public:
  explicit Handling(bool& flag) : flag_(flag) { flag_ = true; }
  ~Handling() { flag_ = false; }
  Handling(const Handling&) = delete;
  Handling& operator=(const Handling&) = delete;

 private:
  bool& flag_;
};

// A queued call's latency: its time in the queue and handler, plus the
// time of a first step it ran inline.
std::chrono::nanoseconds latency_since(std::chrono::steady_clock::time_point queued_at,
                                       std::chrono::nanoseconds inline_time) {
  return inline_time + (std::chrono::steady_clock::now() - queued_at);
}

}  // namespace

const char* to_string(ServiceState state) {
  switch (state) {
    case ServiceState::starting:
      return "starting";
    case ServiceState::running:
      return "running";
    case ServiceState::restarting:
      return "restarting";
    case ServiceState::crashed:
      return "crashed";
    case ServiceState::stopping:
      return "stopping";
    case ServiceState::stopped:
      return "stopped";
  }
  return "unknown";
}

ServiceActor::ServiceActor(std::shared_ptr<ServiceWorld> world, ServiceSpec spec, std::string created_at)
    : world_(std::move(world)),
      spec_(std::move(spec)),
      code_sha256_(crypto::sha256_hex(spec_.code)),
      created_at_(created_at),
      updated_at_(std::move(created_at)),
      mailbox_(std::make_shared<Mailbox<Envelope>>(world_->executor, spec_.limits.mailbox)),
      gate_(world_->storage, world_->events, spec_.tenant_id, spec_.service_id) {}

ServiceActor::~ServiceActor() { cancel_timers(); }

// ---- the restart loop -------------------------------------------------------

asio::awaitable<void> ServiceActor::run(std::shared_ptr<ServiceActor> self, ChildContext context) {
  RestartIntensity intensity(Intensity{self->spec_.restart.max_restarts, self->spec_.restart.period});
  bool ever_ready = false;
  for (;;) {
    std::exception_ptr failure;
    try {
      co_await run_incarnation(self, context, ever_ready);
    } catch (...) {
      failure = std::current_exception();
    }
    ever_ready = ever_ready || self->state_ == ServiceState::running;
    self->gate_.discard();  // a message cut short keeps none of its writes
    self->cancel_timers();
    if (!failure || is_operation_aborted(failure)) {
      self->state_ = ServiceState::stopping;
      self->run_terminate(self->stop_reason_.empty() ? "shutdown" : self->stop_reason_);
      self->state_ = ServiceState::stopped;
      self->mailbox_->close();
      while (self->mailbox_->try_pop()) {
      }  // queued callers get "actor stopped without replying"
      co_return;
    }
    std::string reason = self->secret_mask_.apply(describe_exception(failure));
    self->last_error_ = reason;
    if (!ever_ready) {  // a failed first start fails the deploy; the Deployer reads why
      self->start_failure_ = StartFailure{self->start_step_, reason};
      std::rethrow_exception(failure);
    }
    bool restart = intensity.allow_restart(std::chrono::steady_clock::now());
    self->append("service_crashed", {{"reason", reason}, {"restarts", self->restarts_}, {"will_restart", restart}});
    self->world_->logs->write(self->spec_.tenant_id, self->spec_.service_id, "error", "crashed: " + reason);
    if (!restart) {
      self->state_ = ServiceState::crashed;
      if (self->runtime_) self->retired_.add(*self->runtime_);
      self->runtime_.reset();
      while (self->mailbox_->try_pop()) {
      }
      if (self->world_->on_gave_up) self->world_->on_gave_up(self->spec_, reason);
      co_return;
    }
    ++self->restarts_;
    self->state_ = ServiceState::restarting;
  }
}

void ServiceActor::prepare() { prepared_runtime_ = make_service_runtime(spec_, this, *world_->native_types); }

asio::awaitable<void> ServiceActor::run_incarnation(std::shared_ptr<ServiceActor> self, ChildContext& context,
                                                    bool restarted) {
  ++self->incarnation_;
  self->gate_.rebase();
  auto prepared = std::move(self->prepared_runtime_);
  if (self->runtime_) self->retired_.add(*self->runtime_);
  self->runtime_.reset();
  bool rolled_back = false;
  if (restarted && self->rollback_ && std::chrono::steady_clock::now() < self->rollback_->until) {
    // A crash inside the rollback window: the old code with the old state.
    Rollback rollback = std::move(*self->rollback_);
    self->rollback_.reset();
    self->spec_ = rollback.spec;
    self->code_sha256_ = crypto::sha256_hex(self->spec_.code);
    self->updated_at_ = utc_now_iso8601();
    self->runtime_ = make_service_runtime(self->spec_, self.get(), *self->world_->native_types);
    if (auto error = self->runtime_->import_state(rollback.state)) {
      throw ServiceCrash("rollback could not restore the previous state: " + *error);
    }
    rolled_back = true;
  } else {
    self->rollback_.reset();
    self->start_step_ = StartFailure::Kind::compile_error;
    self->runtime_ = prepared ? std::move(prepared)
                              : make_service_runtime(self->spec_, self.get(), *self->world_->native_types,
                                                     std::move(self->compiled_));
    self->start_step_ = StartFailure::Kind::init_failed;
    auto step = co_await drive(self, self->runtime_->init(self->spec_.config), {});
    if (step.is_error()) {
      StepResult failed = step;
      failed.error = "init failed: " + step.error;
      self->gate_.discard();
      self->crash(failed);
    }
    co_await flush_message(self);  // ready only once init's writes are durable
  }
  self->state_ = ServiceState::running;
  if (rolled_back) {
    if (self->world_->on_rolled_back) self->world_->on_rolled_back(self->spec_, self->last_error_);
  } else if (restarted) {
    self->append("service_restarted", {{"restarts", self->restarts_}, {"version", self->spec_.version}});
  } else {
    self->append("service_started", {{"version", self->spec_.version}});
  }
  context.ready();
  for (;;) {
    auto envelope = co_await self->mailbox_->pop();
    if (!envelope) co_return;
    if (self->gate_.rolled_back()) {
      // The message waits for the next incarnation, which starts from the durable data.
      self->mailbox_->push_front(std::move(*envelope));
      throw ServiceCrash("a commit of its storage failed and undid writes its state may hold; restarting");
    }
    self->handling_fault_ = envelope->fault;
    {
      Handling handling(self->handling_);  // until the message is done, not across the turn below
      try {
        co_await handle(self, std::move(*envelope));
      } catch (const CallFailedOnly&) {
        // That call's caller has its error; the service, its state and its
        // restart count are untouched.
      }
    }
    self->handling_fault_.reset();
    // Mailbox::pop() does not suspend while items are queued, so without this
    // a full mailbox of CPU-heavy messages (each within its budget) would run
    // back to back and hold the engine thread for seconds: /health, accepts
    // and every other service would starve. One turn of the loop per message
    // bounds any stall to a single message's budget.
    co_await asio::post(self->world_->executor, asio::use_awaitable);
  }
}

// ---- messages -----------------------------------------------------------------

asio::awaitable<StepResult> ServiceActor::drive(std::shared_ptr<ServiceActor> self, StepResult step,
                                                CallChain chain) {
  while (step.is_call() || step.is_preempted()) {
    if (step.is_preempted()) {
      // The step used its slice: everything else that is ready runs first
      // (the post queues this continuation behind it), then the step goes on.
      // A slice that ran long (one uninterruptible piece) waits as long
      // again, so the others get as much of the engine as it took.
      if (step.overrun > std::chrono::nanoseconds{0}) {
        asio::steady_timer pause(self->world_->executor, std::min<std::chrono::nanoseconds>(step.overrun, kLongestOverrunPause));
        co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      } else {
        co_await asio::post(self->world_->executor, asio::use_awaitable);
      }
      step = self->runtime_->continue_step();
      continue;
    }
    // What the message wrote so far is durable before another service hears of it.
    if (self->gate_.holding()) co_await flush_message(self);
    PendingCall pending = std::move(step.call);
    boost::json::value reply;
    bool is_error = true;
    CallChain next = chain;
    next.push_back(self->spec_.service_id);
    auto target = self->world_->find(self->spec_.tenant_id, pending.service_id);
    if (std::find(next.begin(), next.end(), pending.service_id) != next.end()) {
      std::string path;
      for (const auto& id : next) path += id + " -> ";
      reply = "call cycle: " + path + pending.service_id + " would wait for itself";
    } else if (!target) {
      reply = "no service '" + pending.service_id + "' in this tenant";
    } else {
      auto result = co_await target->call(std::move(pending.msg), pending.timeout, next);
      if (result.ok()) {
        reply = std::move(result.value());
        is_error = false;
      } else {
        reply = pending.service_id + ": " + result.message();
      }
    }
    step = self->runtime_->resume(std::move(reply), is_error);
  }
  // Every error a step ends with reaches a caller, an event or a log: none
  // may carry a secret's value.
  if (step.is_error()) step.error = self->secret_mask_.apply(step.error);
  co_return step;
}

asio::awaitable<void> ServiceActor::handle(std::shared_ptr<ServiceActor> self, Envelope envelope) {
  StepResult step;
  switch (envelope.kind) {
    case Envelope::Kind::call: {
      // A call that call() began inline goes on from its first step. (A
      // named local: GCC 12 mishandles a conditional temporary inside co_await.)
      StepResult first = envelope.started ? std::move(*envelope.started) : self->runtime_->call(std::move(envelope.msg));
      step = co_await drive(self, std::move(first), envelope.chain);
      if (step.is_error()) {
        self->gate_.discard();
        // The service's error as one value, from here to the client's 500 service_error.
        envelope.reply.set_exception(std::make_exception_ptr(Error(ErrorKind::service_error, step.error)));
        self->crash(step);
      }
      if (self->gate_.rolled_back()) {
        envelope.reply.set_exception(std::make_exception_ptr(
            storage_commit_failed(self->spec_.service_id, "an earlier commit failed")));
        self->check_storage_rollback();
      }
      self->release(self->gate_.close(), std::move(envelope.reply), std::move(step.reply));
      co_return;
    }
    case Envelope::Kind::cast:
      step = co_await drive(self, self->runtime_->cast(std::move(envelope.msg)), {});
      break;
    case Envelope::Kind::info:
      step = co_await drive(self, self->runtime_->info(std::move(envelope.msg)), {});
      break;
    case Envelope::Kind::swap:
      co_await handle_swap(self, std::move(envelope));
      co_return;
  }
  if (step.is_error()) {
    self->gate_.discard();
    self->crash(step);
  }
  self->check_storage_rollback();
  self->release(self->gate_.close(), std::nullopt, nullptr);
}

void ServiceActor::check_storage_rollback() {
  if (!gate_.rolled_back()) return;
  gate_.discard();
  throw ServiceCrash("a commit of its storage failed and undid writes its state may hold; restarting");
}

void ServiceActor::release(OutputGate::Release release, std::optional<ReplySender<boost::json::value>> reply,
                           boost::json::value value) {
  if (release.seq == 0) {
    gate_.released(release);
    if (reply) reply->set_value(std::move(value));
    return;
  }
  asio::co_spawn(world_->executor,
                 release_when_durable(shared_from_this(), std::move(release), std::move(reply), std::move(value)),
                 asio::detached);
}

asio::awaitable<void> ServiceActor::release_when_durable(std::shared_ptr<ServiceActor> self,
                                                         OutputGate::Release release,
                                                         std::optional<ReplySender<boost::json::value>> reply,
                                                         boost::json::value value) {
  std::optional<std::string> failure;
  try {
    co_await self->gate_.wait(release);
  } catch (const StoreError& error) {
    failure = error.what();
  }
  if (failure) {
    self->gate_.failed(release);
    if (reply) reply->set_exception(std::make_exception_ptr(storage_commit_failed(self->spec_.service_id, *failure)));
    co_return;
  }
  self->gate_.released(release);
  if (reply) reply->set_value(std::move(value));
}

asio::awaitable<void> ServiceActor::flush_message(std::shared_ptr<ServiceActor> self) {
  auto release = self->gate_.close();
  co_await self->gate_.wait(release);
  self->gate_.released(release);
}

asio::awaitable<void> ServiceActor::handle_swap(std::shared_ptr<ServiceActor> self, Envelope envelope) {
  ServiceSpec next = *envelope.next;
  auto exported = self->runtime_->export_state();
  if (!exported.ok()) {
    envelope.reply.set_exception(std::make_exception_ptr(
        Error(ErrorKind::invalid, "the state cannot be migrated: " + self->secret_mask_.apply(exported.error))));
    co_return;
  }
  std::unique_ptr<ServiceRuntime> fresh;
  try {
    fresh = make_service_runtime(next, self.get(), *self->world_->native_types);
  } catch (const Error&) {  // the compile error as it is (kind invalid)
    envelope.reply.set_exception(std::current_exception());
    co_return;
  } catch (const std::exception& error) {  // a native type's constructor
    envelope.reply.set_exception(std::make_exception_ptr(SpecError(error.what())));
    co_return;
  }
  auto previous = std::move(self->runtime_);
  self->runtime_ = std::move(fresh);
  auto step = co_await drive(self, self->runtime_->code_change(exported.value, self->spec_.version), {});
  if (step.is_error()) {
    self->gate_.discard();
    self->runtime_ = std::move(previous);  // the running version is untouched
    envelope.reply.set_exception(std::make_exception_ptr(Error(ErrorKind::invalid, "code_change failed: " + step.error)));
    co_return;
  }
  // code_change's migration of the storage is durable before the new code
  // takes the next message; if it cannot be, the swap is not done.
  std::optional<std::string> not_durable;
  try {
    co_await flush_message(self);
  } catch (const StoreError& error) {
    not_durable = error.what();
  }
  if (not_durable) {
    self->runtime_ = std::move(previous);
    envelope.reply.set_exception(std::make_exception_ptr(storage_commit_failed(self->spec_.service_id, *not_durable)));
    co_return;
  }
  self->retired_.add(*previous);
  self->rollback_ = Rollback{self->spec_, std::move(exported.value),
                             std::chrono::steady_clock::now() + envelope.rollback_window};
  self->spec_ = std::move(next);
  self->code_sha256_ = crypto::sha256_hex(self->spec_.code);
  self->updated_at_ = utc_now_iso8601();
  envelope.reply.set_value(self->spec_.version);
}

void ServiceActor::crash(const StepResult& step) {
  if (step.fault == StepResult::Fault::reply) {
    // handle() has just failed the caller's reply slot; its waiter resumes
    // later (asio posts the wake-up), so it reads this note.
    if (handling_fault_) *handling_fault_ = step.fault;
    world_->logs->write(spec_.tenant_id, spec_.service_id, "warn", "call failed: " + step.error);
    throw CallFailedOnly(step.error);
  }
  if (step.fault == StepResult::Fault::instructions || step.fault == StepResult::Fault::cpu_time ||
      step.fault == StepResult::Fault::memory) {
    append("resource_violation", {{"resource", to_string(step.fault)}, {"error", step.error}});
  }
  throw ServiceCrash(step.error);
}

void ServiceActor::run_terminate(const std::string& reason) {
  if (!runtime_) return;
  auto step = runtime_->terminate(reason);
  if (step.is_error()) {
    gate_.discard();
    world_->logs->write(spec_.tenant_id, spec_.service_id, "warn",
                        "terminate failed: " + secret_mask_.apply(step.error));
    return;
  }
  try {
    release(gate_.close(), std::nullopt, nullptr);
  } catch (const StoreError& error) {  // the store closed first: nothing of terminate is kept
    gate_.discard();
    world_->logs->write(spec_.tenant_id, spec_.service_id, "warn",
                        std::string("terminate's storage writes were not kept: ") + error.what());
  }
}

// ---- the mailbox, from outside ------------------------------------------------

asio::awaitable<CallResult<boost::json::value>> ServiceActor::call(boost::json::value msg,
                                                                    std::chrono::milliseconds timeout,
                                                                    CallChain chain) {
  // Only the inline fast path lives in this frame; everything else is in
  // call_queued's. Asio recycles a coroutine frame of up to ~1 KiB per
  // thread, and this one with the queued path in it was larger: a memalign
  // and a free on every call.
  if (chain.empty() && idle() && !gate_.rolled_back() && has_room_for(json_size(msg, spec_.limits.memory_bytes))) {
    // Inline (see the header): the first step now; a reply ready at its end
    // needs nothing more. The message is in the Lua heap, not queued: it
    // holds no mailbox bytes.
    // The step's own metered time (its slice) says how much of the timeout
    // it used, without a clock read of our own on the fast path.
    const auto metered_before = runtime_->cpu_time();
    StepResult step = runtime_->call(std::move(msg));
    if (step.is_done()) {
      // Its latency is the step's metered slice (ServiceStats: no clock read here).
      const auto metered = runtime_->cpu_time() - metered_before;
      if (!gate_.holding()) {
        stats_.call_succeeded(metered);
        co_return CallResult<boost::json::value>::success(std::move(step.reply));
      }
      co_return co_await call_gated(std::move(step.reply), metered);
    }
    // The unfinished step (rare) goes to the run loop in a heap cell.
    auto started = std::make_unique<StepResult>(std::move(step));
    const auto used = std::chrono::ceil<std::chrono::milliseconds>(runtime_->cpu_time() - metered_before);
    co_return co_await call_queued(nullptr, std::max(timeout - used, std::chrono::milliseconds{0}), timeout, {},
                                   std::move(started));
  }
  co_return co_await call_queued(std::move(msg), timeout, timeout, std::move(chain), nullptr);
}

asio::awaitable<CallResult<boost::json::value>> ServiceActor::call_gated(boost::json::value reply,
                                                                          std::chrono::nanoseconds metered) {
  // Keep the actor alive while the reply waits (the caller holds only a raw this).
  auto self = shared_from_this();
  auto release = gate_.close();
  // The commit wait is part of the call's latency; it is a disk round trip,
  // next to which the two clock reads cost nothing.
  const auto waited_from = std::chrono::steady_clock::now();
  std::optional<std::string> failure;
  try {
    co_await gate_.wait(release);
  } catch (const StoreError& error) {
    failure = error.what();
  }
  const auto latency = metered + (std::chrono::steady_clock::now() - waited_from);
  if (failure) {
    gate_.failed(release);
    stats_.call_failed(ErrorKind::overloaded, latency);
    co_return CallResult<boost::json::value>::failure(storage_commit_failed(spec_.service_id, *failure));
  }
  gate_.released(release);
  stats_.call_succeeded(latency);
  co_return CallResult<boost::json::value>::success(std::move(reply));
}

asio::awaitable<CallResult<boost::json::value>> ServiceActor::call_queued(boost::json::value msg,
                                                                           std::chrono::milliseconds timeout,
                                                                           std::chrono::milliseconds call_timeout,
                                                                           CallChain chain,
                                                                           std::unique_ptr<StepResult> started) {
  using Result = CallResult<boost::json::value>;
  size_t bytes = 0;  // a started step's message is in the Lua heap: no mailbox bytes
  if (!started) {
    if (state_ == ServiceState::crashed || state_ == ServiceState::stopped || state_ == ServiceState::stopping) {
      stats_.call_failed(ErrorKind::stopped, std::nullopt);
      co_return Result::failure(ErrorKind::stopped, "service " + spec_.service_id + " is " + to_string(state_));
    }
    bytes = json_size(msg, spec_.limits.memory_bytes);
    if (!has_room_for(bytes)) {
      stats_.call_failed(ErrorKind::overloaded, std::nullopt);
      co_return Result::failure(Error(ErrorKind::overloaded,
                                      "service " + spec_.service_id +
                                          " is overloaded (its queued messages and timers would pass its memory "
                                          "limit of " + std::to_string(spec_.limits.memory_bytes) +
                                          " bytes); nothing was queued",
                                      kMailboxRetryAfter));
    }
  }
  auto [slot, sender] = ReplySlot<boost::json::value>::create(world_->executor);
  auto fault = std::make_shared<StepResult::Fault>(StepResult::Fault::none);
  std::optional<StepResult> first;
  if (started) first.emplace(std::move(*started));
  Envelope envelope{Envelope::Kind::call, std::move(msg), std::move(sender), std::move(chain), nullptr, {},
                    bytes, fault, std::move(first)};
  // The queued path's latency: the time from here to the answer, plus the
  // metered time of a first step run inline (call() passes what is left of
  // the timeout, so the difference is that step's time).
  const auto queued_at = std::chrono::steady_clock::now();
  const auto inline_time = std::chrono::nanoseconds(call_timeout - timeout);
  if (envelope.started) {
    if (!mailbox_->push_front(std::move(envelope))) {  // closed: the service is stopping
      stats_.call_failed(ErrorKind::stopped, latency_since(queued_at, inline_time));
      co_return Result::failure(ErrorKind::stopped, "service " + spec_.service_id + " stopped without replying");
    }
  } else if (!mailbox_->try_push(std::move(envelope), bytes)) {
    stats_.call_failed(ErrorKind::overloaded, std::nullopt);
    co_return Result::failure(Error(ErrorKind::overloaded,
                                    "service " + spec_.service_id + " is overloaded (mailbox full); nothing was queued",
                                    kMailboxRetryAfter));
  }
  std::exception_ptr failure;
  std::optional<boost::json::value> reply;
  try {
    reply = co_await slot->wait_for(timeout);
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    Result result;
    try {
      std::rethrow_exception(failure);
    } catch (const Error& error) {  // the service's error, set by handle()
      result = *fault == StepResult::Fault::reply ? Result::failure(ErrorKind::bad_reply, error.what())
                                                  : Result::failure(error);
    } catch (const ActorStopped&) {
      result = Result::failure(ErrorKind::stopped, "service " + spec_.service_id + " stopped without replying");
    }
    stats_.call_failed(result.error(), latency_since(queued_at, inline_time));
    co_return result;
  }
  if (!reply) {
    stats_.call_failed(ErrorKind::timeout, latency_since(queued_at, inline_time));
    co_return Result::failure(ErrorKind::timeout, "service " + spec_.service_id + " did not reply within " +
                                                       std::to_string(call_timeout.count()) + " ms");
  }
  stats_.call_succeeded(latency_since(queued_at, inline_time));
  co_return Result::success(std::move(*reply));
}

bool ServiceActor::cast(boost::json::value msg) {
  if (state_ == ServiceState::crashed || state_ == ServiceState::stopped || state_ == ServiceState::stopping) {
    stats_.cast_refused(CallFailure::crash);
    return false;
  }
  const size_t bytes = json_size(msg, spec_.limits.memory_bytes);
  if (!has_room_for(bytes) ||
      !mailbox_->try_push(Envelope{Envelope::Kind::cast, std::move(msg), {}, {}, nullptr, {}, bytes, nullptr, std::nullopt},
                          bytes)) {
    stats_.cast_refused(CallFailure::overload);
    return false;
  }
  stats_.cast_queued();
  return true;
}

std::string ServiceActor::held_past_memory(size_t bytes) const {
  return "the message of " + std::to_string(bytes) + " bytes, held until this message's storage writes are "
         "durable, would take the service past its memory limit of " + std::to_string(spec_.limits.memory_bytes) +
         " bytes";
}

bool ServiceActor::has_room_for(size_t bytes) const {
  const size_t held = memory_bytes();
  return held <= spec_.limits.memory_bytes && bytes <= spec_.limits.memory_bytes - held;
}

asio::awaitable<int64_t> ServiceActor::swap(ServiceSpec next, std::chrono::milliseconds rollback_window) {
  if (!alive() && state_ != ServiceState::restarting) {
    throw Error(ErrorKind::invalid, "service " + spec_.service_id + " is " + to_string(state_));
  }
  auto [slot, sender] = ReplySlot<boost::json::value>::create(world_->executor);
  Envelope envelope{Envelope::Kind::swap, nullptr, std::move(sender), {},
                    std::make_shared<ServiceSpec>(std::move(next)), rollback_window, 0, nullptr, std::nullopt};
  if (!mailbox_->try_push(std::move(envelope))) {
    throw Error(ErrorKind::overloaded, "service " + spec_.service_id + " is overloaded (mailbox full); nothing was queued",
                kMailboxRetryAfter);
  }
  auto version = co_await slot->wait();
  co_return version.as_int64();
}

boost::json::object ServiceActor::status_json() const {
  return boost::json::object{
      {"service_id", spec_.service_id},
      {"tenant_id", spec_.tenant_id},
      {"status", to_string(state_)},
      {"alive", alive()},
      {"format", spec_.format},
      {"version", spec_.version},
      {"code_sha256", code_sha256_},
      {"memory_bytes", static_cast<int64_t>(memory_bytes())},
      {"message_queue_len", static_cast<int64_t>(mailbox_->size())},
      {"reductions", static_cast<int64_t>(instructions())},
      {"cpu_time_ms", std::chrono::duration<double, std::milli>(cpu_time()).count()},
      {"restarts", restarts_},
      {"last_error", last_error_},
      {"created_at", created_at_},
      {"updated_at", updated_at_},
  };
}

boost::json::object ServiceActor::stats_json() const {
  auto out = stats_.to_json();
  out["cpu_time_us"] = std::chrono::duration_cast<std::chrono::microseconds>(cpu_time()).count();
  out["instructions"] = instructions();
  out["memory_bytes"] = static_cast<uint64_t>(memory_bytes());
  out["mailbox_depth"] = static_cast<uint64_t>(mailbox_->size());
  out["restarts"] = restarts_;
  out["timers"] = static_cast<uint64_t>(timers_.size());
  StorageUse use;
  if (world_->storage) use = world_->storage->use(spec_.tenant_id, spec_.service_id);
  out["storage"] = boost::json::object{{"keys", use.keys}, {"bytes", use.bytes}};
  return out;
}

// ---- ServiceHost: what handlers reach -----------------------------------------

void ServiceActor::log(std::string_view level, std::string_view line) {
  // Masked before it is cut, so that a cut cannot leave part of a value.
  std::string text = secret_mask_.apply(line);
  text.resize(std::min(text.size(), kMaxLogLine));
  world_->logs->write(spec_.tenant_id, spec_.service_id, std::string(level), std::move(text));
}

void ServiceActor::emit(std::string_view kind, boost::json::value payload) {
  if (world_->check_event_log) world_->check_event_log(spec_.tenant_id);
  secret_mask_.apply_in_place(payload);
  boost::json::object fields{{"kind", secret_mask_.apply(kind)}, {"payload", std::move(payload)}};
  if (gate_.holding()) {
    NewEvent event;
    event.event_type = "service_event";
    event.tenant_id = spec_.tenant_id;
    event.service_id = spec_.service_id;
    event.payload = std::move(fields);
    gate_.hold_event(std::move(event));
    return;
  }
  append("service_event", std::move(fields));
}

int64_t ServiceActor::after(int64_t ms, boost::json::value msg) {
  if (timers_.size() >= kMaxTimers) throw std::runtime_error("too many timers (at most 1000 pending)");
  const size_t bytes = json_size(msg, spec_.limits.memory_bytes);
  if (!has_room_for(bytes)) {
    throw std::runtime_error("the timer's message of " + std::to_string(bytes) +
                             " bytes would take the service past its memory limit of " +
                             std::to_string(spec_.limits.memory_bytes) +
                             " bytes (its heap, pending timers and queued messages count)");
  }
  if (ms < 0) ms = 0;
  auto timer = std::make_shared<asio::steady_timer>(world_->executor, std::chrono::milliseconds(ms));
  int64_t id = next_timer_++;
  timers_.emplace(id, Timer{timer, bytes});
  timer_bytes_ += bytes;
  asio::co_spawn(world_->executor, fire_timer(weak_from_this(), timer, id, incarnation_, std::move(msg)),
                 asio::detached);
  return id;
}

asio::awaitable<void> ServiceActor::fire_timer(std::weak_ptr<ServiceActor> weak,
                                               std::shared_ptr<asio::steady_timer> timer, int64_t id,
                                               uint64_t incarnation, boost::json::value msg) {
  auto [ec] = co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
  auto self = weak.lock();
  if (ec || !self || self->incarnation_ != incarnation) co_return;
  if (const uint64_t seq = self->gate_.pending_seq()) {
    // The message that set the timer may not be durable yet: the timer is one of its effects.
    auto events = self->world_->events;
    self.reset();
    try {
      co_await events->writer().wait_for(seq);
    } catch (const StoreError&) {
      co_return;  // undone; the service restarts, and its timers with it
    }
    self = weak.lock();
    if (!self || self->incarnation_ != incarnation) co_return;
  }
  size_t bytes = 0;
  if (auto it = self->timers_.find(id); it != self->timers_.end()) {
    bytes = it->second.bytes;
    self->timer_bytes_ -= bytes;
    self->timers_.erase(it);
  }
  // The bytes move from the timers to the mailbox: no new admission check.
  if (!self->mailbox_->try_push(Envelope{Envelope::Kind::info, std::move(msg), {}, {}, nullptr, {}, bytes, nullptr, std::nullopt},
                                bytes)) {
    self->world_->logs->write(self->spec_.tenant_id, self->spec_.service_id, "warn",
                              "timer message dropped: mailbox full");
  }
}

bool ServiceActor::cancel(int64_t timer_id) {
  auto it = timers_.find(timer_id);
  if (it == timers_.end()) return false;
  it->second.timer->cancel();
  timer_bytes_ -= it->second.bytes;
  timers_.erase(it);
  return true;
}

void ServiceActor::cancel_timers() {
  for (auto& [id, timer] : timers_) timer.timer->cancel();
  timers_.clear();
  timer_bytes_ = 0;
}

void ServiceActor::cast(std::string_view service_id, boost::json::value msg) {
  auto target = world_->find(spec_.tenant_id, std::string(service_id));
  if (!target) throw std::runtime_error("no service '" + std::string(service_id) + "' in this tenant");
  if (gate_.holding()) {
    // Sent once this message's writes are durable; a target that cannot take it then drops it.
    const size_t bytes = json_size(msg, spec_.limits.memory_bytes);
    if (!has_room_for(bytes)) throw std::runtime_error(held_past_memory(bytes));
    gate_.hold([target = std::weak_ptr<ServiceActor>(target), msg = std::move(msg), logs = world_->logs,
                tenant = spec_.tenant_id, self = spec_.service_id, id = std::string(service_id)]() mutable {
      auto actor = target.lock();
      if (!actor || !actor->cast(std::move(msg))) {
        logs->write(tenant, self, "warn", "cast to " + id + " dropped: the service is overloaded or down");
      }
    }, bytes);
    return;
  }
  if (!target->cast(std::move(msg))) {
    throw std::runtime_error("service " + std::string(service_id) + " is overloaded or down");
  }
}

const std::string* ServiceActor::storage_get(std::string_view key) { return gate_.storage().get(key); }
std::uint64_t ServiceActor::storage_version() { return gate_.storage_version(); }

void ServiceActor::storage_put(std::string_view key, std::string value_json) {
  gate_.storage().put(key, std::move(value_json));
}

bool ServiceActor::storage_delete(std::string_view key) { return gate_.storage().erase(key); }

std::vector<std::pair<std::string, std::string>> ServiceActor::storage_list(std::string_view prefix,
                                                                            std::string_view start_after,
                                                                            std::size_t limit) {
  std::vector<std::pair<std::string, std::string>> out;
  for (auto& entry : gate_.storage().list(prefix, start_after, limit)) {
    out.emplace_back(std::move(entry.key), std::move(entry.value));
  }
  return out;
}

std::optional<std::string> ServiceActor::secret(std::string_view name) {
  if (std::find(spec_.secrets.begin(), spec_.secrets.end(), name) == spec_.secrets.end()) return std::nullopt;
  if (!world_->secret) return std::nullopt;
  auto value = world_->secret(spec_.tenant_id, std::string(name));
  if (value) secret_mask_.learn(*value);
  return value;
}

void ServiceActor::append(std::string type, boost::json::object payload) {
  NewEvent event;
  event.event_type = std::move(type);
  event.tenant_id = spec_.tenant_id;
  event.service_id = spec_.service_id;
  event.payload = std::move(payload);
  world_->events->append(std::move(event));
}

}  // namespace solo
