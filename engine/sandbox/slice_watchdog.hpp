// SliceWatchdog: the stop that does not depend on the running code.
//
// A Lua step notices its slice and CPU deadlines in its count hook, which
// runs every LuaMeter::hook_interval VM instructions. One instruction can be
// slow (a string comparison walks both strings; an expensive C function), so
// a thousand of them could hold the engine thread for seconds before the hook
// looks at the clock. The watchdog closes that gap: while a step runs past its
// deadline, a watchdog thread sends the engine thread a signal, and the
// signal handler switches the running Lua thread's count hook to fire on the
// very next instruction — the one use of lua_sethook the Lua manual allows
// from outside the running code (a signal handler; Lua's own interpreter stops
// a script on SIGINT this way).
//
// Each thread that runs Lua steps has a record (created on first use, kept
// for the process's life and reused by later threads, so a late signal never
// reaches freed memory). The engine thread publishes in it which Lua thread
// is running (coroutine switches included) and when the current slice ends;
// publishing is two atomic stores, no lock and no system call. The watchdog
// thread ticks every `tick` while any record is armed and signals once per
// deadline passed; the hook sets the next deadline when it cannot yield yet.
// The watchdog sleeps when nothing runs.
//
// The signal is SIGRTMIN + 6 (`signal_number()`); a program that embeds Solo
// must leave it alone. If it is blocked on the engine thread, the hook's own
// clock check still stops a step, only later.
//
// Threading: arm/switch_to/disarm from the owning (engine) thread only.
#pragma once

#include <lua.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>

namespace solo {

class SliceWatchdog {
 public:
  static constexpr std::chrono::microseconds tick{500};

  // The calling thread's record.
  static SliceWatchdog& for_this_thread();
  static int signal_number();

  // A step starts or resumes on `running`; it should yield or end by
  // `deadline`, else the signal handler installs `hook` with a count of 1 on
  // the Lua thread running then.
  void arm(lua_State* running, lua_Hook hook, std::chrono::steady_clock::time_point deadline);
  // The hook ran past the deadline and could not yield: the next deadline.
  // (The watchdog signals once per deadline: the signal handler's
  // lua_sethook walks every frame of the Lua thread, so a deep stack must
  // not be walked again and again.)
  void rearm(std::chrono::steady_clock::time_point deadline);
  // A coroutine switch inside the step (coroutine.resume and wrap).
  void switch_to(lua_State* running) { running_.store(running, std::memory_order_release); }
  lua_State* running() const { return running_.load(std::memory_order_relaxed); }
  // The step yielded or ended.
  void disarm() { running_.store(nullptr, std::memory_order_release); }

  // How many times the watchdog had to force a hook (tests, bench).
  std::uint64_t forced() const { return forced_.load(std::memory_order_relaxed); }

  // Implementation details shared with the watchdog thread (slice_watchdog.cpp).
  struct Access;

 private:
  SliceWatchdog() = default;
  friend struct Access;

  std::atomic<lua_State*> running_{nullptr};
  std::atomic<std::int64_t> deadline_ns_{0};  // steady_clock, since its epoch
  std::atomic<bool> in_use_{false};
  std::atomic<std::uint64_t> forced_{0};
  std::atomic<lua_Hook> hook_{nullptr};
  unsigned long thread_ = 0;  // pthread_t of the owner
};

}  // namespace solo
