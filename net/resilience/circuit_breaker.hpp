// CircuitBreaker: one per service (tenant, service id), in front of
// POST /services/{id}/call and /cast (net/api/service_routes.cpp).
//
//   closed     calls pass; `failure_threshold` consecutive failures (an error
//              raised by the service, a timeout, a stopped service) open it.
//   open       calls fail fast (503 overloaded, Retry-After = the time left of
//              the cool-down) without reaching the mailbox.
//   half_open  after `cool_down`, one probe call at a time passes; a failure
//              opens it again (a new cool-down), `success_threshold`
//              successes in a row close it.
// A full mailbox (overloaded) is neither a success nor a failure: the
// service did not get the message.
//
// CircuitBreakers owns the breakers, keyed by (tenant, service); a breaker
// is reset when the service behind the key is a new deployment (another
// actor), so a redeploy starts closed.
//
// Engine thread only. `now` parameters exist for tests.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include <boost/json/object.hpp>

namespace solo::net {

struct CircuitBreakerOptions {
  int failure_threshold = 5;
  int success_threshold = 2;
  std::chrono::milliseconds cool_down{5000};
};

enum class CircuitState { closed, open, half_open };
const char* to_string(CircuitState state);

class CircuitBreaker {
 public:
  using Clock = std::chrono::steady_clock;

  explicit CircuitBreaker(CircuitBreakerOptions options = {}) : options_(options) {}

  // May a call go through now? In half_open this takes the single probe slot
  // (the caller must then report on_success or on_failure).
  bool allow(Clock::time_point now = Clock::now());
  // Fail fast without taking a probe slot (casts: no outcome to report).
  bool rejecting(Clock::time_point now = Clock::now()) const;
  void on_success();
  void on_failure(Clock::time_point now = Clock::now());
  // Neither (the message never reached the service): frees a half-open probe slot.
  void release_probe() { probe_in_flight_ = false; }

  // The state as a caller sees it now (open turns half_open after the cool-down).
  CircuitState state(Clock::time_point now = Clock::now()) const;
  // Seconds until a probe may pass (>= 1 while open; 0 otherwise).
  int64_t retry_after_s(Clock::time_point now = Clock::now()) const;
  int consecutive_failures() const { return failures_; }
  uint64_t opened_total() const { return opened_total_; }
  uint64_t rejected_total() const { return rejected_total_; }

  // {"state", "consecutive_failures", "retry_after_s"}
  boost::json::object to_json(Clock::time_point now = Clock::now()) const;

 private:
  void open(Clock::time_point now);

  CircuitBreakerOptions options_;
  CircuitState state_ = CircuitState::closed;
  int failures_ = 0;
  int successes_ = 0;  // in half_open
  bool probe_in_flight_ = false;
  Clock::time_point opened_at_{};
  uint64_t opened_total_ = 0;
  uint64_t rejected_total_ = 0;
};

class CircuitBreakers {
 public:
  explicit CircuitBreakers(CircuitBreakerOptions options = {}) : options_(options) {}

  // The breaker of (tenant, service); `owner` identifies the deployment (the
  // actor): a different owner than last time resets the breaker.
  CircuitBreaker& get(const std::string& tenant, const std::string& service, const void* owner);
  // The state of owner's breaker; closed when no call has reached it yet (or
  // the breaker there is an earlier deployment's). Makes no breaker, so
  // reading figures adds no solo_circuit_state series.
  CircuitState state_of(const std::string& tenant, const std::string& service, const void* owner) const;
  // nullptr when no call has reached the service yet.
  const CircuitBreaker* find(const std::string& tenant, const std::string& service) const;
  const CircuitBreakerOptions& options() const { return options_; }
  size_t size() const { return breakers_.size(); }

  // solo_circuit_state{tenant,service} (0 closed, 1 open, 2 half_open),
  // solo_circuit_opened_total, solo_circuit_rejected_total.
  void render_metrics(std::string& out) const;

 private:
  struct Entry {
    const void* owner = nullptr;
    CircuitBreaker breaker;
  };
  CircuitBreakerOptions options_;
  std::map<std::pair<std::string, std::string>, Entry> breakers_;
};

}  // namespace solo::net
