// Wakeup: a condition variable for coroutines on one io_context thread.
//
// Mailbox, the supervisor, the Kernel's boot and shutdown, and the servers'
// drains need "suspend until some field I
// own changes". A Wakeup is a steady_timer that never expires: wait() parks on
// it and notify() cancels the wait. Waiters always re-check their own
// predicate in a loop, so spurious wakeups are harmless, and since everything
// runs on one thread no wakeup is lost between the check and the wait.
//
// The expiry is set once, in the constructor, and never again: re-arming the
// timer in wait() would cancel the other waiters, which would re-arm it and
// cancel us, forever.
//
// Cancellation: if the waiting coroutine itself is cancelled, wait() throws
// system_error(operation_aborted), distinguishing that from a notify().
//
// Thread safety: none; one io_context thread. The Wakeup must outlive every
// pending wait() (owners keep it in shared state for that reason).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>

namespace solo {

namespace asio = boost::asio;

class Wakeup {
 public:
  explicit Wakeup(asio::any_io_executor executor);

  Wakeup(const Wakeup&) = delete;
  Wakeup& operator=(const Wakeup&) = delete;

  // Wakes every coroutine currently in wait(). A no-op when nobody waits.
  void notify();

  // Returns after the next notify() (or spuriously); throws
  // system_error(operation_aborted) when the calling coroutine is cancelled.
  asio::awaitable<void> wait();

  // wait(), but returns at `deadline` at the latest (callers re-check their
  // predicate and the clock).
  asio::awaitable<void> wait_until(std::chrono::steady_clock::time_point deadline);

  asio::any_io_executor executor() const { return executor_; }

 private:
  asio::any_io_executor executor_;
  asio::steady_timer timer_;  // expiry fixed at time_point::max()
};

}  // namespace solo
