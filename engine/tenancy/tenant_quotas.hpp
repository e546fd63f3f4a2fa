// TenantQuotas: every tenant's quota (engine/tenancy/tenant_quota.hpp), the
// admin's changes to it, the reservations that make checks race-free, and
// the rolling hour of event-log bytes per tenant.
//
// Durability: set() answers after its tenant_quota_set event
//   {"tenant_id", "quota": the full new quota, "set": the fields the request
//    named, "set_by": the token id}
// and the tenant_quotas row (the fields ever set) are committed in one
// transaction (stores/quota_store.hpp); restore() loads the rows at start.
//
// Checks happen at the point of use, on the engine thread, in one step with
// no suspension between the check and the reservation: reserve() counts the
// tenant's current use (given by the caller, from the owner of the resource)
// plus what other requests in flight have reserved, and throws QuotaExceeded
// if `amount` more would pass the quota. The caller keeps the reservation
// until the resource shows in its owner's count (a deploy until the service
// is registered), so two concurrent requests cannot both take the last slot.
//
// Event log: every committed event with a tenant counts its payload bytes in
// per-minute buckets of the last hour (wall clock; restore() rebuilds them
// from the log). Solo's own events (crashes, restarts, violations, denials)
// are always written and counted; tenant-initiated writes call
// check_event_log() first and are refused once the hour is at the quota (the
// write that crosses it goes through: its size is known only once written).
//
// The admin tenant ("*") has no quota. Engine thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "engine/tenancy/tenant_quota.hpp"
#include "stores/event_store.hpp"

namespace solo {

// Amounts reserved by requests in flight: tenant -> quota -> amount.
using PendingQuota = std::map<std::string, std::map<std::string, uint64_t, std::less<>>, std::less<>>;

// Holds an amount of one quota until destroyed. Movable, not copyable.
class QuotaReservation {
 public:
  QuotaReservation() = default;
  QuotaReservation(std::shared_ptr<PendingQuota> pending, std::string tenant, std::string quota, uint64_t amount);
  QuotaReservation(QuotaReservation&& other) noexcept;
  QuotaReservation& operator=(QuotaReservation&& other) noexcept;
  QuotaReservation(const QuotaReservation&) = delete;
  QuotaReservation& operator=(const QuotaReservation&) = delete;
  ~QuotaReservation() { release(); }
  void release();

 private:
  std::shared_ptr<PendingQuota> pending_;
  std::string tenant_;
  std::string quota_;
  uint64_t amount_ = 0;
};

// Another change of the same tenant's quota is committing (conflict: retry).
class QuotaChangeInProgress : public Error {
 public:
  explicit QuotaChangeInProgress(const std::string& message) : Error(ErrorKind::conflict, message) {}
};

class TenantQuotas {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  TenantQuotas(std::shared_ptr<EventStore> events, ServiceLimitsMax ceilings, Clock clock = {});

  // Loads the rows, rebuilds the last hour of event-log bytes and starts
  // counting new events. Returns how many tenants have a quota of their own.
  asio::awaitable<size_t> restore();

  // The tenant's effective quota (defaults overlaid with what the admin set).
  TenantQuota quota(const std::string& tenant) const;
  // One field of it, without copying the quota (for checks on hot paths).
  uint64_t quota_value(const std::string& tenant, std::string_view name) const;
  // Merges `partial` into the tenant's quota, durably (see the file comment).
  // Throws QuotaError (400) and writes nothing when `partial` does not
  // validate; QuotaChangeInProgress (409) while another change of the same
  // tenant's quota commits (changes of one tenant never interleave).
  asio::awaitable<TenantQuota> set(std::string tenant, boost::json::object partial, std::string set_by);

  // Reserves `amount` of `quota_name` for the tenant; `used` is its current
  // use as its owner counts it. Throws QuotaExceeded.
  QuotaReservation reserve(const std::string& tenant, const std::string& quota_name, uint64_t used,
                           uint64_t amount = 1);
  uint64_t pending(const std::string& tenant, const std::string& quota_name) const;

  // Throws QuotaExceeded when the tenant's last hour is at or over its
  // event_log_bytes_per_hour quota.
  void check_event_log(const std::string& tenant) const;
  uint64_t event_log_bytes(const std::string& tenant) const;
  const ServiceLimitsMax& ceilings() const { return ceilings_; }

 private:
  void count(const std::string& tenant, int64_t minute, uint64_t bytes);
  // Defaults overlaid with the stored fields; a field this solo does not know
  // or whose value is out of today's range keeps its default.
  TenantQuota effective(const boost::json::object& overrides) const;
  int64_t minute_now() const;

  std::shared_ptr<EventStore> events_;
  ServiceLimitsMax ceilings_;
  TenantQuota defaults_;  // every tenant's quota until the admin sets one
  Clock clock_;
  std::map<std::string, boost::json::object, std::less<>> overrides_;      // tenant -> fields the admin set
  std::map<std::string, TenantQuota, std::less<>> effective_;              // tenant -> its quota (with overrides)
  std::set<std::string, std::less<>> changing_;                           // tenants whose set() is committing
  std::map<std::string, std::deque<std::pair<int64_t, uint64_t>>, std::less<>> window_;  // tenant -> (minute, bytes)
  std::shared_ptr<PendingQuota> pending_ = std::make_shared<PendingQuota>();
  EventStore::Subscription subscription_;
};

bool is_quota_exempt(const std::string& tenant);

}  // namespace solo
