// Fuzz target: the JSON <-> Lua conversion (engine/sandbox/lua_json.hpp),
// the mapping every message, reply and state crosses the sandbox through.
//
// Input: one byte choosing the limits, then JSON text. Invariants:
//   - JSON -> Lua -> JSON gives back the same value, modulo the documented
//     mapping (an empty array comes back as {}; an unsigned beyond int64 as a
//     float), unless the push refused it (nesting past max_depth);
//   - a second round trip of the result is the identity (a fixed point);
//   - the reported size is the serialized size (floats within a few bytes:
//     lua_json.cpp counts their shortest form), and never past max_bytes
//     when encoding succeeded; too_large only with an error;
//   - encoding under tight limits fails cleanly (an error, never a crash).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "engine/sandbox/lua_json.hpp"
#include "fuzz/fuzz_check.hpp"

namespace json = boost::json;

namespace {

struct PushJob {
  const json::value* value;
  const solo::LuaJsonLimits* limits;
};

// Pushes `value` under lua_pcall (push_json raises Lua errors) and encodes
// what Lua holds; an empty optional when the push was refused.
bool round_trip(lua_State* L, const json::value& value, const solo::LuaJsonLimits& limits,
                solo::LuaJsonResult& out) {
  PushJob job{&value, &limits};
  lua_pushcfunction(L, [](lua_State* S) {
    auto* j = static_cast<PushJob*>(lua_touserdata(S, 1));
    solo::push_json(S, *j->value, *j->limits);
    return 1;
  });
  lua_pushlightuserdata(L, &job);
  bool pushed = lua_pcall(L, 1, 1, 0) == LUA_OK;
  if (pushed) out = solo::to_json(L, -1, limits);
  lua_settop(L, 0);
  return pushed;
}

// The value as the documented mapping gives it back.
json::value expected_after_lua(const json::value& v) {
  switch (v.kind()) {
    case json::kind::uint64:
      return static_cast<double>(v.get_uint64());
    case json::kind::array: {
      const auto& array = v.get_array();
      if (array.empty()) return json::object();
      json::array out;
      for (const auto& item : array) out.push_back(expected_after_lua(item));
      return out;
    }
    case json::kind::object: {
      json::object out;
      for (const auto& [key, item] : v.get_object()) out[key] = expected_after_lua(item);
      return out;
    }
    default:
      return v;
  }
}

bool has_non_finite(const json::value& v) {
  if (v.is_double()) return !std::isfinite(v.get_double());
  if (v.is_array()) {
    for (const auto& item : v.get_array()) {
      if (has_non_finite(item)) return true;
    }
  } else if (v.is_object()) {
    for (const auto& [key, item] : v.get_object()) {
      if (has_non_finite(item)) return true;
    }
  }
  return false;
}

size_t doubles_in(const json::value& v) {
  if (v.is_double()) return 1;
  size_t n = 0;
  if (v.is_array()) {
    for (const auto& item : v.get_array()) n += doubles_in(item);
  } else if (v.is_object()) {
    for (const auto& [key, item] : v.get_object()) n += doubles_in(item);
  }
  return n;
}

// Equality, but floats read back from text within a few ulps: Boost 1.81's
// parser is not correctly rounded (its exact mode arrived in 1.83).
bool same_text_value(const json::value& a, const json::value& b) {
  if (a.is_double() && b.is_double()) {
    double x = a.get_double(), y = b.get_double();
    return x == y || std::abs(x - y) <= 1e-15 * std::max(std::abs(x), std::abs(y));
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const auto &l = a.get_array(), &r = b.get_array();
    if (l.size() != r.size()) return false;
    for (size_t i = 0; i < l.size(); ++i) {
      if (!same_text_value(l[i], r[i])) return false;
    }
    return true;
  }
  if (a.is_object()) {
    const auto &l = a.get_object(), &r = b.get_object();
    if (l.size() != r.size()) return false;
    for (const auto& [key, item] : l) {
      const auto* other = r.if_contains(key);
      if (!other || !same_text_value(item, *other)) return false;
    }
    return true;
  }
  return a == b;
}

int depth_of(const json::value& v) {
  int deepest = 0;
  if (v.is_array()) {
    for (const auto& item : v.get_array()) deepest = std::max(deepest, depth_of(item));
    return deepest + 1;
  }
  if (v.is_object()) {
    for (const auto& [key, item] : v.get_object()) deepest = std::max(deepest, depth_of(item));
    return deepest + 1;
  }
  return 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t mode = data[0];
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  boost::system::error_code ec;
  json::parse_options options;
  options.max_depth = 1000;
  json::value value = json::parse(text, ec, {}, options);
  // 1e999 parses as infinity; the HTTP layer refuses such bodies before they
  // reach a service (net/api/request_args.cpp), so they are not inputs here.
  if (ec || has_non_finite(value)) return 0;

  // Default limits, or tight ones (the low bits pick them) to reach every refusal.
  solo::LuaJsonLimits limits;
  if (mode & 1) {
    limits.max_depth = 1 + (mode >> 1) % 8;
    limits.max_nodes = 1 + (mode >> 4) * 3;
    limits.max_string_bytes = 1 + (mode >> 2) * 5;
    limits.max_bytes = 1 + mode * 2;
  }

  static lua_State* L = [] {
    lua_State* state = luaL_newstate();
    luaL_openlibs(state);
    return state;
  }();

  solo::LuaJsonResult first;
  if (!round_trip(L, value, limits, first)) {
    // Refused on the way in: only nesting is refused there.
    FUZZ_CHECK(depth_of(value) > limits.max_depth, "push refused a value within the depth limit");
    return 0;
  }
  FUZZ_CHECK(!first.too_large || !first.ok(), "too_large without an error");
  if (!first.ok()) {
    FUZZ_CHECK(mode & 1, "encoding failed under the default limits: " + first.error);
    return 0;
  }
  FUZZ_CHECK(first.value == expected_after_lua(value),
             json::serialize(value) + " came back as " + json::serialize(first.value));
  const auto serialized = json::serialize(first.value);
  // Exact but for floats, which the encoder counts in their shortest form
  // (1.5) where boost::json writes 1.5E0: a few bytes each (lua_json.cpp).
  const size_t slack = 4 * doubles_in(first.value);
  FUZZ_CHECK(first.bytes <= serialized.size() + slack && serialized.size() <= first.bytes + slack,
             "bytes " + std::to_string(first.bytes) + " for " + std::to_string(serialized.size()));
  FUZZ_CHECK(first.bytes <= limits.max_bytes, "encoded past max_bytes");
  FUZZ_CHECK(solo::json_size(first.value) == serialized.size(), "json_size disagrees with serialize");
  FUZZ_CHECK(same_text_value(json::parse(serialized, ec, {}, options), first.value),
             "the encoding does not parse back to itself: " + serialized);

  solo::LuaJsonResult second;
  FUZZ_CHECK(round_trip(L, first.value, limits, second), "the result of a round trip was refused");
  FUZZ_CHECK(second.ok() && second.value == first.value, "a second round trip changed the value");
  return 0;
}
