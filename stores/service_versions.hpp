// A service's versions as the event log tells them: every deploy
// (service_deployed), successful swap (hot_swap_succeeded) and rollback
// (hot_swap_rolled_back) of one (tenant, service), newest first. Read by
// GET /services/{id}/versions[/{event_id}] (net/api/version_routes.cpp).
//
// A rollback's event names only the version it restored; its code is the
// code of the latest deploy or swap of that version before the rollback
// (a later swap may reuse the rolled-back version number, never an earlier
// one), so a rollback entry carries the code that ran after it.
//
// Cost: the pages walk the (event_type, id) index of the three lifecycle
// types below the cursor, across tenants, filtering by tenant and service:
// proportional to the deploys and swaps of the whole log, not its calls or
// service events. Reader thread only (EventStore::read).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "stores/database.hpp"

namespace solo {

struct ServiceVersion {
  int64_t event_id = 0;
  std::string kind;  // "deploy" | "swap" | "rollback"
  int64_t version = 0;
  std::string at;    // the event's wall clock (ISO 8601)
  std::string code;  // what ran from this event on
};

// Up to `limit` entries with event ids below `before_id` (0: from the newest).
std::vector<ServiceVersion> list_service_versions(Database& db, const std::string& tenant_id,
                                                  const std::string& service_id, int64_t before_id, size_t limit);

// The entry of one event; nullopt when that event is not a version of this
// (tenant, service) — another tenant's event is as missing as no event.
std::optional<ServiceVersion> find_service_version(Database& db, const std::string& tenant_id,
                                                   const std::string& service_id, int64_t event_id);

}  // namespace solo
