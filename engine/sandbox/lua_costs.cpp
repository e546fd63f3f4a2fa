// What each C function costs; see lua_costs.hpp for the figures.
#include "engine/sandbox/lua_costs.hpp"

#include "engine/sandbox/lua_meter.hpp"
#include "engine/sandbox/lua_pattern_cost.hpp"
#include "engine/sandbox/lua_pattern_match.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string_view>

namespace solo {

namespace {

// A C++ exception thrown and caught (error, yield, or any error a pcall
// catches): measured 3.6-4.2 us a pcall(error) / pcall(nil) in the sandbox,
// against 4.3 ns a VM instruction in the same run (a loaded machine): ~900.
constexpr double throw_units = 1000;
// Setting up a protected call, a coroutine or a resume: ~50-400 ns.
constexpr double call_units = 100;
// A call through a wrapper (the wrapper, lua_callk, the original's frame):
// measured ~150 ns a call of coroutine.status with 4.3 ns an instruction.
constexpr double wrapper_units = 30;

// ---- argument helpers ----------------------------------------------------

double string_length(lua_State* L, int idx) {
  return lua_type(L, idx) == LUA_TSTRING ? static_cast<double>(lua_rawlen(L, idx)) : 0;
}

lua_Integer int_arg(lua_State* L, int idx, lua_Integer fallback) {
  int is_num = 0;
  const lua_Integer v = lua_tointegerx(L, idx, &is_num);
  return is_num ? v : fallback;
}

double number_arg(lua_State* L, int idx) {
  return lua_type(L, idx) == LUA_TNUMBER ? static_cast<double>(lua_tonumber(L, idx)) : 0;
}

// Elements from `from` to `to` inclusive (as doubles: extreme integers do not overflow).
double span(lua_Integer from, lua_Integer to) {
  return to < from ? 0 : static_cast<double>(to) - static_cast<double>(from) + 1;
}

// lstrlib's posrelatI and getendpos: a string position made absolute.
lua_Integer start_position(lua_Integer pos, lua_Integer len) {
  if (pos > 0) return pos;
  if (pos == 0 || pos < -len) return 1;
  return len + pos + 1;
}
lua_Integer end_position(lua_Integer pos, lua_Integer len) {
  if (pos > len) return len;
  if (pos >= 0) return pos;
  if (pos < -len) return 0;
  return len + pos + 1;
}

// Bytes i..j of the string at 1 (defaults: i_default, and j = i or -1).
double slice(lua_State* L, lua_Integer i_default, bool j_defaults_to_i) {
  const auto len = static_cast<lua_Integer>(string_length(L, 1));
  const lua_Integer i = start_position(int_arg(L, 2, i_default), len);
  const lua_Integer j = end_position(int_arg(L, 3, j_defaults_to_i ? i : -1), len);
  return span(i, j);
}

// The length table functions see: #t, which may be a __len metamethod (it
// then runs twice, both times metered). A __len claiming a huge length is
// what makes table.insert shift for ever, so it must be the one charged.
lua_Integer table_length(lua_State* L, int idx) {
  if (lua_type(L, idx) != LUA_TTABLE) return 0;
  if (luaL_getmetafield(L, idx, "__len") == LUA_TNIL) return static_cast<lua_Integer>(lua_rawlen(L, idx));
  lua_pop(L, 1);
  return std::max<lua_Integer>(luaL_len(L, idx), 0);
}

double string_args(lua_State* L, int from) {
  double bytes = 0;
  for (int i = from; i <= lua_gettop(L); ++i) bytes += string_length(L, i);
  return bytes;
}

// ---- estimates -------------------------------------------------------------

// string.rep(s, n [, sep]): n copies even when s and sep are empty (each is
// a memcpy call), and the result's bytes.
double rep_cost(lua_State* L) {
  const double n = static_cast<double>(int_arg(L, 2, 0));
  if (n <= 0) return 1;
  const double len = string_length(L, 1), sep = string_length(L, 3);
  return n * (sep > 0 ? 2 : 1) + (n * len + (n - 1) * sep) / 8;
}

// string.format: the format's bytes, each item, the strings it copies (%q
// escapes byte by byte), and the digits a float conversion prints (glibc's
// exact "%99.99f" of 1e308 takes ~40 us).
double format_cost(lua_State* L) {
  std::size_t m = 0;
  const char* f = lua_tolstring(L, 1, &m);
  if (f == nullptr) return 1;
  const std::string_view fmt(f, m);
  double units = static_cast<double>(m) / 2;
  int arg = 1;
  for (std::size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%') continue;
    if (++i >= fmt.size()) break;
    if (fmt[i] == '%') continue;
    ++arg;
    while (i < fmt.size() && std::strchr("-+ #0", fmt[i]) != nullptr) ++i;
    double width = 0, precision = 0;
    while (i < fmt.size() && fmt[i] >= '0' && fmt[i] <= '9') width = width * 10 + (fmt[i++] - '0');
    if (i < fmt.size() && fmt[i] == '.') {
      ++i;
      while (i < fmt.size() && fmt[i] >= '0' && fmt[i] <= '9') precision = precision * 10 + (fmt[i++] - '0');
    }
    if (i >= fmt.size()) break;
    units += 20 + width / 4;
    switch (fmt[i]) {
      case 's': units += string_length(L, arg) / 8; break;
      case 'q': units += string_length(L, arg) * 16; break;
      case 'f': case 'F': {
        const double x = std::fabs(number_arg(L, arg));
        units += 6 * (precision + (x > 1 ? std::log10(x) : 0));
        break;
      }
      case 'a': case 'A': case 'e': case 'E': case 'g': case 'G': units += 6 * precision; break;
      default: break;
    }
  }
  return units;
}

double byte_cost(lua_State* L) { return 1 + slice(L, 1, true); }
double sub_cost(lua_State* L) { return 1 + slice(L, 1, false) / 8; }
double per_argument(lua_State* L) { return 1 + lua_gettop(L); }
double per_argument_2(lua_State* L) { return 1 + 2.0 * lua_gettop(L); }
double half_per_byte(lua_State* L) { return 1 + string_length(L, 1) / 2; }
double packsize_cost(lua_State* L) { return 1 + string_length(L, 1) * 2; }
double pack_cost(lua_State* L) { return 1 + string_length(L, 1) * 4 + string_args(L, 2) / 8; }
double unpack_cost(lua_State* L) { return 1 + string_length(L, 1) * 6 + string_length(L, 2) / 8; }
double tonumber_cost(lua_State* L) { return 1 + string_length(L, 1) / 3; }
// "10" + 1: the string metatable's arithmetic converts its string operands.
// (__unm gets its operand twice, and converts it twice.)
double string_arith_cost(lua_State* L) { return 1 + (string_length(L, 1) + string_length(L, 2)) / 3; }
double constant_10(lua_State*) { return 10; }
double constant_5(lua_State*) { return 5; }
double constant_20(lua_State*) { return 20; }
double call_cost(lua_State*) { return call_units; }
double utf8_span_cost(lua_State* L) { return 1 + slice(L, 1, false); }
double utf8_codepoint_cost(lua_State* L) { return 1 + 2 * slice(L, 1, true); }
double date_cost(lua_State* L) { return 20 + string_length(L, 1) * 24; }

double insert_cost(lua_State* L) {
  if (lua_gettop(L) != 3) return 1;  // append
  const lua_Integer e = luaL_intop(+, table_length(L, 1), 1);  // wraps as ltablib's does
  return 1 + 3 * span(int_arg(L, 2, e), e);
}
double remove_cost(lua_State* L) {
  const lua_Integer size = table_length(L, 1);
  return 1 + 3 * span(int_arg(L, 2, size), size);
}
double move_cost(lua_State* L) { return 1 + 5 * span(int_arg(L, 2, 1), int_arg(L, 3, 0)); }
double concat_cost(lua_State* L) {
  const lua_Integer j = lua_isnoneornil(L, 4) ? table_length(L, 1) : int_arg(L, 4, 0);
  return 1 + 6 * span(int_arg(L, 3, 1), j) + string_length(L, 2) * span(int_arg(L, 3, 1), j) / 8;
}
double unpack_list_cost(lua_State* L) {
  const lua_Integer j = lua_isnoneornil(L, 3) ? table_length(L, 1) : int_arg(L, 3, 0);
  return 1 + 2 * span(int_arg(L, 2, 1), j);
}
double sort_cost(lua_State* L) {
  const auto n = static_cast<double>(table_length(L, 1));
  return 1 + 8 * n * std::log2(n + 2);
}

// ---- wrappers ----------------------------------------------------------------

using Estimate = double (*)(lua_State*);

// What happens after the call: protected calls return false and the error
// when something was thrown and caught, which is then charged.
enum class After { nothing, charge_caught_error };

struct Entry {
  const char* library;  // nullptr: a global
  const char* name;
  const char* full_name;
  Estimate estimate;
  After after = After::nothing;
};

const Entry entries[] = {
    {nullptr, "tonumber", "tonumber", tonumber_cost},
    {nullptr, "tostring", "tostring", constant_10},
    {nullptr, "select", "select", per_argument},
    {"string", "rep", "string.rep", rep_cost},
    {"string", "format", "string.format", format_cost},
    {"string", "byte", "string.byte", byte_cost},
    {"string", "char", "string.char", per_argument},
    {"string", "upper", "string.upper", half_per_byte},
    {"string", "lower", "string.lower", half_per_byte},
    {"string", "reverse", "string.reverse", half_per_byte},
    {"string", "sub", "string.sub", sub_cost},
    {"string", "pack", "string.pack", pack_cost},
    {"string", "packsize", "string.packsize", packsize_cost},
    {"string", "unpack", "string.unpack", unpack_cost},
    {"table", "insert", "table.insert", insert_cost},
    {"table", "remove", "table.remove", remove_cost},
    {"table", "move", "table.move", move_cost},
    {"table", "concat", "table.concat", concat_cost},
    {"table", "unpack", "table.unpack", unpack_list_cost},
    {"table", "sort", "table.sort", sort_cost},
    {"math", "min", "math.min", per_argument},
    {"math", "max", "math.max", per_argument},
    {"utf8", "char", "utf8.char", per_argument_2},
    {"utf8", "len", "utf8.len", utf8_span_cost},
    {"utf8", "codepoint", "utf8.codepoint", utf8_codepoint_cost},
    {"coroutine", "create", "coroutine.create", call_cost},
    {"coroutine", "resume", "coroutine.resume", call_cost, After::charge_caught_error},
    {"coroutine", "wrap", "coroutine.wrap", call_cost},
    {"coroutine", "close", "coroutine.close", call_cost},
    {"coroutine", "status", "coroutine.status", constant_5},
    {"coroutine", "running", "coroutine.running", constant_5},
    {"coroutine", "isyieldable", "coroutine.isyieldable", constant_5},
    {"os", "date", "os.date", date_cost},
    {"os", "time", "os.time", constant_20},
    {"os", "clock", "os.clock", constant_20},
    // Installed in the string metatable, under each of string_arithmetic.
    {"string", nullptr, "string arithmetic", string_arith_cost},
};

const char* const string_arithmetic[] = {"__add", "__sub", "__mul", "__mod", "__pow", "__div", "__idiv", "__unm"};

int finish_plain(lua_State* L, int /*status*/, lua_KContext /*ctx*/) { return lua_gettop(L); }

int finish_protected(lua_State* L, int /*status*/, lua_KContext /*ctx*/) {
  if (lua_gettop(L) >= 1 && lua_isboolean(L, 1) && !lua_toboolean(L, 1)) {
    LuaMeter::of(L).charge(L, static_cast<std::uint64_t>(throw_units));
  }
  return lua_gettop(L);
}

// Upvalues: the original function, the index of its Entry. Charges the
// estimate, then calls the original with a continuation, so that whatever
// could yield through the original still can.
int charged(lua_State* L) {
  const Entry& entry = entries[lua_tointeger(L, lua_upvalueindex(2))];
  charge_call(L, entry.full_name, wrapper_units + entry.estimate(L));
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  const lua_KFunction k = entry.after == After::charge_caught_error ? finish_protected : finish_plain;
  lua_callk(L, lua_gettop(L) - 1, LUA_MULTRET, 0, k);
  return k(L, LUA_OK, 0);
}

// VM instructions the CPU could have run in `elapsed` (1 unit ~ 2.5 ns).
std::uint64_t units_for(std::chrono::steady_clock::duration elapsed) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count();
  return ns > 0 ? static_cast<std::uint64_t>(ns) * 2 / 5 : 0;
}

// For C functions whose work depends on what the input holds rather than
// its size (next over removed keys, utf8 scans over continuation bytes), and
// is bounded by it (so by the memory cap, a few ms at most): charged the
// time they took. Upvalue: the original function.
int timed(lua_State* L) {
  const auto started = std::chrono::steady_clock::now();
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  LuaMeter::of(L).charge(L, 1 + units_for(std::chrono::steady_clock::now() - started));
  return lua_gettop(L);
}

void push_timed(lua_State* L, int idx) {
  lua_pushvalue(L, idx);
  lua_pushcclosure(L, timed, 1);
}

// The first result, if it is the function in upvalue `original`, becomes
// the one in upvalue `replacement` (pairs' next).
int replace_first_result(lua_State* L, int /*status*/, lua_KContext /*ctx*/) {
  if (lua_gettop(L) >= 1 && lua_rawequal(L, 1, lua_upvalueindex(2))) {
    lua_pushvalue(L, lua_upvalueindex(3));
    lua_replace(L, 1);
  }
  return lua_gettop(L);
}

// pairs: returns the timed next instead of the raw one. Upvalues: pairs,
// the original next, the timed next.
int sandbox_pairs(lua_State* L) {
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_callk(L, lua_gettop(L) - 1, LUA_MULTRET, 0, replace_first_result);  // __pairs may yield
  return replace_first_result(L, LUA_OK, 0);
}

// The first result replaced by a timed version of itself (gmatch's and
// codes' iterators). Upvalue: the original function.
int with_timed_iterator(lua_State* L) {
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  if (lua_gettop(L) >= 1 && lua_isfunction(L, 1)) {
    push_timed(L, 1);
    lua_replace(L, 1);
  }
  return lua_gettop(L);
}

// An xpcall message handler, charged a throw each time it runs: a handler
// that raises is run again for its own error, ~200 times deep until the C
// stack gives out, all within one xpcall. Upvalue: the service's handler.
int charged_handler(lua_State* L) {
  LuaMeter::of(L).charge(L, static_cast<std::uint64_t>(throw_units));
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

// xpcall: whatever the environment put there (which skips the handler once
// the budget is spent), with the handler charged. Upvalue: that xpcall.
int charged_xpcall(lua_State* L) {
  charge_call(L, "xpcall", wrapper_units + call_units);
  if (lua_type(L, 2) == LUA_TFUNCTION) {
    lua_pushvalue(L, 2);
    lua_pushcclosure(L, charged_handler, 1);
    lua_replace(L, 2);
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_callk(L, lua_gettop(L) - 1, LUA_MULTRET, 0, finish_protected);
  return finish_protected(L, LUA_OK, 0);
}

// error: lbaselib's, charged the throw. Not a wrapper: the level counts
// from the caller, so this must be the function the service called.
int sandbox_error(lua_State* L) {
  charge_call(L, "error", throw_units);
  const int level = static_cast<int>(luaL_optinteger(L, 2, 1));
  lua_settop(L, 1);
  if (lua_type(L, 1) == LUA_TSTRING && level > 0) {
    luaL_where(L, level);
    lua_pushvalue(L, 1);
    lua_concat(L, 2);
  }
  return lua_error(L);
}

// pcall: lbaselib's, charged the setup and, when it catches, the throw.
int finish_pcall(lua_State* L, int status, lua_KContext extra) {
  if (status != LUA_OK && status != LUA_YIELD) {
    LuaMeter::of(L).charge(L, static_cast<std::uint64_t>(throw_units));
    lua_pushboolean(L, 0);
    lua_pushvalue(L, -2);
    return 2;
  }
  return lua_gettop(L) - static_cast<int>(extra);
}

int sandbox_pcall(lua_State* L) {
  luaL_checkany(L, 1);
  charge_call(L, "pcall", call_units);
  lua_pushboolean(L, 1);
  lua_insert(L, 1);
  const int status = lua_pcallk(L, lua_gettop(L) - 2, LUA_MULTRET, 0, 0, finish_pcall);
  return finish_pcall(L, status, 0);
}

// coroutine.yield: lcorolib's, charged the throw that unwinds to the resume.
int sandbox_yield(lua_State* L) {
  charge_call(L, "coroutine.yield", throw_units);
  return lua_yield(L, lua_gettop(L));
}

// ---- pattern matching ----------------------------------------------------

// Units one step of the estimate (lua_pattern_cost.hpp) may take in the C
// matcher: measured 0.3-4.25 (0.6-8.8 ns a step against 1.9-2.4 ns a VM
// instruction in the same run; "(%w+)=" over a run of letters is the
// slowest per step, 3.7-4.25: at worst ~5.3 ms for a call at the cap).
constexpr double pattern_step_units = 4;

// The Lua matcher (lua_pattern_match.hpp) for a call the C matcher might
// take too long over: the arguments checked and converted as lstrlib does
// (so its errors are lstrlib's), then called with a continuation, so that
// the count hook can charge, slice and stop it like any Lua code. Upvalue 4:
// the function's name in the Lua matcher, which is built on its first use
// (compiling it charged as load charges a chunk; running its top level is
// counted by the hook).
int lua_matcher(lua_State* L, PatternUse use) {
  if (use == PatternUse::every_position && !lua_toboolean(L, lua_upvalueindex(3))) {  // gsub
    const int tr = lua_type(L, 3);
    const lua_Integer max_s = luaL_optinteger(L, 4, static_cast<lua_Integer>(lua_rawlen(L, 1)) + 1);
    luaL_argexpected(L, tr == LUA_TNUMBER || tr == LUA_TSTRING || tr == LUA_TFUNCTION || tr == LUA_TTABLE, 3,
                     "string/function/table");
    lua_settop(L, 3);
    lua_pushinteger(L, max_s);
  } else {
    const lua_Integer init = luaL_optinteger(L, 3, 1);
    const bool plain = use == PatternUse::find && lua_toboolean(L, 4);
    lua_settop(L, 2);
    lua_pushinteger(L, init);
    lua_pushboolean(L, plain);
  }
  LuaMeter::of(L).charge(L, static_cast<std::uint64_t>(wrapper_units));
  if (!lua_matcher_built(L)) {
    charge_call(L, "the Lua pattern matcher", 4.0 * static_cast<double>(lua_matcher_source_bytes()));
  }
  push_kept_lua_matcher(L);
  lua_getfield(L, -1, lua_tostring(L, lua_upvalueindex(4)));
  lua_remove(L, -2);
  lua_insert(L, 1);
  lua_callk(L, 4, LUA_MULTRET, 0, finish_plain);
  return finish_plain(L, LUA_OK, 0);
}

// Upvalues: the original function, its PatternUse, whether it returns an
// iterator (gmatch), and its name (the Lua matcher's function of that name).
int guarded_pattern(lua_State* L) {
  const auto use = static_cast<PatternUse>(lua_tointeger(L, lua_upvalueindex(2)));
  std::size_t n = 0, m = 0;
  luaL_checklstring(L, 1, &n);
  const char* p = luaL_checklstring(L, 2, &m);
  const bool plain = use == PatternUse::find && lua_toboolean(L, 4);
  const double units = pattern_cost(std::string_view(p, m), n, use, plain) * pattern_step_units;
  // The estimate is a worst case, far above what ordinary patterns do: past
  // what one C call may take, the Lua matcher, ~6-40x slower but sliced.
  if (!(units <= max_units_per_call)) return lua_matcher(L, use);
  // The C matcher is charged the time it actually took (a gsub callback's
  // instructions are then counted twice, which errs on the safe side).
  // gmatch matches in its iterator: that is timed too.
  const auto started = std::chrono::steady_clock::now();
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  LuaMeter::of(L).charge(L, units_for(elapsed) + n / 8);
  if (lua_toboolean(L, lua_upvalueindex(3)) && lua_isfunction(L, 1)) {
    push_timed(L, 1);
    lua_replace(L, 1);
  }
  return lua_gettop(L);
}

// Wraps lib[name].
void wrap_pattern(lua_State* L, int lib, const char* name, PatternUse use, bool iterator = false) {
  lua_getfield(L, lib, name);
  lua_pushinteger(L, static_cast<lua_Integer>(use));
  lua_pushboolean(L, iterator);
  lua_pushstring(L, name);
  lua_pushcclosure(L, guarded_pattern, 4);
  lua_setfield(L, lib, name);
}

void wrap_with(lua_State* L, int lib, const char* name, lua_CFunction wrapper) {
  lua_getfield(L, lib, name);
  lua_pushcclosure(L, wrapper, 1);
  lua_setfield(L, lib, name);
}

}  // namespace

void charge_call(lua_State* L, const char* name, double units) {
  if (!(units <= max_units_per_call)) {  // NaN too
    char message[160];  // lua_pushfstring has no %g
    std::snprintf(message, sizeof message, "%s: too much work for one call (%.3g units, at most %.3g)", name,
                  units, max_units_per_call);
    luaL_error(L, "%s", message);
  }
  LuaMeter::of(L).charge(L, static_cast<std::uint64_t>(units));
}

namespace {

// Wraps, in the table at `lib`, each entry of `library` (nullptr: the
// globals; "string": also the string metatable's arithmetic), and lists each original
// in the loaded modules under its full name: called from the wrapper, the
// original has no name of its own, so its argument errors take that one
// ("bad argument #1 to 'string.rep'").
void wrap_entries(lua_State* L, const char* library, int lib) {
  lib = lua_absindex(L, lib);
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  const int loaded = lua_gettop(L);
  for (std::size_t i = 0; i < std::size(entries); ++i) {
    const Entry& e = entries[i];
    const bool same_library = e.library == nullptr ? library == nullptr
                                                   : library != nullptr && std::strcmp(e.library, library) == 0;
    if (!same_library) continue;
    if (e.name == nullptr) {  // the string metatable's arithmetic
      lua_pushliteral(L, "");
      lua_getmetatable(L, -1);
      for (const char* name : string_arithmetic) {
        if (lua_getfield(L, -1, name) == LUA_TNIL) {
          lua_pop(L, 1);
          continue;
        }
        lua_pushinteger(L, static_cast<lua_Integer>(i));
        lua_pushcclosure(L, charged, 2);
        lua_setfield(L, -2, name);
      }
      lua_pop(L, 2);
      continue;
    }
    lua_getfield(L, lib, e.name);
    lua_pushvalue(L, -1);
    lua_setfield(L, loaded, e.full_name);
    lua_pushinteger(L, static_cast<lua_Integer>(i));
    lua_pushcclosure(L, charged, 2);
    lua_setfield(L, lib, e.name);
  }
  lua_settop(L, loaded - 1);
}

}  // namespace

void install_library_costs(lua_State* L, int globals_index) {
  const int g = lua_absindex(L, globals_index);
  // What the Lua matcher uses, before it is wrapped; the matcher itself is
  // built on its first use.
  keep_lua_matcher_originals(L, g);
  wrap_entries(L, nullptr, g);

  lua_pushcfunction(L, sandbox_error);
  lua_setfield(L, g, "error");
  lua_pushcfunction(L, sandbox_pcall);
  lua_setfield(L, g, "pcall");
  wrap_with(L, g, "xpcall", charged_xpcall);
  // next, and the next pairs returns.
  lua_getfield(L, g, "pairs");
  lua_getfield(L, g, "next");
  push_timed(L, -1);
  lua_pushvalue(L, -1);
  lua_setfield(L, g, "next");
  lua_pushcclosure(L, sandbox_pairs, 3);
  lua_setfield(L, g, "pairs");

}

void install_library_costs(lua_State* L, const char* library, int lib_index) {
  const int lib = lua_absindex(L, lib_index);
  const std::string_view name(library);
  if (name == "string") {
    // What the Lua matcher uses, before it is wrapped.
    keep_lua_matcher_string_originals(L, lib);
    wrap_entries(L, library, lib);
    wrap_pattern(L, lib, "find", PatternUse::find);
    wrap_pattern(L, lib, "match", PatternUse::match);
    wrap_pattern(L, lib, "gmatch", PatternUse::every_position, true);
    wrap_pattern(L, lib, "gsub", PatternUse::every_position);
    return;
  }
  wrap_entries(L, library, lib);
  if (name == "coroutine") {
    lua_pushcfunction(L, sandbox_yield);
    lua_setfield(L, lib, "yield");
  } else if (name == "utf8") {
    lua_getfield(L, lib, "offset");
    push_timed(L, -1);
    lua_setfield(L, lib, "offset");
    lua_pop(L, 1);
    wrap_with(L, lib, "codes", with_timed_iterator);
  }
}

}  // namespace solo
