// The sandbox environment: the allow-list of the standard library a service
// sees (docs/services.md, "The sandbox and its limits"), and the wrappers that keep what remains
// inside the meter. Two files:
//
//   lua_environment  what is exposed, and how it is locked: the allow-list,
//                    the wrappers that change behaviour (load, setmetatable,
//                    collectgarbage, rawset, xpcall, coroutine.close/wrap),
//                    and the read-only proxies of the library tables
//   lua_costs        what each exposed C function costs: every one whose
//                    work grows with its input charges it to the budget
//                    before doing it, and no single call may do more than
//                    ~5 ms of work (lua_costs.hpp has the figures)
//
//   base       without dofile, loadfile; load forced to text mode;
//              collectgarbage only "count"; setmetatable refuses __gc
//              (finalizers run with hooks off, so they could loop forever);
//              xpcall skips its message handler once the budget is spent;
//              rawset refuses the read-only proxies
//   coroutine  close and wrap do not close a coroutine once the budget is
//              spent (both would run __close with hooks off, see the .cpp)
//   string     without dump; find/match/gmatch/gsub refuse patterns whose
//              worst-case cost exceeds the budget (lua_pattern_cost.hpp)
//   table, math, utf8
//   os         only time, clock, date
//   absent     io, debug, package, require, print (the sandbox installs a
//              print that logs), string.dump
//
// Library tables are exposed as read-only proxies: reads go through, writes
// (and rawset) raise "attempt to modify a read-only table", pairs() iterates
// the contents without handing out the original table, and the metatable is
// hidden. The libraries are opened on the first read through their proxy
// (or the first pairs() over it; for string also the first method call or
// string arithmetic, through a locked stand-in metatable), in the service's
// own heap and budget: a deploy then pays only for the libraries its code
// uses. The string metatable points at the wrapped string table and is
// locked, so the wrappers cannot be bypassed with ("x"):find(...). The
// service's own globals stay its own.
#pragma once

#include <lua.hpp>

namespace solo {

// Opens the environment into L's global table. L must have a LuaMeter
// installed. Raises Lua errors: call in protected mode.
void open_sandbox_environment(lua_State* L);

// Pushes a read-only proxy of the table at `idx`: reads go through, writes
// raise, pairs() iterates the original's contents (never handing it out),
// getmetatable() hides the proxy's, rawset() refuses it.
void push_readonly_proxy(lua_State* L, int idx);

}  // namespace solo
