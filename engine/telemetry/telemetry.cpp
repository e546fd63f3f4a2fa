#include "engine/telemetry/telemetry.hpp"

#include <cstdio>

namespace solo {

namespace {
std::string number(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.17g", value);
  return buffer;
}

// Label values escape backslash, quote and newline (Prometheus text format).
std::string escape_label(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}
}  // namespace

void Telemetry::observe_request(const std::string& route, const std::string& method, int status, double seconds) {
  ++requests_[{route, method, status}];
  request_seconds_.observe(seconds);
}

void Telemetry::counter(std::string& out, const std::string& name, const std::string& help, double value) {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " counter\n" + name + " " + number(value) + "\n";
}

void Telemetry::gauge(std::string& out, const std::string& name, const std::string& help, double value) {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " gauge\n" + name + " " + number(value) + "\n";
}

std::string Telemetry::render() const {
  std::string out;
  for (const auto& collector : collectors_) collector(out);
  out += "# HELP solo_http_requests_total HTTP requests answered, by route, method and status.\n";
  out += "# TYPE solo_http_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    const auto& [route, method, status] = key;
    out += "solo_http_requests_total{route=\"" + escape_label(route) + "\",method=\"" + escape_label(method) +
           "\",status=\"" + std::to_string(status) + "\"} " + std::to_string(count) + "\n";
  }
  out += request_seconds_.to_prometheus("solo_http_request_duration_seconds", "HTTP request latency.");
  return out;
}

}  // namespace solo
