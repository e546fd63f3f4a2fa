#include "stores/storage_store.hpp"

#include "stores/database.hpp"

namespace solo {

WriteFn storage_write(std::string tenant_id, std::string service_id, std::vector<StorageChange> changes) {
  return [tenant_id = std::move(tenant_id), service_id = std::move(service_id),
          changes = std::move(changes)](Database& db) {
    static const std::string kPut =
        "INSERT INTO service_storage (tenant_id, service_id, key, value) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (tenant_id, service_id, key) DO UPDATE SET value = excluded.value";
    static const std::string kDelete =
        "DELETE FROM service_storage WHERE tenant_id = ?1 AND service_id = ?2 AND key = ?3";
    for (const auto& change : changes) {
      auto& statement = db.cached(change.value ? kPut : kDelete);
      statement.bind(1, tenant_id).bind(2, service_id).bind(3, change.key);
      if (change.value) statement.bind(4, *change.value);
      statement.run();
    }
  };
}

ProjectionFn storage_purge(std::string tenant_id, std::string service_id) {
  return [tenant_id = std::move(tenant_id), service_id = std::move(service_id)](Database& db, const Event&) {
    static const std::string kPurge = "DELETE FROM service_storage WHERE tenant_id = ?1 AND service_id = ?2";
    auto& statement = db.cached(kPurge);
    statement.bind(1, tenant_id).bind(2, service_id);
    statement.run();
  };
}

void load_storage_rows(Database& db, const StorageRowVisitor& row) {
  static const std::string kAll =
      "SELECT tenant_id, service_id, key, value FROM service_storage ORDER BY tenant_id, service_id, key";
  auto& statement = db.cached(kAll);
  while (statement.step()) {
    row(statement.column_view(0), statement.column_view(1), statement.column_view(2), statement.column_view(3));
  }
  statement.reset();
}

}  // namespace solo
