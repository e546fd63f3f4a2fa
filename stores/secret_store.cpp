#include "stores/secret_store.hpp"

namespace solo {

ProjectionFn SecretStore::upsert(SecretRow row) {
  return [row = std::move(row)](Database& db, const Event&) {
    static const std::string kUpsert =
        "INSERT INTO secrets (tenant_id, name, key_version, nonce, ciphertext, tag, updated_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
        "ON CONFLICT (tenant_id, name) DO UPDATE SET key_version = excluded.key_version, nonce = excluded.nonce, "
        "ciphertext = excluded.ciphertext, tag = excluded.tag, updated_at = excluded.updated_at";
    auto& statement = db.cached(kUpsert);
    statement.bind(1, row.tenant_id)
        .bind(2, row.name)
        .bind(3, row.key_version)
        .bind_blob(4, row.nonce)
        .bind_blob(5, row.ciphertext)
        .bind_blob(6, row.tag)
        .bind(7, row.updated_at);
    statement.run();
  };
}

ProjectionFn SecretStore::replace_if_unchanged(std::vector<SecretRow> rows, std::vector<std::string> expected_nonces) {
  return [rows = std::move(rows), expected = std::move(expected_nonces)](Database& db, const Event&) {
    static const std::string kReplace =
        "UPDATE secrets SET key_version = ?3, nonce = ?4, ciphertext = ?5, tag = ?6, updated_at = ?7 "
        "WHERE tenant_id = ?1 AND name = ?2 AND nonce = ?8";
    auto& statement = db.cached(kReplace);
    for (size_t i = 0; i < rows.size(); ++i) {
      const auto& row = rows[i];
      statement.bind(1, row.tenant_id)
          .bind(2, row.name)
          .bind(3, row.key_version)
          .bind_blob(4, row.nonce)
          .bind_blob(5, row.ciphertext)
          .bind_blob(6, row.tag)
          .bind(7, row.updated_at)
          .bind_blob(8, expected.at(i));
      statement.run();
    }
  };
}

ProjectionFn SecretStore::erase(std::string tenant_id, std::string name) {
  return [tenant_id = std::move(tenant_id), name = std::move(name)](Database& db, const Event&) {
    static const std::string kDelete = "DELETE FROM secrets WHERE tenant_id = ?1 AND name = ?2";
    auto& statement = db.cached(kDelete);
    statement.bind(1, tenant_id).bind(2, name);
    statement.run();
  };
}

std::vector<SecretRow> SecretStore::load_all(Database& db) {
  static const std::string kAll =
      "SELECT tenant_id, name, key_version, nonce, ciphertext, tag, updated_at FROM secrets "
      "ORDER BY tenant_id, name";
  auto& statement = db.cached(kAll);
  std::vector<SecretRow> rows;
  while (statement.step()) {
    SecretRow row;
    row.tenant_id = statement.column_text(0);
    row.name = statement.column_text(1);
    row.key_version = statement.column_int(2);
    row.nonce = statement.column_blob(3);
    row.ciphertext = statement.column_blob(4);
    row.tag = statement.column_blob(5);
    row.updated_at = statement.column_text(6);
    rows.push_back(std::move(row));
  }
  statement.reset();
  return rows;
}

}  // namespace solo
