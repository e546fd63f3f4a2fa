// Telemetry: the process's metrics in the Prometheus text format.
//
// Components do not push numbers here; they register a collector that
// appends its own `solo_*` lines when /metrics is rendered, so the figures
// are read from their owners (the Writer's stats, the server's connection
// count) and never drift. The request counters live here because the
// gateway observes every request once.
//
// Engine thread only.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "stores/histogram.hpp"

namespace solo {

class Telemetry {
 public:
  using Collector = std::function<void(std::string& out)>;

  void add_collector(Collector collector) { collectors_.push_back(std::move(collector)); }

  // One HTTP request: its route pattern (not the raw path, to bound the label
  // set), method, status and duration.
  void observe_request(const std::string& route, const std::string& method, int status, double seconds);

  std::string render() const;

  // Helpers for collectors.
  static void counter(std::string& out, const std::string& name, const std::string& help, double value);
  static void gauge(std::string& out, const std::string& name, const std::string& help, double value);

 private:
  std::vector<Collector> collectors_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;
  Histogram request_seconds_{{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5}};
};

}  // namespace solo
