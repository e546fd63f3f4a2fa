// The `solo` table; see lua_solo_library.hpp.
#include "engine/sandbox/lua_solo_library.hpp"

#include "engine/sandbox/lua_environment.hpp"
#include "engine/sandbox/lua_json.hpp"
#include "engine/sandbox/lua_meter.hpp"
#include "engine/sandbox/lua_solo_calls.hpp"
#include "engine/sandbox/lua_storage_library.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <string_view>

namespace solo {

namespace json = boost::json;

namespace {

constexpr std::size_t max_log_line = 16u << 10;

// solo.emit kinds: a name of letters, digits, '_', '-' and '.', 1..64 bytes.
bool valid_event_kind(std::string_view kind) {
  if (kind.empty() || kind.size() > 64) return false;
  return std::all_of(kind.begin(), kind.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.';
  });
}

// The arguments from `first` on, tostring'ed and joined by spaces, capped.
std::string join_args(lua_State* L, int first) {
  std::string line;
  const int top = lua_gettop(L);
  for (int i = first; i <= top && line.size() < max_log_line; ++i) {
    std::size_t len = 0;
    const char* s = luaL_tolstring(L, i, &len);
    if (i > first) line += ' ';
    line.append(s, std::min(len, max_log_line));
    lua_pop(L, 1);
  }
  if (line.size() > max_log_line) {
    line.resize(max_log_line);
    line += "...";
  }
  return line;
}

int solo_log(lua_State* L) {
  static constexpr std::string_view levels[] = {"debug", "info", "warn", "error"};
  const auto level = check_sv(L, 1);
  if (std::find(std::begin(levels), std::end(levels), level) == std::end(levels)) {
    return luaL_argerror(L, 1, "level must be debug, info, warn or error");
  }
  std::string line = join_args(L, 2);
  LuaMeter::of(L).charge(L, line.size() / 8);
  return call_host(L, "solo.log", [&] {
    host_of(L).log(level, line);
    return 0;
  });
}

int lua_print(lua_State* L) {
  std::string line = join_args(L, 1);
  LuaMeter::of(L).charge(L, line.size() / 8);
  return call_host(L, "print", [&] {
    host_of(L).log("info", line);
    return 0;
  });
}

int solo_emit(lua_State* L) {
  const auto kind = check_sv(L, 1);
  if (!valid_event_kind(kind)) {
    return luaL_error(L, "solo.emit: the kind must be 1 to 64 characters of A-Z a-z 0-9 _ - .");
  }
  json::value payload = json_arg(L, 2, "solo.emit", "payload");
  return call_host(L, "solo.emit", [&] {
    host_of(L).emit(kind, std::move(payload));
    return 0;
  });
}

int solo_after(lua_State* L) {
  const lua_Integer ms = luaL_checkinteger(L, 1);
  luaL_argcheck(L, ms >= 0, 1, "delay must not be negative");
  json::value msg = json_arg(L, 2, "solo.after", "message");
  return call_host(L, "solo.after", [&] {
    lua_pushinteger(L, host_of(L).after(ms, std::move(msg)));
    return 1;
  });
}

int solo_cancel(lua_State* L) {
  const lua_Integer id = luaL_checkinteger(L, 1);
  return call_host(L, "solo.cancel", [&] {
    lua_pushboolean(L, host_of(L).cancel(id));
    return 1;
  });
}

int solo_cast(lua_State* L) {
  const auto service = check_sv(L, 1);
  json::value msg = json_arg(L, 2, "solo.cast", "message");
  return call_host(L, "solo.cast", [&] {
    host_of(L).cast(service, std::move(msg));
    return 0;
  });
}

int solo_secret(lua_State* L) {
  const auto name = check_sv(L, 1);
  std::optional<std::string> value;
  call_host(L, "solo.secret", [&] {
    value = host_of(L).secret(name);
    return 0;
  });
  if (value) {
    lua_pushlstring(L, value->data(), value->size());
  } else {
    lua_pushnil(L);
  }
  return 1;
}

int solo_now(lua_State* L) {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  lua_pushinteger(L, std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
  return 1;
}

// After the actor resumes: stack is (is_error, reply or message).
int solo_call_continue(lua_State* L, int /*status*/, lua_KContext /*ctx*/) {
  if (lua_toboolean(L, 1)) {
    const char* message = lua_tostring(L, 2);
    return luaL_error(L, "solo.call: %s", message ? message : "failed");
  }
  lua_settop(L, 2);
  return 1;
}

int solo_call(lua_State* L) {
  auto& context = context_of(L);
  const auto service = check_sv(L, 1);
  auto timeout = context.limits().call_timeout;
  if (!lua_isnoneornil(L, 3)) {
    const lua_Integer ms = luaL_checkinteger(L, 3);
    luaL_argcheck(L, ms > 0, 3, "timeout must be positive");
    timeout = std::min(timeout, std::chrono::milliseconds(ms));
  }
  if (auto why = context.why_no_call(L)) return luaL_error(L, "solo.call: %s", why->c_str());
  if (!lua_isyieldable(L)) {
    return luaL_error(L, "solo.call: cannot wait here (inside a metamethod, iterator or C callback)");
  }
  json::value msg = json_arg(L, 2, "solo.call", "message");
  context.set_pending_call(PendingCall{std::string(service), std::move(msg), timeout});
  lua_settop(L, 0);
  return lua_yieldk(L, 0, 0, solo_call_continue);
}

int json_encode(lua_State* L) {
  luaL_checkany(L, 1);
  json::value v = json_arg(L, 1, "solo.json.encode");
  std::string text;
  call_host(L, "solo.json.encode", [&] {
    text = json::serialize(v);
    return 0;
  });
  lua_pushlstring(L, text.data(), text.size());
  return 1;
}

int json_decode(lua_State* L) {
  push_decoded(L, check_sv(L, 1), "solo.json.decode");
  return 1;
}

}  // namespace

void open_solo_library(lua_State* L, LuaSoloContext& context) {
  const auto& facts = context.facts();
  lua_createtable(L, 0, 17);
  push_solo_function(L, "log", solo_log, context);
  push_solo_function(L, "emit", solo_emit, context);
  push_solo_function(L, "after", solo_after, context);
  push_solo_function(L, "cancel", solo_cancel, context);
  push_solo_function(L, "call", solo_call, context);
  push_solo_function(L, "cast", solo_cast, context);
  push_solo_function(L, "secret", solo_secret, context);
  push_solo_function(L, "now", solo_now, context);
  lua_pushlstring(L, facts.tenant_id.data(), facts.tenant_id.size());
  lua_setfield(L, -2, "tenant_id");
  lua_pushlstring(L, facts.service_id.data(), facts.service_id.size());
  lua_setfield(L, -2, "service_id");
  lua_pushinteger(L, facts.version);
  lua_setfield(L, -2, "version");
  push_json_null(L);
  lua_setfield(L, -2, "null");

  lua_createtable(L, 0, 2);
  push_solo_function(L, "encode", json_encode, context);
  push_solo_function(L, "decode", json_decode, context);
  push_readonly_proxy(L, -1);
  lua_setfield(L, -3, "json");
  lua_pop(L, 1);

  push_storage_library(L, context);
  lua_setfield(L, -2, "storage");

  push_readonly_proxy(L, -1);
  lua_setglobal(L, "solo");
  lua_pop(L, 1);

  lua_pushlightuserdata(L, &context);
  lua_pushcclosure(L, lua_print, 1);
  lua_setglobal(L, "print");
}

}  // namespace solo
