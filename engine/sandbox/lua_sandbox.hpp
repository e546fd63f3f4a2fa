// LuaSandbox: one Lua service's isolated interpreter. One lua_State per
// service, with its own capped allocator and instruction budget (LuaMeter),
// the allow-listed environment (lua_environment.hpp) and the `solo` table
// (lua_solo_library.hpp).
//
// Execution model. Each entry point (init, handle_call, ...) runs the named
// global function in a fresh Lua thread with a fresh instruction budget and
// returns a StepResult:
//   done   the function returned; for handle_call `reply` holds its reply
//   call   the function is waiting in solo.call: the actor performs
//          `call` and then calls resume() with the reply or an error; the
//          budget of the message continues across resumes
//   preempted  the step used its slice (LuaMeter::slice) and gives the
//          engine back; the actor calls continue_step() once everything
//          else that is ready has run. Only preemptible sandboxes (the
//          service actor's) are sliced; for others a step runs to its end.
//   error  the function raised, ran out of budget or memory, or returned
//          something the contract does not allow; `error` names the line.
//          The registry keeps the previous state value (but a handler that
//          mutated the state table in place before failing has changed it:
//          tables are references; export_state() before the message is the
//          strict snapshot). Whether the service crashes is the caller's
//          decision; the sandbox stays usable (terminate, inspection, the
//          next message).
//
// State. The service state is a Lua value kept in the registry between
// messages (not JSON, so it may hold anything Lua can). export_state() and
// import_state() move it as JSON for hot swap across two sandboxes and for
// rollback; a state that cannot be encoded is an error there.
//
// Threading: not thread-safe; owned and used by one service actor on the
// engine thread (only compile() may run elsewhere, see below). The LuaHost
// must outlive the sandbox.
#pragma once

#include "engine/sandbox/lua_host.hpp"
#include "engine/sandbox/lua_json.hpp"
#include "engine/sandbox/lua_limits.hpp"
#include "engine/sandbox/lua_meter.hpp"
#include "engine/sandbox/lua_solo_library.hpp"

#include <boost/json/value.hpp>
#include <lua.hpp>

#include "base/error.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace solo {

// The code cannot become a service (kind invalid). It travels as it is, from
// the sandbox to the client's 400: nothing on the way re-words it.
class LuaError : public Error {
 public:
  explicit LuaError(const std::string& message) : Error(ErrorKind::invalid, message) {}
};
// The code does not compile; what() names the line, e.g.
// [string "service"]:3: '=' expected near 'x'
class LuaCompileError : public LuaError {
 public:
  using LuaError::LuaError;
};
// The code compiled but its top level raised (or ran out of budget) while loading.
class LuaLoadError : public LuaError {
 public:
  using LuaError::LuaError;
};

struct StepResult {
  enum class Kind { done, call, preempted, error };
  // Why a step failed: lets the actor report resource_violation events.
  // `reply`: handle_call returned a reply that cannot be encoded as JSON
  // (a function, a cycle, NaN/inf, past LuaLimits::payload_bytes): that call
  // fails, the service does not (the handler finished: its new state is kept).
  enum class Fault { none, runtime, instructions, cpu_time, memory, reply };

  Kind kind = Kind::done;
  boost::json::value reply;  // done: handle_call's reply; null otherwise
  PendingCall call;          // call: what to perform before resume()
  std::string error;         // error: the message, with the Lua location when known
  Fault fault = Fault::none;
  // preempted: how far the slice ran past LuaMeter::slice (one C call or
  // one slow instruction cannot be cut short). The actor lets everything
  // else run for that long before it continues the step, so that a message
  // made of long uninterruptible pieces gets no more of the engine than one
  // made of short ones.
  std::chrono::nanoseconds overrun{0};

  bool is_done() const { return kind == Kind::done; }
  bool is_call() const { return kind == Kind::call; }
  bool is_preempted() const { return kind == Kind::preempted; }
  bool is_error() const { return kind == Kind::error; }

  static StepResult done(boost::json::value reply = nullptr);
  static StepResult failed(std::string error, Fault fault = Fault::runtime);
  static StepResult waiting(PendingCall call);
  static StepResult preempted(std::chrono::nanoseconds overrun);
};

// "none", "runtime", "instructions", "cpu_time", "memory", "reply": for logs and event payloads.
const char* to_string(StepResult::Fault fault);
std::ostream& operator<<(std::ostream& out, StepResult::Fault fault);

class LuaSandbox final : private LuaSoloContext {
 public:
  // The most engine time a step that cannot be sliced (the top level,
  // terminate) may take, whatever the service's CPU time per message.
  static constexpr std::chrono::milliseconds unsliced_cpu_limit{5};

  // Compiles (text only) and runs the top level of `code` within the budget.
  // Throws LuaCompileError on a syntax error, LuaLoadError if the top level
  // fails. `host` may be null (tests, validation); host calls then raise.
  static std::unique_ptr<LuaSandbox> create(std::string_view code, LuaLimits limits, LuaFacts facts,
                                            LuaHost* host);
  // create() in its two parts, so that the first may run on another thread
  // (recovery builds the states on a worker: recovery/sandbox_preparer.hpp).
  // compile() makes the state, its environment and the compiled chunk: no
  // service code runs and nothing outside the new sandbox is touched, so any
  // thread may call it; the sandbox then moves to the engine thread, where
  // run_top_level() runs the chunk with the host its code calls. Throw as
  // create() does (compile: LuaCompileError; top level: LuaLoadError).
  static std::unique_ptr<LuaSandbox> compile(std::string_view code, LuaLimits limits, LuaFacts facts);
  void run_top_level(LuaHost* host);
  // Validates code without keeping a state (deploy and swap validation):
  // the compile error, or nullopt. What compiles is kept in the tenant's
  // LuaChunkCache, so the sandbox made next loads it rather than compiling
  // it again; code found there compiled before.
  static std::optional<std::string> check_compiles(std::string_view tenant, std::string_view code,
                                                   const LuaLimits& limits);

  ~LuaSandbox();
  LuaSandbox(const LuaSandbox&) = delete;
  LuaSandbox& operator=(const LuaSandbox&) = delete;

  // Entry points. Starting one while another waits in solo.call abandons the
  // waiting one (its thread is dropped; the state keeps its last committed value).
  StepResult start_init(boost::json::value config);  // init(config) -> state; no init: {}
  StepResult start_call(boost::json::value msg);     // handle_call(msg, state) -> reply, state
  StepResult start_cast(boost::json::value msg);     // handle_cast(msg, state) -> state
  StepResult start_info(boost::json::value msg);     // handle_info(msg, state) -> state; none: ignored
  // code_change(old_state, old_version) -> state; none: the old state as is.
  StepResult start_code_change(boost::json::value old_state, std::int64_t old_version);
  StepResult start_terminate(std::string reason);   // terminate(reason, state); none: done
  // Continues the step waiting in solo.call: it returns `reply_or_error`, or
  // raises it (a string message) in Lua if `is_error`.
  StepResult resume(boost::json::value reply_or_error, bool is_error);
  // Continues a step that was preempted at the end of its slice.
  StepResult continue_step();
  bool waiting() const { return thread_ != nullptr; }
  // Whether message steps are sliced (the service actor turns this on; a
  // sandbox driven synchronously, as in tests, runs each step to its end).
  void set_preemptible(bool preemptible) { preemptible_ = preemptible; }

  // The state as JSON (hot swap, rollback); error if it cannot be encoded.
  LuaJsonResult export_state();
  // Replaces the state; the error message, or nullopt.
  std::optional<std::string> import_state(const boost::json::value& state);

  std::size_t memory_bytes() const { return meter_->bytes(); }
  std::uint64_t reductions() const { return meter_->reductions(); }
  std::chrono::nanoseconds cpu_time() const { return meter_->cpu_total(); }
  bool has_function(std::string_view name) const;
  const LuaLimits& limits() const override { return limits_; }
  const LuaFacts& facts() const override { return facts_; }

 private:
  enum class Entry { load, init, call, cast, info, code_change, terminate };
  using Pusher = std::function<int(lua_State*)>;  // pushes the arguments, returns their count

  LuaSandbox(LuaLimits limits, LuaFacts facts, LuaHost* host);

  // Runs f(L_) under lua_pcall: Lua errors and C++ exceptions become the message.
  // A template (defined in lua_sandbox.cpp, its only user) so that a step's
  // closures are not copied into a std::function on every message.
  template <class F>
  std::optional<std::string> protect(F&& f) const;
  StepResult start(Entry entry, const char* function, const Pusher& push_args);
  StepResult run(int nargs);
  void sync_storage_cache();
  static bool unsliced_entry(Entry entry) { return entry == Entry::load || entry == Entry::terminate; }
  bool sliced(Entry entry) const { return preemptible_ && !unsliced_entry(entry); }
  StepResult finish(int status, int nresults);
  StepResult complete(int nresults);
  // handle_call runs whole on the step's thread (see start_call): its body,
  // the handler's return (a lua_callk continuation), and the step's result.
  static int call_body(lua_State* co);
  static int call_returned(lua_State* co, int status, lua_KContext ctx);
  StepResult complete_call();
  StepResult fail(int status);
  StepResult missing_function(Entry entry, const Pusher& push_args);
  void release_thread();
  // The step's thread finished: keep it for the next step (see spare_).
  void keep_thread();

  // LuaSoloContext
  LuaHost* host() override { return host_; }
  std::optional<std::string> why_no_call(lua_State* L) const override;
  void set_pending_call(PendingCall call) override { pending_ = std::move(call); }
  void storage_opened() override { storage_opened_ = true; }
  void storage_cache_filled() override { storage_cache_filled_ = true; }

  LuaLimits limits_;
  LuaFacts facts_;
  LuaHost* host_;
  std::uint64_t storage_seen_ = 0;  // the host's storage_version() when Lua last ran
  bool storage_opened_ = false;     // solo.storage (and its read cache) exists in this state
  bool storage_cache_filled_ = false;  // the read cache may hold values (emptied when false)
  std::unique_ptr<LuaMeter> meter_;  // outlives L_: the allocator points at it
  lua_State* L_ = nullptr;
  // The step in progress (running or waiting in solo.call).
  Entry entry_ = Entry::load;
  lua_State* thread_ = nullptr;  // kept alive by a registry reference
  // A thread whose last step returned (status ok, empty stack), held by the
  // same registry reference: the next step runs on it instead of a new one
  // (a lua_newthread and its garbage per message). A thread that failed,
  // yielded outside a solo.call or was abandoned is dropped, never reused.
  lua_State* spare_ = nullptr;
  std::optional<PendingCall> pending_;
  bool preemptible_ = false;
  // What call_body and call_returned hand the host, for the call step in
  // progress (entry_ call).
  struct CallStep {
    const boost::json::value* msg = nullptr;  // until the body has converted it
    boost::json::value reply;                 // encoded by call_returned
    std::string contract;                     // the contract the handler broke; empty: none
    StepResult::Fault contract_fault = StepResult::Fault::runtime;
    bool missing = false;                     // no handle_call
  } call_;
};

}  // namespace solo
