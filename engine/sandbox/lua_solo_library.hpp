// The `solo` table: the service's capabilities (log, emit, after, cancel,
// call, cast, secret, now, json, storage (lua_storage_library.hpp), null,
// and the facts), plus a global print that logs at "info". Each function
// converts its arguments with lua_json, charges the conversion to the meter,
// and calls the LuaHost.
//
// solo.call yields the handler's thread (lua_yieldk with a continuation): the
// sandbox returns a PendingCall to the actor, which resumes with the reply
// (solo.call returns it) or an error (solo.call raises it, catchable with
// pcall). Only the handler's own thread can reach the host this way: from a
// coroutine of the service the yield would land in the service's own
// coroutine.resume, so there solo.call raises a clear error instead.
#pragma once

#include "engine/sandbox/lua_host.hpp"
#include "engine/sandbox/lua_limits.hpp"

#include <lua.hpp>

#include <optional>
#include <string>

namespace solo {

// What the solo table needs from its sandbox.
class LuaSoloContext {
 public:
  virtual LuaHost* host() = 0;  // may be null: host calls then raise
  virtual const LuaFacts& facts() const = 0;
  virtual const LuaLimits& limits() const = 0;
  // Why thread L may not yield a solo.call now, or nullopt if it may.
  virtual std::optional<std::string> why_no_call(lua_State* L) const = 0;
  // Records the call the handler is about to yield for.
  virtual void set_pending_call(PendingCall call) = 0;
  // solo.storage was opened in this state: from now on its read cache must
  // be kept in step with the host's storage (lua_storage_library.hpp).
  virtual void storage_opened() = 0;
  // solo.storage.get put a value into the read cache: the cache has
  // something a storage change must make it forget.
  virtual void storage_cache_filled() = 0;

 protected:
  ~LuaSoloContext() = default;
};

// Installs `solo` (read-only) and `print` into L's globals. Raises Lua
// errors: call in protected mode. `context` must outlive L.
void open_solo_library(lua_State* L, LuaSoloContext& context);

}  // namespace solo
