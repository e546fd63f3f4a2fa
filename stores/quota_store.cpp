#include "stores/quota_store.hpp"

#include "stores/sqlite.hpp"

namespace solo {

ProjectionFn QuotaStore::upsert(QuotaRow row) {
  return [row = std::move(row)](Database& db, const Event& event) {
    static const std::string kUpsert =
        "INSERT OR REPLACE INTO tenant_quotas (tenant_id, overrides, updated_at, last_event_id) "
        "VALUES (?1, ?2, ?3, ?4)";
    auto& statement = db.cached(kUpsert);
    statement.bind(1, row.tenant_id).bind(2, row.overrides).bind(3, event.wall_clock).bind(4, event.id);
    statement.run();
  };
}

std::vector<QuotaRow> QuotaStore::load_all(Database& db) {
  static const std::string kAll = "SELECT tenant_id, overrides FROM tenant_quotas ORDER BY tenant_id";
  auto& statement = db.cached(kAll);
  std::vector<QuotaRow> rows;
  while (statement.step()) rows.push_back({statement.column_text(0), statement.column_text(1)});
  statement.reset();
  return rows;
}

std::vector<EventBytesRow> QuotaStore::event_bytes_since(Database& db, const std::string& since_wall_clock) {
  static const std::string kAt = "SELECT wall_clock FROM events WHERE id = ?1";
  auto& at = db.cached(kAt);
  auto wall_clock_of = [&at](int64_t id) {
    at.bind(1, id);
    std::string text = at.step() ? at.column_text(0) : std::string();
    at.reset();
    return text;
  };
  // The first id whose wall_clock >= since (last + 1 when none is).
  int64_t low = db.query_int("SELECT COALESCE(MIN(id), 1) FROM events");
  int64_t high = db.query_int("SELECT COALESCE(MAX(id), 0) FROM events") + 1;
  while (low < high) {
    int64_t middle = low + (high - low) / 2;
    if (wall_clock_of(middle) < since_wall_clock) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  static const std::string kBytes =
      "SELECT tenant_id, CAST(strftime('%s', substr(wall_clock, 1, 19)) AS INTEGER) / 60, "
      "SUM(length(CAST(payload AS BLOB))) FROM events WHERE id >= ?1 AND tenant_id <> '' GROUP BY 1, 2";
  auto& statement = db.cached(kBytes);
  statement.bind(1, low);
  std::vector<EventBytesRow> rows;
  while (statement.step()) {
    rows.push_back({statement.column_text(0), statement.column_int(1),
                    static_cast<uint64_t>(statement.column_int(2))});
  }
  statement.reset();
  return rows;
}

}  // namespace solo
