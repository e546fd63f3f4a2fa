// LuaMeter: the resource accounting of one sandbox, shared by its allocator
// (memory cap) and its count hook (instruction budget).
//
// Memory: every allocation of the lua_State goes through allocate(), which
// refuses to grow the heap past the cap; Lua then raises "not enough memory"
// (after an emergency collection), which the handler sees as an error.
//
// CPU: the count hook fires every `hook_interval` VM instructions in every
// thread of the state (coroutines inherit the hook when created) and adds the
// count to the message's budget. C functions cannot be interrupted by the
// hook, so heavy C work is charged too: each heap growth costs bytes/8, and the
// sandbox's wrappers charge table shifts, sorts and pattern matching. Once the
// budget is spent the meter is "exhausted": the next hook in any thread raises
// "instruction budget exceeded", and switches that thread to a hook on every
// instruction, so a pcall around the loop cannot swallow the error for long:
// the enclosing frame errors on its very next instruction.
//
// Threading: owned by the sandbox, used only on the engine thread.
#pragma once

#include "engine/sandbox/lua_limits.hpp"

#include <lua.hpp>

#include <cstddef>
#include <cstdint>

namespace solo {

class LuaMeter {
 public:
  static constexpr int hook_interval = 1000;

  explicit LuaMeter(const LuaLimits& limits)
      : cap_(limits.memory_bytes), budget_(limits.instructions_per_message) {}

  // The lua_Alloc to pass to lua_newstate with `this` as ud.
  static void* allocate(void* ud, void* ptr, std::size_t osize, std::size_t nsize) noexcept;

  // Makes the state find this meter (extra space of the main thread, which
  // new threads copy) and installs the count hook on the main thread, from
  // which every later thread inherits it. Raises a Lua error on failure.
  void install(lua_State* L);
  static LuaMeter& of(lua_State* L);

  // A message starts: fresh budget. `handler` is the thread running it, which
  // is told to stop at once when an allocation exhausts the budget.
  void begin_message(lua_State* handler);
  // Between messages nothing is metered (host-side conversions, commits).
  void pause();
  void resume_metering(lua_State* handler);

  // Adds C work to the budget; raises "instruction budget exceeded" if spent.
  void charge(lua_State* L, std::uint64_t cost);
  // Raises "instruction budget exceeded" if the budget is spent.
  void check(lua_State* L) { charge(L, 0); }
  // Budget left in this message, for estimates (pattern matching).
  std::uint64_t remaining() const { return used_ >= budget_ ? 0 : budget_ - used_; }
  std::uint64_t budget() const { return budget_; }

  std::size_t bytes() const { return bytes_; }
  std::size_t cap() const { return cap_; }
  std::uint64_t reductions() const { return reductions_; }
  bool exhausted() const { return exhausted_; }
  bool refused_allocation() const { return refused_; }

  // Whether the value at idx of L is the budget error object itself.
  static bool is_budget_error(lua_State* L, int idx);

  static constexpr const char* budget_message = "instruction budget exceeded";

 private:
  static void hook(lua_State* L, lua_Debug* ar);
  [[noreturn]] static void raise_budget(lua_State* L);
  void spend(std::uint64_t cost);

  std::size_t bytes_ = 0;
  std::size_t cap_;
  std::uint64_t budget_;
  std::uint64_t used_ = 0;
  std::uint64_t reductions_ = 0;
  bool metering_ = false;
  bool exhausted_ = false;
  bool refused_ = false;
  lua_State* handler_ = nullptr;  // alive while metering_: the sandbox holds a reference
};

}  // namespace solo
