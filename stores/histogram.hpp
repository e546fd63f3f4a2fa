// A fixed-bucket histogram in the Prometheus style (cumulative `le` buckets,
// a sum and a count). Owned and updated by one thread (the engine thread).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace solo {

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds) : bounds_(std::move(upper_bounds)), counts_(bounds_.size(), 0) {}

  void observe(double value) {
    sum_ += value;
    ++count_;
    for (size_t i = 0; i < bounds_.size(); ++i) {
      if (value <= bounds_[i]) {
        ++counts_[i];
        break;
      }
    }
  }

  // Prometheus text for this histogram under `name` (with _bucket/_sum/_count).
  std::string to_prometheus(const std::string& name, const std::string& help) const {
    std::string out = "# HELP " + name + " " + help + "\n# TYPE " + name + " histogram\n";
    uint64_t cumulative = 0;
    for (size_t i = 0; i < bounds_.size(); ++i) {
      cumulative += counts_[i];
      out += name + "_bucket{le=\"" + format(bounds_[i]) + "\"} " + std::to_string(cumulative) + "\n";
    }
    out += name + "_bucket{le=\"+Inf\"} " + std::to_string(count_) + "\n";
    out += name + "_sum " + format(sum_) + "\n";
    out += name + "_count " + std::to_string(count_) + "\n";
    return out;
  }

  uint64_t count() const { return count_; }
  double sum() const { return sum_; }

 private:
  static std::string format(double v) {
    std::string s = std::to_string(v);
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  }
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;
  double sum_ = 0;
  uint64_t count_ = 0;
};

}  // namespace solo
