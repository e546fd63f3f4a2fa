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
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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
  // solo.storage (docs/services.md, "Storage"): the service's durable data,
  // a sorted map of string keys to JSON values. Values cross this interface
  // as JSON text. The sandbox checks the key (1..kStorageKeyMax bytes of
  // UTF-8) and the value's encoded size (<= kStorageValueMax) before it
  // calls; the host checks again and enforces the service's and tenant's
  // storage quotas (an exception: a Lua error for the handler, nothing
  // written). Writes are seen at once by this service's later reads; they
  // become durable with the message (the actor's output gate).
  // The value's JSON text, or nullptr; valid until the next storage call.
  // A host without storage (a bare sandbox in tests, a tool) refuses each
  // call with that message: a Lua error for the handler.
  virtual const std::string* storage_get(std::string_view key);
  virtual void storage_put(std::string_view key, std::string value_json);
  // True when the key was there.
  virtual bool storage_delete(std::string_view key);
  // Keys in byte order that start with `prefix` and sort after
  // `start_after` ("" = from the first), at most `limit` (the sandbox caps
  // it at kStorageListMax), with their JSON text.
  virtual std::vector<std::pair<std::string, std::string>> storage_list(std::string_view prefix,
                                                                        std::string_view start_after,
                                                                        std::size_t limit);
  // A number that moves whenever the storage's data changes, whoever wrote
  // (this service, an operator, a failed commit's undo); 0 while the service
  // has not used its storage. The sandbox drops its read cache of
  // solo.storage.get when it moved (lua_storage_library.hpp).
  virtual std::uint64_t storage_version() { return 0; }
  // solo.call is not here: it is asynchronous. The handler yields a
  // PendingCall (see StepResult), the actor performs it and resumes the
  // sandbox with the reply or the error.
};

// solo.storage's limits (the host enforces them again for every writer).
inline constexpr std::size_t kStorageKeyMax = 1024;          // bytes of a key
inline constexpr std::size_t kStorageValueMax = 128u << 10;  // bytes of a value's JSON text
inline constexpr std::size_t kStorageListMax = 1000;         // entries one list returns

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
