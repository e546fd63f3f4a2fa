// LuaMeter: memory cap, CPU time, slices and instruction budget; see lua_meter.hpp.
#include "engine/sandbox/lua_meter.hpp"

#include "engine/sandbox/slice_watchdog.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace solo {

namespace {

// This thread's CPU time. A system call (~0.3-0.8 us here, against ~30 ns
// for the monotonic clock), so it is read only in steps long enough to reach
// a hook, never in a short message.
std::chrono::nanoseconds thread_cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

// More than a TString's header and terminating NUL (24 + 1 bytes on x86-64).
constexpr std::size_t kStringOverhead = 64;

// Registry keys of the preallocated limit errors: raising one allocates nothing.
char budget_error_key = 0;
char cpu_error_key = 0;
}  // namespace

void* LuaMeter::allocate(void* ud, void* ptr, std::size_t osize, std::size_t nsize) noexcept {
  auto* self = static_cast<LuaMeter*>(ud);
  const std::size_t old = ptr ? osize : 0;  // for a new block osize is the object type
  if (nsize == 0) {
    self->release(ptr, old);
    self->bytes_ -= old;
    return nullptr;
  }
  if (nsize > old && self->bytes_ - old + nsize > self->cap_) {
    self->refused_ = true;
    self->refused_string_ = false;
    return nullptr;  // Lua collects and retries once, then raises "not enough memory"
  }
  // A new string object (osize is then its type): the header, the bytes, a NUL.
  if (ptr == nullptr && osize == LUA_TSTRING && nsize > self->string_cap_ + kStringOverhead) {
    self->refused_string_ = true;
    return nullptr;
  }
  void* p = self->resize(ptr, old, nsize);
  if (p == nullptr) return nullptr;
  self->bytes_ = self->bytes_ - old + nsize;
  if (self->metering_ && nsize > old) self->spend(nsize / 8);
  return p;
}

bool LuaMeter::pooled(const void* block, std::size_t size) const {
  // Until a small block has come from malloc, every small block is the
  // pool's: no search of its chunks on each free and resize.
  return block != nullptr && size <= LuaBlockPool::max_block && (!small_from_malloc_ || pool_.owns(block));
}

void LuaMeter::release(void* block, std::size_t size) {
  if (pooled(block, size)) {
    pool_.release(block, size);
  } else {
    std::free(block);
  }
}

void* LuaMeter::resize(void* block, std::size_t old, std::size_t size) {
  const bool from_pool = pooled(block, old);
  if (from_pool && LuaBlockPool::fits(old, size)) return block;  // shrinks stay in place
  if (block != nullptr && !from_pool) {
    void* moved = std::realloc(block, size);
    if (moved != nullptr && size <= LuaBlockPool::max_block) small_from_malloc_ = true;  // a large block shrunk
    return moved;
  }
  void* fresh = size <= LuaBlockPool::max_block ? pool_.allocate(size) : nullptr;
  if (fresh == nullptr) {  // large, or the pool is at its budget
    fresh = std::malloc(size);
    if (fresh != nullptr && size <= LuaBlockPool::max_block) small_from_malloc_ = true;
  }
  if (fresh == nullptr || block == nullptr) return fresh;
  std::memcpy(fresh, block, std::min(old, size));
  pool_.release(block, old);
  return fresh;
}

void LuaMeter::install(lua_State* L) {
  LuaMeter* self = this;
  std::memcpy(lua_getextraspace(L), &self, sizeof(LuaMeter*));
  lua_pushstring(L, budget_message);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &budget_error_key);
  lua_pushstring(L, cpu_message);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &cpu_error_key);
  lua_sethook(L, &LuaMeter::hook, LUA_MASKCOUNT, hook_interval);
}

void LuaMeter::begin_message(std::chrono::nanoseconds cpu_budget, bool preemptible, bool exact_cpu) {
  exact_cpu_ = exact_cpu;
  used_ = 0;
  cpu_used_ = std::chrono::nanoseconds{0};
  step_cpu_budget_ = std::min(cpu_budget, cpu_budget_);
  preemptible_ = preemptible;
  preempted_ = false;
  limit_ = Limit::none;
  refused_ = false;
  refused_string_ = false;
  first_slice_ = true;
}

void LuaMeter::resume_metering(lua_State* handler) {
  metering_ = true;
  preempted_ = false;
  slice_started_ = std::chrono::steady_clock::now();
  // A later slice belongs to a message long enough for a system call per
  // slice: its CPU is measured from its start.
  cpu_baseline_ = !first_slice_ || exact_cpu_;
  if (cpu_baseline_) slice_cpu_started_ = thread_cpu_now();
  first_slice_ = false;
  watch_ = &SliceWatchdog::for_this_thread();
  // The watchdog forces the hook at the end of the slice, or, for a step
  // that cannot be sliced, when its time is spent.
  auto deadline = slice_started_ + std::max(step_cpu_budget_ - cpu_used_, std::chrono::nanoseconds{0});
  if (preemptible_) deadline = std::min(deadline, slice_started_ + slice);
  watch_deadline_ = std::chrono::time_point_cast<std::chrono::steady_clock::duration>(deadline);
  watch_->arm(handler, &LuaMeter::hook, watch_deadline_);
}

void LuaMeter::pause() {
  if (!metering_) return;
  metering_ = false;
  last_slice_ = elapsed_in_slice(std::chrono::steady_clock::now());
  const auto spent = cpu_in_slice(last_slice_);
  cpu_used_ += spent;
  cpu_total_ += spent;
  if (watch_ != nullptr) watch_->disarm();
  watch_ = nullptr;
}

void LuaMeter::switch_to(lua_State* running) {
  if (watch_ != nullptr) watch_->switch_to(running);
}

void LuaMeter::take_cpu_baseline(std::chrono::nanoseconds wall_in_slice) {
  if (cpu_baseline_) return;
  // The first slice's start on the thread's CPU clock was not read (a system
  // call most messages never need). A step runs without blocking, so the CPU
  // it used so far is at most the wall time so far: date the start back by
  // that (if the OS took the core away meanwhile, the service pays for it,
  // within this first slice; it is never charged less than it used).
  slice_cpu_started_ = thread_cpu_now() - wall_in_slice;
  cpu_baseline_ = true;
}

std::chrono::nanoseconds LuaMeter::cpu_in_slice(std::chrono::nanoseconds wall_in_slice) const {
  return cpu_baseline_ ? thread_cpu_now() - slice_cpu_started_ : wall_in_slice;
}

const char* LuaMeter::limit_message() const {
  return limit_ == Limit::cpu_time ? cpu_message : budget_message;
}

void LuaMeter::exhaust(Limit limit) {
  if (limit_ != Limit::none) return;
  limit_ = limit;
  // Stop whatever runs at its next instruction. lua_sethook only stores
  // fields (Lua documents it as callable from a signal handler), so it is
  // safe here, even in the middle of an allocation.
  if (watch_ != nullptr) {
    if (lua_State* running = watch_->running()) lua_sethook(running, &LuaMeter::hook, LUA_MASKCOUNT, 1);
  }
}

void LuaMeter::spend(std::uint64_t cost) {
  used_ += cost;
  if (used_ > budget_) exhaust(Limit::instructions);
}

void LuaMeter::over_budget(lua_State* L) {
  if (used_ > budget_) exhaust(Limit::instructions);
  raise_limit(L);
}

void LuaMeter::raise_limit(lua_State* L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, limit_ == Limit::cpu_time ? &cpu_error_key : &budget_error_key);
  lua_error(L);
  std::abort();  // unreachable: lua_error throws
}

bool LuaMeter::is_limit_error(lua_State* L, int idx) {
  idx = lua_absindex(L, idx);
  bool same = false;
  for (const void* key : {static_cast<const void*>(&budget_error_key), static_cast<const void*>(&cpu_error_key)}) {
    lua_rawgetp(L, LUA_REGISTRYINDEX, key);
    same = same || lua_rawequal(L, idx, -1);
    lua_pop(L, 1);
  }
  return same;
}

void LuaMeter::hook(lua_State* L, lua_Debug* /*ar*/) {
  auto& self = of(L);
  const int count = lua_gethookcount(L);
  self.reductions_ += static_cast<std::uint64_t>(count);
  if (!self.metering_) {
    if (count != hook_interval) lua_sethook(L, &LuaMeter::hook, LUA_MASKCOUNT, hook_interval);
    return;
  }
  self.spend(static_cast<std::uint64_t>(count));
  const auto now = std::chrono::steady_clock::now();
  const auto in_slice = self.elapsed_in_slice(now);
  self.check_cpu(in_slice);
  if (self.exhausted()) {
    if (count != 1) lua_sethook(L, &LuaMeter::hook, LUA_MASKCOUNT, 1);
    self.raise_limit(L);
  }
  // Back to the normal pace (after a forced hook, or in a coroutine slowed
  // down by an earlier, exhausted message).
  if (count != hook_interval) lua_sethook(L, &LuaMeter::hook, LUA_MASKCOUNT, hook_interval);
  if (self.preemptible_ && in_slice >= slice && lua_isyieldable(L)) {
    self.preempted_ = true;
    lua_yield(L, 0);  // must be the hook's last call
    return;
  }
  // Past the watchdog's deadline and going on (cannot yield here, or the
  // OS took the core away): look again in a slice.
  if (now >= self.watch_deadline_ && self.watch_ != nullptr) {
    self.watch_deadline_ = now + slice;
    self.watch_->rearm(self.watch_deadline_);
  }
}

void LuaMeter::check_cpu(std::chrono::nanoseconds wall_in_slice) {
  take_cpu_baseline(wall_in_slice);
  // The wall clock is cheap and never less than the CPU time: only when it
  // says the budget is spent is the thread's CPU clock read to confirm (time
  // the OS gave to other processes is not the service's).
  if (cpu_used_ + wall_in_slice > step_cpu_budget_ && cpu_used_ + cpu_in_slice(wall_in_slice) > step_cpu_budget_) {
    exhaust(Limit::cpu_time);
  }
}

bool LuaMeter::check_at_resume(lua_State* L) {
  if (!metering_) return false;
  const auto in_slice = elapsed_in_slice(std::chrono::steady_clock::now());
  check_cpu(in_slice);
  if (exhausted()) raise_limit(L);
  return preemptible_ && in_slice >= slice;
}

}  // namespace solo
