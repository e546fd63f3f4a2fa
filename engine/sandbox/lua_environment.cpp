// The sandbox environment; see lua_environment.hpp for the allow-list.
#include "engine/sandbox/lua_environment.hpp"

#include "engine/sandbox/lua_coroutines.hpp"
#include "engine/sandbox/lua_meter.hpp"
#include "engine/sandbox/lua_pattern_cost.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>

namespace solo {

namespace {

// ---- base library -------------------------------------------------------

// load(chunk [, chunkname [, mode [, env]]]) with mode forced to "t": binary
// chunks can crash the VM, so only text is ever loaded. Whether env was
// passed matters (an explicit nil env is a nil _ENV), so the arity is kept.
int sandbox_load(lua_State* L) {
  // Compiling is C work the hook does not see: charge it by size (a reader
  // function's pieces are charged as their strings are allocated).
  std::size_t len = 0;
  if (lua_type(L, 1) == LUA_TSTRING) lua_tolstring(L, 1, &len);
  LuaMeter::of(L).charge(L, len * 4);
  const int nargs = lua_gettop(L) >= 4 ? 4 : 3;
  lua_settop(L, nargs);
  lua_pushliteral(L, "t");
  lua_replace(L, 3);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, nargs, LUA_MULTRET);
  return lua_gettop(L);
}

// collectgarbage("count") only: the other options let a service force full
// collections in a loop, work the hook cannot interrupt.
int sandbox_collectgarbage(lua_State* L) {
  const char* option = luaL_optstring(L, 1, "collect");
  if (std::string_view(option) != "count") {
    return luaL_error(L, "collectgarbage: only \"count\" is allowed in the sandbox");
  }
  const int kb = lua_gc(L, LUA_GCCOUNT, 0);
  const int rest = lua_gc(L, LUA_GCCOUNTB, 0);
  lua_pushnumber(L, static_cast<lua_Number>(kb) + static_cast<lua_Number>(rest) / 1024.0);
  return 1;
}

// setmetatable refusing __gc: finalizers run with hooks off, so a finalizer
// that loops would hang the engine thread. Lua only marks an object for
// finalization if __gc is present when the metatable is set, so checking
// here (raw, any value) is enough: adding __gc to the metatable later does
// not make the object finalizable.
int sandbox_setmetatable(lua_State* L) {
  if (lua_type(L, 2) == LUA_TTABLE) {
    lua_pushliteral(L, "__gc");
    if (lua_rawget(L, 2) != LUA_TNIL) {  // raw, as Lua's own check is
      return luaL_error(L, "setmetatable: __gc metamethods are not allowed in the sandbox");
    }
    lua_pop(L, 1);
  }
  lua_settop(L, 2);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, 2, 1);
  return 1;
}

// Continuation for wrappers that call the original with lua_callk, so that
// solo.call can still yield through them.
int return_all(lua_State* L, int /*status*/, lua_KContext /*ctx*/) { return lua_gettop(L); }

// ---- the xpcall message handler ------------------------------------------
//
// When the count hook raises a limit error, the xpcall message handler is
// called from inside the raise with hooks still off for that thread, so it
// could loop forever: once a limit is spent it is skipped (the error passes
// as is). The coroutine side of the same problem is in lua_coroutines.cpp.

int guarded_message_handler(lua_State* L) {
  if (LuaMeter::of(L).exhausted()) return 1;  // the error as is
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 1);
  return 1;
}

int sandbox_xpcall(lua_State* L) {
  luaL_checktype(L, 2, LUA_TFUNCTION);
  lua_pushvalue(L, 2);
  lua_pushcclosure(L, guarded_message_handler, 1);
  lua_replace(L, 2);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_callk(L, lua_gettop(L) - 1, LUA_MULTRET, 0, return_all);
  return lua_gettop(L);
}

// ---- charged C functions -------------------------------------------------

enum class Cost : lua_Integer { length_of_table_1, range_2_3, concat, unpack, sort, bytes_of_string_1 };

lua_Integer int_arg(lua_State* L, int idx, lua_Integer fallback) {
  int is_num = 0;
  lua_Integer v = lua_tointegerx(L, idx, &is_num);
  return is_num ? v : fallback;
}

std::uint64_t span(lua_Integer from, lua_Integer to) {
  if (to < from) return 0;
  // Saturate: the difference of two extreme integers overflows.
  const auto d = static_cast<std::uint64_t>(to) - static_cast<std::uint64_t>(from);
  return std::min<std::uint64_t>(d, std::uint64_t{1} << 62) + 1;
}

std::uint64_t table_length(lua_State* L, int idx) {
  return lua_type(L, idx) == LUA_TTABLE ? lua_rawlen(L, idx) : 0;
}

// Charges the work a C library function is about to do, then calls it.
int charged(lua_State* L) {
  const auto cost = static_cast<Cost>(lua_tointeger(L, lua_upvalueindex(2)));
  std::uint64_t units = 0;
  switch (cost) {
    case Cost::length_of_table_1: units = table_length(L, 1); break;
    case Cost::range_2_3: {  // table.move(a1, f, e, t)
      units = span(int_arg(L, 2, 1), int_arg(L, 3, 0));
      break;
    }
    case Cost::concat:  // table.concat(list, sep, i, j)
    case Cost::unpack: {  // table.unpack(list, i, j)
      const int first = cost == Cost::concat ? 3 : 2;
      units = span(int_arg(L, first, 1), int_arg(L, first + 1, static_cast<lua_Integer>(table_length(L, 1))));
      break;
    }
    case Cost::sort: {
      const double n = static_cast<double>(table_length(L, 1));
      units = static_cast<std::uint64_t>(n * std::log2(n + 2) * 4);  // comparisons and moves
      break;
    }
    case Cost::bytes_of_string_1: {
      std::size_t len = 0;
      if (lua_type(L, 1) == LUA_TSTRING) lua_tolstring(L, 1, &len);
      units = len / 4;
      break;
    }
  }
  LuaMeter::of(L).charge(L, units);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

void wrap_charged(lua_State* L, int lib, const char* name, Cost cost) {
  lua_getfield(L, lib, name);
  lua_pushinteger(L, static_cast<lua_Integer>(cost));
  lua_pushcclosure(L, charged, 2);
  lua_setfield(L, lib, name);
}

// ---- pattern matching ----------------------------------------------------

// VM instructions the CPU could have run in `elapsed` (~400M/s, see LuaLimits).
std::uint64_t instructions_for(std::chrono::steady_clock::duration elapsed) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count();
  return ns > 0 ? static_cast<std::uint64_t>(ns) * 2 / 5 : 0;
}

// Upvalues: the original function, and its PatternUse.
int guarded_pattern(lua_State* L) {
  const auto use = static_cast<PatternUse>(lua_tointeger(L, lua_upvalueindex(2)));
  std::size_t n = 0, m = 0;
  luaL_checklstring(L, 1, &n);
  const char* p = luaL_checklstring(L, 2, &m);
  const bool plain = use == PatternUse::find && lua_toboolean(L, 4);
  const double cost = pattern_cost(std::string_view(p, m), n, use, plain);
  const double limit = pattern_step_limit(L);
  if (cost > limit) {
    char message[200];  // lua_pushfstring has no %g
    std::snprintf(message, sizeof message,
                  "pattern too complex for a subject of %zu bytes: estimated %.3g steps, the limit is %.3g "
                  "(use fewer quantifiers, an anchor, or a shorter subject)",
                  n, cost, limit);
    return luaL_error(L, "%s", message);
  }
  // The estimate is a worst case, far above what ordinary patterns do, so it
  // only refuses; what is charged is the time the matcher actually took
  // (a gsub callback's instructions are then counted twice, which errs on
  // the safe side).
  const auto started = std::chrono::steady_clock::now();
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  LuaMeter::of(L).charge(L, instructions_for(elapsed) + n / 8);
  return lua_gettop(L);
}

void wrap_pattern(lua_State* L, int lib, const char* name, PatternUse use) {
  lua_getfield(L, lib, name);
  lua_pushinteger(L, static_cast<lua_Integer>(use));
  lua_pushcclosure(L, guarded_pattern, 2);
  lua_setfield(L, lib, name);
}

// ---- read-only proxies -----------------------------------------------------

int readonly_newindex(lua_State* L) {
  return luaL_error(L, "attempt to modify a read-only table");
}

// next() over the proxied table, independent of the service's globals.
int raw_next(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 2);
  if (lua_next(L, 1)) return 2;
  lua_pushnil(L);
  return 1;
}

int readonly_pairs(lua_State* L) {
  lua_pushcfunction(L, raw_next);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushnil(L);
  return 3;
}

void open_library(lua_State* L, const char* name, lua_CFunction open) {
  luaL_requiref(L, name, open, 1);
  lua_pop(L, 1);
}

}  // namespace

double pattern_step_limit(lua_State* L) {
  // One estimated step costs up to ~5 ns (measured: "a*b" and "(%w+)=" on
  // long runs of "a"), so with the default budget a refused-at-the-limit
  // call would run at most ~0.4 s: one call may overrun the message budget
  // by that much, and its time is then charged, which ends the message.
  return static_cast<double>(LuaMeter::of(L).budget()) * 4;
}

void push_readonly_proxy(lua_State* L, int idx) {
  idx = lua_absindex(L, idx);
  lua_newtable(L);                 // proxy
  lua_createtable(L, 0, 4);        // its metatable
  lua_pushvalue(L, idx);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, readonly_newindex);
  lua_setfield(L, -2, "__newindex");
  lua_pushvalue(L, idx);
  lua_pushcclosure(L, readonly_pairs, 1);
  lua_setfield(L, -2, "__pairs");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
}

void open_sandbox_environment(lua_State* L) {
  open_library(L, LUA_GNAME, luaopen_base);
  open_library(L, LUA_STRLIBNAME, luaopen_string);
  open_library(L, LUA_TABLIBNAME, luaopen_table);
  open_library(L, LUA_MATHLIBNAME, luaopen_math);
  open_library(L, LUA_UTF8LIBNAME, luaopen_utf8);
  open_library(L, LUA_COLIBNAME, luaopen_coroutine);
  open_library(L, LUA_OSLIBNAME, luaopen_os);

  lua_pushglobaltable(L);
  const int g = lua_gettop(L);

  for (const char* name : {"dofile", "loadfile", "print", "warn", "require", "package", "io", "debug"}) {
    lua_pushnil(L);
    lua_setfield(L, g, name);
  }
  lua_getfield(L, g, "load");
  lua_pushcclosure(L, sandbox_load, 1);
  lua_setfield(L, g, "load");
  lua_pushcfunction(L, sandbox_collectgarbage);
  lua_setfield(L, g, "collectgarbage");
  lua_getfield(L, g, "setmetatable");
  lua_pushcclosure(L, sandbox_setmetatable, 1);
  lua_setfield(L, g, "setmetatable");
  lua_getfield(L, g, "xpcall");
  lua_pushcclosure(L, sandbox_xpcall, 1);
  lua_setfield(L, g, "xpcall");

  lua_getfield(L, g, "coroutine");
  open_sandbox_coroutines(L, -1);
  lua_pop(L, 1);

  // os: only the clock and calendar.
  lua_getfield(L, g, "os");
  const int full_os = lua_gettop(L);
  lua_createtable(L, 0, 3);
  for (const char* name : {"time", "clock", "date"}) {
    lua_getfield(L, full_os, name);
    lua_setfield(L, -2, name);
  }
  lua_setfield(L, g, "os");
  lua_pop(L, 1);

  // string: no bytecode, bounded patterns.
  lua_getfield(L, g, "string");
  const int str = lua_gettop(L);
  lua_pushnil(L);
  lua_setfield(L, str, "dump");
  wrap_pattern(L, str, "find", PatternUse::find);
  wrap_pattern(L, str, "match", PatternUse::match);
  wrap_pattern(L, str, "gmatch", PatternUse::every_position);
  wrap_pattern(L, str, "gsub", PatternUse::every_position);
  wrap_charged(L, str, "byte", Cost::bytes_of_string_1);
  // Method calls on strings go through this metatable: point it at the
  // wrapped table and lock it.
  lua_pushliteral(L, "");
  lua_getmetatable(L, -1);
  lua_pushvalue(L, str);
  lua_setfield(L, -2, "__index");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 3);

  lua_getfield(L, g, "table");
  const int tab = lua_gettop(L);
  wrap_charged(L, tab, "insert", Cost::length_of_table_1);
  wrap_charged(L, tab, "remove", Cost::length_of_table_1);
  wrap_charged(L, tab, "move", Cost::range_2_3);
  wrap_charged(L, tab, "sort", Cost::sort);
  wrap_charged(L, tab, "concat", Cost::concat);
  wrap_charged(L, tab, "unpack", Cost::unpack);
  lua_pop(L, 1);

  lua_getfield(L, g, "utf8");
  wrap_charged(L, lua_gettop(L), "len", Cost::bytes_of_string_1);
  wrap_charged(L, lua_gettop(L), "codepoint", Cost::bytes_of_string_1);
  lua_pop(L, 1);

  for (const char* name : {"string", "table", "math", "utf8", "coroutine", "os"}) {
    lua_getfield(L, g, name);
    push_readonly_proxy(L, -1);
    lua_setfield(L, g, name);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);  // globals
}

}  // namespace solo
