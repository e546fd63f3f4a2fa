// The scenario registry of solo-bench: `solo-bench <scenario> [options]`.
//
// A scenario is one hot path measured beside its baseline in the same run. A
// scenario file registers itself at static-initialisation time:
//
//   namespace { const solo::bench::RegisterScenario registered{{
//       "append", "durable appends through the EventStore vs raw SQLite", run_append}}; }
//
// run() receives the arguments after the scenario name and returns the exit
// code. Args parses `--name value` / `--flag` options; it throws UsageError for
// anything malformed or unknown, which main() reports with the scenario's usage.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

namespace solo::bench {

struct Scenario {
  std::string name;
  std::string description;  // one line, shown by `solo-bench --help`
  std::function<int(std::span<std::string>)> run;
};

// Every registered scenario, in registration order. Function-local static, so
// registration from other translation units' static initialisers is safe.
std::vector<Scenario>& scenarios();

struct RegisterScenario {
  explicit RegisterScenario(Scenario scenario) { scenarios().push_back(std::move(scenario)); }
};

class UsageError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Command-line options of one scenario. Each accessor consumes its option;
// finish() throws for whatever was not consumed (a typo must not silently run
// the default benchmark).
class Args {
 public:
  explicit Args(std::span<std::string> args) : args_(args.begin(), args.end()) {}

  bool flag(std::string_view name);
  std::optional<std::string> value(std::string_view name);
  std::string text(std::string_view name, std::string fallback) { return value(name).value_or(std::move(fallback)); }
  int64_t integer(std::string_view name, int64_t fallback, int64_t min = 1);
  void finish() const;

 private:
  std::vector<std::string> args_;
};

// A fresh directory under `parent` (or the system temp dir) that removes itself.
class ScratchDir {
 public:
  explicit ScratchDir(const std::optional<std::string>& parent);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Hands a scenario's report (one flat JSON object of its figures) to whoever
// ran it: printed as one JSON line on stdout when `json` (the scenario's
// --json), and appended as one line to the file SOLO_BENCH_REPORT names when
// `solo-bench all` runs the scenario (bench/all_bench.cpp). A scenario may
// publish several objects (isolation publishes one per case).
void publish(const boost::json::object& report, bool json);

// Nearest-rank percentile (q in [0, 1]) of samples sorted ascending; 0 if empty.
template <class T>
T percentile(const std::vector<T>& sorted, double q) {
  if (sorted.empty()) return T{};
  auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

}  // namespace solo::bench
