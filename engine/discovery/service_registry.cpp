#include "engine/discovery/service_registry.hpp"

#include <algorithm>
#include <chrono>

#include <boost/json.hpp>

#include "base/prometheus.hpp"
#include "engine/identifier.hpp"
#include "base/hex.hpp"
#include "engine/security/crypto.hpp"
#include "stores/event_store.hpp"
#include "stores/registration_store.hpp"

namespace solo {

namespace {

int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

[[noreturn]] void invalid(const std::string& message) { throw RegistryError(RegistryError::Kind::invalid, message); }

bool printable(const std::string& text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f; });
}

// A metadata value as filters see it: strings as they are, other scalars as JSON text.
std::string scalar_text(const boost::json::value& value) {
  if (value.is_string()) return std::string(value.as_string());
  return boost::json::serialize(value);
}

Registration from_row(const RegistrationRow& row) {
  Registration registration;
  registration.handle = row.handle;
  registration.tenant_id = row.tenant_id;
  registration.service_id = row.service_id;
  registration.name = row.name;
  registration.version = row.version;
  boost::system::error_code ec;
  auto metadata = boost::json::parse(row.metadata, ec);
  if (!ec && metadata.is_object()) registration.metadata = std::move(metadata.as_object());
  registration.expires_at_ms = row.expires_at;
  registration.created_at = row.created_at;
  return registration;
}

NewEvent registry_event(const char* type, const Registration& registration) {
  NewEvent event;
  event.event_type = type;
  event.tenant_id = registration.tenant_id;
  event.service_id = registration.service_id;
  event.subject = registration.handle;
  boost::json::object payload;
  payload["handle"] = registration.handle;
  payload["name"] = registration.name;
  payload["version"] = registration.version;
  event.payload = std::move(payload);
  return event;
}

}  // namespace

ServiceRegistry::ServiceRegistry(std::shared_ptr<EventStore> events, AliveFn alive, RegistryOptions options,
                                 Clock clock)
    : events_(std::move(events)),
      alive_(std::move(alive)),
      options_(options),
      clock_(clock ? std::move(clock) : Clock(system_now_ms)) {}

boost::asio::awaitable<size_t> ServiceRegistry::restore() {
  std::function<std::vector<RegistrationRow>(Database&)> load = [](Database& db) {
    return RegistrationStore::load_all(db);
  };
  auto rows = co_await events_->read<std::vector<RegistrationRow>>(std::move(load));
  by_tenant_.clear();
  size_t live = 0;
  auto now = clock_();
  for (const auto& row : rows) {
    auto registration = from_row(row);
    if (registration.expires_at_ms > now) ++live;
    auto tenant = registration.tenant_id;
    auto handle = registration.handle;
    by_tenant_[tenant][handle] = std::move(registration);
  }
  co_return live;
}

boost::asio::awaitable<Registration> ServiceRegistry::register_service(std::string tenant, std::string service_id,
                                                                        std::string name, std::string version,
                                                                        boost::json::object metadata,
                                                                        std::optional<int64_t> ttl_seconds) {
  if (!is_valid_identifier(tenant)) invalid("invalid tenant id");
  if (!is_valid_identifier(service_id)) invalid("'service_id' must be 1-128 of A-Z a-z 0-9 _ - . (not starting with .)");
  if (!is_valid_identifier(name)) invalid("'name' must be 1-128 of A-Z a-z 0-9 _ - . (not starting with .)");
  if (version.empty() || version.size() > options_.max_text || !printable(version)) {
    invalid("'version' must be 1-" + std::to_string(options_.max_text) + " printable characters");
  }
  if (metadata.size() > options_.max_metadata_keys) {
    invalid("'metadata' has more than " + std::to_string(options_.max_metadata_keys) + " keys");
  }
  for (const auto& [key, value] : metadata) {
    std::string k(key);
    if (k.empty() || k.size() > options_.max_text || !printable(k)) invalid("metadata key '" + k + "' is not allowed");
    if (!(value.is_string() || value.is_number() || value.is_bool())) {
      invalid("metadata value of '" + k + "' must be a string, number or boolean");
    }
    if (scalar_text(value).size() > options_.max_text) invalid("metadata value of '" + k + "' is too long");
  }
  int64_t ttl = ttl_seconds.value_or(options_.default_ttl_seconds);
  if (ttl < 1 || ttl > options_.max_ttl_seconds) {
    invalid("'ttl_seconds' must be an integer from 1 to " + std::to_string(options_.max_ttl_seconds));
  }

  auto& mine = by_tenant_[tenant];
  Registration registration;
  // The same service, name and version again: a renewal under the same handle.
  for (const auto& [handle, existing] : mine) {
    if (existing.service_id == service_id && existing.name == name && existing.version == version) {
      registration.handle = handle;
      registration.created_at = existing.created_at;
      break;
    }
  }
  if (registration.handle.empty()) {
    // How many a tenant may hold is its `registrations` quota, checked by the
    // caller (net/api/quota_checks.hpp).
    registration.handle = "reg_" + to_hex(crypto::random_bytes(12));
    registration.created_at = utc_now_iso8601();
  }
  registration.tenant_id = tenant;
  registration.service_id = std::move(service_id);
  registration.name = std::move(name);
  registration.version = std::move(version);
  registration.metadata = std::move(metadata);
  registration.expires_at_ms = clock_() + ttl * 1000;

  auto event = registry_event("service_registered", registration);
  auto& payload = event.payload.as_object();
  payload["metadata"] = registration.metadata;
  payload["ttl_seconds"] = ttl;
  payload["expires_at"] = registration.expires_at_ms;
  RegistrationRow row{registration.handle,  registration.tenant_id, registration.service_id,
                      registration.name,    registration.version,   boost::json::serialize(registration.metadata),
                      registration.expires_at_ms, registration.created_at};
  auto projection = RegistrationStore::upsert(std::move(row));
  co_await events_->append_durable(std::move(event), std::move(projection));
  by_tenant_[tenant][registration.handle] = registration;
  co_return registration;
}

boost::asio::awaitable<void> ServiceRegistry::unregister(std::string tenant, std::string handle) {
  const auto* registration = find(tenant, handle);
  if (!registration) throw RegistryError(RegistryError::Kind::not_found, "no registration " + handle);
  auto event = registry_event("service_unregistered", *registration);
  auto projection = RegistrationStore::erase(handle);
  co_await events_->append_durable(std::move(event), std::move(projection));
  auto it = by_tenant_.find(tenant);
  if (it != by_tenant_.end()) {
    it->second.erase(handle);
    if (it->second.empty()) by_tenant_.erase(it);
  }
}

boost::asio::awaitable<size_t> ServiceRegistry::sweep() {
  if (sweeping_) co_return 0;
  sweeping_ = true;
  auto now = clock_();
  std::vector<Registration> expired;
  for (const auto& [tenant, handles] : by_tenant_) {
    for (const auto& [handle, registration] : handles) {
      if (registration.expires_at_ms <= now) expired.push_back(registration);
    }
  }
  size_t removed = 0;
  try {
    for (const auto& registration : expired) {
      if (const auto* still = find_any(registration.tenant_id, registration.handle);
          !still || still->expires_at_ms > now) {
        continue;  // unregistered or renewed since the scan
      }
      auto event = registry_event("registration_expired", registration);
      event.payload.as_object()["expires_at"] = registration.expires_at_ms;
      auto projection = RegistrationStore::erase(registration.handle);
      co_await events_->append_durable(std::move(event), std::move(projection));
      auto it = by_tenant_.find(registration.tenant_id);
      if (it == by_tenant_.end()) continue;
      auto current = it->second.find(registration.handle);
      // Renewed meanwhile: the renewal's row replaced ours... and was just erased; put it back.
      if (current != it->second.end() && current->second.expires_at_ms > now) {
        RegistrationRow row{current->second.handle,  current->second.tenant_id,
                            current->second.service_id, current->second.name,
                            current->second.version, boost::json::serialize(current->second.metadata),
                            current->second.expires_at_ms, current->second.created_at};
        auto again = RegistrationStore::upsert(std::move(row));
        auto renewed = registry_event("service_registered", current->second);
        co_await events_->append_durable(std::move(renewed), std::move(again));
        continue;
      }
      if (current != it->second.end()) it->second.erase(current);
      if (it->second.empty()) by_tenant_.erase(it);
      ++removed;
      ++expired_total_;
    }
  } catch (...) {
    sweeping_ = false;
    throw;
  }
  sweeping_ = false;
  co_return removed;
}

std::vector<Registration> ServiceRegistry::discover(const std::string& tenant, const DiscoverQuery& query) const {
  std::vector<Registration> out;
  auto it = by_tenant_.find(tenant);
  if (it == by_tenant_.end()) return out;
  auto now = clock_();
  for (const auto& [handle, registration] : it->second) {
    if (registration.expires_at_ms <= now) continue;
    if (!query.name.empty() && registration.name != query.name) continue;
    if (!query.version.empty() && registration.version != query.version) continue;
    bool match = true;
    for (const auto& [key, value] : query.metadata) {
      auto found = registration.metadata.if_contains(key);
      if (!found || scalar_text(*found) != value) {
        match = false;
        break;
      }
    }
    if (match) out.push_back(registration);
  }
  std::sort(out.begin(), out.end(), [](const Registration& a, const Registration& b) {
    return std::tie(a.name, a.version, a.service_id, a.handle) < std::tie(b.name, b.version, b.service_id, b.handle);
  });
  return out;
}

const Registration* ServiceRegistry::find_any(const std::string& tenant, const std::string& handle) const {
  auto it = by_tenant_.find(tenant);
  if (it == by_tenant_.end()) return nullptr;
  auto found = it->second.find(handle);
  return found == it->second.end() ? nullptr : &found->second;
}

const Registration* ServiceRegistry::find(const std::string& tenant, const std::string& handle) const {
  auto it = by_tenant_.find(tenant);
  if (it == by_tenant_.end()) return nullptr;
  auto found = it->second.find(handle);
  if (found == it->second.end() || found->second.expires_at_ms <= clock_()) return nullptr;
  return &found->second;
}

bool ServiceRegistry::alive(const Registration& registration) const {
  return alive_ && alive_(registration.tenant_id, registration.service_id);
}

boost::json::object ServiceRegistry::to_json(const Registration& registration) const {
  boost::json::object body;
  body["handle"] = registration.handle;
  body["service_id"] = registration.service_id;
  body["name"] = registration.name;
  body["version"] = registration.version;
  body["metadata"] = registration.metadata;
  body["expires_at"] = format_iso8601(std::chrono::system_clock::time_point(
      std::chrono::milliseconds(registration.expires_at_ms)));
  body["ttl_remaining_s"] = std::max<int64_t>(0, (registration.expires_at_ms - clock_() + 999) / 1000);
  body["alive"] = alive(registration);
  body["created_at"] = registration.created_at;
  return body;
}

bool ServiceRegistry::is_renewal(const std::string& tenant, const std::string& service_id, const std::string& name,
                                 const std::string& version) const {
  auto mine = by_tenant_.find(tenant);
  if (mine == by_tenant_.end()) return false;
  for (const auto& [handle, existing] : mine->second) {
    if (existing.service_id == service_id && existing.name == name && existing.version == version) return true;
  }
  return false;
}

size_t ServiceRegistry::count(const std::string& tenant) const {
  auto mine = by_tenant_.find(tenant);
  return mine == by_tenant_.end() ? 0 : mine->second.size();
}

size_t ServiceRegistry::size() const {
  size_t total = 0;
  for (const auto& [tenant, handles] : by_tenant_) total += handles.size();
  return total;
}

void ServiceRegistry::render_metrics(std::string& out) const {
  prometheus::gauge(out, "solo_registrations", "Discovery registrations held (expired ones until the next sweep).",
                    static_cast<double>(size()));
  prometheus::counter(out, "solo_registrations_expired_total", "Registrations removed by TTL expiry.",
                      static_cast<double>(expired_total_));
}

}  // namespace solo
