// ServiceSpec: everything needed to run a service, and nothing else — the
// unit that is validated at deploy, written in full into the
// `service_deployed` event and the `services` row, and read back by recovery.
//
// JSON shape (POST /services, the event payload and services.spec):
//   {"service_id", "code", "format": "lua"|"native", "config": {...},
//    "limits": {"memory_bytes", "cpu_ms_per_message", "instructions_per_message", "mailbox", "call_timeout_ms",
//               "payload_bytes", "string_bytes", "storage_bytes", "storage_keys"},
//    "secrets": [names], "restart": {"max_restarts", "max_seconds"}, "version",
//    "metrics": "tenant"|"per_service"}  (written only when per_service)
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "base/error.hpp"
#include "engine/identifier.hpp"
#include "engine/sandbox/lua_limits.hpp"

namespace solo {

// A spec that does not validate; the message says which field and why (400).
class SpecError : public Error {
 public:
  explicit SpecError(const std::string& message) : Error(ErrorKind::invalid, message) {}
};

struct RestartPolicy {
  int max_restarts = 3;
  std::chrono::milliseconds period{5000};
};

// The server's ceilings for what a deploy may ask.
struct ServiceLimitsMax {
  size_t memory_bytes = 256u << 20;
  std::chrono::milliseconds cpu_time_per_message{10'000};
  uint64_t instructions_per_message = 10'000'000'000;
  size_t mailbox = 100'000;
  std::chrono::milliseconds call_timeout{60'000};
  size_t payload_bytes = 64u << 20;
  size_t string_bytes = 64u << 20;
  size_t code_bytes = 512 * 1024;
  uint64_t storage_bytes = 256u << 20;
  uint64_t storage_keys = 1'000'000;
};

struct ServiceSpec {
  std::string tenant_id;
  std::string service_id;
  std::string format = "lua";
  std::string code;
  boost::json::value config = boost::json::object();
  LuaLimits limits;
  std::vector<std::string> secrets;
  RestartPolicy restart;
  int64_t version = 1;
  // "metrics": "per_service": /metrics carries this service's own solo_service_*
  // series (label service=...), besides its tenant's aggregates; at most
  // kMaxPerServiceMetrics services of a tenant (the Deployer refuses more).
  bool per_service_metrics = false;
};

// How many services of one tenant may opt in to per-service metric series,
// so that /metrics keeps its cardinality bounded (docs/operations.md).
inline constexpr size_t kMaxPerServiceMetrics = 20;

// Validates a deploy request body; throws SpecError.
ServiceSpec parse_service_spec(const boost::json::object& body, const std::string& tenant_id,
                               const ServiceLimitsMax& max);
// The full spec as JSON (code included), and back (recovery).
boost::json::object to_json(const ServiceSpec& spec);
ServiceSpec service_spec_from_json(const boost::json::object& object, const std::string& tenant_id);

}  // namespace solo
