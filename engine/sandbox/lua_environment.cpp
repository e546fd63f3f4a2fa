// The sandbox environment; see lua_environment.hpp for the allow-list.
#include "engine/sandbox/lua_environment.hpp"

#include "engine/sandbox/lua_coroutines.hpp"
#include "engine/sandbox/lua_costs.hpp"
#include "engine/sandbox/lua_meter.hpp"

#include <iterator>
#include <string_view>

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
  charge_call(L, "load", static_cast<double>(len) * 4);
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

// ---- read-only proxies -----------------------------------------------------

int readonly_newindex(lua_State* L) {
  return luaL_error(L, "attempt to modify a read-only table");
}

bool is_readonly_proxy(lua_State* L, int idx) {
  if (lua_type(L, idx) != LUA_TTABLE || !lua_getmetatable(L, idx)) return false;
  lua_pushliteral(L, "__newindex");
  lua_rawget(L, -2);
  const bool proxy = lua_tocfunction(L, -1) == readonly_newindex;
  lua_pop(L, 2);
  return proxy;
}

// ---- libraries opened on first use -----------------------------------------
//
// Most services touch few of the libraries, and opening one is most of what a
// new state costs (a deploy's ~100k instructions for the seven, ~75k more for
// their cost wrappers). So string, table, math, utf8, coroutine and os are
// opened, trimmed and wrapped in the service's own state the first time its
// code reads one of their fields (or iterates one): until then the proxy's
// __index is open_on_first_use, which opens the library and makes it the
// __index, so that every later read is the plain table lookup it always was.
// Strings reach the string library without its proxy (("x"):rep(2), "10" + 1):
// until it is opened the string metatable is a stand-in whose __index and
// arithmetic open it (which installs the real, locked metatable) and then do
// what the real one does.

// The trims of a freshly opened library (at -1).
void trim_string(lua_State* L) {
  lua_pushnil(L);
  lua_setfield(L, -2, "dump");  // no bytecode
  // luaopen_string made the string metatable (its __index: this table, where
  // the wrappers go): lock it.
  lua_pushliteral(L, "");
  lua_getmetatable(L, -1);
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 2);
}
void trim_os(lua_State* L) {
  const int full_os = lua_gettop(L);
  lua_createtable(L, 0, 3);
  for (const char* name : {"time", "clock", "date"}) {
    lua_getfield(L, full_os, name);
    lua_setfield(L, -2, name);
  }
  lua_replace(L, full_os);
}
void trim_coroutine(lua_State* L) { open_sandbox_coroutines(L, -1); }

struct LazyLibrary {
  const char* name;
  lua_CFunction open;
  void (*trim)(lua_State*);
};

const LazyLibrary lazy_libraries[] = {
    {LUA_STRLIBNAME, luaopen_string, trim_string}, {LUA_TABLIBNAME, luaopen_table, nullptr},
    {LUA_MATHLIBNAME, luaopen_math, nullptr},      {LUA_UTF8LIBNAME, luaopen_utf8, nullptr},
    {LUA_COLIBNAME, luaopen_coroutine, trim_coroutine}, {LUA_OSLIBNAME, luaopen_os, trim_os},
};
constexpr int string_library = 0;

// Opening one library is C work the count hook does not see: charged as a
// call of this many units (~30k machine instructions at most, math's).
constexpr double open_library_units = 4000;

// Opens, trims and wraps lazy_libraries[i] (its index, at 1) and keeps it in
// the registry under the entry's address; returns it.
int open_library_now(lua_State* L) {
  const LazyLibrary& lib = lazy_libraries[lua_tointeger(L, 1)];
  lua_pushcfunction(L, lib.open);
  lua_call(L, 0, 1);
  if (lib.trim != nullptr) lib.trim(L);
  install_library_costs(L, lib.name, -1);
  // Listed in the loaded modules (which no service sees), as luaL_requiref
  // lists an eagerly opened one: argument errors take their function's name
  // from there ("bad argument #1 to 'math.floor'").
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_pushvalue(L, -2);
  lua_setfield(L, -2, lib.name);
  lua_pop(L, 1);
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &lib);
  return 1;
}

// Pushes lazy_libraries[i], opened, trimmed and wrapped (once per state). A
// memory or budget error leaves nothing behind, to be tried again: each
// attempt opens a fresh table, and for string the stand-in metatable is put
// back (luaopen_string installs the real one before its wrappers are in:
// left there, it would hand out the unwrapped functions).
void push_opened_library(lua_State* L, int i) {
  const LazyLibrary& lib = lazy_libraries[i];
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &lib) == LUA_TTABLE) return;
  lua_pop(L, 1);
  charge_call(L, lib.name, open_library_units);
  lua_pushliteral(L, "");
  if (!lua_getmetatable(L, -1)) lua_pushnil(L);  // the string metatable as it is (the stand-in until string is open)
  lua_remove(L, -2);
  const int before = lua_gettop(L);
  lua_pushcfunction(L, open_library_now);
  lua_pushinteger(L, i);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
    lua_pushliteral(L, "");
    lua_pushvalue(L, before);
    lua_setmetatable(L, -2);
    lua_pop(L, 1);
    lua_error(L);  // the error as it was
  }
  lua_remove(L, before);
}

// __index of a library's proxy until the library is open. Upvalue: its index
// in lazy_libraries. Makes the opened table the proxy's __index, and reads `key`.
int open_on_first_use(lua_State* L) {
  const int i = static_cast<int>(lua_tointeger(L, lua_upvalueindex(1)));
  lua_settop(L, 2);
  if (!lua_getmetatable(L, 1)) return luaL_error(L, "%s: not a library proxy", lazy_libraries[i].name);  // a bug
  push_opened_library(L, i);
  lua_pushliteral(L, "__index");
  lua_pushvalue(L, -2);
  lua_rawset(L, 3);  // from now on reads go straight to the table
  lua_pushvalue(L, 2);
  lua_rawget(L, -2);
  return 1;
}

// The stand-in string metatable's __index: (s, key).
int string_index_on_first_use(lua_State* L) {
  lua_settop(L, 2);
  push_opened_library(L, string_library);
  lua_pushvalue(L, 2);
  lua_rawget(L, -2);
  return 1;
}

int first_result(lua_State*, int /*status*/, lua_KContext /*ctx*/) { return 1; }

// The stand-in's arithmetic: (a, b). Upvalue: the event ("__add"). Calls the
// real metatable's (wrapped) metamethod, with a continuation: an operand's
// own metamethod may yield, as it may through the real one.
int string_arith_on_first_use(lua_State* L) {
  lua_settop(L, 2);
  push_opened_library(L, string_library);  // installs the real metatable
  lua_pop(L, 1);
  lua_pushliteral(L, "");
  lua_getmetatable(L, -1);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_rawget(L, -2);
  lua_replace(L, 3);
  lua_settop(L, 3);
  lua_insert(L, 1);
  lua_callk(L, 2, 1, 0, first_result);
  return 1;
}

// Installs the stand-in string metatable, locked as the real one will be.
void set_string_stand_in(lua_State* L) {
  lua_createtable(L, 0, 10);
  lua_pushcfunction(L, string_index_on_first_use);
  lua_setfield(L, -2, "__index");
  for (const char* event : {"__add", "__sub", "__mul", "__mod", "__pow", "__div", "__idiv", "__unm"}) {
    lua_pushstring(L, event);
    lua_pushcclosure(L, string_arith_on_first_use, 1);
    lua_setfield(L, -2, event);
  }
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_pushliteral(L, "");
  lua_pushvalue(L, -2);
  lua_setmetatable(L, -2);
  lua_pop(L, 2);
}

// Pushes the table the proxy at `idx` stands for (its metatable's __index,
// read raw: the service never sees that metatable), opening it if need be.
void push_proxied_table(lua_State* L, int idx) {
  idx = lua_absindex(L, idx);
  lua_getmetatable(L, idx);
  lua_pushliteral(L, "__index");
  if (lua_rawget(L, -2) == LUA_TFUNCTION) {  // open_on_first_use
    lua_pushvalue(L, idx);
    lua_pushnil(L);
    lua_call(L, 2, 0);
    lua_pushliteral(L, "__index");
    lua_rawget(L, -2);
  }
  lua_remove(L, -2);
}

// next(proxy, key) over the table the proxy stands for (its metatable's
// __index, read raw: the service never sees that metatable). One plain C
// function for every proxy, so a proxy costs no closures of its own. Handed
// anything but a proxy it refuses: a service can make a table whose
// metatable has an __index, but not one whose __newindex is
// readonly_newindex, so it only ever walks what a proxy already shows it.
int readonly_next(lua_State* L) {
  if (!is_readonly_proxy(L, 1)) return luaL_typeerror(L, 1, "read-only library table");
  lua_settop(L, 2);
  push_proxied_table(L, 1);
  lua_pushvalue(L, 2);
  if (lua_next(L, -2)) return 2;
  lua_pushnil(L);
  return 1;
}

// __pairs: (readonly_next, the proxy, nil); pairs() hands readonly_next the
// proxy, so the original never reaches the service.
int readonly_pairs(lua_State* L) {
  lua_pushcfunction(L, readonly_next);
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}

// Replaces the value on top of the stack (a table, or open_on_first_use)
// with a read-only proxy whose reads go to it.
void wrap_in_proxy(lua_State* L) {
  lua_newtable(L);           // proxy
  lua_createtable(L, 0, 4);  // its metatable
  lua_pushvalue(L, -3);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, readonly_newindex);
  lua_setfield(L, -2, "__newindex");
  lua_pushcfunction(L, readonly_pairs);
  lua_setfield(L, -2, "__pairs");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
  lua_remove(L, -2);
}

// Pushes a read-only proxy of lazy_libraries[i], opened on first use.
void push_lazy_proxy(lua_State* L, int i) {
  lua_pushinteger(L, i);
  lua_pushcclosure(L, open_on_first_use, 1);
  wrap_in_proxy(L);
}

// rawset refusing the proxies: a raw field in a proxy would shadow the
// library function it stands for.
int sandbox_rawset(lua_State* L) {
  if (is_readonly_proxy(L, 1)) return readonly_newindex(L);
  lua_settop(L, 3);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, 3, 1);
  return 1;
}

void open_library(lua_State* L, const char* name, lua_CFunction open) {
  luaL_requiref(L, name, open, 1);
  lua_pop(L, 1);
}

}  // namespace

void push_readonly_proxy(lua_State* L, int idx) {
  lua_pushvalue(L, idx);
  wrap_in_proxy(L);
}

void open_sandbox_environment(lua_State* L) {
  // The globals and the loaded-modules table sized for what goes in them
  // (the libraries' functions; the wrapped originals' names, lua_costs.cpp),
  // instead of rehashed as they fill.
  lua_createtable(L, 0, 64);
  lua_rawseti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
  lua_createtable(L, 0, 64);
  lua_setfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  open_library(L, LUA_GNAME, luaopen_base);
  set_string_stand_in(L);

  lua_pushglobaltable(L);
  const int g = lua_gettop(L);

  // (io, debug, package and require are never opened.)
  for (const char* name : {"dofile", "loadfile", "print", "warn"}) {
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
  lua_getfield(L, g, "rawset");
  lua_pushcclosure(L, sandbox_rawset, 1);
  lua_setfield(L, g, "rawset");

  // Every C function charged its work (lua_costs.hpp).
  install_library_costs(L, g);

  for (int i = 0; i < static_cast<int>(std::size(lazy_libraries)); ++i) {
    push_lazy_proxy(L, i);
    lua_setfield(L, g, lazy_libraries[i].name);
  }
  lua_pop(L, 1);  // globals
}

}  // namespace solo
