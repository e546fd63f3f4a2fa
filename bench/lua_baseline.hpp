// The bare-Lua baselines of the `services` scenario: what the same service
// code costs in a plain lua_State with nothing of Solo around it (no sandbox,
// no allocator cap, no actor, no event log; a count hook only where named).
//
//   create+load   luaL_newstate + luaL_openlibs + luaL_loadbuffer + lua_pcall
//                 of the chunk (lua_close is not timed: a deploy keeps its state)
//   pcall         lua_pcall of the chunk's handle_call(msg, state), the state
//                 table kept in the registry between calls as the sandbox does,
//                 msg a fresh table {op = "inc"} (the sandbox must build one too)
//   sandboxed call  the work any sandboxed call must do, minus Solo's
//                 machinery: the same handle_call under one lua_pcall, with
//                 a count hook installed (an instruction budget per message,
//                 as the sandbox's), the message converted from a
//                 boost::json::value to a Lua table and the reply back with
//                 the sandbox's own conversions (engine/sandbox/lua_json.hpp:
//                 their depth, size, UTF-8 and cycle checks are part of the
//                 necessary work; a converter without them would be easier
//                 than any sandboxed call); the message is built before the
//                 clock starts and freed before it stops, as a call consumes
//                 its message. No actor, mailbox, reply slot, Lua thread per
//                 step, time slices or watchdog.
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

// Each sandboxed call (see above) in ns, sorted ascending; the message is
// {"op": "inc"} built before the clock starts, as the in-process call probe
// builds it. Same contract for `code` as bare_call_ns.
// `cpu_seconds`, when given: this thread's CPU time over the whole loop.
std::vector<int64_t> bare_sandboxed_call_ns(std::string_view code, int calls, double* cpu_seconds = nullptr);

struct BareMemory {
  double lua_heap_bytes = 0;   // lua_gc count of one state after init()
  double rss_bytes = 0;        // process RSS added per state, over `states`
};
// Builds `states` bare states after init() and measures them.
BareMemory bare_memory(std::string_view code, int states);

// The resident set of this process (from /proc/self/statm), in bytes.
int64_t process_rss_bytes();

}  // namespace solo::bench
