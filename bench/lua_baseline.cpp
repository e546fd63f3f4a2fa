#include "bench/lua_baseline.hpp"

#include <unistd.h>

#include <lua.hpp>

#include <boost/json/value.hpp>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>

#include "bench/thread_cpu.hpp"
#include "engine/sandbox/lua_json.hpp"
#include "engine/sandbox/lua_limits.hpp"

namespace solo::bench {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void fail(lua_State* L, const char* what) {
  std::string message = std::string(what) + ": " + (lua_isstring(L, -1) ? lua_tostring(L, -1) : "?");
  lua_close(L);
  throw std::runtime_error("bare Lua baseline, " + message);
}

// A state with the standard libraries, the chunk run, and init()'s result in
// the registry slot `state_ref` (when init exists). Returns the state.
lua_State* create_and_load(std::string_view code, int* state_ref) {
  lua_State* L = luaL_newstate();
  if (L == nullptr) throw std::runtime_error("bare Lua baseline: luaL_newstate failed");
  luaL_openlibs(L);
  if (luaL_loadbuffer(L, code.data(), code.size(), "service") != LUA_OK) fail(L, "load");
  if (lua_pcall(L, 0, 0, 0) != LUA_OK) fail(L, "run");
  if (lua_getglobal(L, "init") == LUA_TFUNCTION) {
    lua_newtable(L);  // config
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) fail(L, "init");
    *state_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  } else {
    lua_pop(L, 1);
    *state_ref = LUA_NOREF;
  }
  return L;
}

// The instruction budget of one message, found by the count hook through the
// state's extra space (as LuaMeter finds its meter).
struct InstructionBudget {
  static constexpr int interval = 1000;  // LuaMeter::hook_interval
  uint64_t used = 0;
  uint64_t budget = LuaLimits{}.instructions_per_message;
};

void count_hook(lua_State* L, lua_Debug*) {
  InstructionBudget* budget;
  std::memcpy(&budget, lua_getextraspace(L), sizeof budget);
  budget->used += InstructionBudget::interval;
  if (budget->used > budget->budget) luaL_error(L, "instruction budget exceeded");
}

// Under the one lua_pcall: converts the message (a light userdata at 1) and
// calls handle_call(msg, state); push_json raises on memory or depth, so it
// must run protected, as the sandbox runs it.
int call_handler(lua_State* L) {
  const auto* msg = static_cast<const boost::json::value*>(lua_touserdata(L, 1));
  const auto state_ref = static_cast<int>(lua_tointeger(L, 2));
  lua_settop(L, 0);
  lua_getglobal(L, "handle_call");
  push_json(L, *msg);
  lua_rawgeti(L, LUA_REGISTRYINDEX, state_ref);
  lua_call(L, 2, 2);
  return 2;
}

}  // namespace

std::vector<int64_t> bare_create_load_ns(std::string_view code, int rounds) {
  std::vector<int64_t> samples;
  samples.reserve(static_cast<size_t>(rounds));
  for (int i = 0; i < rounds; ++i) {
    int ref = LUA_NOREF;
    auto start = Clock::now();
    lua_State* L = create_and_load(code, &ref);
    samples.push_back((Clock::now() - start).count());
    lua_close(L);
  }
  std::sort(samples.begin(), samples.end());
  return samples;
}

BareStates::~BareStates() {
  for (auto* L : states) lua_close(L);
}

std::vector<int64_t> bare_create_load_kept_ns(std::string_view code, int rounds, BareStates& kept) {
  std::vector<int64_t> samples;
  samples.reserve(static_cast<size_t>(rounds));
  kept.states.reserve(kept.states.size() + static_cast<size_t>(rounds));
  for (int i = 0; i < rounds; ++i) {
    int ref = LUA_NOREF;
    auto start = Clock::now();
    kept.states.push_back(create_and_load(code, &ref));
    samples.push_back((Clock::now() - start).count());
  }
  std::sort(samples.begin(), samples.end());
  return samples;
}

std::vector<int64_t> bare_call_ns(std::string_view code, int calls) {
  int state_ref = LUA_NOREF;
  lua_State* L = create_and_load(code, &state_ref);
  if (state_ref == LUA_NOREF) fail(L, "init() is missing");
  std::vector<int64_t> samples;
  samples.reserve(static_cast<size_t>(calls));
  for (int i = 0; i < calls; ++i) {
    auto start = Clock::now();
    lua_getglobal(L, "handle_call");
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "inc");
    lua_setfield(L, -2, "op");
    lua_rawgeti(L, LUA_REGISTRYINDEX, state_ref);
    if (lua_pcall(L, 2, 2, 0) != LUA_OK) fail(L, "handle_call");
    lua_rawseti(L, LUA_REGISTRYINDEX, state_ref);  // the new state
    lua_pop(L, 1);                                 // the reply
    samples.push_back((Clock::now() - start).count());
  }
  lua_close(L);
  std::sort(samples.begin(), samples.end());
  return samples;
}

std::vector<int64_t> bare_sandboxed_call_ns(std::string_view code, int calls, double* cpu_seconds) {
  int state_ref = LUA_NOREF;
  lua_State* L = create_and_load(code, &state_ref);
  if (state_ref == LUA_NOREF) fail(L, "init() is missing");
  InstructionBudget budget;
  InstructionBudget* budget_ptr = &budget;
  std::memcpy(lua_getextraspace(L), &budget_ptr, sizeof budget_ptr);
  lua_sethook(L, count_hook, LUA_MASKCOUNT, InstructionBudget::interval);
  LuaJsonLimits reply_limits;
  reply_limits.max_bytes = LuaLimits{}.payload_bytes;
  std::vector<int64_t> samples;
  samples.reserve(static_cast<size_t>(calls));
  const double cpu_start = this_thread_cpu_seconds();
  for (int i = 0; i < calls; ++i) {
    // Built before the clock, as the in-process call probe builds its
    // message; freed inside it, as a call consumes its message (a
    // ServiceActor::call takes it by value and frees it before it returns).
    std::optional<boost::json::value> msg = boost::json::value(boost::json::object{{"op", "inc"}});
    LuaJsonResult reply;
    auto start = Clock::now();
    budget.used = 0;  // a fresh budget per message
    lua_pushcfunction(L, call_handler);
    lua_pushlightuserdata(L, &*msg);
    lua_pushinteger(L, state_ref);
    if (lua_pcall(L, 2, 2, 0) != LUA_OK) fail(L, "handle_call");
    msg.reset();
    reply = to_json(L, -2, reply_limits);
    if (!reply.ok()) throw std::runtime_error("bare sandboxed call: reply " + reply.error);
    lua_rawseti(L, LUA_REGISTRYINDEX, state_ref);  // the new state
    lua_pop(L, 1);                                 // the reply, now JSON
    samples.push_back((Clock::now() - start).count());
  }
  if (cpu_seconds != nullptr) *cpu_seconds = this_thread_cpu_seconds() - cpu_start;
  lua_close(L);
  std::sort(samples.begin(), samples.end());
  return samples;
}

BareMemory bare_memory(std::string_view code, int states) {
  std::vector<lua_State*> open;
  open.reserve(static_cast<size_t>(states));
  BareMemory result;
  int64_t rss_before = process_rss_bytes();
  try {
    for (int i = 0; i < states; ++i) {
      int ref = LUA_NOREF;
      open.push_back(create_and_load(code, &ref));
    }
  } catch (...) {
    for (auto* L : open) lua_close(L);
    throw;
  }
  int64_t rss_after = process_rss_bytes();
  double heap = 0;
  for (auto* L : open) heap += lua_gc(L, LUA_GCCOUNT, 0) * 1024.0 + lua_gc(L, LUA_GCCOUNTB, 0);
  for (auto* L : open) lua_close(L);
  result.lua_heap_bytes = heap / states;
  result.rss_bytes = static_cast<double>(rss_after - rss_before) / states;
  return result;
}

int64_t process_rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t size_pages = 0;
  int64_t resident_pages = 0;
  if (!(statm >> size_pages >> resident_pages)) throw std::runtime_error("cannot read /proc/self/statm");
  return resident_pages * static_cast<int64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace solo::bench
