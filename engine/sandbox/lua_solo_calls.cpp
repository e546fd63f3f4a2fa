// Shared by the solo table's C functions; see lua_solo_calls.hpp.
#include "engine/sandbox/lua_solo_calls.hpp"

#include "engine/sandbox/lua_json.hpp"
#include "engine/sandbox/lua_meter.hpp"

#include <boost/json.hpp>

namespace solo {

namespace json = boost::json;

LuaSoloContext& context_of(lua_State* L) {
  return *static_cast<LuaSoloContext*>(lua_touserdata(L, lua_upvalueindex(1)));
}

LuaHost& host_of(lua_State* L) {
  LuaHost* host = context_of(L).host();
  if (host == nullptr) luaL_error(L, "this sandbox has no host");
  return *host;
}

json::value json_arg(lua_State* L, int idx, const char* what, const char* noun) {
  const auto& limits = context_of(L).limits();
  LuaJsonLimits json_limits;
  json_limits.max_bytes = noun ? limits.payload_bytes : limits.memory_bytes;
  auto encoded = to_json(L, idx, json_limits);
  LuaMeter::of(L).charge(L, encoded.cost);
  if (!encoded.ok()) {
    if (encoded.too_large) luaL_error(L, "%s: %s %s", what, noun ? noun : "value", encoded.error.c_str());
    luaL_error(L, "%s: %s", what, encoded.error.c_str());
  }
  return std::move(encoded.value);
}

std::size_t json_nodes(const json::value& v) {
  std::size_t n = 1;
  if (const auto* a = v.if_array()) {
    for (const auto& e : *a) n += json_nodes(e);
  } else if (const auto* o = v.if_object()) {
    for (const auto& kv : *o) n += json_nodes(kv.value());
  }
  return n;
}

void push_decoded(lua_State* L, std::string_view text, const char* what) {
  LuaMeter::of(L).charge(L, text.size() / 8);
  json::parse_options options;
  options.max_depth = LuaJsonLimits{}.max_depth;
  boost::system::error_code ec;
  json::value v;
  std::string failure;
  try {
    v = json::parse(text, ec, {}, options);
    if (ec) failure = ec.message();
  } catch (const std::exception& e) {
    failure = e.what();
  }
  if (!failure.empty()) luaL_error(L, "%s: %s", what, failure.c_str());
  LuaMeter::of(L).charge(L, json_nodes(v) * decode_node_units);
  push_json(L, v);
}

std::string_view check_sv(lua_State* L, int idx) {
  std::size_t len = 0;
  const char* s = luaL_checklstring(L, idx, &len);
  return {s, len};
}

void push_solo_function(lua_State* L, const char* name, lua_CFunction f, LuaSoloContext& context) {
  lua_pushlightuserdata(L, &context);
  lua_pushcclosure(L, f, 1);
  lua_setfield(L, -2, name);
}

}  // namespace solo
