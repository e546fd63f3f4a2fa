// tenant_series(): what GET /metrics shows a tenant's token.
#include "engine/telemetry/tenant_series.hpp"

#include <boost/test/unit_test.hpp>

using namespace solo;

namespace {
const char* kExposition =
    "# HELP solo_http_connections Open HTTP connections.\n"
    "# TYPE solo_http_connections gauge\n"
    "solo_http_connections 3\n"
    "# HELP solo_circuit_state Circuit breaker per service.\n"
    "# TYPE solo_circuit_state gauge\n"
    "solo_circuit_state{tenant=\"acme\",service=\"a\"} 0\n"
    "solo_circuit_state{tenant=\"globex\",service=\"a\"} 1\n"
    "solo_circuit_state{service=\"b\",tenant=\"acme\"} 0\n"
    "# HELP solo_load_tenant_in_flight Requests in flight per tenant.\n"
    "# TYPE solo_load_tenant_in_flight gauge\n"
    "solo_load_tenant_in_flight{tenant=\"globex\"} 2\n"
    "# HELP solo_tricky A label value that looks like a tenant label.\n"
    "# TYPE solo_tricky gauge\n"
    "solo_tricky{route=\"x,tenant=\\\"acme\\\"\",tenant=\"globex\"} 1\n"
    "solo_tricky{tenant=\"acme2\"} 1\n";
}  // namespace

BOOST_AUTO_TEST_SUITE(telemetry_tenant_series)

BOOST_AUTO_TEST_CASE(keeps_only_the_tenants_samples_and_their_families_comments) {
  std::string expected =
      "# HELP solo_circuit_state Circuit breaker per service.\n"
      "# TYPE solo_circuit_state gauge\n"
      "solo_circuit_state{tenant=\"acme\",service=\"a\"} 0\n"
      "solo_circuit_state{service=\"b\",tenant=\"acme\"} 0\n";
  BOOST_TEST(tenant_series(kExposition, "acme") == expected);
}

BOOST_AUTO_TEST_CASE(process_wide_series_and_unknown_tenants_give_nothing) {
  BOOST_TEST(tenant_series(kExposition, "nobody").empty());
  BOOST_TEST(tenant_series("solo_up 1\n# HELP x y\n", "acme").empty());
  BOOST_TEST(tenant_series("", "acme").empty());
  BOOST_TEST(tenant_series("broken{tenant=\"acme 1\n", "acme").empty());  // unterminated: dropped
}

BOOST_AUTO_TEST_SUITE_END()
