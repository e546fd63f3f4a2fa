#include "engine/telemetry/latency_histogram.hpp"

#include <cmath>

namespace solo {

uint64_t LatencyHistogram::percentile_us(double q) const {
  if (count_ == 0) return 0;
  // The rank of the q-quantile among count_ samples (1-based, nearest rank).
  const auto rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_))));
  uint64_t seen = 0;
  for (size_t i = 0; i < finite_buckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) return upper_us(i);
  }
  return upper_us(finite_buckets - 1);
}

}  // namespace solo
