#include "bench/scenario.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <random>

#include "bench/json_line.hpp"

namespace solo::bench {

std::vector<Scenario>& scenarios() {
  static std::vector<Scenario> registry;
  return registry;
}

bool Args::flag(std::string_view name) {
  auto it = std::find(args_.begin(), args_.end(), name);
  if (it == args_.end()) return false;
  args_.erase(it);
  return true;
}

std::optional<std::string> Args::value(std::string_view name) {
  auto it = std::find(args_.begin(), args_.end(), name);
  if (it == args_.end()) return std::nullopt;
  if (it + 1 == args_.end()) throw UsageError(std::string(name) + " needs a value");
  std::string result = *(it + 1);
  args_.erase(it, it + 2);
  return result;
}

int64_t Args::integer(std::string_view name, int64_t fallback, int64_t min) {
  auto text = value(name);
  if (!text) return fallback;
  int64_t result = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), result);
  if (ec != std::errc() || end != text->data() + text->size() || result < min) {
    throw UsageError(std::string(name) + " must be an integer >= " + std::to_string(min) + ", not '" + *text + "'");
  }
  return result;
}

void Args::finish() const {
  if (!args_.empty()) throw UsageError("unknown argument '" + args_.front() + "'");
}

ScratchDir::ScratchDir(const std::optional<std::string>& parent) {
  std::filesystem::path base = parent ? std::filesystem::path(*parent) : std::filesystem::temp_directory_path();
  std::random_device random;
  path_ = base / ("solo-bench-" + std::to_string(random()) + std::to_string(random()));
  std::filesystem::create_directories(path_);
}

ScratchDir::~ScratchDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

void publish(const boost::json::object& report, bool json) {
  std::string line = to_json_line(report);
  if (json) std::cout << line << "\n" << std::flush;
  if (const char* sink = std::getenv("SOLO_BENCH_REPORT"); sink && *sink) {
    std::ofstream out(sink, std::ios::app);
    out << line << "\n";
    if (!out) throw std::runtime_error(std::string("cannot append the report to ") + sink);
  }
}

}  // namespace solo::bench
