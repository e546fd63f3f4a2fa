// LuaMeter: the resource accounting of one sandbox, shared by its allocator
// (memory cap), its count hook (CPU time, slices, instruction budget) and the
// wrappers of C functions (lua_costs).
//
// Memory: every allocation of the lua_State goes through allocate(), which
// takes small blocks from the state's LuaBlockPool (lua_block_pool.hpp) and
// refuses to grow the heap past the cap (the bytes Lua asks for); Lua then raises "not enough memory"
// (after an emergency collection), which the handler sees as an error. It
// also refuses a string longer than `string_bytes` (LuaLimits): one VM
// instruction on a string (`<` walks two strings piece by piece between NUL
// bytes: ~8 ns a piece) cannot be interrupted, so string length is what
// bounds it; with 1 MiB, ~10 ms at worst.
//
// CPU time: a message may use `cpu_time_per_message` of the engine thread's
// CPU over the slices it runs (waiting in solo.call and waiting for its next
// slice do not count). The count hook fires every `hook_interval` VM
// instructions in every thread of the state (coroutines inherit it) and reads
// the monotonic clock; once that says the budget may be spent, the thread's
// CPU clock decides, so time the OS gave to other processes is not charged.
// A message's first slice reads the CPU clock only at its first hook, dating
// the slice's start back by the wall time so far (never less than the CPU it
// used), so a message too short to reach a hook makes no system call; every
// later slice (a long message), and every step of a deploy, reads it at its start. The SliceWatchdog forces the hook onto the next
// instruction when one instruction is slow. When the time is spent the hook
// raises "cpu time limit exceeded".
//
// Slices: a preemptible step (a message the service actor drives) gives the
// engine back every `slice`: the hook yields the running Lua thread (with 0
// results, as the manual allows count hooks to) and sets preempted(); the
// coroutine wrappers pass that yield up to the handler's thread, and the
// actor resumes the step after everything else that is ready has run. Where
// yielding is impossible (inside a C function calling back into Lua, a
// metamethod called from C), the step runs on and the deadlines still hold.
//
// Instructions: the hook adds the count to the message's instruction budget,
// and C work is charged against the same budget (heap growth costs bytes/8;
// lua_costs charges each C function up front). A deterministic cap beside
// the clock; by default it is well above what the time budget allows.
//
// Once a limit is spent the meter is "exhausted": the next hook in any thread
// raises the limit's error and switches that thread to a hook on every
// instruction, so a pcall around the loop cannot swallow the error for long:
// the enclosing frame errors on its very next instruction.
//
// Threading: owned by the sandbox, used only on the engine thread (the
// watchdog's signal handler only touches the hook, on the engine thread).
#pragma once

#include "engine/sandbox/lua_block_pool.hpp"
#include "engine/sandbox/lua_limits.hpp"

#include <lua.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace solo {

class SliceWatchdog;

class LuaMeter {
 public:
  static constexpr int hook_interval = 1000;
  // How long a preemptible step runs before it gives the engine back. An
  // HTTP request needs a few turns of the engine, each of which may wait for
  // one slice: at 0.5 ms /health stays within ~2 ms of idle under attack
  // (solo-bench isolation; at 1 ms it was ~4 ms).
  static constexpr std::chrono::microseconds slice{500};

  enum class Limit { none, instructions, cpu_time };

  explicit LuaMeter(const LuaLimits& limits)
      : pool_(limits.memory_bytes),
        cap_(limits.memory_bytes),
        string_cap_(limits.string_bytes),
        budget_(limits.instructions_per_message),
        cpu_budget_(limits.cpu_time_per_message) {}

  // The lua_Alloc to pass to lua_newstate with `this` as ud.
  static void* allocate(void* ud, void* ptr, std::size_t osize, std::size_t nsize) noexcept;

  // Makes the state find this meter (extra space of the main thread, which
  // new threads copy) and installs the count hook on the main thread, from
  // which every later thread inherits it. Raises a Lua error on failure.
  void install(lua_State* L);
  static LuaMeter& of(lua_State* L) {
    LuaMeter* self;
    std::memcpy(&self, lua_getextraspace(L), sizeof(LuaMeter*));
    return *self;
  }

  // A message starts: fresh budgets. `cpu_budget` caps this step's time
  // (at most the service's limit); `preemptible`: whether it may be sliced.
  // `exact_cpu`: read the thread's CPU clock at the step's start (one system
  // call) instead of dating it back by the wall time at its first hook. For
  // the steps of a deploy (top level, init, code_change, terminate): run once
  // per service, with a tight budget (5 ms for the top level), they must
  // not be charged the time the OS gave other processes: on a loaded
  // machine one of 10,000 services recovering failed that way.
  void begin_message(std::chrono::nanoseconds cpu_budget, bool preemptible, bool exact_cpu = false);
  // A slice of the step starts (or the step resumes after solo.call) on `handler`.
  void resume_metering(lua_State* handler);
  // The slice ends (the step yielded or finished): its time is added. Between
  // slices nothing is metered (host-side conversions, commits).
  void pause();
  // A coroutine switch inside the step: `running` now runs (the watchdog
  // must reach it).
  void switch_to(lua_State* running);

  // At a coroutine resume. A new coroutine starts a hook count of its own, so
  // a tree of short-lived coroutines would never reach a hook: the clock is
  // read here too. Raises the limit error when a limit is spent; true when
  // the slice is over (the resumer should yield, if it can: mark_preempted()).
  bool check_at_resume(lua_State* L);
  void mark_preempted() { preempted_ = true; }

  // Adds C work to the budget; raises the limit error if a limit is spent.
  // Inline: the storage and JSON functions charge on every call.
  void charge(lua_State* L, std::uint64_t cost) {
    if (!metering_) return;
    used_ += cost;
    if (used_ > budget_ || exhausted()) over_budget(L);
  }
  // Raises the limit error if a limit is spent.
  void check(lua_State* L) { charge(L, 0); }
  // Budget left in this message, for estimates (pattern matching).
  std::uint64_t remaining() const { return used_ >= budget_ ? 0 : budget_ - used_; }
  std::uint64_t budget() const { return budget_; }

  // The hook yielded for a slice; the sandbox clears it when it resumes.
  bool preempted() const { return preempted_; }
  void clear_preempted() { preempted_ = false; }

  std::size_t bytes() const { return bytes_; }
  // What the small-block pool took from malloc (at most the cap).
  std::size_t pool_bytes() const { return pool_.reserved_bytes(); }
  std::size_t cap() const { return cap_; }
  std::uint64_t reductions() const { return reductions_; }
  std::chrono::nanoseconds cpu_used() const { return cpu_used_; }
  std::chrono::nanoseconds cpu_budget() const { return step_cpu_budget_; }
  // The wall time of the last slice (from resume_metering to pause).
  std::chrono::nanoseconds last_slice() const { return last_slice_; }
  // Engine time used by every message so far (status figures).
  std::chrono::nanoseconds cpu_total() const { return cpu_total_; }
  bool exhausted() const { return limit_ != Limit::none; }
  Limit limit_hit() const { return limit_; }
  // The error text of the limit hit ("instruction budget exceeded", "cpu time limit exceeded").
  const char* limit_message() const;
  bool refused_allocation() const { return refused_ || refused_string_; }
  // The last refusal in this message was a string past string_bytes.
  bool refused_string() const { return refused_string_; }
  std::size_t string_cap() const { return string_cap_; }

  // Whether the value at idx of L is one of the limit error objects.
  static bool is_limit_error(lua_State* L, int idx);

  static constexpr const char* budget_message = "instruction budget exceeded";
  static constexpr const char* cpu_message = "cpu time limit exceeded";

 private:
  static void hook(lua_State* L, lua_Debug* ar);
  // The heap's blocks: small ones from the pool, large ones (and small ones
  // once the pool is at its budget) from malloc.
  bool pooled(const void* block, std::size_t size) const;
  void release(void* block, std::size_t size);
  void* resize(void* block, std::size_t old, std::size_t size);
  [[noreturn]] void raise_limit(lua_State* L);
  void spend(std::uint64_t cost);
  void exhaust(Limit limit);
  // charge()'s slow path: marks the budget spent if it is, then raises.
  [[noreturn]] void over_budget(lua_State* L);
  std::chrono::nanoseconds elapsed_in_slice(std::chrono::steady_clock::time_point now) const {
    return now - slice_started_;
  }
  void take_cpu_baseline(std::chrono::nanoseconds wall_in_slice);
  // Exhausts the CPU time if the step has spent it (the thread's CPU clock decides).
  void check_cpu(std::chrono::nanoseconds wall_in_slice);
  std::chrono::nanoseconds cpu_in_slice(std::chrono::nanoseconds wall_in_slice) const;

  LuaBlockPool pool_;  // must outlive the lua_State, as the meter does
  // Whether a block of at most max_block bytes ever came from malloc (the
  // pool at its budget, a large block shrunk by realloc); until then
  // pooled() need not ask the pool.
  bool small_from_malloc_ = false;
  std::size_t bytes_ = 0;
  std::size_t cap_;
  std::size_t string_cap_;
  std::uint64_t budget_;
  std::uint64_t used_ = 0;
  std::uint64_t reductions_ = 0;
  std::chrono::nanoseconds cpu_budget_;           // the service's limit
  std::chrono::nanoseconds step_cpu_budget_{0};   // this message's
  std::chrono::nanoseconds cpu_used_{0};          // this message's, closed slices
  std::chrono::nanoseconds cpu_total_{0};
  std::chrono::nanoseconds last_slice_{0};
  std::chrono::steady_clock::time_point slice_started_{};
  std::chrono::steady_clock::time_point watch_deadline_{};  // what the watchdog was last told
  std::chrono::nanoseconds slice_cpu_started_{0};  // the thread's CPU clock, once cpu_baseline_
  bool first_slice_ = true;                        // of this message
  bool exact_cpu_ = false;                         // of this message
  bool cpu_baseline_ = false;
  bool metering_ = false;
  bool preemptible_ = false;
  bool preempted_ = false;
  bool refused_ = false;
  bool refused_string_ = false;
  Limit limit_ = Limit::none;
  SliceWatchdog* watch_ = nullptr;  // the engine thread's, while metering_
};

}  // namespace solo
