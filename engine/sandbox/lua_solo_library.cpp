// The `solo` table; see lua_solo_library.hpp.
#include "engine/sandbox/lua_solo_library.hpp"

#include "engine/sandbox/lua_environment.hpp"
#include "engine/sandbox/lua_json.hpp"
#include "engine/sandbox/lua_meter.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <exception>
#include <string_view>

namespace solo {

namespace json = boost::json;

namespace {

constexpr std::size_t max_log_line = 16u << 10;

LuaSoloContext& context_of(lua_State* L) {
  return *static_cast<LuaSoloContext*>(lua_touserdata(L, lua_upvalueindex(1)));
}

LuaHost& host_of(lua_State* L) {
  LuaHost* host = context_of(L).host();
  if (host == nullptr) luaL_error(L, "this sandbox has no host");
  return *host;
}

// Encodes argument `idx` to JSON or raises "<what>: <why>"; charges the work.
// What leaves the sandbox (`noun`: "message", "payload") is capped at
// LuaLimits::payload_bytes; solo.json.encode's result lands in the Lua heap,
// so it is capped at the heap's limit.
json::value json_arg(lua_State* L, int idx, const char* what, const char* noun = nullptr) {
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

// solo.emit kinds: a name of letters, digits, '_', '-' and '.', 1..64 bytes.
bool valid_event_kind(std::string_view kind) {
  if (kind.empty() || kind.size() > 64) return false;
  return std::all_of(kind.begin(), kind.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.';
  });
}

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

std::string_view check_sv(lua_State* L, int idx) {
  std::size_t len = 0;
  const char* s = luaL_checklstring(L, idx, &len);
  return {s, len};
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
  const auto text = check_sv(L, 1);
  LuaMeter::of(L).charge(L, text.size() / 2);  // parsing and building the tables
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
  if (!failure.empty()) return luaL_error(L, "solo.json.decode: %s", failure.c_str());
  push_json(L, v);
  return 1;
}

void set_function(lua_State* L, const char* name, lua_CFunction f, LuaSoloContext& context) {
  lua_pushlightuserdata(L, &context);
  lua_pushcclosure(L, f, 1);
  lua_setfield(L, -2, name);
}

}  // namespace

void open_solo_library(lua_State* L, LuaSoloContext& context) {
  const auto& facts = context.facts();
  lua_createtable(L, 0, 16);
  set_function(L, "log", solo_log, context);
  set_function(L, "emit", solo_emit, context);
  set_function(L, "after", solo_after, context);
  set_function(L, "cancel", solo_cancel, context);
  set_function(L, "call", solo_call, context);
  set_function(L, "cast", solo_cast, context);
  set_function(L, "secret", solo_secret, context);
  set_function(L, "now", solo_now, context);
  lua_pushlstring(L, facts.tenant_id.data(), facts.tenant_id.size());
  lua_setfield(L, -2, "tenant_id");
  lua_pushlstring(L, facts.service_id.data(), facts.service_id.size());
  lua_setfield(L, -2, "service_id");
  lua_pushinteger(L, facts.version);
  lua_setfield(L, -2, "version");
  push_json_null(L);
  lua_setfield(L, -2, "null");

  lua_createtable(L, 0, 2);
  set_function(L, "encode", json_encode, context);
  set_function(L, "decode", json_decode, context);
  push_readonly_proxy(L, -1);
  lua_setfield(L, -3, "json");
  lua_pop(L, 1);

  push_readonly_proxy(L, -1);
  lua_setglobal(L, "solo");
  lua_pop(L, 1);

  lua_pushlightuserdata(L, &context);
  lua_pushcclosure(L, lua_print, 1);
  lua_setglobal(L, "print");
}

}  // namespace solo
