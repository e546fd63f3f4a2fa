#include "stores/event.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

#include <boost/json/parse.hpp>

namespace solo {

boost::json::value to_json(const Event& event) {
  boost::json::object object;
  object["id"] = event.id;
  object["event_type"] = event.event_type;
  object["timestamp"] = event.wall_clock;
  object["tenant_id"] = event.tenant_id;
  object["service_id"] = event.service_id;
  object["subject"] = event.subject;
  boost::system::error_code ec;
  auto payload = boost::json::parse(event.payload, ec);
  object["payload"] = ec ? boost::json::value(event.payload) : std::move(payload);
  if (event.causation_id) {
    object["causation_id"] = *event.causation_id;
  } else {
    object["causation_id"] = nullptr;
  }
  return object;
}

std::string utc_now_iso8601() { return format_iso8601(std::chrono::system_clock::now()); }

std::string format_iso8601(std::chrono::system_clock::time_point now) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buffer;
}

int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace solo
