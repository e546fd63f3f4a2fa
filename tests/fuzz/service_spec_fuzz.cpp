// Fuzz target: the deploy body -> ServiceSpec validation
// (engine/services/service_spec.hpp), what POST /services, PUT
// /services/{id}/code and the WebSocket deploy/swap ops validate before a
// service runs, and what recovery reads back from the log.
//
// Input: the JSON body. Invariants:
//   - a refusal is a SpecError (a 400 with a message), nothing else;
//   - an accepted spec is within the server's ceilings (every limit from 1 to
//     its max, code no larger than code_bytes, a valid service id, valid
//     secret names, format lua or native);
//   - to_json -> service_spec_from_json -> to_json is the identity (recovery
//     rebuilds exactly the spec that was deployed), and the stored form
//     validates again under the same ceilings;
//   - the default tenant quota (engine/tenancy/tenant_quota.hpp) refuses a
//     non-admin deploy exactly when a limit is above its default.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "engine/services/service_spec.hpp"
#include "engine/tenancy/quota_exceeded.hpp"
#include "engine/tenancy/tenant_quota.hpp"
#include "fuzz/fuzz_check.hpp"

namespace json = boost::json;

namespace {

bool above_defaults(const solo::LuaLimits& limits) {
  solo::LuaLimits defaults;
  return limits.memory_bytes > defaults.memory_bytes ||
         limits.cpu_time_per_message > defaults.cpu_time_per_message ||
         limits.instructions_per_message > defaults.instructions_per_message ||
         limits.mailbox > defaults.mailbox || limits.call_timeout > defaults.call_timeout ||
         limits.payload_bytes > defaults.payload_bytes || limits.string_bytes > defaults.string_bytes ||
         limits.storage_bytes > defaults.storage_bytes || limits.storage_keys > defaults.storage_keys;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  boost::system::error_code ec;
  json::value body = json::parse(text, ec);
  if (ec || !body.is_object()) return 0;

  const solo::ServiceLimitsMax max;  // the server's default ceilings
  solo::ServiceSpec spec;
  try {
    spec = solo::parse_service_spec(body.as_object(), "acme", max);
  } catch (const solo::SpecError& refused) {
    FUZZ_CHECK(std::string_view(refused.what()).size() > 0, "a refusal without a message");
    return 0;
  }
  FUZZ_CHECK(solo::is_valid_identifier(spec.service_id), spec.service_id);
  FUZZ_CHECK(spec.tenant_id == "acme", spec.tenant_id);
  FUZZ_CHECK(spec.code.size() <= max.code_bytes, "code past code_bytes");
  FUZZ_CHECK(spec.format == "lua" || spec.format == "native", spec.format);
  for (const auto& name : spec.secrets) FUZZ_CHECK(solo::is_valid_identifier(name), name);
  const auto& l = spec.limits;
  FUZZ_CHECK(l.memory_bytes >= 1 && l.memory_bytes <= max.memory_bytes, "memory_bytes");
  FUZZ_CHECK(l.cpu_time_per_message.count() >= 1 && l.cpu_time_per_message <= max.cpu_time_per_message, "cpu");
  FUZZ_CHECK(l.instructions_per_message >= 1 && l.instructions_per_message <= max.instructions_per_message,
             "instructions_per_message");
  FUZZ_CHECK(l.mailbox >= 1 && l.mailbox <= max.mailbox, "mailbox");
  FUZZ_CHECK(l.call_timeout.count() >= 1 && l.call_timeout <= max.call_timeout, "call_timeout");
  FUZZ_CHECK(l.payload_bytes >= 1 && l.payload_bytes <= max.payload_bytes, "payload_bytes");
  FUZZ_CHECK(l.string_bytes >= 1 && l.string_bytes <= max.string_bytes, "string_bytes");
  FUZZ_CHECK(l.storage_bytes >= 1 && l.storage_bytes <= max.storage_bytes, "storage_bytes");
  FUZZ_CHECK(l.storage_keys >= 1 && l.storage_keys <= max.storage_keys, "storage_keys");
  FUZZ_CHECK(spec.restart.max_restarts >= 1 && spec.restart.period.count() >= 1000, "restart policy");

  const auto stored = solo::to_json(spec);
  solo::ServiceSpec recovered;
  try {
    recovered = solo::service_spec_from_json(stored, "acme");
  } catch (const solo::SpecError& refused) {
    FUZZ_CHECK(false, std::string("recovery refuses a deployed spec: ") + refused.what());
  }
  FUZZ_CHECK(solo::to_json(recovered) == stored,
             json::serialize(stored) + " recovered as " + json::serialize(solo::to_json(recovered)));
  try {
    (void)solo::parse_service_spec(stored, "acme", max);
  } catch (const solo::SpecError& refused) {
    FUZZ_CHECK(false, std::string("the stored spec no longer validates: ") + refused.what());
  }
  bool refused = false;
  try {
    solo::check_service_maxima(spec, solo::TenantQuota::defaults(max));
  } catch (const solo::QuotaExceeded&) {
    refused = true;
  }
  FUZZ_CHECK(refused == above_defaults(spec.limits), "the default quota disagrees with the default limits");
  return 0;
}
