// Supervisor: starts, watches, restarts and stops a list of child coroutines.
//
// Each child runs as its own co_spawn'ed coroutine bound to a cancellation
// signal; the co_spawn completion handler is the supervisor's decision point:
// it turns the child's exception_ptr into an exit reason (null = normal,
// operation_aborted after our own stop = stopped, anything else = crash) and
// queues the restart decision.
//
// Serialisation: everything that changes which children run (start, stop,
// start_child, terminate_child, restarts) is a job in one FIFO queue and jobs
// run one at a time, so a restart never interleaves with a stop. stop() also
// pre-empts a job that is waiting for a child's ready() (a child that never
// becomes ready cannot block shutdown).
//
// Stopping a child: emit terminal cancellation, wait up to its stop_deadline,
// then report stop_deadline_exceeded and move on. The abandoned coroutine
// keeps only shared state (Incarnation), so it never dangles.
//
// Restarting the supervisor itself (start() after stop() or after giving up)
// restarts every child still in its list: static ones (add_child) and dynamic
// ones (start_child) that were not temporary. Unlike OTP, dynamic children
// survive a supervisor restart; a service host would rather bring a tenant's
// services back than lose them.
//
// Thread safety: none. One io_context thread; no mutexes.
#pragma once

#include "engine/actor/reply.hpp"
#include "base/wakeup.hpp"
#include "engine/supervision/child_spec.hpp"
#include "engine/supervision/restart_intensity.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace solo {

namespace asio = boost::asio;

namespace detail {
struct Incarnation;
}

// Thrown by the run() of as_child() when the supervisor exceeded its restart
// intensity: the parent sees its child crash.
class SupervisorGaveUp : public std::runtime_error {
 public:
  SupervisorGaveUp(const std::string& supervisor, const std::string& reason)
      : std::runtime_error("supervisor " + supervisor + " gave up: " + reason) {}
};

class Supervisor : public std::enable_shared_from_this<Supervisor> {
 public:
  static std::shared_ptr<Supervisor> create(asio::any_io_executor executor, std::string name,
                                            Strategy strategy, Intensity intensity = {});

  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;
  ~Supervisor();

  // Adds a child to start with start(). Throws std::logic_error once started,
  // std::invalid_argument on a duplicate name or an empty run.
  void add_child(ChildSpec spec);

  // Starts the children in order, each ready() before the next. If one exits
  // before ready(), stops the started ones in reverse order and throws
  // std::runtime_error naming the child and the reason.
  asio::awaitable<void> start();

  // Stops the children in reverse order, each within its stop_deadline.
  asio::awaitable<void> stop();

  // Appends and starts a child, waiting for its ready(). Throws like start()
  // (nothing is left behind), or std::logic_error when not running.
  asio::awaitable<void> start_child(ChildSpec spec);

  // Stops and removes the child; false when there is no such child.
  asio::awaitable<bool> terminate_child(std::string name);

  // This supervisor as a child of another: start(); ready(); then wait until
  // cancelled (stop() and rethrow) or until giving up (throws
  // SupervisorGaveUp, children already stopped). stop_deadline should cover
  // the sum of this supervisor's children's deadlines.
  ChildSpec as_child(std::chrono::milliseconds stop_deadline);

  // Returns once this supervisor has given up (the reason); cancellable.
  asio::awaitable<std::string> wait_gave_up();

  std::vector<ChildInfo> children() const;
  void on_event(std::function<void(const SupervisorEvent&)> listener);

  const std::string& name() const { return name_; }
  Strategy strategy() const { return strategy_; }
  bool running() const { return running_; }
  bool gave_up() const { return gave_up_; }

 private:
  struct Child {
    ChildSpec spec;
    ChildState state = ChildState::stopped;
    int restarts = 0;
    std::shared_ptr<detail::Incarnation> current;  // null when not running
  };
  using ChildPtr = std::shared_ptr<Child>;
  using Job = std::function<asio::awaitable<bool>()>;
  struct QueuedJob {
    Job job;
    std::shared_ptr<ReplySender<bool>> reply;  // null for fire-and-forget jobs (exits)
  };

  Supervisor(asio::any_io_executor executor, std::string name, Strategy strategy, Intensity intensity);

  // The job queue (see the file comment). submit() waits for the job's result.
  static asio::awaitable<bool> submit(std::shared_ptr<Supervisor> self, Job job);
  void enqueue(Job job, std::shared_ptr<ReplySender<bool>> reply);
  static asio::awaitable<void> drain_jobs(std::shared_ptr<Supervisor> self);

  // Jobs.
  static asio::awaitable<bool> start_job(std::shared_ptr<Supervisor> self);
  static asio::awaitable<bool> stop_job(std::shared_ptr<Supervisor> self);
  static asio::awaitable<bool> start_child_job(std::shared_ptr<Supervisor> self, ChildSpec spec);
  static asio::awaitable<bool> terminate_child_job(std::shared_ptr<Supervisor> self, std::string name);
  static asio::awaitable<bool> exit_job(std::shared_ptr<Supervisor> self,
                                        std::shared_ptr<detail::Incarnation> incarnation);

  // Building blocks, called only from inside a job.
  static asio::awaitable<std::optional<std::string>> start_one(std::shared_ptr<Supervisor> self, ChildPtr child);
  static asio::awaitable<void> stop_one(std::shared_ptr<Supervisor> self, ChildPtr child);
  static asio::awaitable<void> stop_all(std::shared_ptr<Supervisor> self);
  static asio::awaitable<void> restart(std::shared_ptr<Supervisor> self, ChildPtr child);
  static asio::awaitable<void> give_up(std::shared_ptr<Supervisor> self, ChildPtr child, std::string reason);

  // Coroutine bodies behind the public wrappers.
  static asio::awaitable<void> start_coro(std::shared_ptr<Supervisor> self);
  static asio::awaitable<void> start_child_coro(std::shared_ptr<Supervisor> self, ChildSpec spec);
  static asio::awaitable<void> stop_coro(std::shared_ptr<Supervisor> self);
  static asio::awaitable<std::string> wait_gave_up_coro(std::shared_ptr<Supervisor> self);
  static asio::awaitable<void> run_as_child(std::shared_ptr<Supervisor> self, ChildContext context);

  // Called by the completion handler of a child's coroutine.
  void on_child_exit(const std::shared_ptr<detail::Incarnation>& incarnation);
  // Wakes every job waiting for a child's ready() (stop() pre-empting).
  void wake_waiters();

  ChildPtr find(const std::string& name) const;
  void remove(const ChildPtr& child);
  void emit(const std::string& child, const char* kind, const std::string& reason) const;

  const asio::any_io_executor executor_;
  const std::string name_;
  const Strategy strategy_;
  RestartIntensity intensity_;
  std::vector<ChildPtr> children_;  // start order
  // The same children by name: a tenant supervisor may hold thousands of
  // services, and every start, stop and lookup finds one by name.
  std::unordered_map<std::string, ChildPtr> by_name_;
  std::deque<QueuedJob> jobs_;
  bool draining_ = false;   // a drain_jobs coroutine is running
  bool running_ = false;    // started and not stopped / given up
  bool stopping_ = false;   // stop or give-up in progress: exits are not restarted
  bool gave_up_ = false;
  std::string gave_up_reason_;
  Wakeup status_wakeup_;  // notified when giving up
  std::vector<std::function<void(const SupervisorEvent&)>> listeners_;
};

}  // namespace solo
