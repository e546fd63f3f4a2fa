// Shared by the solo table's C functions; see lua_solo_calls.hpp.
#include "engine/sandbox/lua_solo_calls.hpp"

#include "engine/sandbox/lua_json.hpp"
#include "engine/sandbox/lua_meter.hpp"

#include <boost/json.hpp>

#include <charconv>
#include <cstdint>
#include <system_error>

#include "base/utf8.hpp"

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

namespace {

// Pushes `text` when it is a scalar whose Lua value is certain without a
// parse: true, false, null, an integer of JSON's form (-?(0|[1-9][0-9]*),
// "-0" aside) that fits int64, a string with no escape, control character
// or invalid UTF-8. boost::json would push the very same value for these
// texts, whatever wrote them. Anything else (floats, which boost::json
// rounds its own way; escapes; whitespace; tables) returns false and takes
// the full parse. solo.storage.get of a scalar, the common case, skips
// boost::json's parser and value tree this way.
bool push_plain_scalar(lua_State* L, std::string_view text) {
  if (text.empty()) return false;
  const char first = text.front();
  if (first == '"') {
    if (text.size() < 2 || text.back() != '"') return false;
    const std::string_view inner = text.substr(1, text.size() - 2);
    for (const char c : inner) {
      if (c == '\\' || c == '"' || static_cast<unsigned char>(c) < 0x20) return false;
    }
    if (!is_valid_utf8(inner)) return false;
    lua_pushlstring(L, inner.data(), inner.size());
    return true;
  }
  if (first >= '0' && first <= '9' && text.size() < 19) {
    // A short unsigned integer, the common scalar: digits only, no leading zero.
    if (first == '0' && text.size() != 1) return false;
    lua_Integer n = 0;
    for (const char c : text) {
      if (c < '0' || c > '9') return false;
      n = n * 10 + (c - '0');
    }
    lua_pushinteger(L, n);
    return true;
  }
  if (text == "true" || text == "false") {
    lua_pushboolean(L, text.front() == 't');
    return true;
  }
  if (text == "null") {
    push_json_null(L);
    return true;
  }
  // -?[1-9][0-9]* or 0 (JSON's integers, "-0" aside), within int64.
  const std::size_t digits = first == '-' ? 1 : 0;
  if (text.size() == digits || text[digits] < '0' || text[digits] > '9') return false;
  if (text[digits] == '0' && text.size() != 1) return false;
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size()) return false;
  lua_pushinteger(L, static_cast<lua_Integer>(n));
  return true;
}

}  // namespace

void push_decoded(lua_State* L, std::string_view text, const char* what) {
  auto& meter = LuaMeter::of(L);
  // Valid JSON that starts with neither whitespace nor a bracket is a
  // scalar: one node, charged at once (the same total as below). Anything
  // else is charged by its nodes after the parse.
  const char first = text.empty() ? ' ' : text.front();
  const bool scalar = first != '[' && first != '{' && first != ' ' && first != '\t' && first != '\n' && first != '\r';
  if (scalar) {
    meter.charge(L, text.size() / 8 + decode_node_units);
    if (push_plain_scalar(L, text)) return;
  } else {
    meter.charge(L, text.size() / 8);
  }
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
  if (!scalar) meter.charge(L, json_nodes(v) * decode_node_units);
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
