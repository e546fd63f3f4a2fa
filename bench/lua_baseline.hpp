// The bare-Lua baselines of the `services` scenario: what the same service
// code costs in a plain lua_State with nothing of Solo around it (no sandbox,
// no allocator cap, no count hook, no actor, no event log).
//
//   create+load   luaL_newstate + luaL_openlibs + luaL_loadbuffer + lua_pcall
//                 of the chunk (lua_close is not timed: a deploy keeps its state)
//   pcall         lua_pcall of the chunk's handle_call(msg, state), the state
//                 table kept in the registry between calls as the sandbox does,
//                 msg a fresh table {op = "inc"} (the sandbox must build one too)
//   memory        lua_gc(LUA_GCCOUNT) of such a state after init(), and the
//                 process RSS it adds
//
// Single-threaded; every function builds and closes its own states.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

struct lua_State;

namespace solo::bench {

// Each create+load (+ init, when the code defines it) in ns, sorted ascending.
// Each state is closed before the next is made (not timed), so every create
// reuses the memory the last one freed.
std::vector<int64_t> bare_create_load_ns(std::string_view code, int rounds);
// Bare states kept open by a measurement; closed when this goes.
struct BareStates {
  BareStates() = default;
  BareStates(const BareStates&) = delete;
  BareStates& operator=(const BareStates&) = delete;
  ~BareStates();
  std::vector<lua_State*> states;
};
// The same with every state kept alive (in `kept`), as deploys keep their
// services: each create takes fresh memory (page faults), as a deploy does.
// The caller keeps `kept` until its other measurements are done, so that
// they do not run in the memory these states would free.
std::vector<int64_t> bare_create_load_kept_ns(std::string_view code, int rounds, BareStates& kept);

// Each handle_call pcall in ns, sorted ascending. The code must define
// init() and handle_call(msg, state) returning (reply, state).
std::vector<int64_t> bare_call_ns(std::string_view code, int calls);

struct BareMemory {
  double lua_heap_bytes = 0;   // lua_gc count of one state after init()
  double rss_bytes = 0;        // process RSS added per state, over `states`
};
// Builds `states` bare states after init() and measures them.
BareMemory bare_memory(std::string_view code, int states);

// The resident set of this process (from /proc/self/statm), in bytes.
int64_t process_rss_bytes();

}  // namespace solo::bench
