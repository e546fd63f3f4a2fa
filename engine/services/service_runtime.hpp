// ServiceRuntime: one incarnation of a service's code — a Lua sandbox or a
// native service object — behind the step interface the actor drives.
// Every entry point returns a StepResult (done / waiting in solo.call /
// preempted at the end of a slice / error); only Lua services ever wait or
// are preempted (native handlers are synchronous, trusted code).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <boost/json/value.hpp>

#include "engine/sandbox/lua_sandbox.hpp"
#include "engine/services/native_service.hpp"
#include "engine/services/service_spec.hpp"

namespace solo {

class ServiceRuntime {
 public:
  virtual ~ServiceRuntime() = default;
  virtual StepResult init(boost::json::value config) = 0;
  virtual StepResult call(boost::json::value msg) = 0;
  virtual StepResult cast(boost::json::value msg) = 0;
  virtual StepResult info(boost::json::value msg) = 0;
  virtual StepResult code_change(boost::json::value old_state, int64_t old_version) = 0;
  virtual StepResult terminate(std::string reason) = 0;
  virtual StepResult resume(boost::json::value reply_or_error, bool is_error) = 0;
  // Continues a step that was preempted at the end of its slice.
  virtual StepResult continue_step() = 0;
  // The state as JSON (hot swap, rollback); error text when it cannot be encoded.
  virtual LuaJsonResult export_state() = 0;
  virtual std::optional<std::string> import_state(const boost::json::value& state) = 0;
  virtual size_t memory_bytes() const = 0;
  virtual uint64_t reductions() const = 0;
  // Engine time the handlers of this runtime have used.
  virtual std::chrono::nanoseconds cpu_time() const = 0;
};

// The host both kinds of runtime call back into (the service actor).
class ServiceHost : public LuaHost, public NativeContext {};

// Builds the runtime for spec (compiles Lua; instantiates the native type).
// Throws an Error of kind invalid: LuaCompileError / LuaLoadError when the
// code does not compile or its top level fails, SpecError when the native
// type is unknown. `compiled`: the spec's code already compiled
// (LuaSandbox::compile, on recovery's worker); only its top level runs here.
std::unique_ptr<ServiceRuntime> make_service_runtime(const ServiceSpec& spec, ServiceHost* host,
                                                     const NativeServiceTypes& native_types,
                                                     std::unique_ptr<LuaSandbox> compiled = nullptr);

// Validates code without starting anything; throws as make_service_runtime
// does (LuaCompileError, SpecError: kind invalid).
void check_service_code(const ServiceSpec& spec, const NativeServiceTypes& native_types);

}  // namespace solo
