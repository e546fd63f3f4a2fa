// LuaLimits: the per-service resource limits of a Lua sandbox (docs/services.md,
// "The sandbox and its limits"). Deploy may lower or raise each within the server's maximums;
// the sandbox enforces memory and instructions, the service actor enforces the
// mailbox and the caller's wall time.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace solo {

struct LuaLimits {
  // The allocator refuses to grow the Lua heap past this; Lua then raises
  // "not enough memory", which crashes the service only.
  std::size_t memory_bytes = 16u << 20;
  // Engine time one message may use (all its slices and resumes together;
  // waiting in solo.call does not count), by the monotonic clock. Past it
  // the message fails with "cpu time limit exceeded". Like the CPU limit of
  // other edge runtimes.
  std::chrono::milliseconds cpu_time_per_message{50};
  // VM instructions one message may run, a deterministic cap beside the
  // clock. C work (allocation, each C function's up-front cost) is charged
  // against the same budget. A tight Lua loop runs ~400-500M instructions/s
  // on the CI machine, so the default of 100M (~200 ms) sits well above the
  // time budget: by default time is what binds.
  std::uint64_t instructions_per_message = 100'000'000;
  // Queued messages before a call or cast is refused as "overloaded".
  std::size_t mailbox = 1000;
  // Wall time a caller waits for a reply (also the cap of solo.call's timeout).
  std::chrono::milliseconds call_timeout{5000};
  // The largest value that leaves the sandbox, counted as serialized JSON
  // bytes: a handle_call reply and the messages of solo.cast, solo.call,
  // solo.after and solo.emit. These live outside the Lua heap, so without a
  // cap a small heap could produce a huge value (one string referenced many
  // times). Encoding stops as soon as the running size passes the cap.
  std::size_t payload_bytes = 1u << 20;
  // The longest string a service can make (LuaMeter refuses the allocation:
  // "string too large"). What one VM instruction does to a string (`<` walks
  // two of them, `..` copies) grows with its length and cannot be
  // interrupted: at 1 MiB the slowest, `<` on two strings of NUL bytes, is
  // ~5-10 ms on the CI machine.
  std::size_t string_bytes = 1u << 20;
  // solo.storage (engine/storage/): what the service's durable data may
  // hold, bytes (each key's length plus its value's JSON length) and keys.
  // Not the sandbox's to enforce: the StorageDirectory checks every write.
  std::uint64_t storage_bytes = 4u << 20;
  std::uint64_t storage_keys = 10'000;
};

}  // namespace solo
