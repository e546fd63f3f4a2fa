#include "engine/system/resource_monitor.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/prometheus.hpp"
#include "engine/supervision/child_context.hpp"
#include "engine/telemetry/telemetry.hpp"
#include "stores/event_store.hpp"

namespace solo {

ResourceMonitor::ResourceMonitor(std::shared_ptr<EventStore> store, ResourceLimits limits)
    : store_(std::move(store)), limits_(limits) {}

ResourceSample ResourceMonitor::sample() const {
  ResourceSample sample;
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  if (statm >> size >> resident) sample.rss_bytes = resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++sample.open_files;
  }
  if (lua_heap_) sample.lua_heap_bytes = lua_heap_();
  return sample;
}

int ResourceMonitor::check(const std::string& resource, uint64_t value, uint64_t limit) {
  if (limit == 0) return 0;
  double ratio = static_cast<double>(value) / static_cast<double>(limit);
  int level = ratio >= 0.9 ? 90 : ratio >= 0.8 ? 80 : 0;
  int& previous = level_[resource];
  if (level <= previous) {
    if (level == 0) previous = 0;  // re-arm once back under 80 %
    return 0;
  }
  previous = level;
  NewEvent event;
  event.event_type = "resource_warning";
  event.subject = resource;
  event.payload = boost::json::object{{"resource", resource},
                                      {"value", value},
                                      {"limit", limit},
                                      {"percent", level}};
  store_->append(std::move(event));
  return 1;
}

int ResourceMonitor::check_once() {
  last_ = sample();
  return check("memory", last_.rss_bytes, limits_.memory_bytes) +
         check("open_files", last_.open_files, limits_.open_files) +
         check("lua_heap", last_.lua_heap_bytes, limits_.lua_heap_bytes);
}

void ResourceMonitor::register_metrics(Telemetry& telemetry) {
  telemetry.add_collector([this](std::string& out) {
    prometheus::gauge(out, "solo_process_resident_bytes", "Resident memory at the last sample.",
                      static_cast<double>(last_.rss_bytes));
    prometheus::gauge(out, "solo_process_open_fds", "Open file descriptors at the last sample.",
                      static_cast<double>(last_.open_files));
    prometheus::gauge(out, "solo_lua_heap_bytes", "Total Lua heap of all services at the last sample.",
                      static_cast<double>(last_.lua_heap_bytes));
  });
}

boost::asio::awaitable<void> ResourceMonitor::run(std::shared_ptr<ResourceMonitor> self, ChildContext context) {
  self->check_once();
  context.ready();
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  for (;;) {
    timer.expires_after(self->limits_.period);
    co_await timer.async_wait(boost::asio::use_awaitable);
    self->check_once();
  }
}

}  // namespace solo
