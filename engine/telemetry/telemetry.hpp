// Telemetry: the process's metrics in the Prometheus text format.
//
// Components do not push numbers here; they register a collector that
// appends its own `solo_*` lines (with base/prometheus.hpp) when /metrics is
// rendered, so the figures are read from their owners (the Writer's stats,
// the server's connection count, the gateway's request counters) and never
// drift.
//
// Engine thread only.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace solo {

class Telemetry {
 public:
  using Collector = std::function<void(std::string& out)>;

  void add_collector(Collector collector) { collectors_.push_back(std::move(collector)); }

  std::string render() const;

 private:
  std::vector<Collector> collectors_;
};

}  // namespace solo
