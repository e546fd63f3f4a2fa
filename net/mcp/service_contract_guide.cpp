// The service-contract guide (service_contract_guide.hpp). The prose says
// what docs/services.md says, shortened for a model; the numbers come from
// LuaLimits' defaults and the examples from examples/.
#include "net/mcp/service_contract_guide.hpp"

#include <string>

#include "engine/sandbox/lua_limits.hpp"

namespace solo::net::mcp {

namespace {

std::string limits_table() {
  const LuaLimits defaults;
  auto n = [](auto value) { return std::to_string(value); };
  std::string out =
      "| limit (deploy \"limits\") | default | past it |\n"
      "|---|---|---|\n";
  out += "| memory_bytes | " + n(defaults.memory_bytes) +
         " | \"not enough memory\": the service crashes and restarts |\n";
  out += "| cpu_ms_per_message | " + n(defaults.cpu_time_per_message.count()) +
         " | \"cpu time limit exceeded\": the caller gets service_error, the service restarts |\n";
  out += "| instructions_per_message | " + n(defaults.instructions_per_message) +
         " | \"instruction budget exceeded\": as above |\n";
  out += "| mailbox | " + n(defaults.mailbox) + " | calls and casts are refused with overloaded (nothing queued) |\n";
  out += "| call_timeout_ms | " + n(defaults.call_timeout.count()) + " | the caller gets timeout |\n";
  out += "| payload_bytes | " + n(defaults.payload_bytes) +
         " | a reply larger than this as JSON fails that call (service_error); a larger solo.cast/call/after/emit "
         "message is a Lua error |\n";
  out += "| string_bytes | " + n(defaults.string_bytes) + " | \"string too large\" (a memory error) |\n";
  out += "| storage_bytes | " + n(defaults.storage_bytes) +
         " | solo.storage.put raises \"storage quota ... exceeded\"; nothing written |\n";
  out += "| storage_keys | " + n(defaults.storage_keys) + " | as above |\n";
  return out;
}

constexpr std::string_view kContract = R"(# Writing a Solo service

A service is Lua 5.4 code that Solo runs as an actor: it starts with a state,
handles one message at a time, and can be hot-swapped (swap_code), killed,
crashed and restarted. Deploy it with the tool deploy_service
{"service_id", "code"}, then call it with call_service {"service_id", "message"}.

## The contract

Define global functions (only handle_call is required):

```lua
function init(config) return { count = config.start or 0 } end  -- once per start; returns the state
function handle_call(msg, state) return reply, state end          -- MUST return two values: reply, new state
function handle_cast(msg, state) return state end                 -- fire and forget; returns the new state
function handle_info(msg, state) return state end                 -- timers from solo.after
function code_change(old_state, old_version) return old_state end -- hot swap: migrate the state
function terminate(reason, state) end                             -- kill / shutdown
```

- `config` is the deploy's "config" (an empty table when none was given).
- Messages map JSON to Lua: objects become tables with string keys, arrays
  sequences, null is `solo.null`; integers stay integers. The reply is
  encoded back to JSON: no functions, cycles, NaN or math.huge.
- `error("...")` in a handler fails that call (the caller gets
  service_error with the message and line), and the service crashes and
  restarts through init (state is lost unless kept in solo.storage).
- Keep the top level (code outside functions) small: it has 5 ms; heavy
  set-up belongs in init.

## The solo table

| call | does |
|---|---|
| `solo.log(level, ...)` | a log line (debug, info, warn, error); `print` logs at info. Read them with get_logs |
| `solo.emit(kind, payload)` | a service_event in the durable event log (get_events) |
| `solo.after(ms, msg)` -> id, `solo.cancel(id)` | a timer: `msg` arrives in handle_info (at most 1000 pending) |
| `solo.call(id, msg [, timeout_ms])` -> reply | call another service of the same tenant (not itself) |
| `solo.cast(id, msg)` | cast to another service of the same tenant |
| `solo.secret(name)` | a tenant secret bound at deploy ("secrets": [name]), else nil |
| `solo.now()`, `solo.tenant_id`, `solo.service_id`, `solo.version` | facts |
| `solo.json.encode(v)`, `solo.json.decode(s)` | JSON |
| `solo.storage.get(key)` | the stored value, or nil |
| `solo.storage.put(key, value)` | durable write (key 1-1024 bytes of UTF-8, value any JSON up to 131072 bytes as JSON, not nil) |
| `solo.storage.delete(key)` | true if the key was there |
| `solo.storage.list{prefix=, start_after=, limit=}` | array of {key=, value=} in key byte order, at most limit (default 100, 1-1000) |

solo.storage belongs to the (tenant, service id) pair: it survives crashes,
restarts, hot swaps and a kill without purge. A message's writes become
durable together when the message ends; its reply waits for that.

## The sandbox

Available: the base library (no dofile/loadfile; load takes text only),
string (no dump), table, math, utf8, coroutine, os.time, os.clock, os.date.
Not available: io, the rest of os, debug, package, require. No files, no
network: talk to the outside only through replies, solo.emit and solo.log.

Default limits per service (a deploy may ask for less, or more up to the
tenant's quota):

)";

constexpr std::string_view kExamples = R"(
Code of at most 524288 bytes per deploy or swap.

## Common mistakes

- handle_call returning one value: it must return `reply, state`.
- Keeping data only in `state`: a crash restarts through init and loses it;
  use solo.storage for what must last.
- Unbounded loops or tables: the cpu and memory limits crash the service.

## Example: a counter (state in memory)

```lua
)";

constexpr std::string_view kKvHeading = R"(```

## Example: a key-value store (data in solo.storage)

```lua
)";

}  // namespace

std::string_view service_contract_guide() {
  static const std::string guide = std::string(kContract) + limits_table() + std::string(kExamples) +
                                   std::string(example_counter_lua()) + std::string(kKvHeading) +
                                   std::string(example_kv_lua()) + "```\n";
  return guide;
}

}  // namespace solo::net::mcp
