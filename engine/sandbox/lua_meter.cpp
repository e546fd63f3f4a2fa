// LuaMeter: memory cap and instruction budget; see lua_meter.hpp.
#include "engine/sandbox/lua_meter.hpp"

#include <cstdlib>
#include <cstring>

namespace solo {

namespace {
// Registry key of the preallocated budget error: raising it allocates nothing.
char budget_error_key = 0;
}  // namespace

void* LuaMeter::allocate(void* ud, void* ptr, std::size_t osize, std::size_t nsize) noexcept {
  auto* self = static_cast<LuaMeter*>(ud);
  const std::size_t old = ptr ? osize : 0;  // for a new block osize is the object type
  if (nsize == 0) {
    std::free(ptr);
    self->bytes_ -= old;
    return nullptr;
  }
  if (nsize > old && self->bytes_ - old + nsize > self->cap_) {
    self->refused_ = true;
    return nullptr;  // Lua collects and retries once, then raises "not enough memory"
  }
  void* p = std::realloc(ptr, nsize);
  if (p == nullptr) return nullptr;
  self->bytes_ = self->bytes_ - old + nsize;
  if (self->metering_ && nsize > old) self->spend(nsize / 8);
  return p;
}

void LuaMeter::install(lua_State* L) {
  LuaMeter* self = this;
  std::memcpy(lua_getextraspace(L), &self, sizeof(LuaMeter*));
  lua_pushstring(L, budget_message);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &budget_error_key);
  lua_sethook(L, &LuaMeter::hook, LUA_MASKCOUNT, hook_interval);
}

LuaMeter& LuaMeter::of(lua_State* L) {
  LuaMeter* self;
  std::memcpy(&self, lua_getextraspace(L), sizeof(LuaMeter*));
  return *self;
}

void LuaMeter::begin_message(lua_State* handler) {
  used_ = 0;
  exhausted_ = false;
  refused_ = false;
  resume_metering(handler);
}

void LuaMeter::pause() {
  metering_ = false;
  handler_ = nullptr;
}

void LuaMeter::resume_metering(lua_State* handler) {
  metering_ = true;
  handler_ = handler;
}

void LuaMeter::spend(std::uint64_t cost) {
  used_ += cost;
  if (used_ > budget_ && !exhausted_) {
    exhausted_ = true;
    // Stop the handler at its next instruction. lua_sethook only stores
    // fields (Lua documents it as callable from a signal handler), so it is
    // safe here, in the middle of an allocation.
    if (handler_ != nullptr) lua_sethook(handler_, &LuaMeter::hook, LUA_MASKCOUNT, 1);
  }
}

void LuaMeter::charge(lua_State* L, std::uint64_t cost) {
  if (!metering_) return;
  spend(cost);
  if (exhausted_) raise_budget(L);
}

void LuaMeter::raise_budget(lua_State* L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &budget_error_key);
  lua_error(L);
  std::abort();  // unreachable: lua_error throws
}

bool LuaMeter::is_budget_error(lua_State* L, int idx) {
  idx = lua_absindex(L, idx);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &budget_error_key);
  const bool same = lua_rawequal(L, idx, -1);
  lua_pop(L, 1);
  return same;
}

void LuaMeter::hook(lua_State* L, lua_Debug* /*ar*/) {
  auto& self = of(L);
  const int count = lua_gethookcount(L);
  self.reductions_ += static_cast<std::uint64_t>(count);
  if (!self.metering_) return;
  self.spend(static_cast<std::uint64_t>(count));
  if (self.exhausted_) {
    if (count != 1) lua_sethook(L, &LuaMeter::hook, LUA_MASKCOUNT, 1);
    raise_budget(L);
  }
  // A coroutine slowed down by an earlier, exhausted message gets its normal pace back.
  if (count != hook_interval) lua_sethook(L, &LuaMeter::hook, LUA_MASKCOUNT, hook_interval);
}

}  // namespace solo
