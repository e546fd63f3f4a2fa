#include "stores/registration_store.hpp"

#include "stores/database.hpp"

namespace solo {

ProjectionFn RegistrationStore::upsert(RegistrationRow row) {
  return [row = std::move(row)](Database& db, const Event&) {
    static const std::string kUpsert =
        "INSERT INTO registrations (handle, tenant_id, service_id, name, version, metadata, expires_at, "
        "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
        "ON CONFLICT (handle) DO UPDATE SET tenant_id = excluded.tenant_id, service_id = excluded.service_id, "
        "name = excluded.name, version = excluded.version, metadata = excluded.metadata, "
        "expires_at = excluded.expires_at, created_at = excluded.created_at";
    auto& statement = db.cached(kUpsert);
    statement.bind(1, row.handle)
        .bind(2, row.tenant_id)
        .bind(3, row.service_id)
        .bind(4, row.name)
        .bind(5, row.version)
        .bind(6, row.metadata)
        .bind(7, row.expires_at)
        .bind(8, row.created_at);
    statement.run();
  };
}

ProjectionFn RegistrationStore::erase(std::string handle) {
  return erase_all({std::move(handle)});
}

ProjectionFn RegistrationStore::erase_all(std::vector<std::string> handles) {
  return [handles = std::move(handles)](Database& db, const Event&) {
    static const std::string kDelete = "DELETE FROM registrations WHERE handle = ?1";
    auto& statement = db.cached(kDelete);
    for (const auto& handle : handles) {
      statement.bind(1, handle);
      statement.run();
    }
  };
}

std::vector<RegistrationRow> RegistrationStore::load_all(Database& db) {
  static const std::string kAll =
      "SELECT handle, tenant_id, service_id, name, version, metadata, expires_at, created_at FROM registrations "
      "ORDER BY handle";
  auto& statement = db.cached(kAll);
  std::vector<RegistrationRow> rows;
  while (statement.step()) {
    RegistrationRow row;
    row.handle = statement.column_text(0);
    row.tenant_id = statement.column_text(1);
    row.service_id = statement.column_text(2);
    row.name = statement.column_text(3);
    row.version = statement.column_text(4);
    row.metadata = statement.column_text(5);
    row.expires_at = statement.column_int(6);
    row.created_at = statement.column_text(7);
    rows.push_back(std::move(row));
  }
  statement.reset();
  return rows;
}

}  // namespace solo
