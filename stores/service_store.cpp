#include "stores/service_store.hpp"

#include "stores/database.hpp"

namespace solo {

void upsert_service_row(Database& db, const ServiceRow& row) {
  auto& statement = db.cached(
      "INSERT INTO services (tenant_id, service_id, version, format, code, code_sha256, spec, created_at, "
      "updated_at, last_event_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
      "ON CONFLICT (tenant_id, service_id) DO UPDATE SET version = excluded.version, format = excluded.format, "
      "code = excluded.code, code_sha256 = excluded.code_sha256, spec = excluded.spec, "
      "updated_at = excluded.updated_at, last_event_id = excluded.last_event_id");
  statement.bind(1, row.tenant_id)
      .bind(2, row.service_id)
      .bind(3, row.version)
      .bind(4, row.format)
      .bind(5, row.code)
      .bind(6, row.code_sha256)
      .bind(7, row.spec)
      .bind(8, row.created_at)
      .bind(9, row.updated_at)
      .bind(10, row.last_event_id);
  statement.run();
}

void delete_service_row(Database& db, const std::string& tenant_id, const std::string& service_id) {
  auto& statement = db.cached("DELETE FROM services WHERE tenant_id = ?1 AND service_id = ?2");
  statement.bind(1, tenant_id).bind(2, service_id);
  statement.run();
}

std::vector<ServiceRow> load_service_rows(Database& db) {
  auto selected = db.prepare(
      "SELECT tenant_id, service_id, version, format, code, code_sha256, spec, created_at, updated_at, "
      "last_event_id FROM services ORDER BY tenant_id, service_id");
  auto& statement = *selected;
  std::vector<ServiceRow> rows;
  while (statement.step()) {
    rows.push_back({statement.column_text(0), statement.column_text(1), statement.column_int(2),
                    statement.column_text(3), statement.column_text(4), statement.column_text(5),
                    statement.column_text(6), statement.column_text(7), statement.column_text(8),
                    statement.column_int(9)});
  }
  return rows;
}

}  // namespace solo
