// What each C function a service can reach costs.
//
// The count hook only sees VM instructions; a C library function is one
// instruction however long it runs. So every C function of the allow-list
// whose work can grow with its input is wrapped: the wrapper estimates the
// work from its arguments, before doing any, and charges it to the message's
// budget (LuaMeter::charge). Units are the budget's: 1 unit ~ one VM
// instruction ~ 2.5 ns. One call may do at most max_units_per_call; past that
// it raises "<name>: too much work for one call (N units, at most M)", a
// catchable error, without doing the work.
//
// The figures, in units ("bytes" the lengths involved). Measured with the
// lua_costs_calibration test in lua_hostile_test.cpp (ns per item of each
// function next to ns per VM instruction in the same run; the ratio is the
// units per item), then rounded up, more where the input changes the speed
// (%q of "\0", upper in another locale):
//
//   string.rep            1 per copy (measured 0.56), 2 with a separator
//                         (1.2), + result bytes / 8; empty strings included
//   string.format         format bytes / 2 + 20 per item + width / 4 + string
//                         args / 8 (%q: 16 per byte, measured 0.7 for plain
//                         bytes, ~13 for "\0") + 6 per digit of %a/e/f/g
//                         (4.7; precision, plus the exponent for %f: glibc's
//                         exact "%99.99f" of 1e308 is ~2000 units)
//   string.byte/char      1 per byte returned / argument
//   upper, lower, reverse 1/2 per byte (0.19, 0.13); sub 1/8 of the slice
//   pack/packsize/unpack  4/2/6 per format byte (packsize 1.9) + data / 8
//   find/match/gmatch/gsub  the C matcher when its worst case
//                         (lua_pattern_cost.hpp, which counts a set's
//                         length) at 4 units a step (measured 0.3-4.25)
//                         is within max_units_per_call, charged its
//                         measured time, gmatch's iterator too; past that,
//                         the same functions written in Lua
//                         (lua_pattern_match.hpp, ~6-40x slower), charged,
//                         sliced and stopped per instruction like any Lua
//                         code: no pattern is refused
//   tonumber              1/3 per byte (0.21; with a base ~1.5x); tostring 10
//   "10" + 1              the string metatable's __add and co.: 1/3 per byte
//                         of their string operands, as tonumber
//   select                1 per argument; math.min/max 1 per argument
//   error, yield          throw_units, 1000 (a C++ exception: ~900)
//   pcall, xpcall,        call_units, 100, plus throw_units when they return
//   coroutine.resume      an error: every error thrown and caught is charged,
//                         whoever raised it (assert, a bad argument, the VM);
//                         each run of an xpcall handler throw_units too (a
//                         handler that raises runs again for its own error,
//                         216 deep: ~430-860 us for one xpcall)
//   next, pairs' next     their measured time: a table with many removed
//                         keys makes one next() scan all its empty slots
//                         (0.17 units a slot), bounded by the memory cap
//   utf8                  len/codepoint 1 per byte (0.65) / 2 per byte,
//                         char 2 per argument; offset and codes' iterator
//                         their measured time (runs of continuation bytes)
//   table                 insert/remove 3 per element shifted (2.9), move 5
//                         per element (5.5), concat 6 per element + separator
//                         bytes / 8, unpack 2 per element, sort 8 per
//                         n log2 n (5.7); the length is #t, __len included
//   coroutine             create/wrap/close 100; status, running,
//                         isyieldable 5
//   os.date               24 per format byte (20); time, clock 20
//   load                  4 per source byte (lua_environment.cpp)
//   any wrapped call      + 30 for the wrapper itself (~150 ns under load)
//
// Memory allocation is charged separately (LuaMeter, bytes / 8).
#pragma once

#include <lua.hpp>

#include <cstdint>

namespace solo {

// The most work one C call may do. 2,000,000 units ~ 5 ms at 2.5 ns per unit,
// the time the engine thread may be held by one call (the 10 ms for a
// hostile step, with room for the Lua around it). The unit: a VM instruction
// measured 4.3 ns in the calibration run on the 2-core CI machine under the
// load of two parallel builds, ~2.5 ns idle (LuaLimits), and the figures
// above are ratios to it, so the cap holds ~2M instructions' worth of work.
inline constexpr double max_units_per_call = 2'000'000;

// Charges `units` of work by the C function `name` (e.g. "string.rep"):
// raises "<name>: too much work for one call (...)" past max_units_per_call,
// and the budget error past the budget.
void charge_call(lua_State* L, const char* name, double units);

// Wraps the C functions of the base library (the globals at `globals_index`)
// with their costs. Call it after the environment replaced its own functions.
void install_library_costs(lua_State* L, int globals_index);

// The same for one of the libraries opened on first use ("string", "table",
// "math", "utf8", "coroutine", "os"), whose table is at `lib_index`, once the
// environment has trimmed it and before the proxy hands it out (for string,
// also the string metatable's arithmetic, and the patterns' guards).
void install_library_costs(lua_State* L, const char* library, int lib_index);

}  // namespace solo
