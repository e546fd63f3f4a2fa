// LuaHost: the capabilities a Lua service reaches through the `solo` table,
// implemented by the service actor that owns the sandbox. A service gets
// capabilities, never globals: everything outside its own heap goes through
// this interface (docs/services.md, "The `solo` table").
//
// Threading: every member is called on the engine thread, from inside a
// running handler; implementations must not re-enter the sandbox. An
// exception thrown by an implementation becomes a Lua error in the handler.
#pragma once

#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace solo {

struct LuaHost {
  virtual ~LuaHost() = default;
  // `level` is one of debug, info, warn, error (checked by the sandbox).
  virtual void log(std::string_view level, std::string_view line) = 0;
  virtual void emit(std::string_view kind, boost::json::value payload) = 0;
  // A timer whose `msg` arrives in handle_info after `ms`; returns its id.
  virtual std::int64_t after(std::int64_t ms, boost::json::value msg) = 0;
  virtual bool cancel(std::int64_t timer_id) = 0;
  virtual void cast(std::string_view service_id, boost::json::value msg) = 0;
  // Only secrets bound at deploy; nullopt otherwise.
  virtual std::optional<std::string> secret(std::string_view name) = 0;
  // solo.call is not here: it is asynchronous. The handler yields a
  // PendingCall (see StepResult), the actor performs it and resumes the
  // sandbox with the reply or the error.
};

// Facts about the service, visible as solo.tenant_id, solo.service_id, solo.version.
struct LuaFacts {
  std::string tenant_id;
  std::string service_id;
  std::int64_t version = 1;
};

// A solo.call the handler is waiting on.
struct PendingCall {
  std::string service_id;
  boost::json::value msg;
  std::chrono::milliseconds timeout{0};  // already capped at LuaLimits::call_timeout
};

}  // namespace solo
