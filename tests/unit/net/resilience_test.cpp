// Tests for net/resilience: the LoadShedder (per-tenant limit -> 429,
// global limit -> 503, fair shares under pressure, permits released on
// destruction and move, metrics) and the CircuitBreaker (opens after N
// consecutive failures, fails fast, half-open probe after the cool-down,
// closes after M successes, re-opens on a failed probe; the registry resets
// a breaker for a new deployment; metrics). Pure logic, explicit clocks.
#include <boost/test/unit_test.hpp>

#include "net/resilience/circuit_breaker.hpp"
#include "net/resilience/load_shedder.hpp"

using namespace std::chrono_literals;
using solo::net::CircuitBreaker;
using solo::net::CircuitBreakerOptions;
using solo::net::CircuitState;
using solo::net::LoadPermit;
using solo::ErrorKind;
using solo::net::LoadShedder;
using solo::net::LoadShedderOptions;

BOOST_AUTO_TEST_SUITE(load_shedder)

BOOST_AUTO_TEST_CASE(a_tenant_over_its_limit_gets_429_others_still_pass) {
  auto shedder = std::make_shared<LoadShedder>(LoadShedderOptions{100, 2, 0.75, 3s});
  std::vector<LoadPermit> held;
  for (int i = 0; i < 2; ++i) held.push_back(*shedder->try_acquire("a"));
  auto refused = shedder->try_acquire("a");
  BOOST_TEST(!refused.has_value());
  BOOST_TEST((refused.error().kind() == ErrorKind::throttled));
  BOOST_TEST(refused.error().retry_after()->count() == 3);
  BOOST_TEST(shedder->try_acquire("b").has_value());
  BOOST_TEST(shedder->shed("tenant") == 1u);
  held.pop_back();  // one of a's requests answered
  BOOST_TEST(shedder->in_flight("a") == 1u);
  BOOST_TEST(shedder->try_acquire("a").has_value());
}

BOOST_AUTO_TEST_CASE(the_global_limit_gives_503) {
  auto shedder = std::make_shared<LoadShedder>(LoadShedderOptions{4, 10, 1.0, 1s});
  std::vector<LoadPermit> held;
  for (const char* tenant : {"a", "b", "c", "d"}) held.push_back(*shedder->try_acquire(tenant));
  BOOST_TEST(shedder->in_flight() == 4u);
  auto refused = shedder->try_acquire("e");
  BOOST_TEST(!refused.has_value());
  BOOST_TEST((refused.error().kind() == ErrorKind::overloaded));
  BOOST_TEST(shedder->shed("global") == 1u);
  held.clear();
  BOOST_TEST(shedder->in_flight() == 0u);
  BOOST_TEST(shedder->try_acquire("e").has_value());
}

BOOST_AUTO_TEST_CASE(under_pressure_the_tenant_over_its_fair_share_is_refused_first) {
  // Global 10, busy from 5 in flight: a greedy tenant fills 6 slots, then
  // cannot take more while the quiet tenant still gets in.
  auto shedder = std::make_shared<LoadShedder>(LoadShedderOptions{10, 10, 0.5, 1s});
  std::vector<LoadPermit> held;
  for (int i = 0; i < 6; ++i) held.push_back(*shedder->try_acquire("greedy"));
  held.push_back(*shedder->try_acquire("quiet"));
  // Two tenants active: a share of 5; greedy holds 6.
  auto refused = shedder->try_acquire("greedy");
  BOOST_TEST(!refused.has_value());
  BOOST_TEST((refused.error().kind() == ErrorKind::throttled));
  BOOST_TEST(shedder->shed("fair_share") == 1u);
  BOOST_TEST(shedder->try_acquire("quiet").has_value());
  BOOST_TEST(shedder->try_acquire("newcomer").has_value());
}

BOOST_AUTO_TEST_CASE(permits_move_and_release_once) {
  auto shedder = std::make_shared<LoadShedder>(LoadShedderOptions{10, 10, 1.0, 1s});
  {
    auto permit = *shedder->try_acquire("a");
    LoadPermit moved = std::move(permit);
    BOOST_TEST(shedder->in_flight() == 1u);
    LoadPermit other;
    other = std::move(moved);
    BOOST_TEST(shedder->in_flight() == 1u);
    other.release();
    other.release();
    BOOST_TEST(shedder->in_flight() == 0u);
  }
  BOOST_TEST(shedder->in_flight() == 0u);
  // A permit outliving its shedder is harmless.
  LoadPermit orphan = *shedder->try_acquire("a");
  shedder.reset();
}

BOOST_AUTO_TEST_CASE(metrics_name_reasons_and_in_flight) {
  auto shedder = std::make_shared<LoadShedder>(LoadShedderOptions{10, 1, 1.0, 1s});
  auto permit = shedder->try_acquire("acme");
  BOOST_TEST(!shedder->try_acquire("acme").has_value());
  std::string out;
  shedder->render_metrics(out);
  BOOST_TEST(out.find("solo_shed_requests_total{reason=\"tenant\"} 1") != std::string::npos);
  BOOST_TEST(out.find("solo_shed_requests_total{reason=\"global\"} 0") != std::string::npos);
  BOOST_TEST(out.find("solo_load_in_flight 1") != std::string::npos);
  BOOST_TEST(out.find("solo_load_tenant_in_flight{tenant=\"acme\"} 1") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(circuit_breaker)

BOOST_AUTO_TEST_CASE(opens_after_n_consecutive_failures_and_fails_fast) {
  CircuitBreaker breaker(CircuitBreakerOptions{3, 2, 1000ms});
  auto t0 = CircuitBreaker::Clock::now();
  for (int i = 0; i < 2; ++i) {
    BOOST_TEST(breaker.allow(t0));
    breaker.on_failure(t0);
  }
  breaker.on_success();  // resets the count
  for (int i = 0; i < 2; ++i) breaker.on_failure(t0);
  BOOST_TEST((breaker.state(t0) == CircuitState::closed));
  breaker.on_failure(t0);
  BOOST_TEST((breaker.state(t0) == CircuitState::open));
  BOOST_TEST(!breaker.allow(t0 + 10ms));
  BOOST_TEST(breaker.rejecting(t0 + 10ms));
  BOOST_TEST(breaker.retry_after_s(t0 + 10ms) == 1);
  BOOST_TEST(breaker.rejected_total() == 1u);
  BOOST_TEST(breaker.opened_total() == 1u);
}

BOOST_AUTO_TEST_CASE(half_open_probe_after_cool_down_then_closes_after_m_successes) {
  CircuitBreaker breaker(CircuitBreakerOptions{1, 2, 1000ms});
  auto t0 = CircuitBreaker::Clock::now();
  breaker.on_failure(t0);
  auto later = t0 + 1000ms;
  BOOST_TEST((breaker.state(later) == CircuitState::half_open));
  BOOST_TEST(breaker.allow(later));    // the probe
  BOOST_TEST(!breaker.allow(later));   // one at a time
  BOOST_TEST(breaker.rejecting(later));
  breaker.on_success();
  BOOST_TEST((breaker.state(later) == CircuitState::half_open));
  BOOST_TEST(breaker.allow(later));
  breaker.on_success();
  BOOST_TEST((breaker.state(later) == CircuitState::closed));
  BOOST_TEST(breaker.allow(later));
  BOOST_TEST(breaker.allow(later));
}

BOOST_AUTO_TEST_CASE(a_failed_probe_opens_again_with_a_new_cool_down) {
  CircuitBreaker breaker(CircuitBreakerOptions{1, 1, 2000ms});
  auto t0 = CircuitBreaker::Clock::now();
  breaker.on_failure(t0);
  auto t1 = t0 + 2000ms;
  BOOST_TEST(breaker.allow(t1));
  breaker.on_failure(t1);
  BOOST_TEST((breaker.state(t1 + 1000ms) == CircuitState::open));
  BOOST_TEST(breaker.retry_after_s(t1 + 500ms) == 2);
  BOOST_TEST((breaker.state(t1 + 2000ms) == CircuitState::half_open));
  BOOST_TEST(breaker.opened_total() == 2u);
  auto json = breaker.to_json(t1 + 500ms);
  BOOST_TEST(json.at("state").as_string() == "open");
}

BOOST_AUTO_TEST_CASE(a_released_probe_frees_the_slot) {
  CircuitBreaker breaker(CircuitBreakerOptions{1, 1, 0ms});
  auto t0 = CircuitBreaker::Clock::now();
  breaker.on_failure(t0);
  BOOST_TEST(breaker.allow(t0));
  breaker.release_probe();
  BOOST_TEST(breaker.allow(t0));
}

BOOST_AUTO_TEST_CASE(registry_resets_for_a_new_deployment_and_renders_metrics) {
  solo::net::CircuitBreakers breakers(CircuitBreakerOptions{1, 1, 60000ms});
  int first = 0, second = 0;
  breakers.get("acme", "svc", &first).on_failure();
  BOOST_TEST((breakers.find("acme", "svc")->state() == CircuitState::open));
  std::string out;
  breakers.render_metrics(out);
  BOOST_TEST(out.find("solo_circuit_state{tenant=\"acme\",service=\"svc\"} 1") != std::string::npos);
  BOOST_TEST((breakers.get("acme", "svc", &first).state() == CircuitState::open));
  BOOST_TEST((breakers.get("acme", "svc", &second).state() == CircuitState::closed));
  BOOST_TEST(breakers.find("acme", "other") == nullptr);
}

BOOST_AUTO_TEST_SUITE_END()
