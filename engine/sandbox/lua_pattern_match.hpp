// Lua's pattern matching written in Lua: string.find, match, gmatch and gsub
// with lstrlib's semantics (Lua 5.4), for the calls whose worst case is too
// long for the C matcher.
//
// lstrlib's matcher runs in C, where the count hook cannot interrupt it: one
// call holds the engine thread until it ends. This one is Lua code: its
// instructions are counted, charged to the budget, sliced and stopped by the
// CPU time limit like any of the service's. It is ~6-40x slower than the C
// matcher (measured: "(%w+)=(%w+)" over 20 KB 16x, "%s+" gsub 20x, "a*b"
// 6x, a long set 37x), so lua_costs.cpp calls it only when the C matcher's estimated
// worst case (lua_pattern_cost.hpp) is past what one C call may take.
//
// Same results and errors as lstrlib for valid arguments (the wrapper checks
// the argument types first, with lstrlib's messages); the pattern errors
// carry no position, as lstrlib's. Character classes are the C locale's (the
// server never calls setlocale). Differences: a gsub replacement function or
// a replacement table's __index may yield (lstrlib's lua_call cannot), a
// gmatch iterator is a Lua function, and it allocates (a table of the
// pattern's bytes, and of the subject's up to 32 KB: 16 bytes a byte),
// which counts against the sandbox's memory cap. find's plain search finds
// the first byte with the original string.find (memchr: linear, in C).
#pragma once

#include <lua.hpp>

#include <cstddef>

namespace solo {

// Pushes a table {find, match, gmatch, gsub}. The functions use the
// originals they need (string.byte, sub, find; table.concat, move, unpack;
// type, tostring, error, setmetatable), taken from the table at `globals_index` now and
// kept as upvalues, so a later change of those tables does not reach them;
// the chunk has no _ENV. Their arguments must already be what lstrlib
// accepts after its checks: strings, integers (or nil for the defaults),
// gsub's replacement a string, number, table or function.
void push_lua_matcher(lua_State* L, int globals_index);

// The matcher built on first use. Compiling and running its chunk is most of
// what a fresh sandbox would otherwise cost (~650 us and ~130 KB of heap per
// state), and few services ever need it: the sandbox keeps only the
// originals (keep_lua_matcher_originals, at setup, before the libraries are
// wrapped; the string library's when it is opened; the table library's from
// a copy of its own) and builds the matcher from them the first time a call needs it
// (push_kept_lua_matcher), in the service's own heap and budget; a failed
// build (out of memory, a limit) leaves nothing behind and is tried again.
void keep_lua_matcher_originals(lua_State* L, int globals_index);
// The string library's part, when it is opened (on first use), before it is wrapped.
void keep_lua_matcher_string_originals(lua_State* L, int string_index);
bool lua_matcher_built(lua_State* L);
void push_kept_lua_matcher(lua_State* L);
// The source's length, for the caller to charge the compilation.
std::size_t lua_matcher_source_bytes();

}  // namespace solo
