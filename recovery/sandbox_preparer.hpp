// SandboxPreparer: recovery's worker thread. For each planned service, in
// plan order, it parses the row's spec and, for a Lua service, creates its
// sandbox and compiles its code (LuaSandbox::compile) while the engine
// thread starts the rest of the tree and redeploys the services before it.
// Creating a state was over half of a recovered service's engine time; on a
// second core it overlaps with the rest (the Replayer's step 3).
//
// Nothing of the service runs on the worker: its top level and init run on
// the engine thread when the Deployer starts it, with its host (the actor)
// in place. A worker touches only the rows (read-only, never changed while
// it runs) and the sandboxes it makes, each handed over once, in a slot the
// engine reads only after the worker published it (the slot's atomic flag),
// so a lua_State moves between threads only while nothing runs on it.
//
// Failures are not the worker's to report: a spec that does not parse or
// code that does not compile leaves its slot empty, and the Deployer's own
// path (recover from the row) then fails with the same words as before.
//
// Workers: one from the start (the engine thread waits for the rest of the
// tree meanwhile, mostly for reads on the store's reader thread, so one
// worker and that reader share the 2 cores this is measured on); a second
// joins only when the engine thread finds its next row not ready. A worker
// that is ahead takes the engine's core for nothing (redeploy 0.75-0.98 s
// with two from the start against ~0.5 s this way, on 2 cores), one that
// is behind makes the engine wait. Workers claim rows in plan order, so the
// engine's next row is always the next one made.
//
// Threading: construct, add_worker(), take() and destroy on the engine
// thread. take() never blocks it: when its slot is not ready it suspends
// until a worker posts a wakeup. The destructor stops the workers after the
// service each is making (only a recovery cancelled midway finds them busy)
// and joins them.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "base/wakeup.hpp"
#include "engine/sandbox/lua_sandbox.hpp"
#include "engine/services/service_spec.hpp"
#include "stores/service_store.hpp"

namespace solo {

// One planned service as the worker left it.
struct PreparedService {
  std::optional<ServiceSpec> spec;       // nullopt: the row's spec did not parse
  std::unique_ptr<LuaSandbox> compiled;  // null: native, or the code did not compile
};

class SandboxPreparer {
 public:
  // Starts the worker over `rows` (the plan), which it shares read-only.
  SandboxPreparer(boost::asio::any_io_executor engine, std::shared_ptr<const std::vector<ServiceRow>> rows);
  ~SandboxPreparer();
  SandboxPreparer(const SandboxPreparer&) = delete;
  SandboxPreparer& operator=(const SandboxPreparer&) = delete;

  // Another worker on the rows not yet claimed (none when all are).
  void add_worker();
  // take() adds workers up to this many, one each time the engine would wait.
  static constexpr std::size_t kMaxWorkers = 2;

  // Row i's preparation, once the worker has published it; each i once.
  boost::asio::awaitable<PreparedService> take(std::size_t i);

 private:
  // Shared with the worker and with the wakeups it posts, which may run
  // after the preparer is gone.
  struct Shared {
    explicit Shared(boost::asio::any_io_executor engine) : wakeup(std::move(engine)) {}
    std::shared_ptr<const std::vector<ServiceRow>> rows;
    std::vector<PreparedService> slots;              // slot i: its worker's until ready[i]
    std::unique_ptr<std::atomic<bool>[]> ready;      // slot i published
    std::atomic<std::size_t> next{0};                // the next row a worker claims
    std::atomic<bool> stop{false};
    std::mutex mutex;            // guards engine_waiting
    bool engine_waiting = false;  // take() is suspended: the next publish posts a wakeup
    Wakeup wakeup;               // engine thread only
  };
  static void work(std::shared_ptr<Shared> shared);

  std::shared_ptr<Shared> shared_;
  std::vector<std::thread> workers_;
};

}  // namespace solo
