// JSON <-> Lua conversion; see lua_json.hpp for the mapping.
#include "engine/sandbox/lua_json.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "base/utf8.hpp"

namespace solo {

namespace json = boost::json;

namespace {

// Its address is solo.null; nothing else in the process points there.
char null_sentinel = 0;

void push_value(lua_State* L, const json::value& v, int depth, const LuaJsonLimits& limits) {
  if (depth > limits.max_depth) {
    luaL_error(L, "JSON nesting deeper than %d levels", limits.max_depth);
  }
  luaL_checkstack(L, 3, "JSON nesting too deep");
  switch (v.kind()) {
    case json::kind::null: push_json_null(L); return;
    case json::kind::bool_: lua_pushboolean(L, v.get_bool()); return;
    case json::kind::int64: lua_pushinteger(L, v.get_int64()); return;
    case json::kind::uint64: {
      auto u = v.get_uint64();
      if (u <= static_cast<std::uint64_t>(std::numeric_limits<lua_Integer>::max())) {
        lua_pushinteger(L, static_cast<lua_Integer>(u));
      } else {
        lua_pushnumber(L, static_cast<lua_Number>(u));
      }
      return;
    }
    case json::kind::double_: lua_pushnumber(L, v.get_double()); return;
    case json::kind::string: {
      const auto& s = v.get_string();
      lua_pushlstring(L, s.data(), s.size());
      return;
    }
    case json::kind::array: {
      const auto& a = v.get_array();
      lua_createtable(L, static_cast<int>(std::min<std::size_t>(a.size(), 1u << 20)), 0);
      lua_Integer i = 1;
      for (const auto& e : a) {
        push_value(L, e, depth + 1, limits);
        lua_rawseti(L, -2, i++);
      }
      return;
    }
    case json::kind::object: {
      const auto& o = v.get_object();
      lua_createtable(L, 0, static_cast<int>(std::min<std::size_t>(o.size(), 1u << 20)));
      for (const auto& kv : o) {
        lua_pushlstring(L, kv.key().data(), kv.key().size());
        push_value(L, kv.value(), depth + 1, limits);
        lua_rawset(L, -3);
      }
      return;
    }
  }
}

// Serialized sizes, as boost::json::serialize writes them.
std::size_t integer_size(std::int64_t n) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  return static_cast<std::size_t>(end - buf);
}

// The shortest round-trip form; boost::json's own (e.g. 1.5E0) differs by a
// byte or two, which does not matter for a size cap.
std::size_t double_size(double d) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  return ec == std::errc() ? static_cast<std::size_t>(end - buf) : 24;
}

// Quotes included; escapes as boost::json writes them (\" \\ \n ... and \u00XX).
std::size_t string_size(std::string_view s) {
  std::size_t n = s.size() + 2;
  for (unsigned char c : s) {
    if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t') {
      n += 1;
    } else if (c < 0x20) {
      n += 5;
    }
  }
  return n;
}

// Walks a Lua value with raw access only. On failure it fills `error` and the
// callers append their key, so the message reads outermost-first once reversed.
class Encoder {
 public:
  Encoder(lua_State* L, const LuaJsonLimits& limits) : L_(L), limits_(limits) {}

  bool encode(int idx, json::value& out, int depth) {
    idx = lua_absindex(L_, idx);
    if (++nodes_ > limits_.max_nodes) {
      return fail("value has more than " + std::to_string(limits_.max_nodes) + " elements");
    }
    switch (lua_type(L_, idx)) {
      case LUA_TNIL: out = nullptr; return count(4);
      case LUA_TBOOLEAN:
        out = static_cast<bool>(lua_toboolean(L_, idx));
        return count(lua_toboolean(L_, idx) ? 4 : 5);
      case LUA_TNUMBER: {
        if (lua_isinteger(L_, idx)) {
          out = static_cast<std::int64_t>(lua_tointeger(L_, idx));
          return count(integer_size(lua_tointeger(L_, idx)));
        }
        double d = lua_tonumber(L_, idx);
        if (!std::isfinite(d)) return fail("cannot encode NaN or infinity");
        out = d;
        return count(double_size(d));
      }
      case LUA_TSTRING: {
        std::string_view s;
        if (!read_string(idx, s)) return false;
        if (!count(string_size(s))) return false;
        out = json::string(s);
        return true;
      }
      case LUA_TLIGHTUSERDATA:
        if (is_json_null(L_, idx)) { out = nullptr; return count(4); }
        return fail("cannot encode a userdata");
      case LUA_TTABLE: return encode_table(idx, out, depth);
      default: return fail(std::string("cannot encode a ") + lua_typename(L_, lua_type(L_, idx)));
    }
  }

  bool too_large() const { return too_large_; }
  std::size_t bytes() const { return json_bytes_; }

  std::string error() const {
    if (too_large_) return error_;  // where it tipped over says nothing useful
    std::string where;
    for (auto it = path_.rbegin(); it != path_.rend(); ++it) where += *it;
    return where.empty() ? error_ : error_ + " (at " + where + ")";
  }
  std::size_t cost() const { return nodes_ + bytes_ / 8; }

 private:
  bool fail(std::string message) {
    error_ = std::move(message);
    return false;
  }

  // Adds `n` bytes of output; fails once the running size passes max_bytes.
  bool count(std::size_t n) {
    json_bytes_ += n;
    if (json_bytes_ <= limits_.max_bytes) return true;
    too_large_ = true;
    return fail("is too large (more than " + std::to_string(limits_.max_bytes) + " bytes as JSON)");
  }

  bool read_string(int idx, std::string_view& out) {
    std::size_t len = 0;
    const char* p = lua_tolstring(L_, idx, &len);  // a string already: no conversion
    bytes_ += len;
    if (bytes_ > limits_.max_string_bytes) return fail("value has more than " + std::to_string(limits_.max_string_bytes) + " bytes of strings");
    out = std::string_view(p, len);
    if (!is_valid_utf8(out)) return fail("string is not valid UTF-8");
    return true;
  }

  bool encode_table(int idx, json::value& out, int depth) {
    if (depth >= limits_.max_depth) {
      return fail("nesting deeper than " + std::to_string(limits_.max_depth) + " levels");
    }
    const void* self = lua_topointer(L_, idx);
    for (const void* p : visiting_) {
      if (p == self) return fail("table contains a cycle");
    }
    if (!lua_checkstack(L_, 4)) return fail("nesting too deep");

    // Classify the keys first: all strings -> object, exactly 1..n -> array.
    std::size_t count = 0, strings = 0;
    lua_Integer max_index = 0;
    bool other = false;
    lua_pushnil(L_);
    while (lua_next(L_, idx) != 0) {
      ++count;
      int kt = lua_type(L_, -2);
      if (kt == LUA_TSTRING) {
        ++strings;
      } else if (kt == LUA_TNUMBER && lua_isinteger(L_, -2) && lua_tointeger(L_, -2) >= 1) {
        max_index = std::max(max_index, lua_tointeger(L_, -2));
      } else {
        other = true;
      }
      lua_pop(L_, 1);
    }
    if (count == 0) {
      out = json::object();
      return this->count(2);
    }
    visiting_.push_back(self);
    bool ok;
    if (strings == count) {
      ok = encode_object(idx, out, depth);
    } else if (!other && strings == 0 && static_cast<std::size_t>(max_index) == count) {
      ok = encode_array(idx, out, depth, max_index);
    } else {
      ok = fail("table is neither a sequence nor has only string keys");
    }
    visiting_.pop_back();
    return ok;
  }

  bool encode_object(int idx, json::value& out, int depth) {
    auto& obj = out.emplace_object();
    if (!count(1)) return false;  // '{' + ',' or '}' per member
    lua_pushnil(L_);
    while (lua_next(L_, idx) != 0) {
      std::string_view key;
      if (!read_string(-2, key) || !count(string_size(key) + 2)) {  // "key": and the separator
        lua_pop(L_, 2);
        return false;
      }
      json::value v;
      if (!encode(-1, v, depth + 1)) {
        path_.push_back("." + std::string(key));
        lua_pop(L_, 2);
        return false;
      }
      obj.emplace(key, std::move(v));
      lua_pop(L_, 1);
    }
    return true;
  }

  bool encode_array(int idx, json::value& out, int depth, lua_Integer n) {
    auto& arr = out.emplace_array();
    if (!count(1 + static_cast<std::size_t>(n))) return false;  // '[', then ',' or ']' per element
    arr.reserve(static_cast<std::size_t>(n));
    for (lua_Integer i = 1; i <= n; ++i) {
      lua_rawgeti(L_, idx, i);
      json::value v;
      bool ok = encode(-1, v, depth + 1);
      lua_pop(L_, 1);
      if (!ok) {
        path_.push_back("[" + std::to_string(i) + "]");
        return false;
      }
      arr.push_back(std::move(v));
    }
    return true;
  }

  lua_State* L_;
  const LuaJsonLimits& limits_;
  std::vector<const void*> visiting_;
  std::vector<std::string> path_;
  std::string error_;
  std::size_t nodes_ = 0;
  std::size_t bytes_ = 0;
  std::size_t json_bytes_ = 0;
  bool too_large_ = false;
};

}  // namespace

void push_json_null(lua_State* L) { lua_pushlightuserdata(L, &null_sentinel); }

bool is_json_null(lua_State* L, int idx) {
  return lua_type(L, idx) == LUA_TLIGHTUSERDATA && lua_touserdata(L, idx) == &null_sentinel;
}

void push_json(lua_State* L, const json::value& v, const LuaJsonLimits& limits) {
  push_value(L, v, 0, limits);
}

LuaJsonResult to_json(lua_State* L, int idx, const LuaJsonLimits& limits) {
  LuaJsonResult result;
  Encoder encoder(L, limits);
  int top = lua_gettop(L);
  if (!encoder.encode(idx, result.value, 0)) {
    result.value = nullptr;
    result.too_large = encoder.too_large();
    result.error = result.too_large ? encoder.error() : "cannot encode to JSON: " + encoder.error();
  }
  lua_settop(L, top);
  result.cost = encoder.cost();
  result.bytes = encoder.bytes();
  return result;
}

namespace {

// What boost::json::serialize writes for `v`, counting no further than just
// past `stop_after`. One serializer per thread, reset for each value: its
// stack keeps its memory, so sizing allocates nothing.
std::size_t serialized_size(const json::value& v, std::size_t stop_after) {
  thread_local json::serializer serializer;
  serializer.reset(&v);
  char buf[4096];
  std::size_t n = 0;
  while (!serializer.done() && n <= stop_after) n += serializer.read(buf, sizeof buf).size();
  return n;
}

// Deeper than any value Solo parses (32) or takes from Lua (64): a subtree
// past it is sized by the serializer, so the walk's recursion stays bounded.
constexpr int kSizeWalkDepth = 64;

// Adds the serialized size of `v` to `n` without writing it (sizing runs on
// every call, cast and timer: the serializer costs several times more); false
// once `n` passes `stop_after`. Exact, as serialize writes it: doubles,
// whose text is boost::json's own, are sized by the serializer.
bool add_json_size(const json::value& v, std::size_t& n, std::size_t stop_after, int depth) {
  if (depth > kSizeWalkDepth) {
    n += serialized_size(v, stop_after - std::min(n, stop_after));
    return n <= stop_after;
  }
  switch (v.kind()) {
    case json::kind::null: n += 4; break;
    case json::kind::bool_: n += v.get_bool() ? 4 : 5; break;
    case json::kind::int64: n += integer_size(v.get_int64()); break;
    case json::kind::uint64: {
      char buf[24];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v.get_uint64());
      n += static_cast<std::size_t>(end - buf);
      break;
    }
    case json::kind::double_: n += serialized_size(v, SIZE_MAX); break;
    case json::kind::string: {
      const auto& s = v.get_string();
      n += s.size() + 2;  // escapes only add: a string past the limit is not scanned
      if (n > stop_after) return false;
      n += string_size(std::string_view(s.data(), s.size())) - (s.size() + 2);
      break;
    }
    case json::kind::array: {
      const auto& a = v.get_array();
      n += a.empty() ? 2 : 1 + a.size();  // brackets and commas
      for (const auto& e : a) {
        if (!add_json_size(e, n, stop_after, depth + 1)) return false;
      }
      break;
    }
    case json::kind::object: {
      const auto& o = v.get_object();
      n += o.empty() ? 2 : 1 + o.size();  // braces and commas
      for (const auto& kv : o) {
        n += string_size(std::string_view(kv.key().data(), kv.key().size())) + 1;  // "key":
        if (!add_json_size(kv.value(), n, stop_after, depth + 1)) return false;
      }
      break;
    }
  }
  return n <= stop_after;
}

}  // namespace

std::size_t json_size(const json::value& v, std::size_t stop_after) {
  std::size_t n = 0;
  add_json_size(v, n, stop_after, 0);
  return n;
}

}  // namespace solo
