// Tests for engine/telemetry/latency_histogram and service_stats: the log2
// buckets and the percentiles read from them, the failure kinds every
// ErrorKind counts under, and the stats JSON (docs/operations.md,
// "Per-service figures"). The counters as the actor keeps them (through a
// swap and a restart) are in deployer_test.cpp.
#include "engine/telemetry/service_stats.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

using namespace std::chrono_literals;
using solo::CallFailure;
using solo::LatencyHistogram;

BOOST_AUTO_TEST_SUITE(service_stats)

BOOST_AUTO_TEST_CASE(a_latency_falls_in_the_least_power_of_two_bucket_that_holds_it) {
  BOOST_TEST(LatencyHistogram::bucket_of(0) == 0u);
  BOOST_TEST(LatencyHistogram::bucket_of(1) == 0u);
  BOOST_TEST(LatencyHistogram::bucket_of(2) == 1u);
  BOOST_TEST(LatencyHistogram::bucket_of(3) == 2u);
  BOOST_TEST(LatencyHistogram::bucket_of(4) == 2u);
  BOOST_TEST(LatencyHistogram::bucket_of(5) == 3u);
  BOOST_TEST(LatencyHistogram::bucket_of(1024) == 10u);
  BOOST_TEST(LatencyHistogram::bucket_of(1025) == 11u);
  BOOST_TEST(LatencyHistogram::bucket_of(uint64_t{1} << 25) == 25u);
  // Past 2^25 µs (~33.5 s): the +Inf bucket.
  BOOST_TEST(LatencyHistogram::bucket_of((uint64_t{1} << 25) + 1) == LatencyHistogram::finite_buckets);
  BOOST_TEST(LatencyHistogram::upper_us(10) == 1024u);

  LatencyHistogram h;
  h.record(1ns);      // rounds up to 1 µs
  h.record(1500ns);   // 2 µs
  h.record(-5ns);     // a clock that went back counts as 0
  BOOST_TEST(h.counts()[0] == 2u);
  BOOST_TEST(h.counts()[1] == 1u);
  BOOST_TEST(h.count() == 3u);
  BOOST_TEST(h.sum_us() == 3u);
}

BOOST_AUTO_TEST_CASE(percentiles_are_the_upper_bound_of_the_bucket_holding_the_rank) {
  LatencyHistogram empty;
  BOOST_TEST(empty.percentile_us(0.5) == 0u);

  LatencyHistogram h;
  for (int i = 0; i < 90; ++i) h.record(3us);   // bucket 4 µs
  for (int i = 0; i < 9; ++i) h.record(100us);  // bucket 128 µs
  h.record(5ms);                                // bucket 8192 µs
  BOOST_TEST(h.count() == 100u);
  BOOST_TEST(h.percentile_us(0.50) == 4u);
  BOOST_TEST(h.percentile_us(0.90) == 4u);    // rank 90: the last of the 3 µs calls
  BOOST_TEST(h.percentile_us(0.91) == 128u);
  BOOST_TEST(h.percentile_us(0.99) == 128u);  // rank 99
  BOOST_TEST(h.percentile_us(1.0) == 8192u);

  // A rank in +Inf reads as the largest finite bound.
  LatencyHistogram slow;
  slow.record(60s);
  BOOST_TEST(slow.percentile_us(0.5) == LatencyHistogram::upper_us(LatencyHistogram::finite_buckets - 1));

  LatencyHistogram sum;
  sum.add(h);
  sum.add(slow);
  BOOST_TEST(sum.count() == 101u);
  BOOST_TEST(sum.counts()[LatencyHistogram::finite_buckets] == 1u);
}

BOOST_AUTO_TEST_CASE(every_error_kind_counts_under_its_failure_kind) {
  BOOST_TEST((solo::call_failure_of(solo::ErrorKind::timeout) == CallFailure::timeout));
  BOOST_TEST((solo::call_failure_of(solo::ErrorKind::stopped) == CallFailure::crash));
  BOOST_TEST((solo::call_failure_of(solo::ErrorKind::overloaded) == CallFailure::overload));
  BOOST_TEST((solo::call_failure_of(solo::ErrorKind::service_error) == CallFailure::handler));
  BOOST_TEST((solo::call_failure_of(solo::ErrorKind::bad_reply) == CallFailure::bad_reply));
  BOOST_TEST((solo::call_failure_of(solo::ErrorKind::internal) == CallFailure::other));

  solo::ServiceStats stats;
  stats.call_succeeded(10us);
  stats.call_failed(solo::ErrorKind::service_error, 20us);
  stats.call_failed(solo::ErrorKind::overloaded, std::nullopt);  // refused at the door: no latency
  stats.call_rejected();
  stats.cast_queued();
  stats.cast_refused(CallFailure::overload);
  BOOST_TEST(stats.calls() == 4u);
  BOOST_TEST(stats.casts() == 2u);
  BOOST_TEST(stats.errors(CallFailure::handler) == 1u);
  BOOST_TEST(stats.errors(CallFailure::overload) == 2u);
  BOOST_TEST(stats.errors(CallFailure::rejected) == 1u);
  BOOST_TEST(stats.latency().count() == 2u);

  auto json = stats.to_json();
  BOOST_TEST(json.at("calls").as_uint64() == 4u);
  BOOST_TEST(json.at("casts").as_uint64() == 2u);
  const auto& errors = json.at("errors").as_object();
  for (auto kind : {"timeout", "crash", "overload", "rejected", "handler", "bad_reply", "other"}) {
    BOOST_TEST(errors.contains(kind), kind);
  }
  BOOST_TEST(errors.at("handler").as_uint64() == 1u);
  const auto& latency = json.at("call_latency_us").as_object();
  BOOST_TEST(latency.at("count").as_uint64() == 2u);
  BOOST_TEST(latency.at("p50").as_uint64() == 16u);
  BOOST_TEST(latency.at("p99").as_uint64() == 32u);
  BOOST_TEST(boost::json::serialize(latency.at("buckets")) == "[[16,1],[32,1]]");
  BOOST_TEST(json.at("since").as_string().size() >= 20u);
}

BOOST_AUTO_TEST_SUITE_END()
