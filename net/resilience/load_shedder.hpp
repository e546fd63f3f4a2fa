// LoadShedder: per-tenant and global limits on requests in flight, with fair
// rejection (docs/http-api.md "Load shedding").
//
// Every request the Gateway routes (after authentication; GET /health and
// GET /metrics are exempt) first takes a Permit for its tenant and holds it
// until the response is built; the Permit gives its slot back when destroyed.
// A request is refused when
//   - its tenant already has `tenant_limit` requests in flight: 429, reason
//     "tenant" (that tenant is over its own limit);
//   - the process is busy (in flight >= `fair_share_threshold` x global_limit)
//     and its tenant holds more than its fair share (global_limit divided by
//     the tenants with requests in flight): 429, reason "fair_share" — so a
//     tenant over its share is turned away before the others are;
//   - `global_limit` requests are in flight: 503, reason "global".
// Both answers are `overloaded` with Retry-After (options.retry_after).
//
// Engine thread only (plain counters, no atomics).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace solo::net {

struct LoadShedderOptions {
  size_t global_limit = 1024;      // requests in flight in the whole process
  size_t tenant_limit = 256;       // requests in flight per tenant
  double fair_share_threshold = 0.75;  // from this fraction of global_limit on, fair shares apply
  std::chrono::seconds retry_after{1};
};

class LoadShedder;

// A slot held for the duration of one request; move-only; releases on destruction.
class LoadPermit {
 public:
  LoadPermit() = default;
  LoadPermit(LoadPermit&& other) noexcept { *this = std::move(other); }
  LoadPermit& operator=(LoadPermit&& other) noexcept;
  LoadPermit(const LoadPermit&) = delete;
  LoadPermit& operator=(const LoadPermit&) = delete;
  ~LoadPermit() { release(); }
  void release();
  bool held() const { return !owner_.expired() && held_; }

 private:
  friend class LoadShedder;
  LoadPermit(std::weak_ptr<LoadShedder> owner, std::string tenant)
      : owner_(std::move(owner)), tenant_(std::move(tenant)), held_(true) {}
  std::weak_ptr<LoadShedder> owner_;
  std::string tenant_;
  bool held_ = false;
};

class LoadShedder : public std::enable_shared_from_this<LoadShedder> {
 public:
  explicit LoadShedder(LoadShedderOptions options = {}) : options_(options) {}

  // A permit, or the refusal: an Error of kind throttled (429: reasons
  // "tenant", "fair_share") or overloaded (503: "global"), with Retry-After.
  Result<LoadPermit> try_acquire(const std::string& tenant);

  size_t in_flight() const { return in_flight_; }
  size_t in_flight(const std::string& tenant) const;
  uint64_t shed(std::string_view reason) const;
  const LoadShedderOptions& options() const { return options_; }

  // Prometheus lines: solo_shed_requests_total{reason}, solo_load_in_flight,
  // solo_load_tenant_in_flight{tenant}, solo_load_limit{scope}.
  void render_metrics(std::string& out) const;

 private:
  friend class LoadPermit;
  void release(const std::string& tenant);

  LoadShedderOptions options_;
  size_t in_flight_ = 0;
  std::map<std::string, size_t, std::less<>> tenants_;  // only tenants with requests in flight
  uint64_t shed_tenant_ = 0;
  uint64_t shed_fair_ = 0;
  uint64_t shed_global_ = 0;
};

}  // namespace solo::net
