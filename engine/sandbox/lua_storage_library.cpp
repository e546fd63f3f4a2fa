// solo.storage; see lua_storage_library.hpp.
#include "engine/sandbox/lua_storage_library.hpp"

#include "base/utf8.hpp"
#include "engine/sandbox/lua_environment.hpp"
#include "engine/sandbox/lua_json.hpp"
#include "engine/sandbox/lua_meter.hpp"
#include "engine/sandbox/lua_solo_calls.hpp"

#include <boost/json.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace solo {

namespace json = boost::json;

namespace {

constexpr std::uint64_t call_units = 100;
constexpr std::uint64_t entry_units = 20;
// A put's work beyond to_json's own count (which charges a node 1 unit):
// building, serializing and copying it. Measured on the CI machine with
// ~4 ns a VM instruction in the same run: ~150 ns a node for an array of
// small objects, ~2.6 ns a byte for a long string.
constexpr std::uint64_t put_node_units = 40;
constexpr lua_Integer default_list_limit = 100;

// ---- the read cache (see forget_storage_cache) ----------------------------------
// One table per state: key -> value for the scalars get returned, and at
// index 1 (no key is a number) how many were added since it was last
// emptied. It is the upvalue 2 of get, put and delete, and in the registry
// for forget_storage_cache.
constexpr int cache_upvalue = 2;
constexpr lua_Integer cache_entries = 256;  // then it starts over empty
constexpr std::size_t cache_string_max = 256;  // longer strings are not kept alive by it
const char cache_key = 0;

void clear_cache(lua_State* L, int cache) {
  cache = lua_absindex(L, cache);
  lua_pushnil(L);
  while (lua_next(L, cache) != 0) {
    lua_pop(L, 1);
    lua_pushvalue(L, -1);
    lua_pushnil(L);
    lua_rawset(L, cache);  // clearing a present field during traversal is allowed
  }
}

// Keeps the value at the top (get's answer for the key at index 1) when it
// is a scalar: immutable, so handing out the same value again is exact.
void remember_value(lua_State* L) {
  const int type = lua_type(L, -1);
  if (type == LUA_TTABLE || type == LUA_TNIL) return;
  if (type == LUA_TSTRING && lua_rawlen(L, -1) > cache_string_max) return;
  const int cache = lua_upvalueindex(cache_upvalue);
  lua_rawgeti(L, cache, 1);
  const lua_Integer added = lua_tointeger(L, -1);
  lua_pop(L, 1);
  if (added >= cache_entries) clear_cache(L, cache);
  lua_pushinteger(L, added >= cache_entries ? 1 : added + 1);
  lua_rawseti(L, cache, 1);
  lua_pushvalue(L, 1);
  lua_pushvalue(L, -2);
  lua_rawset(L, cache);
  context_of(L).storage_cache_filled();
}

// put and delete: the key's cached value, if any, is no longer the value.
void forget_key(lua_State* L) {
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  lua_rawset(L, lua_upvalueindex(cache_upvalue));
}

void charge(lua_State* L, std::uint64_t units) { LuaMeter::of(L).charge(L, units); }

// Argument `idx` as a key, or a Lua error naming the rule it breaks. Charges
// the call and the key.
std::string_view key_arg(lua_State* L, int idx, const char* what) {
  if (lua_type(L, idx) != LUA_TSTRING) {
    luaL_error(L, "%s: the key must be a string, not %s", what, luaL_typename(L, idx));
  }
  std::size_t len = 0;
  const char* p = lua_tolstring(L, idx, &len);
  charge(L, call_units + len / 8);
  if (len == 0) {
    luaL_error(L, "%s: the key is empty (a key is 1 to %I bytes of UTF-8)", what,
               static_cast<lua_Integer>(kStorageKeyMax));
  }
  if (len > kStorageKeyMax) {
    luaL_error(L, "%s: the key is %I bytes, more than the %I allowed", what, static_cast<lua_Integer>(len),
               static_cast<lua_Integer>(kStorageKeyMax));
  }
  const std::string_view key(p, len);
  if (!is_valid_utf8(key)) luaL_error(L, "%s: the key is not valid UTF-8", what);
  return key;
}

int storage_get(lua_State* L) {
  // A key read before, unchanged since: no host call, no decoding.
  if (lua_type(L, 1) == LUA_TSTRING) {
    lua_settop(L, 1);
    lua_pushvalue(L, 1);
    if (lua_rawget(L, lua_upvalueindex(cache_upvalue)) != LUA_TNIL) {
      charge(L, call_units + decode_node_units);
      return 1;
    }
    lua_pop(L, 1);
  }
  const auto key = key_arg(L, 1, "solo.storage.get");
  LuaHost& host = host_of(L);
  const std::string* text = nullptr;
  call_host(L, "solo.storage.get", [&] {
    text = host.storage_get(key);
    return 0;
  });
  if (text == nullptr) {
    lua_pushnil(L);
  } else {
    push_decoded(L, *text, "solo.storage.get");
    remember_value(L);
  }
  return 1;
}

// The value at `idx` as JSON text of at most kStorageValueMax bytes, charged.
std::string value_arg(lua_State* L, int idx) {
  if (lua_isnoneornil(L, idx)) {
    luaL_error(L, "solo.storage.put: the value is nil (to remove a key, use solo.storage.delete)");
  }
  // Integers and booleans (counters, flags: the commonest values) go
  // straight to their JSON text, charged as the general path below would
  // charge them (one node), without a json::value in between.
  if (lua_type(L, idx) == LUA_TBOOLEAN || lua_isinteger(L, idx)) {
    std::string text = lua_type(L, idx) == LUA_TBOOLEAN ? std::string(lua_toboolean(L, idx) ? "true" : "false")
                                                        : std::to_string(lua_tointeger(L, idx));
    charge(L, 1 + put_node_units + text.size());
    return text;
  }
  LuaJsonLimits limits;
  limits.max_bytes = kStorageValueMax;
  auto encoded = to_json(L, idx, limits);
  charge(L, encoded.cost);
  if (encoded.too_large) {
    // Encoding stopped at the cap: the full size was never computed.
    luaL_error(L, "solo.storage.put: the value is more than the %I bytes allowed as JSON",
               static_cast<lua_Integer>(kStorageValueMax));
  }
  if (!encoded.ok()) luaL_error(L, "solo.storage.put: %s", encoded.error.c_str());
  std::string text;
  call_host(L, "solo.storage.put", [&] {
    text = json::serialize(encoded.value);
    return 0;
  });
  // to_json counts a float's shortest form; boost::json may write a byte or
  // two more, so the text is what is measured.
  if (text.size() > kStorageValueMax) {
    luaL_error(L, "solo.storage.put: the value is %I bytes as JSON, more than the %I allowed",
               static_cast<lua_Integer>(text.size()), static_cast<lua_Integer>(kStorageValueMax));
  }
  charge(L, json_nodes(encoded.value) * put_node_units + text.size());
  return text;
}

int storage_put(lua_State* L) {
  const auto key = key_arg(L, 1, "solo.storage.put");
  std::string text = value_arg(L, 2);
  forget_key(L);
  return call_host(L, "solo.storage.put", [&] {
    host_of(L).storage_put(key, std::move(text));
    return 0;
  });
}

int storage_delete(lua_State* L) {
  const auto key = key_arg(L, 1, "solo.storage.delete");
  forget_key(L);
  return call_host(L, "solo.storage.delete", [&] {
    lua_pushboolean(L, host_of(L).storage_delete(key));
    return 1;
  });
}

struct ListOptions {
  std::string_view prefix;
  std::string_view start_after;
  lua_Integer limit = default_list_limit;
};

// A string option of at most kStorageKeyMax bytes (nil: empty).
std::string_view string_option(lua_State* L, int options, const char* name) {
  lua_pushstring(L, name);
  lua_rawget(L, options);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return {};
  }
  if (lua_type(L, -1) != LUA_TSTRING) {
    luaL_error(L, "solo.storage.list: %s must be a string, not %s", name, luaL_typename(L, -1));
  }
  std::size_t len = 0;
  const char* p = lua_tolstring(L, -1, &len);
  if (len > kStorageKeyMax) {
    luaL_error(L, "solo.storage.list: %s is %I bytes, more than the %I a key may be", name,
               static_cast<lua_Integer>(len), static_cast<lua_Integer>(kStorageKeyMax));
  }
  lua_pop(L, 1);  // the string stays alive: the options table holds it
  return {p, len};
}

ListOptions list_options(lua_State* L, int idx) {
  ListOptions options;
  if (lua_isnoneornil(L, idx)) return options;
  if (lua_type(L, idx) != LUA_TTABLE) {
    luaL_error(L, "solo.storage.list: the options must be a table {prefix=, start_after=, limit=}, not %s",
               luaL_typename(L, idx));
  }
  // A misspelt option would silently list everything: refuse unknown fields.
  // Stops at the first unknown one, so at most four entries are visited.
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING) {
      luaL_error(L, "solo.storage.list: the options are named (prefix, start_after, limit), not a %s key",
                 luaL_typename(L, -1));
    }
    const std::string_view field = lua_tostring(L, -1);
    if (field != "prefix" && field != "start_after" && field != "limit") {
      luaL_error(L, "solo.storage.list: unknown option '%s' (the options are prefix, start_after and limit)",
                 lua_tostring(L, -1));
    }
  }
  options.prefix = string_option(L, idx, "prefix");
  options.start_after = string_option(L, idx, "start_after");
  lua_pushstring(L, "limit");
  lua_rawget(L, idx);
  if (!lua_isnil(L, -1)) {
    int is_integer = 0;
    options.limit = lua_tointegerx(L, -1, &is_integer);
    if (lua_type(L, -1) != LUA_TNUMBER || !is_integer || options.limit < 1 ||
        options.limit > static_cast<lua_Integer>(kStorageListMax)) {
      luaL_error(L, "solo.storage.list: limit must be an integer from 1 to %I",
                 static_cast<lua_Integer>(kStorageListMax));
    }
  }
  lua_pop(L, 1);
  return options;
}

int storage_list(lua_State* L) {
  const ListOptions options = list_options(L, 1);
  charge(L, call_units + (options.prefix.size() + options.start_after.size()) / 8);
  std::vector<std::pair<std::string, std::string>> entries;
  call_host(L, "solo.storage.list", [&] {
    entries = host_of(L).storage_list(options.prefix, options.start_after, static_cast<std::size_t>(options.limit));
    return 0;
  });
  // The host returns at most `limit`; a host that returned more is cut here.
  if (entries.size() > static_cast<std::size_t>(options.limit)) entries.resize(static_cast<std::size_t>(options.limit));
  lua_createtable(L, static_cast<int>(entries.size()), 0);
  lua_Integer i = 1;
  for (const auto& [key, text] : entries) {
    charge(L, entry_units + key.size() / 8);
    lua_createtable(L, 0, 2);
    lua_pushlstring(L, key.data(), key.size());
    lua_setfield(L, -2, "key");
    push_decoded(L, text, "solo.storage.list");
    lua_setfield(L, -2, "value");
    lua_rawseti(L, -2, i++);
  }
  return 1;
}

}  // namespace

void forget_storage_cache(lua_State* L) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &cache_key) == LUA_TTABLE) clear_cache(L, -1);
  lua_pop(L, 1);
}

void push_storage_library(lua_State* L, LuaSoloContext& context) {
  context.storage_opened();
  lua_createtable(L, 0, 4);
  lua_createtable(L, 1, 0);  // the read cache
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &cache_key);
  const std::pair<const char*, lua_CFunction> cached[] = {
      {"get", storage_get}, {"put", storage_put}, {"delete", storage_delete}};
  for (const auto& [name, f] : cached) {
    lua_pushlightuserdata(L, &context);
    lua_pushvalue(L, -2);
    lua_pushcclosure(L, f, 2);
    lua_setfield(L, -3, name);
  }
  lua_pop(L, 1);
  push_solo_function(L, "list", storage_list, context);
  push_readonly_proxy(L, -1);
  lua_remove(L, -2);
}

}  // namespace solo
