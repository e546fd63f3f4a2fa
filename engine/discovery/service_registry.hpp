// ServiceRegistry: discovery (docs/http-api.md "Discovery"). A tenant
// registers a service under a name, a version and string metadata for a
// TTL; others of the same tenant discover it by name, version and metadata
// filters, each match with `alive` from the Deployer's running registry.
//
// Durable: every change is an event with its `registrations` row in the same
// transaction (stores/registration_store.hpp):
//   register    service_registered {handle, name, version, metadata, ttl_seconds, expires_at}
//               (registering the same service, name and version again renews
//               it: same handle, new metadata and expiry)
//   unregister  service_unregistered {handle, name}
//   expiry      registration_expired {handle, name}, appended by sweep()
//               (the supervised child runs it periodically)
// restore() loads the rows at start; an expired one is never returned and
// the next sweep() removes it.
//
// Expiry is wall-clock (Unix ms) so TTLs hold across restarts.
// Engine thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "base/error.hpp"

namespace solo {

class EventStore;

// Expected failures (invalid, not_found) are the engine's one error type.
using RegistryError = Error;

struct Registration {
  std::string handle;
  std::string tenant_id;
  std::string service_id;
  std::string name;
  std::string version;
  boost::json::object metadata;  // string values only
  int64_t expires_at_ms = 0;
  std::string created_at;
};

struct RegistryOptions {
  int64_t max_ttl_seconds = 86400;
  int64_t default_ttl_seconds = 60;
  size_t max_metadata_keys = 32;
  size_t max_text = 256;  // version, metadata keys and values
};

struct DiscoverQuery {
  std::string name;     // "" = any
  std::string version;  // "" = any
  std::vector<std::pair<std::string, std::string>> metadata;  // every pair must match
};

class ServiceRegistry {
 public:
  using Clock = std::function<int64_t()>;  // Unix ms
  // Whether (tenant, service) runs now (the Deployer's registry).
  using AliveFn = std::function<bool(const std::string& tenant, const std::string& service)>;

  ServiceRegistry(std::shared_ptr<EventStore> events, AliveFn alive, RegistryOptions options = {},
                  Clock clock = {});

  // Loads the rows; returns how many are live (not expired).
  boost::asio::awaitable<size_t> restore();

  // Validates and registers (or renews); returns the registration. Throws RegistryError.
  boost::asio::awaitable<Registration> register_service(std::string tenant, std::string service_id,
                                                        std::string name, std::string version,
                                                        boost::json::object metadata,
                                                        std::optional<int64_t> ttl_seconds);
  // Throws RegistryError(not_found) when the tenant has no such handle.
  boost::asio::awaitable<void> unregister(std::string tenant, std::string handle);
  // Appends registration_expired for each expired registration; returns how many.
  boost::asio::awaitable<size_t> sweep();

  // Live matches, sorted by (name, version, service_id, handle).
  // Whether registering (service, name, version) would renew a live entry.
  bool is_renewal(const std::string& tenant, const std::string& service_id, const std::string& name,
                  const std::string& version) const;
  // The tenant's registrations, expired ones not yet swept included.
  size_t count(const std::string& tenant) const;
  std::vector<Registration> discover(const std::string& tenant, const DiscoverQuery& query) const;
  const Registration* find(const std::string& tenant, const std::string& handle) const;
  bool alive(const Registration& registration) const;
  // {"handle","service_id","name","version","metadata","expires_at","ttl_remaining_s","alive","created_at"}
  boost::json::object to_json(const Registration& registration) const;

  size_t size() const;
  uint64_t expired_total() const { return expired_total_; }
  void render_metrics(std::string& out) const;
  int64_t now_ms() const { return clock_(); }

 private:
  // Expired or not.
  const Registration* find_any(const std::string& tenant, const std::string& handle) const;

  std::shared_ptr<EventStore> events_;
  AliveFn alive_;
  RegistryOptions options_;
  Clock clock_;
  std::map<std::string, std::map<std::string, Registration>> by_tenant_;  // tenant -> handle -> registration
  uint64_t expired_total_ = 0;
  bool sweeping_ = false;
};

}  // namespace solo
