// LuaSandbox: one service's interpreter and its message steps; see lua_sandbox.hpp.
#include "engine/sandbox/lua_sandbox.hpp"

#include "engine/sandbox/lua_chunk_cache.hpp"
#include "engine/sandbox/lua_environment.hpp"
#include "engine/sandbox/lua_storage_library.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <ostream>
#include <type_traits>

namespace solo {

namespace json = boost::json;

namespace {

// Registry keys (their addresses): the service state, the thread of the step
// in progress, and the compiled top-level chunk until it has run.
char state_key = 0;
char thread_key = 0;
char chunk_key = 0;

constexpr const char* chunk_name = "service";  // messages read [string "service"]:LINE:

// The text of an error object, without running any Lua (no __tostring).
std::string error_text(lua_State* L, int idx) {
  switch (lua_type(L, idx)) {
    case LUA_TSTRING: {
      std::size_t len = 0;
      const char* s = lua_tolstring(L, idx, &len);
      return std::string(s, len);
    }
    case LUA_TNUMBER: {
      if (lua_isinteger(L, idx)) return std::to_string(lua_tointeger(L, idx));
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.14g", static_cast<double>(lua_tonumber(L, idx)));
      return buf;
    }
    case LUA_TNONE: return "unknown error";
    default: return std::string("(error object is a ") + lua_typename(L, lua_type(L, idx)) + " value)";
  }
}

// "[string "service"]:LINE: " of the innermost Lua frame of a failed thread,
// whose stack Lua keeps after the error.
std::string location(lua_State* thread) {
  lua_Debug ar;
  for (int level = 0; level < 8 && lua_getstack(thread, level, &ar); ++level) {
    if (lua_getinfo(thread, "Sl", &ar) && ar.currentline > 0) {
      return std::string(ar.short_src) + ":" + std::to_string(ar.currentline) + ": ";
    }
  }
  return {};
}

int append_dump(lua_State*, const void* bytes, std::size_t size, void* dump) {
  static_cast<std::string*>(dump)->append(static_cast<const char*>(bytes), size);
  return 0;
}

// Pushes the compiled top-level chunk of `code`: loaded from the dump the
// LuaChunkCache keeps of the same text for the same tenant, or compiled from
// the text (and its dump kept). On a syntax error: false, the message in `error`.
bool load_chunk(lua_State* L, std::string_view tenant, std::string_view code, std::optional<std::string>& error) {
  if (auto dump = LuaChunkCache::find(tenant, code)) {
    // Binary, but only ever a dump lua_dump made of this text here.
    if (luaL_loadbufferx(L, dump->data(), dump->size(), chunk_name, "b") == LUA_OK) return true;
    lua_pop(L, 1);  // (out of memory) the text gives the error
  }
  if (luaL_loadbufferx(L, code.data(), code.size(), chunk_name, "t") != LUA_OK) {
    error = error_text(L, -1);
    return false;
  }
  std::string dump;
  if (lua_dump(L, append_dump, &dump, 0) == 0) LuaChunkCache::keep(tenant, code, std::move(dump));
  return true;
}

template <class F>
int protected_trampoline(lua_State* L) {
  auto* f = static_cast<F*>(lua_touserdata(L, 1));
  lua_settop(L, 0);
  std::string failure;
  try {
    (*f)(L);
    return 0;
  } catch (const std::exception& e) {  // Lua errors are not std::exceptions: they pass through
    failure = e.what();
  }
  return luaL_error(L, "%s", failure.c_str());
}

int panic(lua_State* L) {
  // Every call into Lua from the host is protected, so this is a bug.
  std::fprintf(stderr, "solo: unprotected Lua error: %s\n", error_text(L, -1).c_str());
  return 0;  // Lua aborts
}

const char* function_name(int entry) {
  static constexpr const char* names[] = {"(load)",      "init",        "handle_call", "handle_cast",
                                          "handle_info", "code_change", "terminate"};
  return names[entry];
}

}  // namespace

// ---- protection ----------------------------------------------------------------

template <class F>
std::optional<std::string> LuaSandbox::protect(F&& f) const {
  using Function = std::remove_reference_t<F>;
  const int top = lua_gettop(L_);
  lua_pushcfunction(L_, protected_trampoline<Function>);
  lua_pushlightuserdata(L_, const_cast<void*>(static_cast<const void*>(&f)));
  std::optional<std::string> error;
  if (lua_pcall(L_, 1, 0, 0) != LUA_OK) error = error_text(L_, -1);
  lua_settop(L_, top);
  return error;
}

// ---- StepResult ----------------------------------------------------------------

StepResult StepResult::done(json::value reply) {
  StepResult r;
  r.kind = Kind::done;
  r.reply.swap(reply);  // every call's reply: a swap, not a move assignment
  return r;
}

StepResult StepResult::failed(std::string error, Fault fault) {
  StepResult r;
  r.kind = Kind::error;
  r.error = std::move(error);
  r.fault = fault;
  return r;
}

StepResult StepResult::preempted(std::chrono::nanoseconds overrun) {
  StepResult r;
  r.kind = Kind::preempted;
  r.overrun = overrun;
  return r;
}

StepResult StepResult::waiting(PendingCall call) {
  StepResult r;
  r.kind = Kind::call;
  r.call = std::move(call);
  return r;
}

const char* to_string(StepResult::Fault fault) {
  switch (fault) {
    case StepResult::Fault::none: return "none";
    case StepResult::Fault::runtime: return "runtime";
    case StepResult::Fault::instructions: return "instructions";
    case StepResult::Fault::cpu_time: return "cpu_time";
    case StepResult::Fault::memory: return "memory";
    case StepResult::Fault::reply: return "reply";
  }
  return "unknown";
}

std::ostream& operator<<(std::ostream& out, StepResult::Fault fault) { return out << to_string(fault); }

// ---- creation --------------------------------------------------------------------

LuaSandbox::LuaSandbox(LuaLimits limits, LuaFacts facts, LuaHost* host)
    : limits_(limits), facts_(std::move(facts)), host_(host), meter_(std::make_unique<LuaMeter>(limits_)) {}

LuaSandbox::~LuaSandbox() {
  if (L_ != nullptr) lua_close(L_);
}

std::unique_ptr<LuaSandbox> LuaSandbox::create(std::string_view code, LuaLimits limits, LuaFacts facts,
                                               LuaHost* host) {
  auto sandbox = compile(code, limits, std::move(facts));
  sandbox->run_top_level(host);
  return sandbox;
}

std::unique_ptr<LuaSandbox> LuaSandbox::compile(std::string_view code, LuaLimits limits, LuaFacts facts) {
  std::unique_ptr<LuaSandbox> sandbox(new LuaSandbox(limits, std::move(facts), nullptr));
  LuaSandbox& self = *sandbox;
  self.L_ = lua_newstate(&LuaMeter::allocate, self.meter_.get());
  if (self.L_ == nullptr) throw LuaError("cannot create a Lua state within the memory limit");
  lua_atpanic(self.L_, panic);

  if (auto err = self.protect([&](lua_State* L) {
        // The collector waits while the environment is built: all of it is
        // kept, so its steps would only mark the new tables again and again
        // as the heap doubles (~8 % of a deploy's instructions). Afterwards
        // its next cycle starts once the heap has grown by what is there, as
        // if a cycle had just found all of it live (the pause). The memory
        // cap holds throughout: the meter refuses what is past it, and Lua
        // then collects in an emergency and retries.
        lua_gc(L, LUA_GCSTOP);
        self.meter_->install(L);
        open_sandbox_environment(L);
        open_solo_library(L, self);
        lua_gc(L, LUA_GCRESTART);
        lua_gc(L, LUA_GCSTEP, -lua_gc(L, LUA_GCCOUNT));
      })) {
    throw LuaError("cannot set up the Lua sandbox: " + *err);
  }

  std::optional<std::string> compile_error;
  if (auto err = self.protect([&](lua_State* L) {
        if (!load_chunk(L, self.facts_.tenant_id, code, compile_error)) return;
        lua_rawsetp(L, LUA_REGISTRYINDEX, &chunk_key);
      })) {
    throw LuaCompileError(*err);
  }
  if (compile_error) throw LuaCompileError(*compile_error);
  return sandbox;
}

void LuaSandbox::run_top_level(LuaHost* host) {
  host_ = host;
  auto loaded = start(Entry::load, nullptr, [](lua_State*) { return 0; });
  protect([](lua_State* L) {
    lua_pushnil(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &chunk_key);
  });
  if (loaded.is_error()) throw LuaLoadError(loaded.error);
}

std::optional<std::string> LuaSandbox::check_compiles(std::string_view tenant, std::string_view code,
                                                      const LuaLimits& limits) {
  if (LuaChunkCache::find(tenant, code)) return std::nullopt;
  LuaMeter meter(limits);
  lua_State* L = lua_newstate(&LuaMeter::allocate, &meter);
  if (L == nullptr) return "cannot create a Lua state within the memory limit";
  lua_atpanic(L, panic);
  std::optional<std::string> result;
  // luaL_loadbufferx is protected itself: a syntax or memory error is a
  // status. lua_dump of a function is too (it raises nothing).
  if (luaL_loadbufferx(L, code.data(), code.size(), chunk_name, "t") != LUA_OK) {
    result = error_text(L, -1);
  } else if (std::string dump; lua_dump(L, append_dump, &dump, 0) == 0) {
    LuaChunkCache::keep(tenant, code, std::move(dump));
  }
  lua_close(L);
  return result;
}

// ---- entry points -------------------------------------------------------------------

StepResult LuaSandbox::start_init(json::value config) {
  return start(Entry::init, "init", [&](lua_State* L) {
    push_json(L, config);
    return 1;
  });
}

// A call step is the hot path of every service, so it runs whole on the
// step's thread: call_body (the thread's main function, a C function) looks
// up handle_call, converts the message and calls the handler with lua_callk,
// so that the handler can still yield (the end of a slice, solo.call);
// call_returned, its continuation, encodes the reply and commits the state.
// Everything that can raise thus runs under the protection lua_resume gives
// anyway, with no lua_pcall of its own (start() takes two). As for every
// step, only the handler is metered: the body starts the meter after the
// conversion and call_returned pauses it before the encoding.
StepResult LuaSandbox::start_call(json::value msg) {
  sync_storage_cache();
  release_thread();
  pending_.reset();
  entry_ = Entry::call;
  meter_->begin_message(limits_.cpu_time_per_message, sliced(Entry::call), false);
  // The body's two values fit the room a thread always has (LUA_MINSTACK);
  // a thread is made only when there is no spare one (or no room).
  if (spare_ == nullptr || !lua_checkstack(spare_, 2)) {
    spare_ = nullptr;
    lua_State* fresh = nullptr;
    if (auto err = protect([&](lua_State* L) {
          lua_State* co = lua_newthread(L);  // inherits the count hook
          lua_rawsetp(L, LUA_REGISTRYINDEX, &thread_key);
          fresh = co;
        })) {
      return StepResult::failed("handle_call: " + *err,
                                meter_->refused_allocation() ? StepResult::Fault::memory : StepResult::Fault::runtime);
    }
    spare_ = fresh;
  }
  thread_ = spare_;
  spare_ = nullptr;
  call_.msg = &msg;
  call_.reply = nullptr;
  call_.contract.clear();
  call_.missing = false;
  lua_pushcfunction(thread_, &LuaSandbox::call_body);
  lua_pushlightuserdata(thread_, this);
  int nresults = 0;
  const int status = lua_resume(thread_, L_, 1, &nresults);
  call_.msg = nullptr;
  meter_->pause();  // the handler raised or yielded while metered
  return finish(status, nresults);
}

int LuaSandbox::call_body(lua_State* co) {
  auto& self = *static_cast<LuaSandbox*>(lua_touserdata(co, 1));
  lua_settop(co, 0);
  lua_pushglobaltable(co);
  lua_pushliteral(co, "handle_call");
  lua_rawget(co, -2);  // raw: a metatable on _G must not run here
  lua_remove(co, -2);
  if (lua_type(co, -1) != LUA_TFUNCTION) {
    self.call_.missing = true;
    return 0;
  }
  push_json(co, *self.call_.msg);
  lua_rawgetp(co, LUA_REGISTRYINDEX, &state_key);
  self.meter_->resume_metering(co);
  const auto ctx = reinterpret_cast<lua_KContext>(&self);
  lua_callk(co, 2, LUA_MULTRET, ctx, &LuaSandbox::call_returned);
  return call_returned(co, LUA_OK, ctx);
}

int LuaSandbox::call_returned(lua_State* co, int /*status*/, lua_KContext ctx) {
  auto& self = *reinterpret_cast<LuaSandbox*>(ctx);
  self.meter_->pause();
  // A limit spent on the handler's last instructions: finish() fails the
  // step, and the state it returned is not committed.
  if (self.meter_->exhausted()) return 0;
  if (lua_gettop(co) < 2) {
    self.call_.contract = "handle_call must return the reply and the new state";
    return 0;
  }
  LuaJsonLimits reply_limits;
  reply_limits.max_bytes = self.limits_.payload_bytes;
  auto reply = to_json(co, 1, reply_limits);
  if (reply.ok()) {
    self.call_.reply.swap(reply.value);  // was null
  } else {  // the handler finished: only its reply is lost, its state is kept
    self.call_.contract = "handle_call reply " + reply.error;
    self.call_.contract_fault = StepResult::Fault::reply;
  }
  lua_settop(co, 2);
  lua_rawsetp(co, LUA_REGISTRYINDEX, &state_key);  // the new state
  return 0;
}

StepResult LuaSandbox::complete_call() {
  keep_thread();
  if (call_.missing) return StepResult::failed("service does not define handle_call");
  if (!call_.contract.empty()) return StepResult::failed(std::move(call_.contract), call_.contract_fault);
  return StepResult::done(std::move(call_.reply));
}

StepResult LuaSandbox::start_cast(json::value msg) {
  return start(Entry::cast, "handle_cast", [&](lua_State* L) {
    push_json(L, msg);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &state_key);
    return 2;
  });
}

StepResult LuaSandbox::start_info(json::value msg) {
  return start(Entry::info, "handle_info", [&](lua_State* L) {
    push_json(L, msg);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &state_key);
    return 2;
  });
}

StepResult LuaSandbox::start_code_change(json::value old_state, std::int64_t old_version) {
  return start(Entry::code_change, "code_change", [&](lua_State* L) {
    push_json(L, old_state);
    lua_pushinteger(L, old_version);
    return 2;
  });
}

StepResult LuaSandbox::start_terminate(std::string reason) {
  return start(Entry::terminate, "terminate", [&](lua_State* L) {
    lua_pushlstring(L, reason.data(), reason.size());
    lua_rawgetp(L, LUA_REGISTRYINDEX, &state_key);
    return 2;
  });
}

StepResult LuaSandbox::resume(json::value reply_or_error, bool is_error) {
  if (thread_ == nullptr || meter_->preempted()) return StepResult::failed("no step is waiting for a solo.call reply");
  sync_storage_cache();
  auto err = protect([&](lua_State* L) {
    lua_pushboolean(L, is_error);
    if (!is_error) {
      push_json(L, reply_or_error);
    } else if (reply_or_error.is_string()) {
      const auto& s = reply_or_error.get_string();
      lua_pushlstring(L, s.data(), s.size());
    } else {
      const auto text = json::serialize(reply_or_error);
      lua_pushlstring(L, text.data(), text.size());
    }
    if (!lua_checkstack(thread_, 2)) luaL_error(L, "stack overflow");
    lua_xmove(L, thread_, 2);
  });
  if (err) {
    release_thread();
    return StepResult::failed("cannot deliver the solo.call reply: " + *err,
                              meter_->refused_allocation() ? StepResult::Fault::memory : StepResult::Fault::runtime);
  }
  return run(2);  // the message's budgets continue
}

StepResult LuaSandbox::continue_step() {
  sync_storage_cache();
  if (thread_ == nullptr || !meter_->preempted()) return StepResult::failed("no step was preempted");
  meter_->clear_preempted();
  return run(0);
}

// ---- steps ---------------------------------------------------------------------------

StepResult LuaSandbox::start(Entry entry, const char* function, const Pusher& push_args) {
  sync_storage_cache();
  release_thread();
  pending_.reset();
  entry_ = entry;
  const bool message = entry == Entry::call || entry == Entry::cast || entry == Entry::info;
  meter_->begin_message(unsliced_entry(entry) ? unsliced_cpu_limit : limits_.cpu_time_per_message, sliced(entry),
                        !message);
  bool missing = false;
  int nargs = 0;
  auto err = protect([&](lua_State* L) {
    if (function == nullptr) {
      lua_rawgetp(L, LUA_REGISTRYINDEX, &chunk_key);
    } else {
      lua_pushglobaltable(L);
      lua_pushstring(L, function);
      lua_rawget(L, -2);  // raw: a metatable on _G must not run here
      lua_remove(L, -2);
    }
    if (lua_type(L, -1) != LUA_TFUNCTION) {
      missing = true;
      return;
    }
    lua_State* co = spare_;
    if (co == nullptr) {
      co = lua_newthread(L);  // inherits the count hook
      lua_rawsetp(L, LUA_REGISTRYINDEX, &thread_key);
    }
    spare_ = nullptr;
    thread_ = co;
    nargs = push_args(L);
    if (!lua_checkstack(co, nargs + 1)) luaL_error(L, "stack overflow");
    lua_xmove(L, co, nargs + 1);
  });
  if (err) {
    release_thread();
    return StepResult::failed(std::string(function_name(static_cast<int>(entry))) + ": " + *err,
                              meter_->refused_allocation() ? StepResult::Fault::memory : StepResult::Fault::runtime);
  }
  if (missing) {
    return missing_function(entry, push_args);
  }
  return run(nargs);
}

StepResult LuaSandbox::missing_function(Entry entry, const Pusher& push_args) {
  std::optional<std::string> err;
  switch (entry) {
    case Entry::init:  // no init: the state starts as an empty table
      err = protect([](lua_State* L) {
        lua_newtable(L);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &state_key);
      });
      break;
    case Entry::code_change:  // no code_change: the old state carries over as is
      err = protect([&](lua_State* L) {
        const int n = push_args(L);
        lua_pop(L, n - 1);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &state_key);
      });
      break;
    case Entry::call: break;  // start_call's body finds it missing (complete_call)
    case Entry::cast: return StepResult::failed("service does not define handle_cast");
    case Entry::load:
    case Entry::info:  // timers and notices are optional for a service
    case Entry::terminate: break;
  }
  if (err) return StepResult::failed(*err, StepResult::Fault::memory);
  return StepResult::done();
}

// Before Lua runs again: the read cache of solo.storage.get is emptied when
// the storage changed since Lua last ran (lua_storage_library.hpp).
void LuaSandbox::sync_storage_cache() {
  if (!storage_opened_ || host_ == nullptr) return;  // a service without storage pays one test
  const std::uint64_t version = host_->storage_version();
  if (version == storage_seen_) return;
  storage_seen_ = version;
  // A service that writes and does not read (or reads only what it wrote
  // since) has nothing cached: no protected call on each of its messages.
  if (!storage_cache_filled_) return;
  storage_cache_filled_ = false;
  protect([](lua_State* L) { forget_storage_cache(L); });
}

StepResult LuaSandbox::run(int nargs) {
  meter_->resume_metering(thread_);
  int nresults = 0;
  const int status = lua_resume(thread_, L_, nargs, &nresults);
  meter_->pause();
  return finish(status, nresults);
}

StepResult LuaSandbox::finish(int status, int nresults) {
  if (meter_->exhausted() || (status != LUA_OK && status != LUA_YIELD)) return fail(status);
  if (status == LUA_YIELD) {
    if (meter_->preempted()) {
      return StepResult::preempted(std::max(meter_->last_slice() - LuaMeter::slice, std::chrono::nanoseconds{0}));
    }
    if (pending_) {
      PendingCall call = std::move(*pending_);
      pending_.reset();
      return StepResult::waiting(std::move(call));
    }
    release_thread();
    return StepResult::failed(std::string(function_name(static_cast<int>(entry_))) +
                              ": coroutine.yield outside a coroutine (a handler waits on other services with solo.call)");
  }
  return entry_ == Entry::call ? complete_call() : complete(nresults);
}

StepResult LuaSandbox::complete(int nresults) {
  const std::string name = function_name(static_cast<int>(entry_));
  std::optional<std::string> contract;
  auto commit_state = [](lua_State* L, int idx) {
    lua_pushvalue(L, idx);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &state_key);
  };
  auto err = protect([&](lua_State* L) {
    luaL_checkstack(L, nresults + 4, "too many results");
    lua_xmove(thread_, L, nresults);
    const int base = lua_gettop(L) - nresults;
    switch (entry_) {
      case Entry::load:
      case Entry::terminate: break;
      case Entry::init:
      case Entry::cast:
      case Entry::info:
      case Entry::code_change:
        if (nresults < 1) {
          contract = name + " must return the new state";
        } else {
          commit_state(L, base + 1);
        }
        break;
      case Entry::call: break;  // call_returned did it, on the step's thread
    }
  });
  if (err) {
    release_thread();
    return StepResult::failed(name + ": " + *err, StepResult::Fault::memory);
  }
  keep_thread();
  if (contract) return StepResult::failed(*contract);
  return StepResult::done();
}

StepResult LuaSandbox::fail(int status) {
  std::string message = error_text(thread_, -1);
  auto fault = StepResult::Fault::runtime;
  if (meter_->limit_hit() == LuaMeter::Limit::instructions) {
    fault = StepResult::Fault::instructions;
    message = location(thread_) + LuaMeter::budget_message + " (" +
              std::to_string(limits_.instructions_per_message) + " instructions per message)";
  } else if (meter_->limit_hit() == LuaMeter::Limit::cpu_time) {
    fault = StepResult::Fault::cpu_time;
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(meter_->cpu_budget()).count();
    message = location(thread_) + LuaMeter::cpu_message + " (" + std::to_string(ms) +
              (unsliced_entry(entry_) ? " ms for a service's top level and terminate)" : " ms per message)");
  } else if (status == LUA_ERRMEM && meter_->refused_string()) {
    fault = StepResult::Fault::memory;
    message = location(thread_) + "string too large (the limit is " + std::to_string(meter_->string_cap()) +
              " bytes, string_bytes)";
  } else if (status == LUA_ERRMEM) {
    fault = StepResult::Fault::memory;
    message = location(thread_) + "not enough memory (the limit is " + std::to_string(limits_.memory_bytes) +
              " bytes)";
  }
  release_thread();
  if (fault != StepResult::Fault::runtime) {
    // Give the garbage of the failed message back now; bounded by the cap.
    lua_gc(L_, LUA_GCCOLLECT, 0);
  }
  return StepResult::failed(std::move(message), fault);
}

void LuaSandbox::keep_thread() {
  lua_settop(thread_, 0);
  spare_ = thread_;
  thread_ = nullptr;
  pending_.reset();
}

void LuaSandbox::release_thread() {
  if (thread_ == nullptr) return;
  thread_ = nullptr;
  spare_ = nullptr;
  pending_.reset();
  protect([](lua_State* L) {
    lua_pushnil(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &thread_key);
  });
}

std::optional<std::string> LuaSandbox::why_no_call(lua_State* L) const {
  if (entry_ == Entry::load) return "not available while the service loads";
  if (L != thread_) return "not allowed inside a coroutine (call it from the handler itself)";
  return std::nullopt;
}

// ---- state and inspection -----------------------------------------------------------

LuaJsonResult LuaSandbox::export_state() {
  LuaJsonResult result;
  if (auto err = protect([&](lua_State* L) {
        lua_rawgetp(L, LUA_REGISTRYINDEX, &state_key);
        result = to_json(L, -1);
      })) {
    result.value = nullptr;
    result.error = *err;
  }
  if (!result.ok()) result.error = "state " + result.error;
  return result;
}

std::optional<std::string> LuaSandbox::import_state(const json::value& state) {
  return protect([&](lua_State* L) {
    push_json(L, state);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &state_key);
  });
}

bool LuaSandbox::has_function(std::string_view name) const {
  bool found = false;
  protect([&](lua_State* L) {
    lua_pushglobaltable(L);
    lua_pushlstring(L, name.data(), name.size());
    found = lua_rawget(L, -2) == LUA_TFUNCTION;
  });
  return found;
}

}  // namespace solo
