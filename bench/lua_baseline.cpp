#include "bench/lua_baseline.hpp"

#include <unistd.h>

#include <lua.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <stdexcept>
#include <string>

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
