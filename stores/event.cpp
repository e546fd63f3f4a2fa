#include "stores/event.hpp"

#include <chrono>

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

int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace solo
