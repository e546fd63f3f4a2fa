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
  }
  return 1;
}

// The value at `idx` as JSON text of at most kStorageValueMax bytes, charged.
std::string value_arg(lua_State* L, int idx) {
  if (lua_isnoneornil(L, idx)) {
    luaL_error(L, "solo.storage.put: the value is nil (to remove a key, use solo.storage.delete)");
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
  return call_host(L, "solo.storage.put", [&] {
    host_of(L).storage_put(key, std::move(text));
    return 0;
  });
}

int storage_delete(lua_State* L) {
  const auto key = key_arg(L, 1, "solo.storage.delete");
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

void push_storage_library(lua_State* L, LuaSoloContext& context) {
  lua_createtable(L, 0, 4);
  push_solo_function(L, "get", storage_get, context);
  push_solo_function(L, "put", storage_put, context);
  push_solo_function(L, "delete", storage_delete, context);
  push_solo_function(L, "list", storage_list, context);
  push_readonly_proxy(L, -1);
  lua_remove(L, -2);
}

}  // namespace solo
