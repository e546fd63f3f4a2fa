// JSON <-> Lua: how messages, replies, state and solo.json cross the sandbox
// boundary (docs/services.md, "A Lua service": messages map JSON to Lua).
//
//   JSON object  <-> table with string keys (the empty table encodes as {})
//   JSON array   <-> sequence 1..n
//   null         <-> solo.null, a light userdata sentinel (unforgeable, immutable)
//   numbers       -> an integer stays an integer, anything else a float; an
//                    unsigned beyond int64 becomes a float
//   string       <-> string (Lua strings must be valid UTF-8 to encode)
//
// Anything else (functions, userdata, threads, tables mixing key kinds or with
// holes, cycles, NaN/inf, nesting past the depth limit) is an encoding error
// with a message naming where in the value it was found.
//
// Both directions bound their work: the depth (both ways), and when encoding
// also the node count and string bytes, because shared subtables (a DAG) can
// make a small Lua heap encode to an exponentially large JSON value.
#pragma once

#include <boost/json/value.hpp>
#include <lua.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace solo {

struct LuaJsonLimits {
  int max_depth = 64;
  std::size_t max_nodes = 250'000;  // ~60 ms to encode, outside the VM's budget
  std::size_t max_string_bytes = 64u << 20;
  // The serialized JSON size at which encoding stops (LuaLimits::payload_bytes
  // for what leaves the sandbox). Counted as the value is built, so a value
  // past the cap is never built in full.
  std::size_t max_bytes = SIZE_MAX;
};

// The result of encoding a Lua value; expected failures are values.
struct LuaJsonResult {
  boost::json::value value;
  std::string error;     // empty on success
  std::size_t cost = 0;  // nodes visited + string bytes / 8, to charge the CPU budget
  std::size_t bytes = 0;  // its serialized JSON size (so far, on failure)
  // The value passed max_bytes; `error` then reads "is too large (more than N
  // bytes as JSON)", to follow what the caller names ("reply", "message").
  bool too_large = false;
  bool ok() const { return error.empty(); }
};

// Pushes the solo.null sentinel.
void push_json_null(lua_State* L);
bool is_json_null(lua_State* L, int idx);

// Pushes `v` converted to Lua. Raises a Lua error (memory, nesting too deep),
// so it must run in a protected context (inside a lua_pcall or a C function
// called from Lua).
void push_json(lua_State* L, const boost::json::value& v, const LuaJsonLimits& limits = {});

// Encodes the Lua value at `idx`. Never raises a Lua error and never runs Lua
// code (raw access only, no metamethods), so it is safe outside protection.
LuaJsonResult to_json(lua_State* L, int idx, const LuaJsonLimits& limits = {});

// The serialized size of `v` in bytes, counting no further than just past
// `stop_after` (so it costs at most that much work on a huge value).
std::size_t json_size(const boost::json::value& v, std::size_t stop_after = SIZE_MAX);

}  // namespace solo
