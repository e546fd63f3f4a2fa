// Tests for the base layer's text helpers: the Prometheus text format (and
// the Histogram that uses it), hex, ISO-8601 stamps, exception descriptions.
#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <stdexcept>
#include <string>

#include "base/exception_text.hpp"
#include "base/hex.hpp"
#include "base/histogram.hpp"
#include "base/iso8601.hpp"
#include "base/prometheus.hpp"

using namespace solo;

BOOST_AUTO_TEST_SUITE(prometheus_text)

BOOST_AUTO_TEST_CASE(a_family_has_help_and_type_then_its_samples_with_escaped_labels) {
  std::string out;
  prometheus::family(out, "solo_x_total", "Things.", "counter");
  prometheus::sample(out, "solo_x_total", {{"tenant", "a\"b\\c\nd"}, {"reason", "r"}}, 3);
  BOOST_TEST(out ==
             "# HELP solo_x_total Things.\n# TYPE solo_x_total counter\n"
             "solo_x_total{tenant=\"a\\\"b\\\\c\\nd\",reason=\"r\"} 3\n");
}

BOOST_AUTO_TEST_CASE(numbers_are_the_shortest_text_that_reads_back) {
  BOOST_TEST(prometheus::number(0) == "0");
  BOOST_TEST(prometheus::number(42) == "42");
  BOOST_TEST(prometheus::number(0.25) == "0.25");
  BOOST_TEST(prometheus::number(0.1) == "0.1");
  BOOST_TEST(prometheus::number(9007199254740992.0) == "9007199254740992");
  std::string out;
  prometheus::gauge(out, "solo_g", "G.", 1.5);
  BOOST_TEST(out == "# HELP solo_g G.\n# TYPE solo_g gauge\nsolo_g 1.5\n");
}

BOOST_AUTO_TEST_CASE(a_histogram_renders_cumulative_buckets_sum_and_count) {
  Histogram histogram({0.001, 0.01});
  histogram.observe(0.0005);
  histogram.observe(0.005);
  histogram.observe(2);
  BOOST_TEST(histogram.to_prometheus("solo_h_seconds", "H.") ==
             "# HELP solo_h_seconds H.\n# TYPE solo_h_seconds histogram\n"
             "solo_h_seconds_bucket{le=\"0.001\"} 1\n"
             "solo_h_seconds_bucket{le=\"0.01\"} 2\n"
             "solo_h_seconds_bucket{le=\"+Inf\"} 3\n"
             "solo_h_seconds_sum 2.0055\n"
             "solo_h_seconds_count 3\n");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(hex_and_time)

BOOST_AUTO_TEST_CASE(hex_round_trips_bytes_and_refuses_what_is_not_hex) {
  const std::string bytes("\x00\x01\xab\xff", 4);
  BOOST_TEST(to_hex(bytes) == "0001abff");
  BOOST_TEST(from_hex("0001ABff").value() == bytes);
  BOOST_TEST(!from_hex("abc").has_value());
  BOOST_TEST(!from_hex("zz").has_value());
  BOOST_TEST(from_hex("").value().empty());
}

BOOST_AUTO_TEST_CASE(iso8601_is_utc_with_milliseconds) {
  const auto at = std::chrono::system_clock::time_point(std::chrono::milliseconds(1764497045123));
  BOOST_TEST(format_iso8601(at) == "2025-11-30T10:04:05.123Z");
  BOOST_TEST(utc_now_iso8601().size() == 24u);
}

// format_iso8601 keeps the last second's text per thread: a time in the same
// second, and one in another second, must each come out whole and right.
BOOST_AUTO_TEST_CASE(iso8601_is_right_within_a_second_and_across_seconds) {
  using std::chrono::milliseconds;
  using std::chrono::system_clock;
  BOOST_TEST(format_iso8601(system_clock::time_point(milliseconds(1764497045123))) == "2025-11-30T10:04:05.123Z");
  BOOST_TEST(format_iso8601(system_clock::time_point(milliseconds(1764497045007))) == "2025-11-30T10:04:05.007Z");
  BOOST_TEST(format_iso8601(system_clock::time_point(milliseconds(1764497046999))) == "2025-11-30T10:04:06.999Z");
  BOOST_TEST(format_iso8601(system_clock::time_point(milliseconds(0))) == "1970-01-01T00:00:00.000Z");
  BOOST_TEST(format_iso8601(system_clock::time_point(milliseconds(-1))) == "1969-12-31T23:59:59.999Z");
  BOOST_TEST(format_iso8601(system_clock::time_point(milliseconds(1764497045990))) == "2025-11-30T10:04:05.990Z");
}

BOOST_AUTO_TEST_CASE(exceptions_are_described_and_cancellation_is_told_apart) {
  BOOST_TEST(describe_exception(nullptr) == "normal");
  BOOST_TEST(describe_exception(std::make_exception_ptr(std::runtime_error("boom"))) == "boom");
  BOOST_TEST(describe_exception(std::make_exception_ptr(42)) == "unknown exception");
  auto aborted = std::make_exception_ptr(boost::system::system_error(boost::asio::error::operation_aborted));
  BOOST_TEST(is_operation_aborted(aborted));
  BOOST_TEST(!is_operation_aborted(std::make_exception_ptr(std::runtime_error("boom"))));
  BOOST_TEST(!is_operation_aborted(nullptr));
}

BOOST_AUTO_TEST_SUITE_END()
