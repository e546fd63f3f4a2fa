// LatencyHistogram: a service's call latencies in fixed log2 buckets of
// microseconds (upper bounds 1, 2, 4, ... 2^25 µs ≈ 33.5 s, then +Inf).
//
// Recording is on the call path (ServiceActor::call), so it is a bit width,
// an index and two additions: no allocation, no lock, no clock read (the
// caller passes a duration it already has). Percentiles are read from the
// buckets (the upper bound of the bucket that holds the rank), so they are
// bucket-exact, never more than 2x the true value.
//
// Owned by one ServiceStats; engine thread only.
#pragma once

#include <array>
#include <bit>
#include <chrono>
#include <cstdint>

namespace solo {

class LatencyHistogram {
 public:
  // Buckets with a finite upper bound (2^0 .. 2^25 µs), plus one for +Inf.
  static constexpr size_t finite_buckets = 26;

  void record(std::chrono::nanoseconds latency) {
    const int64_t ns = latency.count() < 0 ? 0 : latency.count();
    const auto us = static_cast<uint64_t>((ns + 999) / 1000);  // rounded up: 1 ns is within the 1 µs bucket
    ++counts_[bucket_of(us)];
    ++count_;
    sum_us_ += us;
  }

  // The bucket whose upper bound is the least power of two >= us.
  static size_t bucket_of(uint64_t us) {
    const size_t index = us <= 1 ? 0 : static_cast<size_t>(std::bit_width(us - 1));
    return index < finite_buckets ? index : finite_buckets;
  }
  // The bucket's upper bound in µs; the +Inf bucket has none (0).
  static uint64_t upper_us(size_t bucket) { return bucket < finite_buckets ? uint64_t{1} << bucket : 0; }

  // The upper bound (µs) of the bucket holding the q-quantile (0 < q <= 1);
  // 0 when nothing was recorded; the largest finite bound when the rank falls
  // in +Inf.
  uint64_t percentile_us(double q) const;

  uint64_t count() const { return count_; }
  uint64_t sum_us() const { return sum_us_; }
  // Per bucket (not cumulative); index finite_buckets is +Inf.
  const std::array<uint64_t, finite_buckets + 1>& counts() const { return counts_; }

  // Adds another histogram's samples (per-tenant aggregates on /metrics).
  void add(const LatencyHistogram& other) {
    for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    count_ += other.count_;
    sum_us_ += other.sum_us_;
  }

 private:
  std::array<uint64_t, finite_buckets + 1> counts_{};
  uint64_t count_ = 0;
  uint64_t sum_us_ = 0;
};

}  // namespace solo
