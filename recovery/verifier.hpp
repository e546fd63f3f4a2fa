// The Verifier: compares the three views of which services exist —
//   running   the Deployer's registry of actors (what runs now)
//   table     the `services` projection (the desired state)
//   log       the latest lifecycle event per service (the history)
// — and reports what disagrees, each inconsistency with its kind:
//   missing           in the table, not running              fixed: started from its row
//   killed_but_alive  running, no row, the log's latest
//                     word ended it (killed, failed)        fixed: stopped (Deployer::kill)
//   orphaned_service  running, no row, the log does not
//                     say it ended                           reported
//   version_mismatch  runs another version than the table    reported
//   orphaned_events   the log says it runs, no row           reported
//   stale_row         a row whose service the log ended      reported
//   orphaned_storage  solo.storage data of an id with no
//                     services row (kept by a DELETE
//                     without ?purge=true)                   reported
//   storage_over_quota  a service's data past its
//                     limits.storage_*, or a tenant's past
//                     its storage_*_total (a lowered quota)  reported
//
// Only the safe fixes are applied (auto_fix); the rest needs a person, since
// the table and the log disagree and neither can be trusted to overrule the
// other. The log is read only for lifecycle events after `since_id` (the last
// verified id), in pages, through the (event_type, id) index
// (EventStore::latest_per_service).
//
// Each run appends `verification_completed` (what it found and fixed; not
// awaited, so a degraded store does not fail the run) and records its figures
// in the RecoveryTelemetry, when given one.
//
// Engine thread only.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

namespace solo {

class Deployer;
class EventStore;
class RecoveryTelemetry;

// Who asked: the Replayer at start, or POST /system/verify.
enum class VerifyTrigger { recovery, request };
const char* to_string(VerifyTrigger trigger);

// The kinds, as they appear in results, events and metric labels.
namespace inconsistency {
inline constexpr const char* kMissing = "missing";
inline constexpr const char* kKilledButAlive = "killed_but_alive";
inline constexpr const char* kOrphanedService = "orphaned_service";
inline constexpr const char* kVersionMismatch = "version_mismatch";
inline constexpr const char* kOrphanedEvents = "orphaned_events";
inline constexpr const char* kStaleRow = "stale_row";
inline constexpr const char* kOrphanedStorage = "orphaned_storage";
inline constexpr const char* kStorageOverQuota = "storage_over_quota";
inline constexpr const char* kAll[] = {kMissing,       kKilledButAlive, kOrphanedService, kVersionMismatch,
                                       kOrphanedEvents, kStaleRow,      kOrphanedStorage, kStorageOverQuota};
}  // namespace inconsistency

struct VerificationResult {
  std::string status = "ok";  // "ok" | "warning"
  std::vector<std::string> inconsistencies;  // one sentence each, naming the service
  std::map<std::string, int64_t> found;      // kind -> inconsistencies of that kind
  std::map<std::string, int64_t> fixed;      // kind -> fixes applied for that kind
  int64_t fixes_applied = 0;
  int64_t ended_in_log = 0;  // services whose latest lifecycle event ended them (killed, failed)
  int64_t since_id = 0;           // the log check read the events after this id ...
  int64_t verified_through = 0;   // ... up to this one
  int64_t duration_ms = 0;
};

class Verifier {
 public:
  Verifier(std::shared_ptr<EventStore> events, std::shared_ptr<Deployer> deployer,
           std::shared_ptr<RecoveryTelemetry> telemetry = nullptr)
      : events_(std::move(events)), deployer_(std::move(deployer)), telemetry_(std::move(telemetry)) {}

  // since_id: lifecycle events after it are cross-checked with the table
  // (0 = the whole log). auto_fix: apply the safe fixes.
  boost::asio::awaitable<VerificationResult> verify(int64_t since_id, bool auto_fix,
                                                    VerifyTrigger trigger = VerifyTrigger::request);

 private:
  std::shared_ptr<EventStore> events_;
  std::shared_ptr<Deployer> deployer_;
  std::shared_ptr<RecoveryTelemetry> telemetry_;
};

}  // namespace solo
