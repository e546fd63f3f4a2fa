// An event: one row of the durable log (table `events`, see schema.hpp).
//
//   id            monotonic, gap-free, assigned at append in append order
//   event_type    e.g. "service_deployed"
//   tenant_id     "" for system events
//   service_id    "" when not about a service
//   subject       a short free-form label (e.g. the token id, the secret name)
//   payload       JSON text
//   causation_id  the event that caused this one, if any
//   wall_clock    UTC, ISO 8601 with milliseconds ("2026-11-25T10:00:00.123Z")
//   mono_ns       steady clock of the writing process, for intervals within a run
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <boost/json/value.hpp>

#include "base/iso8601.hpp"

namespace solo {

struct Event {
  int64_t id = 0;
  std::string event_type;
  std::string tenant_id;
  std::string service_id;
  std::string subject;
  std::string payload = "{}";
  std::optional<int64_t> causation_id;
  std::string wall_clock;
  int64_t mono_ns = 0;
};

// What a caller hands to EventStore::append; the store adds id and clocks.
struct NewEvent {
  std::string event_type;
  std::string tenant_id;
  std::string service_id;
  std::string subject;
  boost::json::value payload = boost::json::object();
  std::optional<int64_t> causation_id;
};

// The HTTP/JSON shape: {"id","event_type","timestamp","tenant_id","service_id",
// "subject","payload","causation_id"} with payload as a JSON value.
boost::json::value to_json(const Event& event);

// The steady clock in ns (wall_clock comes from base/iso8601.hpp).
int64_t steady_now_ns();

}  // namespace solo
