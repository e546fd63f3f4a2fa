#include "stores/token_store.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace solo {
namespace {

std::string permissions_json(const std::vector<std::string>& permissions) {
  boost::json::array array;
  for (const auto& p : permissions) array.emplace_back(p);
  return boost::json::serialize(array);
}

std::vector<std::string> parse_permissions(const std::string& text) {
  std::vector<std::string> permissions;
  boost::system::error_code ec;
  auto value = boost::json::parse(text, ec);
  if (ec || !value.is_array()) throw StoreError("tokens.permissions is not a JSON array: " + text);
  for (const auto& p : value.as_array()) {
    if (!p.is_string()) throw StoreError("tokens.permissions holds a non-string: " + text);
    permissions.emplace_back(p.as_string());
  }
  return permissions;
}

const std::string kSelect =
    "SELECT token_id, token_hash, tenant_id, permissions, resource, expires_at, parent_id, revoked, created_at "
    "FROM tokens";

std::vector<TokenRow> read_rows(Statement& statement) {
  std::vector<TokenRow> rows;
  while (statement.step()) {
    TokenRow row;
    row.token_id = statement.column_text(0);
    row.token_hash = statement.column_text(1);
    row.tenant_id = statement.column_text(2);
    row.permissions = parse_permissions(statement.column_text(3));
    row.resource = statement.column_text(4);
    if (!statement.column_is_null(5)) row.expires_at_ms = statement.column_int(5);
    if (!statement.column_is_null(6)) row.parent_id = statement.column_text(6);
    row.revoked = statement.column_int(7) != 0;
    row.created_at_ms = statement.column_int(8);
    rows.push_back(std::move(row));
  }
  statement.reset();
  return rows;
}

}  // namespace

ProjectionFn TokenStore::insert(TokenRow row) {
  return [row = std::move(row)](Database& db, const Event&) {
    static const std::string kInsert =
        "INSERT INTO tokens (token_id, token_hash, tenant_id, permissions, resource, expires_at, parent_id, "
        "revoked, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
    auto& statement = db.cached(kInsert);
    statement.bind(1, row.token_id)
        .bind(2, row.token_hash)
        .bind(3, row.tenant_id)
        .bind(4, permissions_json(row.permissions))
        .bind(5, row.resource)
        .bind(6, row.expires_at_ms)
        .bind(8, static_cast<int64_t>(row.revoked ? 1 : 0))
        .bind(9, row.created_at_ms);
    if (row.parent_id) {
      statement.bind(7, *row.parent_id);
    } else {
      statement.bind_null(7);
    }
    statement.run();
  };
}

ProjectionFn TokenStore::mark_revoked(std::vector<std::string> token_ids) {
  return [ids = std::move(token_ids)](Database& db, const Event&) {
    static const std::string kRevoke = "UPDATE tokens SET revoked = 1 WHERE token_id = ?1";
    auto& statement = db.cached(kRevoke);
    for (const auto& id : ids) {
      statement.bind(1, id);
      statement.run();
    }
  };
}

ProjectionFn TokenStore::erase(std::vector<std::string> token_ids) {
  return [ids = std::move(token_ids)](Database& db, const Event&) {
    static const std::string kDelete = "DELETE FROM tokens WHERE token_id = ?1";
    auto& statement = db.cached(kDelete);
    for (const auto& id : ids) {
      statement.bind(1, id);
      statement.run();
    }
  };
}

std::vector<TokenRow> TokenStore::load_live(Database& db, int64_t now_ms) {
  static const std::string kLive = kSelect + " WHERE revoked = 0 AND (expires_at IS NULL OR expires_at > ?1)";
  auto& statement = db.cached(kLive);
  statement.bind(1, now_ms);
  return read_rows(statement);
}

std::vector<TokenRow> TokenStore::load_all(Database& db) {
  static const std::string kAll = kSelect + " ORDER BY token_id";
  return read_rows(db.cached(kAll));
}

}  // namespace solo
