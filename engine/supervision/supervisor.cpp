// Supervisor: see supervisor.hpp for the model. Reading guide: the public
// coroutines submit jobs; jobs (start_job, stop_job, exit_job, ...) are the
// only code that starts or stops children, and they run one at a time.
#include "engine/supervision/supervisor.hpp"

#include "base/exception_text.hpp"
#include "base/timeout.hpp"
#include "engine/supervision/incarnation.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>

namespace solo {

namespace {

std::string millis(std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; }

asio::awaitable<void> wait_exited(std::shared_ptr<detail::Incarnation> incarnation) {
  while (!incarnation->exited) co_await incarnation->wakeup.wait();
}

}  // namespace

// ---- construction, queries -------------------------------------------------

std::shared_ptr<Supervisor> Supervisor::create(asio::any_io_executor executor, std::string name,
                                               Strategy strategy, Intensity intensity) {
  return std::shared_ptr<Supervisor>(new Supervisor(std::move(executor), std::move(name), strategy, intensity));
}

Supervisor::Supervisor(asio::any_io_executor executor, std::string name, Strategy strategy, Intensity intensity)
    : executor_(executor), name_(std::move(name)), strategy_(strategy), intensity_(intensity),
      status_wakeup_(executor) {}

// Children still running here were not stopped: cancel them so they unwind,
// even though nobody will wait for them any more.
Supervisor::~Supervisor() {
  for (auto& child : children_)
    if (child->current && !child->current->exited) {
      child->current->stop_requested = true;
      child->current->signal.emit(asio::cancellation_type::terminal);
    }
}

void Supervisor::add_child(ChildSpec spec) {
  if (running_) throw std::logic_error("supervisor " + name_ + ": add_child after start (use start_child)");
  if (!spec.run) throw std::invalid_argument("supervisor " + name_ + ": child " + spec.name + " has no run");
  if (find(spec.name)) throw std::invalid_argument("supervisor " + name_ + ": duplicate child " + spec.name);
  auto child = std::make_shared<Child>();
  child->spec = std::move(spec);
  by_name_[child->spec.name] = child;
  children_.push_back(std::move(child));
}

std::vector<ChildInfo> Supervisor::children() const {
  std::vector<ChildInfo> out;
  out.reserve(children_.size());
  for (const auto& child : children_) out.push_back(ChildInfo{child->spec.name, child->state, child->restarts});
  return out;
}

void Supervisor::on_event(std::function<void(const SupervisorEvent&)> listener) {
  listeners_.push_back(std::move(listener));
}

void Supervisor::emit(const std::string& child, const char* kind, const std::string& reason) const {
  const SupervisorEvent event{name_, child, kind, reason};
  for (const auto& listener : listeners_) listener(event);
}

Supervisor::ChildPtr Supervisor::find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

void Supervisor::remove(const ChildPtr& child) {
  if (auto it = by_name_.find(child->spec.name); it != by_name_.end() && it->second == child) by_name_.erase(it);
  children_.erase(std::remove(children_.begin(), children_.end(), child), children_.end());
}

void Supervisor::wake_waiters() {
  for (const auto& child : children_)
    if (child->current) child->current->wakeup.notify();
}

// ---- public coroutines -----------------------------------------------------

// Note on the style below: each Job is built as a named local before the
// co_await. GCC 12 destroys some temporaries of a co_await full-expression
// twice (a lambda converted to std::function here), which freed the
// supervisor under us.
asio::awaitable<void> Supervisor::start() { return start_coro(shared_from_this()); }

asio::awaitable<void> Supervisor::start_coro(std::shared_ptr<Supervisor> self) {
  Job job = [self] { return start_job(self); };
  co_await submit(self, std::move(job));
}

asio::awaitable<void> Supervisor::stop() { return stop_coro(shared_from_this()); }

asio::awaitable<void> Supervisor::stop_coro(std::shared_ptr<Supervisor> self) {
  // Pre-empt first: a start or restart waiting for a ready() that may never
  // come must not hold the queue (and so the shutdown) hostage.
  self->stopping_ = true;
  self->wake_waiters();
  Job job = [self] { return stop_job(self); };
  co_await submit(self, std::move(job));
}

asio::awaitable<void> Supervisor::start_child(ChildSpec spec) {
  return start_child_coro(shared_from_this(), std::move(spec));
}

asio::awaitable<void> Supervisor::start_child_coro(std::shared_ptr<Supervisor> self, ChildSpec spec) {
  Job job = [self, spec = std::move(spec)] { return start_child_job(self, spec); };
  co_await submit(self, std::move(job));
}

asio::awaitable<bool> Supervisor::terminate_child(std::string name) {
  auto self = shared_from_this();
  Job job = [self, name = std::move(name)] { return terminate_child_job(self, name); };
  return submit(self, std::move(job));
}

asio::awaitable<std::string> Supervisor::wait_gave_up() { return wait_gave_up_coro(shared_from_this()); }

asio::awaitable<std::string> Supervisor::wait_gave_up_coro(std::shared_ptr<Supervisor> self) {
  while (!self->gave_up_) co_await self->status_wakeup_.wait();
  co_return self->gave_up_reason_;
}

ChildSpec Supervisor::as_child(std::chrono::milliseconds stop_deadline) {
  ChildSpec spec;
  spec.name = name_;
  spec.restart = Restart::permanent;
  spec.stop_deadline = stop_deadline;
  spec.run = [self = shared_from_this()](ChildContext context) { return run_as_child(self, std::move(context)); };
  return spec;
}

asio::awaitable<void> Supervisor::run_as_child(std::shared_ptr<Supervisor> self, ChildContext context) {
  std::exception_ptr failure;
  try {
    co_await self->start();
    context.ready();
    co_await self->wait_gave_up();
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    if (is_operation_aborted(failure)) {
      // The parent is stopping us. Our cancellation state is now cancelled,
      // which would abort stop() at its first wait: reset it, then stop.
      co_await asio::this_coro::reset_cancellation_state();
      co_await self->stop();
    }
    std::rethrow_exception(failure);
  }
  throw SupervisorGaveUp(self->name_, self->gave_up_reason_);
}

// ---- the job queue ---------------------------------------------------------

asio::awaitable<bool> Supervisor::submit(std::shared_ptr<Supervisor> self, Job job) {
  auto [slot, sender] = ReplySlot<bool>::create(self->executor_);
  self->enqueue(std::move(job), std::make_shared<ReplySender<bool>>(std::move(sender)));
  co_return co_await slot->wait();
}

void Supervisor::enqueue(Job job, std::shared_ptr<ReplySender<bool>> reply) {
  jobs_.push_back(QueuedJob{std::move(job), std::move(reply)});
  if (draining_) return;
  draining_ = true;
  // Detached and without a cancellation slot on purpose: a job, once begun,
  // finishes even if the coroutine that submitted it is cancelled.
  asio::co_spawn(executor_, drain_jobs(shared_from_this()), asio::detached);
}

asio::awaitable<void> Supervisor::drain_jobs(std::shared_ptr<Supervisor> self) {
  while (!self->jobs_.empty()) {
    QueuedJob next = std::move(self->jobs_.front());
    self->jobs_.pop_front();
    std::exception_ptr failure;
    bool result = false;
    try {
      result = co_await next.job();
    } catch (...) {
      failure = std::current_exception();
    }
    if (next.reply) {
      if (failure)
        next.reply->set_exception(failure);
      else
        next.reply->set_value(result);
    } else if (failure) {
      // A fire-and-forget job failing is a bug in this file; make it visible.
      self->emit("", "supervisor_error", describe_exception(failure));
    }
  }
  self->draining_ = false;
}

// ---- jobs ------------------------------------------------------------------

asio::awaitable<bool> Supervisor::start_job(std::shared_ptr<Supervisor> self) {
  if (self->running_) throw std::logic_error("supervisor " + self->name_ + " already started");
  self->stopping_ = false;
  self->gave_up_ = false;
  self->gave_up_reason_.clear();
  self->intensity_.reset();
  self->running_ = true;
  const auto snapshot = self->children_;
  for (std::size_t i = 0; i < snapshot.size(); ++i) {
    const auto& child = snapshot[i];
    if (auto failure = co_await start_one(self, child)) {
      self->stopping_ = true;  // exits from here on are ours, not crashes
      co_await stop_one(self, child);
      child->state = ChildState::failed;
      for (std::size_t j = i; j-- > 0;) co_await stop_one(self, snapshot[j]);
      self->running_ = false;
      throw std::runtime_error("supervisor " + self->name_ + ": child " + child->spec.name +
                               " failed to start: " + *failure);
    }
    self->emit(child->spec.name, "child_started", "");
  }
  co_return true;
}

asio::awaitable<bool> Supervisor::stop_job(std::shared_ptr<Supervisor> self) {
  self->stopping_ = true;
  co_await stop_all(self);
  self->running_ = false;
  co_return true;
}

asio::awaitable<bool> Supervisor::start_child_job(std::shared_ptr<Supervisor> self, ChildSpec spec) {
  if (!self->running_ || self->stopping_)
    throw std::logic_error("supervisor " + self->name_ + " is not running: cannot start " + spec.name);
  if (!spec.run) throw std::invalid_argument("supervisor " + self->name_ + ": child " + spec.name + " has no run");
  if (self->find(spec.name)) throw std::invalid_argument("supervisor " + self->name_ + ": duplicate child " + spec.name);
  auto child = std::make_shared<Child>();
  child->spec = std::move(spec);
  self->by_name_[child->spec.name] = child;
  self->children_.push_back(child);
  if (auto failure = co_await start_one(self, child)) {
    co_await stop_one(self, child);
    self->remove(child);
    throw std::runtime_error("supervisor " + self->name_ + ": child " + child->spec.name +
                             " failed to start: " + *failure);
  }
  self->emit(child->spec.name, "child_started", "");
  co_return true;
}

asio::awaitable<bool> Supervisor::terminate_child_job(std::shared_ptr<Supervisor> self, std::string name) {
  auto child = self->find(name);
  if (!child) co_return false;
  co_await stop_one(self, child);
  self->remove(child);
  co_return true;
}

// A child exited on its own after ready(): classify, then apply its restart
// type and the strategy.
asio::awaitable<bool> Supervisor::exit_job(std::shared_ptr<Supervisor> self,
                                           std::shared_ptr<detail::Incarnation> incarnation) {
  ChildPtr child;
  for (const auto& c : self->children_)
    if (c->current == incarnation) child = c;
  // Stale (already replaced by a restart, or removed) or being stopped.
  if (!child || self->stopping_) co_return false;

  const bool crashed = incarnation->exit_error != nullptr;
  const std::string reason = describe_exception(incarnation->exit_error);
  self->emit(child->spec.name, crashed ? "child_crashed" : "child_exited", reason);
  child->current.reset();

  const Restart type = child->spec.restart;
  const bool restart_it = type == Restart::permanent || (type == Restart::transient && crashed);
  if (!restart_it) {
    if (type == Restart::temporary)
      self->remove(child);
    else
      child->state = crashed ? ChildState::failed : ChildState::stopped;
    co_return false;
  }
  co_await restart(self, child);
  co_return true;
}

// ---- building blocks -------------------------------------------------------

// Starts one incarnation and waits for ready(), an exit, or stop() pre-empting.
// Returns nullopt once ready, else why it did not start. When pre-empted the
// incarnation is left to the caller (or the stop job) to stop.
asio::awaitable<std::optional<std::string>> Supervisor::start_one(std::shared_ptr<Supervisor> self, ChildPtr child) {
  auto incarnation = std::make_shared<detail::Incarnation>(self->executor_, child->spec.name, child->spec.run);
  child->current = incarnation;
  child->state = ChildState::starting;

  // The completion handler: record the exit, wake whoever waits for this
  // incarnation, and let the supervisor decide. It holds the incarnation (the
  // cancellation signal lives there) but only a weak_ptr to the supervisor.
  auto on_exit = [weak = std::weak_ptr<Supervisor>(self), incarnation](std::exception_ptr error) {
    incarnation->exited = true;
    incarnation->exit_error = error;
    incarnation->wakeup.notify();
    if (auto supervisor = weak.lock()) supervisor->on_child_exit(incarnation);
  };
  std::optional<asio::awaitable<void>> body;
  try {
    body.emplace(incarnation->run(ChildContext(incarnation)));
  } catch (...) {  // a run that throws before returning its coroutine
    on_exit(std::current_exception());
  }
  if (body)
    asio::co_spawn(self->executor_, std::move(*body),
                   asio::bind_cancellation_slot(incarnation->signal.slot(), std::move(on_exit)));

  while (!incarnation->ready && !incarnation->exited && !self->stopping_) co_await incarnation->wakeup.wait();
  if (incarnation->ready) {
    // Even if it already exited again: exit_job has been queued for that.
    child->state = ChildState::running;
    co_return std::nullopt;
  }
  if (incarnation->exited) {
    child->current.reset();
    child->state = ChildState::failed;
    co_return incarnation->exit_error ? describe_exception(incarnation->exit_error) : "returned before ready()";
  }
  co_return "supervisor " + self->name_ + " is stopping";
}

asio::awaitable<void> Supervisor::stop_one(std::shared_ptr<Supervisor> self, ChildPtr child) {
  auto incarnation = child->current;
  if (!incarnation) {
    if (child->state != ChildState::failed) child->state = ChildState::stopped;
    co_return;
  }
  std::string reason = "stopped";
  if (!incarnation->exited) {
    incarnation->stop_requested = true;
    child->state = ChildState::stopping;
    incarnation->signal.emit(asio::cancellation_type::terminal);
    const bool in_time = co_await with_timeout(wait_exited(incarnation), child->spec.stop_deadline);
    if (!in_time) {
      // Abandon it: it keeps only its Incarnation alive, and its late exit
      // will be recognised as stale.
      reason = "abandoned after " + millis(child->spec.stop_deadline);
      self->emit(child->spec.name, "stop_deadline_exceeded",
                 "did not stop within " + millis(child->spec.stop_deadline));
    }
  }
  if (incarnation->exited && incarnation->exit_error && !is_operation_aborted(incarnation->exit_error))
    reason = "stopped; exited with: " + describe_exception(incarnation->exit_error);
  if (child->current == incarnation) child->current.reset();
  child->state = ChildState::stopped;
  self->emit(child->spec.name, "child_stopped", reason);
}

asio::awaitable<void> Supervisor::stop_all(std::shared_ptr<Supervisor> self) {
  const auto snapshot = self->children_;
  for (auto it = snapshot.rbegin(); it != snapshot.rend(); ++it) co_await stop_one(self, *it);
}

// Restarts `child` (one_for_one) or it and those after it (rest_for_one),
// within the intensity. A restart that fails before ready() counts as another
// crash of that child and is retried, again within the intensity.
asio::awaitable<void> Supervisor::restart(std::shared_ptr<Supervisor> self, ChildPtr child) {
  const std::string& name = child->spec.name;
  if (!self->intensity_.allow_restart(RestartIntensity::clock::now())) {
    co_await give_up(self, child, "child " + name + " exited too often");
    co_return;
  }

  std::vector<ChildPtr> to_start{child};
  if (self->strategy_ == Strategy::rest_for_one) {
    auto pos = std::find(self->children_.begin(), self->children_.end(), child);
    std::vector<ChildPtr> later(pos == self->children_.end() ? pos : pos + 1, self->children_.end());
    for (auto it = later.rbegin(); it != later.rend(); ++it) {
      const bool was_running = (*it)->current != nullptr;
      co_await stop_one(self, *it);
      if (!was_running) continue;
      if ((*it)->spec.restart == Restart::temporary)
        self->remove(*it);  // temporary children are never restarted
      else
        to_start.insert(to_start.begin() + 1, *it);  // keep start order
    }
  }
  for (const auto& c : to_start) c->state = ChildState::restarting;

  for (std::size_t i = 0; i < to_start.size();) {
    if (self->stopping_) co_return;
    const auto& c = to_start[i];
    ++c->restarts;
    auto failure = co_await start_one(self, c);
    if (!failure) {
      self->emit(c->spec.name, "child_restarted", "restart " + std::to_string(c->restarts));
      ++i;
      continue;
    }
    if (self->stopping_) co_return;
    self->emit(c->spec.name, "child_crashed", "while restarting: " + *failure);
    if (!self->intensity_.allow_restart(RestartIntensity::clock::now())) {
      co_await give_up(self, c, "child " + c->spec.name + " exited too often");
      co_return;
    }
  }
}

// Intensity exceeded: stop everything and let whoever waits (as_child's run,
// the top level) learn about it.
asio::awaitable<void> Supervisor::give_up(std::shared_ptr<Supervisor> self, ChildPtr child, std::string reason) {
  const auto& limit = self->intensity_.limit();
  reason += " (more than " + std::to_string(limit.max_restarts) + " restarts in " + millis(limit.period) + ")";
  self->emit(child->spec.name, "gave_up", reason);
  self->stopping_ = true;
  co_await stop_all(self);
  child->state = ChildState::failed;
  self->running_ = false;
  self->gave_up_ = true;
  self->gave_up_reason_ = std::move(reason);
  self->status_wakeup_.notify();
}

// ---- the decision point ----------------------------------------------------

void Supervisor::on_child_exit(const std::shared_ptr<detail::Incarnation>& incarnation) {
  // Exits we asked for, or that the job waiting in start_one() handles, or
  // that happen while stopping, need no decision.
  if (incarnation->stop_requested || !incarnation->ready || stopping_) return;
  auto self = shared_from_this();
  Job job = [self, incarnation] { return exit_job(self, incarnation); };
  enqueue(std::move(job), nullptr);
}

}  // namespace solo
