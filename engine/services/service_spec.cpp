#include "engine/services/service_spec.hpp"

#include <boost/json.hpp>

namespace solo {

namespace {

const boost::json::value* field(const boost::json::object& object, std::string_view name) {
  auto it = object.find(name);
  return it == object.end() || it->value().is_null() ? nullptr : &it->value();
}

std::string string_field(const boost::json::object& object, std::string_view name, bool required) {
  const auto* value = field(object, name);
  if (!value) {
    if (required) throw SpecError("'" + std::string(name) + "' is required");
    return {};
  }
  if (!value->is_string()) throw SpecError("'" + std::string(name) + "' must be a string");
  return std::string(value->as_string());
}

// A positive integer within [1, max]; fallback when absent.
template <class T>
T bounded(const boost::json::object& object, std::string_view name, T fallback, T max) {
  const auto* value = field(object, name);
  if (!value) return fallback;
  if (!value->is_int64() && !value->is_uint64()) {
    throw SpecError("'" + std::string(name) + "' must be an integer");
  }
  int64_t n = value->is_int64() ? value->as_int64() : static_cast<int64_t>(value->as_uint64());
  if (n < 1 || static_cast<uint64_t>(n) > static_cast<uint64_t>(max)) {
    throw SpecError("'" + std::string(name) + "' must be from 1 to " + std::to_string(max));
  }
  return static_cast<T>(n);
}

}  // namespace

ServiceSpec parse_service_spec(const boost::json::object& body, const std::string& tenant_id,
                               const ServiceLimitsMax& max) {
  ServiceSpec spec;
  spec.tenant_id = tenant_id;
  spec.service_id = string_field(body, "service_id", true);
  if (!is_valid_identifier(spec.service_id)) {
    throw SpecError("'service_id' must be 1 to 128 characters of A-Z a-z 0-9 _ - . and not start with '.'");
  }
  spec.code = string_field(body, "code", true);
  if (spec.code.size() > max.code_bytes) {
    throw SpecError("'code' is larger than " + std::to_string(max.code_bytes) + " bytes");
  }
  std::string format = string_field(body, "format", false);
  spec.format = format.empty() ? "lua" : format;
  if (spec.format != "lua" && spec.format != "native") throw SpecError("'format' must be \"lua\" or \"native\"");
  if (const auto* config = field(body, "config")) spec.config = *config;
  if (const auto* limits = field(body, "limits")) {
    if (!limits->is_object()) throw SpecError("'limits' must be an object");
    const auto& l = limits->as_object();
    for (const auto& [key, value] : l) {
      if (key != "memory_bytes" && key != "cpu_ms_per_message" && key != "instructions_per_message" &&
          key != "mailbox" && key != "call_timeout_ms" && key != "payload_bytes" && key != "string_bytes" &&
          key != "storage_bytes" && key != "storage_keys") {
        throw SpecError("unknown limit '" + std::string(key) +
                        "' (known: memory_bytes, cpu_ms_per_message, instructions_per_message, mailbox, "
                        "call_timeout_ms, payload_bytes, string_bytes, storage_bytes, storage_keys)");
      }
    }
    spec.limits.memory_bytes = bounded<size_t>(l, "memory_bytes", spec.limits.memory_bytes, max.memory_bytes);
    spec.limits.cpu_time_per_message = std::chrono::milliseconds(bounded<int64_t>(
        l, "cpu_ms_per_message", spec.limits.cpu_time_per_message.count(), max.cpu_time_per_message.count()));
    spec.limits.instructions_per_message = bounded<uint64_t>(l, "instructions_per_message",
                                                             spec.limits.instructions_per_message,
                                                             max.instructions_per_message);
    spec.limits.mailbox = bounded<size_t>(l, "mailbox", spec.limits.mailbox, max.mailbox);
    spec.limits.call_timeout = std::chrono::milliseconds(bounded<int64_t>(
        l, "call_timeout_ms", spec.limits.call_timeout.count(), max.call_timeout.count()));
    spec.limits.payload_bytes = bounded<size_t>(l, "payload_bytes", spec.limits.payload_bytes, max.payload_bytes);
    spec.limits.string_bytes = bounded<size_t>(l, "string_bytes", spec.limits.string_bytes, max.string_bytes);
    spec.limits.storage_bytes = bounded<uint64_t>(l, "storage_bytes", spec.limits.storage_bytes, max.storage_bytes);
    spec.limits.storage_keys = bounded<uint64_t>(l, "storage_keys", spec.limits.storage_keys, max.storage_keys);
  }
  if (const auto* secrets = field(body, "secrets")) {
    if (!secrets->is_array()) throw SpecError("'secrets' must be an array of names");
    for (const auto& name : secrets->as_array()) {
      if (!name.is_string() || !is_valid_identifier(name.as_string())) {
        throw SpecError("'secrets' must hold valid secret names");
      }
      spec.secrets.emplace_back(name.as_string());
    }
  }
  if (const auto* metrics = field(body, "metrics")) {
    if (!metrics->is_string() || (metrics->as_string() != "tenant" && metrics->as_string() != "per_service")) {
      throw SpecError("'metrics' must be \"tenant\" (the default: only the tenant's aggregates on /metrics) or "
                      "\"per_service\" (this service's own series too)");
    }
    spec.per_service_metrics = metrics->as_string() == "per_service";
  }
  if (const auto* restart = field(body, "restart")) {
    if (!restart->is_object()) throw SpecError("'restart' must be an object");
    const auto& r = restart->as_object();
    spec.restart.max_restarts = bounded<int>(r, "max_restarts", spec.restart.max_restarts, 1000);
    spec.restart.period = std::chrono::seconds(bounded<int64_t>(r, "max_seconds", 5, 86400));
  }
  return spec;
}

boost::json::object to_json(const ServiceSpec& spec) {
  boost::json::array secrets;
  for (const auto& name : spec.secrets) secrets.emplace_back(name);
  boost::json::object out{
      {"service_id", spec.service_id},
      {"format", spec.format},
      {"code", spec.code},
      {"config", spec.config},
      {"limits",
       {{"memory_bytes", spec.limits.memory_bytes},
        {"cpu_ms_per_message", spec.limits.cpu_time_per_message.count()},
        {"instructions_per_message", spec.limits.instructions_per_message},
        {"mailbox", spec.limits.mailbox},
        {"call_timeout_ms", spec.limits.call_timeout.count()},
        {"payload_bytes", spec.limits.payload_bytes},
        {"string_bytes", spec.limits.string_bytes},
        {"storage_bytes", spec.limits.storage_bytes},
        {"storage_keys", spec.limits.storage_keys}}},
      {"secrets", std::move(secrets)},
      {"restart",
       {{"max_restarts", spec.restart.max_restarts},
        {"max_seconds", std::chrono::duration_cast<std::chrono::seconds>(spec.restart.period).count()}}},
      {"version", spec.version},
  };
  // Only when set, so that the stored specs of earlier deploys read the same.
  if (spec.per_service_metrics) out["metrics"] = "per_service";
  return out;
}

ServiceSpec service_spec_from_json(const boost::json::object& object, const std::string& tenant_id) {
  ServiceLimitsMax unlimited;
  unlimited.memory_bytes = SIZE_MAX / 2;
  unlimited.instructions_per_message = UINT64_MAX / 2;
  unlimited.cpu_time_per_message = std::chrono::hours(24);
  unlimited.mailbox = SIZE_MAX / 2;
  unlimited.call_timeout = std::chrono::hours(24);
  unlimited.payload_bytes = SIZE_MAX / 2;
  unlimited.string_bytes = SIZE_MAX / 2;
  unlimited.code_bytes = SIZE_MAX / 2;
  unlimited.storage_bytes = UINT64_MAX / 2;
  unlimited.storage_keys = UINT64_MAX / 2;
  ServiceSpec spec = parse_service_spec(object, tenant_id, unlimited);
  if (const auto* version = field(object, "version"); version && version->is_int64()) spec.version = version->as_int64();
  return spec;
}

}  // namespace solo
