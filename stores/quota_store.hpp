// QuotaStore: the `tenant_quotas` projection (schema step 6) and the one
// query over the event log that tenant quotas need at start.
//
// One row per tenant whose quota the admin has set:
//   tenant_id      the tenant
//   overrides      JSON object text: only the fields the admin set (the
//                  others follow the defaults of the running solo, so a
//                  default raised by an upgrade reaches every tenant that
//                  never set that field)
//   updated_at     ISO 8601 UTC of the event that wrote it
//   last_event_id  the tenant_quota_set event that wrote it
//
// Rows are written only through upsert(), handed to EventStore::append_durable
// with its tenant_quota_set event, so the table and the log never disagree.
// The loads run on the Reader thread (EventStore::read). Knows nothing of
// quota policy (engine/tenancy/tenant_quotas.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "stores/event_store.hpp"

namespace solo {

struct QuotaRow {
  std::string tenant_id;
  std::string overrides;  // JSON object text
};

// Bytes of event payload a tenant appended in one wall-clock minute.
struct EventBytesRow {
  std::string tenant_id;
  int64_t minute = 0;  // Unix time / 60
  uint64_t bytes = 0;
};

class QuotaStore {
 public:
  // Inserts or replaces the tenant's row.
  static ProjectionFn upsert(QuotaRow row);
  // Reader thread: every row.
  static std::vector<QuotaRow> load_all(Database& db);
  // Reader thread: payload bytes per (tenant, minute) of the events written
  // at or after `since_wall_clock` (ISO 8601 UTC), tenant events only. Finds
  // the first such event by a binary search over the primary key (ids are
  // gap-free and wall_clock grows with them), so it reads only that span.
  static std::vector<EventBytesRow> event_bytes_since(Database& db, const std::string& since_wall_clock);
};

}  // namespace solo
