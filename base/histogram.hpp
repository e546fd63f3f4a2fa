// A fixed-bucket histogram in the Prometheus style (cumulative `le` buckets,
// a sum and a count). Owned and updated by one thread (the engine thread).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/prometheus.hpp"

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
  std::string to_prometheus(std::string_view name, std::string_view help) const {
    std::string out;
    prometheus::family(out, name, help, "histogram");
    const std::string bucket = std::string(name) + "_bucket";
    uint64_t cumulative = 0;
    for (size_t i = 0; i < bounds_.size(); ++i) {
      cumulative += counts_[i];
      prometheus::sample(out, bucket, {{"le", prometheus::number(bounds_[i])}}, static_cast<double>(cumulative));
    }
    prometheus::sample(out, bucket, {{"le", "+Inf"}}, static_cast<double>(count_));
    prometheus::sample(out, std::string(name) + "_sum", sum_);
    prometheus::sample(out, std::string(name) + "_count", static_cast<double>(count_));
    return out;
  }

  uint64_t count() const { return count_; }
  double sum() const { return sum_; }

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;
  double sum_ = 0;
  uint64_t count_ = 0;
};

}  // namespace solo
