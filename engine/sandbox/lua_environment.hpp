// The sandbox environment: the allow-list of the standard library a service
// sees (SERVICES.md, "The sandbox"), and the wrappers that keep what remains
// inside the meter.
//
//   base       without dofile, loadfile; load forced to text mode;
//              collectgarbage only "count"; setmetatable refuses __gc
//              (finalizers run with hooks off, so they could loop forever);
//              xpcall skips its message handler once the budget is spent
//   coroutine  close and wrap do not close a coroutine once the budget is
//              spent (both would run __close with hooks off, see the .cpp)
//   string     without dump; find/match/gmatch/gsub refuse patterns whose
//              worst-case cost exceeds the budget (lua_pattern_cost.hpp)
//   table      insert/remove/move/sort/concat/unpack charge their C work
//   math, utf8 (len/codepoint charged)
//   os         only time, clock, date
//   absent     io, debug, package, require, print (the sandbox installs a
//              print that logs), string.dump
//
// Library tables are exposed as read-only proxies, and the string metatable
// is locked, so the wrappers cannot be bypassed with ("x"):find(...) on an
// unwrapped table. The service's own globals stay its own.
#pragma once

#include <lua.hpp>

namespace solo {

// Opens the environment into L's global table. L must have a LuaMeter
// installed. Raises Lua errors: call in protected mode.
void open_sandbox_environment(lua_State* L);

// Pushes a read-only proxy of the table at `idx`: reads go through, writes
// raise, pairs() iterates the original, getmetatable() hides the proxy's.
void push_readonly_proxy(lua_State* L, int idx);

// The most matcher steps a single pattern call may be estimated to take.
double pattern_step_limit(lua_State* L);

}  // namespace solo
