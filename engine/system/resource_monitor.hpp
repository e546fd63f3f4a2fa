// ResourceMonitor: the watch on the process's own resources. Every period
// it samples the process's resident memory, open file descriptors and the
// total Lua heap (through a provider the services layer installs) against
// configured limits, and appends a `resource_warning` event when a figure
// crosses 80 % or 90 % of its limit (once per crossing, re-armed when the
// figure falls back below 80 %).
//
// Engine thread only. Sampling reads two small /proc files; that is a few
// microseconds, not disk I/O.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>

namespace solo {

class EventStore;
class ChildContext;
class Telemetry;

struct ResourceLimits {
  uint64_t memory_bytes = 4ull << 30;
  uint64_t open_files = 4096;
  uint64_t lua_heap_bytes = 2ull << 30;
  std::chrono::milliseconds period{1000};
};

struct ResourceSample {
  uint64_t rss_bytes = 0;
  uint64_t open_files = 0;
  uint64_t lua_heap_bytes = 0;
};

class ResourceMonitor {
 public:
  ResourceMonitor(std::shared_ptr<EventStore> store, ResourceLimits limits);

  void set_lua_heap_provider(std::function<uint64_t()> provider) { lua_heap_ = std::move(provider); }
  ResourceSample sample() const;
  const ResourceSample& last() const { return last_; }
  void register_metrics(Telemetry& telemetry);

  // The supervised child: samples until cancelled.
  static boost::asio::awaitable<void> run(std::shared_ptr<ResourceMonitor> self, ChildContext context);

  // One sampling step (public for tests): returns the warnings it appended.
  int check_once();

 private:
  int check(const std::string& resource, uint64_t value, uint64_t limit);

  std::shared_ptr<EventStore> store_;
  ResourceLimits limits_;
  std::function<uint64_t()> lua_heap_;
  ResourceSample last_;
  std::map<std::string, int> level_;  // resource -> 0, 80 or 90: the last level warned about
};

}  // namespace solo
