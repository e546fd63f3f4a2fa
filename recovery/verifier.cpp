#include "recovery/verifier.hpp"

#include <chrono>
#include <map>

#include <boost/json.hpp>

#include "engine/services/deployer.hpp"
#include "engine/storage/storage_directory.hpp"
#include "recovery/lifecycle.hpp"
#include "recovery/recovery_telemetry.hpp"
#include "stores/event_store.hpp"
#include "stores/service_store.hpp"

namespace solo {

namespace {

using Key = std::pair<std::string, std::string>;  // tenant, service

// At most this many sentences go into a verification_completed event (the
// counts per kind are always complete); the HTTP answer has them all.
constexpr size_t kEventSentences = 100;

std::string name(const Key& key) { return key.first + "/" + key.second; }

void note(VerificationResult& result, const char* kind, std::string sentence) {
  ++result.found[kind];
  result.inconsistencies.push_back(std::move(sentence));
}

void fixed(VerificationResult& result, const char* kind) {
  ++result.fixed[kind];
  ++result.fixes_applied;
}

boost::json::object counts(const std::map<std::string, int64_t>& by_kind) {
  boost::json::object object;
  for (const auto& [kind, count] : by_kind) object[kind] = count;
  return object;
}

// solo.storage against the services table and the quotas: data whose id has
// no row (kept by a DELETE without purge), and data past a limit (a quota
// lowered after it was written; writes are refused, the data stays).
void check_storage(const StorageDirectory& storage, const std::map<Key, ServiceRow>& rows,
                   VerificationResult& result) {
  std::map<std::string, StorageUse> tenants;
  for (const auto& owner : storage.owners()) {
    const Key key{owner.tenant_id, owner.service_id};
    auto& tenant = tenants[owner.tenant_id];
    tenant.bytes += owner.use.bytes;
    tenant.keys += owner.use.keys;
    if (!rows.count(key)) {
      note(result, inconsistency::kOrphanedStorage,
           "orphaned storage: " + name(key) + " holds " + std::to_string(owner.use.keys) +
               " keys but has no services row (kept by DELETE without ?purge=true; purge it with DELETE "
               "/services/" + owner.service_id + "?purge=true)");
    }
    const StorageLimits limits = storage.limits_of(owner.tenant_id, owner.service_id);
    if (owner.use.bytes > limits.service_bytes || owner.use.keys > limits.service_keys) {
      note(result, inconsistency::kStorageOverQuota,
           "storage over quota: " + name(key) + " holds " + std::to_string(owner.use.keys) + " keys, " +
               std::to_string(owner.use.bytes) + " bytes; its limits are " + std::to_string(limits.service_keys) +
               " keys, " + std::to_string(limits.service_bytes) + " bytes");
    }
  }
  for (const auto& [tenant, use] : tenants) {
    const StorageLimits limits = storage.limits_of(tenant, "");
    if (use.bytes > limits.tenant_bytes || use.keys > limits.tenant_keys) {
      note(result, inconsistency::kStorageOverQuota,
           "storage over quota: tenant " + tenant + " holds " + std::to_string(use.keys) + " keys, " +
               std::to_string(use.bytes) + " bytes; its quota is " + std::to_string(limits.tenant_keys) +
               " keys, " + std::to_string(limits.tenant_bytes) + " bytes");
    }
  }
}

NewEvent completed_event(const VerificationResult& result, VerifyTrigger trigger) {
  boost::json::array sentences;
  for (size_t i = 0; i < result.inconsistencies.size() && i < kEventSentences; ++i) {
    sentences.emplace_back(result.inconsistencies[i]);
  }
  NewEvent event;
  event.event_type = "verification_completed";
  event.payload = {{"trigger", to_string(trigger)},
                   {"status", result.status},
                   {"since_id", result.since_id},
                   {"verified_through", result.verified_through},
                   {"found", counts(result.found)},
                   {"fixed", counts(result.fixed)},
                   {"fixes_applied", result.fixes_applied},
                   {"inconsistencies", std::move(sentences)},
                   {"duration_ms", result.duration_ms}};
  return event;
}

std::vector<std::string> lifecycle_types() { return {kLifecycleEvents.begin(), kLifecycleEvents.end()}; }

}  // namespace

const char* to_string(VerifyTrigger trigger) {
  return trigger == VerifyTrigger::recovery ? "recovery" : "request";
}

boost::asio::awaitable<VerificationResult> Verifier::verify(int64_t since_id, bool auto_fix, VerifyTrigger trigger) {
  auto started = std::chrono::steady_clock::now();
  VerificationResult result;
  result.since_id = since_id;
  result.verified_through = events_->committed_id();
  std::function<std::vector<ServiceRow>(Database&)> load_rows = [](Database& db) { return load_service_rows(db); };
  auto row_list = co_await events_->read<std::vector<ServiceRow>>(std::move(load_rows));
  const std::vector<std::string> types = lifecycle_types();
  auto latest_list = co_await events_->latest_per_service(types, since_id);

  std::map<Key, ServiceRow> rows;
  for (auto& row : row_list) rows.emplace(Key{row.tenant_id, row.service_id}, std::move(row));
  std::map<Key, LatestEvent> log;
  for (auto& latest : latest_list) log.emplace(Key{latest.tenant_id, latest.service_id}, std::move(latest));
  std::map<Key, std::shared_ptr<ServiceActor>> running;
  for (auto& actor : deployer_->directory()->all()) running.emplace(Key{actor->spec().tenant_id, actor->spec().service_id}, actor);

  for (const auto& [key, row] : rows) {
    auto actor = running.find(key);
    if (actor == running.end()) {
      std::string sentence = "missing: " + name(key) + " is in the services table but not running";
      if (auto_fix) {
        std::string error;
        try {
          co_await deployer_->recover(row);
        } catch (const std::exception& e) {
          error = e.what();
        }
        if (error.empty()) {
          fixed(result, inconsistency::kMissing);
          sentence += " (started)";
        } else {
          sentence += " (could not start: " + error + ")";
        }
      }
      note(result, inconsistency::kMissing, std::move(sentence));
    } else if (actor->second->spec().version != row.version) {
      note(result, inconsistency::kVersionMismatch,
           "version mismatch: " + name(key) + " runs version " + std::to_string(actor->second->spec().version) +
               ", the table says " + std::to_string(row.version));
    }
  }
  for (const auto& [key, actor] : running) {
    if (rows.count(key)) continue;
    auto latest = log.find(key);
    if (latest != log.end() && !lifecycle_says_running(latest->second.event_type)) {
      std::string sentence = "killed but alive: " + name(key) + " runs although event " +
                             std::to_string(latest->second.id) + " (" + latest->second.event_type + ") ended it";
      if (auto_fix) {
        co_await deployer_->kill(key.first, key.second, true);
        fixed(result, inconsistency::kKilledButAlive);
        sentence += " (stopped)";
      }
      note(result, inconsistency::kKilledButAlive, std::move(sentence));
    } else {
      note(result, inconsistency::kOrphanedService,
           "orphaned service: " + name(key) + " runs without a services row");
    }
  }
  for (const auto& [key, latest] : log) {
    auto row = rows.find(key);
    bool says_running = lifecycle_says_running(latest.event_type);
    if (!says_running) ++result.ended_in_log;
    if (says_running && row == rows.end()) {
      note(result, inconsistency::kOrphanedEvents,
           "orphaned events: event " + std::to_string(latest.id) + " (" + latest.event_type + ") says " + name(key) +
               " runs, but the services table has no row");
    } else if (!says_running && row != rows.end() && row->second.last_event_id < latest.id) {
      note(result, inconsistency::kStaleRow,
           "stale row: " + name(key) + " is in the services table although event " + std::to_string(latest.id) +
               " (" + latest.event_type + ") ended it");
    }
  }
  if (const auto& storage = deployer_->world()->storage) check_storage(*storage, rows, result);
  if (!result.inconsistencies.empty()) result.status = "warning";
  result.duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  events_->append(completed_event(result, trigger));
  if (telemetry_) telemetry_->record(result, trigger);
  co_return result;
}

}  // namespace solo
