#include "net/http_request_metrics.hpp"

#include "base/prometheus.hpp"

namespace solo::net {

void HttpRequestMetrics::observe(std::string_view route, std::string_view method, int status, double seconds) {
  const KeyView key{route, method, status};
  auto it = requests_.find(key);
  if (it == requests_.end()) {
    it = requests_.emplace(std::make_tuple(std::string(route), std::string(method), status), 0).first;
  }
  ++it->second;
  request_seconds_.observe(seconds);
}

void HttpRequestMetrics::render(std::string& out) const {
  prometheus::family(out, "solo_http_requests_total", "HTTP requests answered, by route, method and status.",
                     "counter");
  for (const auto& [key, count] : requests_) {
    const auto& [route, method, status] = key;
    const std::string status_text = std::to_string(status);
    prometheus::sample(out, "solo_http_requests_total", {{"route", route}, {"method", method}, {"status", status_text}},
                       static_cast<double>(count));
  }
  out += request_seconds_.to_prometheus("solo_http_request_duration_seconds", "HTTP request latency.");
}

}  // namespace solo::net
