// What the C functions of the `solo` table share (lua_solo_library.cpp,
// lua_storage_library.cpp): reaching the context and host from a closure's
// upvalue, converting arguments and results with lua_json and charging the
// conversion to the message's budget (LuaMeter), and turning a host's C++
// exception into a Lua error. Each function is pushed as a C closure whose
// first upvalue is the LuaSoloContext (push_solo_function).
#pragma once

#include "engine/sandbox/lua_solo_library.hpp"

#include <boost/json/value.hpp>
#include <lua.hpp>

#include <cstddef>
#include <exception>
#include <string>
#include <string_view>

namespace solo {

// The context of the running solo function (its first upvalue).
LuaSoloContext& context_of(lua_State* L);
// The host, or a Lua error when the sandbox has none.
LuaHost& host_of(lua_State* L);

// Encodes argument `idx` to JSON or raises "<what>: <why>"; charges the work.
// What leaves the sandbox (`noun`: "message", "payload") is capped at
// LuaLimits::payload_bytes; solo.json.encode's result lands in the Lua heap,
// so it is capped at the heap's limit.
boost::json::value json_arg(lua_State* L, int idx, const char* what, const char* noun = nullptr);

// Parses JSON `text` and pushes it as Lua (null -> solo.null), or raises
// "<what>: <why>". Charged before each part of the work: text bytes / 8 for
// the parse, then decode_node_units per value in it for building the Lua
// values (measured ~100 ns a node for an array of small objects, with
// ~4 ns a VM instruction in the same run; the tables' memory is charged
// apart, as any allocation). The tables count against the heap's limit, so
// a value too big for the heap is "not enough memory".
inline constexpr std::size_t decode_node_units = 20;
void push_decoded(lua_State* L, std::string_view text, const char* what);

// The values in `v` (itself, and every element and member, recursively).
// Recursive: call it on values whose depth is bounded (parsed or encoded
// with LuaJsonLimits::max_depth).
std::size_t json_nodes(const boost::json::value& v);

// Argument `idx` as a string (numbers are converted, as luaL_checklstring does).
std::string_view check_sv(lua_State* L, int idx);

// Sets t[name] = f (t at the top of the stack), with `context` as f's upvalue.
void push_solo_function(lua_State* L, const char* name, lua_CFunction f, LuaSoloContext& context);

// Runs a host call; a C++ exception from the host becomes a Lua error. The
// message is copied out of the catch block first: a Lua error is itself an
// exception and must not be raised while another is being handled.
template <class F>
int call_host(lua_State* L, const char* what, F&& f) {
  std::string failure;
  try {
    return f();
  } catch (const std::exception& e) {
    failure = e.what();
  }
  return luaL_error(L, "%s: %s", what, failure.c_str());
}

}  // namespace solo
