// Native services: C++ service types that an embedding program registers by
// name and deploys with {"format": "native", "code": "<name>"}. They live the
// same life as Lua services (mailbox, supervision, restarts, events,
// recovery); Lua-only limits (memory cap, instruction budget) do not apply.
//
// A handler that throws crashes the service, exactly as a Lua error does.
// Handlers run on the engine thread: they must not block.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

namespace solo {

// What a native service may do, mirroring the Lua `solo` table.
class NativeContext {
 public:
  virtual ~NativeContext() = default;
  virtual void log(std::string_view level, std::string_view line) = 0;
  virtual void emit(std::string_view kind, boost::json::value payload) = 0;
  virtual int64_t after(int64_t ms, boost::json::value msg) = 0;
  virtual bool cancel(int64_t timer_id) = 0;
  virtual void cast(std::string_view service_id, boost::json::value msg) = 0;
  virtual std::optional<std::string> secret(std::string_view name) = 0;
  virtual const std::string& tenant_id() const = 0;
  virtual const std::string& service_id() const = 0;
};

class NativeService {
 public:
  virtual ~NativeService() = default;
  virtual void init(const boost::json::value& config, NativeContext& context) {}
  virtual boost::json::value handle_call(const boost::json::value& msg, NativeContext& context) = 0;
  virtual void handle_cast(const boost::json::value& msg, NativeContext& context) {}
  virtual void handle_info(const boost::json::value& msg, NativeContext& context) {}
  virtual void terminate(std::string_view reason, NativeContext& context) {}
  // Hot swap between native types: the old state out, into the new one.
  virtual boost::json::value export_state() { return nullptr; }
  virtual void import_state(const boost::json::value& state, int64_t old_version) {}
};

using NativeServiceFactory = std::function<std::unique_ptr<NativeService>()>;

// The registered native types. Register before boot; engine thread only after.
class NativeServiceTypes {
 public:
  void add(std::string name, NativeServiceFactory factory) { types_[std::move(name)] = std::move(factory); }
  const NativeServiceFactory* find(const std::string& name) const {
    auto it = types_.find(name);
    return it == types_.end() ? nullptr : &it->second;
  }

 private:
  std::map<std::string, NativeServiceFactory> types_;
};

}  // namespace solo
