#include "net/resilience/circuit_breaker.hpp"

#include <algorithm>

#include "base/prometheus.hpp"

namespace solo::net {

const char* to_string(CircuitState state) {
  switch (state) {
    case CircuitState::closed:
      return "closed";
    case CircuitState::open:
      return "open";
    case CircuitState::half_open:
      return "half_open";
  }
  return "closed";
}

bool CircuitBreaker::allow(Clock::time_point now) {
  switch (state(now)) {
    case CircuitState::closed:
      return true;
    case CircuitState::open:
      ++rejected_total_;
      return false;
    case CircuitState::half_open:
      if (state_ == CircuitState::open) {  // the cool-down just ended
        state_ = CircuitState::half_open;
        successes_ = 0;
        probe_in_flight_ = false;
      }
      if (probe_in_flight_) {
        ++rejected_total_;
        return false;
      }
      probe_in_flight_ = true;
      return true;
  }
  return true;
}

bool CircuitBreaker::rejecting(Clock::time_point now) const {
  auto current = state(now);
  return current == CircuitState::open || (current == CircuitState::half_open && probe_in_flight_ &&
                                           state_ == CircuitState::half_open);
}

void CircuitBreaker::on_success() {
  failures_ = 0;
  if (state_ == CircuitState::half_open) {
    probe_in_flight_ = false;
    if (++successes_ >= options_.success_threshold) {
      state_ = CircuitState::closed;
      successes_ = 0;
    }
  }
}

void CircuitBreaker::on_failure(Clock::time_point now) {
  ++failures_;
  if (state_ == CircuitState::half_open) {
    open(now);
    return;
  }
  if (state_ == CircuitState::closed && failures_ >= options_.failure_threshold) open(now);
}

void CircuitBreaker::open(Clock::time_point now) {
  state_ = CircuitState::open;
  opened_at_ = now;
  probe_in_flight_ = false;
  successes_ = 0;
  ++opened_total_;
}

CircuitState CircuitBreaker::state(Clock::time_point now) const {
  if (state_ == CircuitState::open && now - opened_at_ >= options_.cool_down) return CircuitState::half_open;
  return state_;
}

int64_t CircuitBreaker::retry_after_s(Clock::time_point now) const {
  if (state(now) == CircuitState::half_open && probe_in_flight_) return 1;
  if (state(now) != CircuitState::open) return 0;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(opened_at_ + options_.cool_down - now);
  return std::max<int64_t>(1, (left.count() + 999) / 1000);
}

boost::json::object CircuitBreaker::to_json(Clock::time_point now) const {
  boost::json::object body;
  body["state"] = to_string(state(now));
  body["consecutive_failures"] = failures_;
  body["retry_after_s"] = retry_after_s(now);
  return body;
}

CircuitBreaker& CircuitBreakers::get(const std::string& tenant, const std::string& service, const void* owner) {
  auto [it, inserted] = breakers_.try_emplace({tenant, service}, Entry{owner, CircuitBreaker(options_)});
  if (!inserted && it->second.owner != owner) it->second = Entry{owner, CircuitBreaker(options_)};
  return it->second.breaker;
}

CircuitState CircuitBreakers::state_of(const std::string& tenant, const std::string& service,
                                       const void* owner) const {
  auto it = breakers_.find({tenant, service});
  if (it == breakers_.end() || it->second.owner != owner) return CircuitState::closed;
  return it->second.breaker.state();
}

const CircuitBreaker* CircuitBreakers::find(const std::string& tenant, const std::string& service) const {
  auto it = breakers_.find({tenant, service});
  return it == breakers_.end() ? nullptr : &it->second.breaker;
}

void CircuitBreakers::render_metrics(std::string& out) const {
  auto now = CircuitBreaker::Clock::now();
  prometheus::family(out, "solo_circuit_state", "Circuit breaker per service: 0 closed, 1 open, 2 half_open.", "gauge");
  for (const auto& [key, entry] : breakers_) {
    prometheus::sample(out, "solo_circuit_state", {{"tenant", key.first}, {"service", key.second}},
                       static_cast<double>(static_cast<int>(entry.breaker.state(now))));
  }
  prometheus::family(out, "solo_circuit_opened_total", "Times a service's circuit opened.", "counter");
  for (const auto& [key, entry] : breakers_) {
    prometheus::sample(out, "solo_circuit_opened_total", {{"tenant", key.first}, {"service", key.second}},
                       static_cast<double>(entry.breaker.opened_total()));
  }
  prometheus::family(out, "solo_circuit_rejected_total", "Calls failed fast by an open circuit.", "counter");
  for (const auto& [key, entry] : breakers_) {
    prometheus::sample(out, "solo_circuit_rejected_total", {{"tenant", key.first}, {"service", key.second}},
                       static_cast<double>(entry.breaker.rejected_total()));
  }
}

}  // namespace solo::net
