#include "stores/service_versions.hpp"

#include <boost/json.hpp>

namespace solo {

namespace {

constexpr const char* kVersionsBelow =
    "SELECT id, event_type, payload, wall_clock FROM events "
    "WHERE event_type IN ('service_deployed', 'hot_swap_succeeded', 'hot_swap_rolled_back') "
    "AND tenant_id = ?1 AND service_id = ?2 AND id < ?3 ORDER BY id DESC LIMIT ?4";

constexpr const char* kVersionAt =
    "SELECT id, event_type, payload, wall_clock FROM events "
    "WHERE id = ?3 AND tenant_id = ?1 AND service_id = ?2 "
    "AND event_type IN ('service_deployed', 'hot_swap_succeeded', 'hot_swap_rolled_back')";

// The code a rollback restored: the latest deploy or swap of its version
// before it (json_extract keeps the payloads that do not match unparsed).
// PostgreSQL's form reads the payload as json, not jsonb, which would refuse
// a \u0000 anywhere in it.
constexpr const char* kRestoredCode =
    "SELECT json_extract(payload, '$.code') FROM events "
    "WHERE event_type IN ('service_deployed', 'hot_swap_succeeded') "
    "AND tenant_id = ?1 AND service_id = ?2 AND id < ?3 AND json_extract(payload, '$.version') = ?4 "
    "ORDER BY id DESC LIMIT 1";
constexpr const char* kRestoredCodePostgres =
    "SELECT payload::json ->> 'code' FROM events "
    "WHERE event_type IN ('service_deployed', 'hot_swap_succeeded') "
    "AND tenant_id = ?1 AND service_id = ?2 AND id < ?3 AND payload::json ->> 'version' = ?4 "
    "ORDER BY id DESC LIMIT 1";

std::string kind_of(std::string_view event_type) {
  if (event_type == "service_deployed") return "deploy";
  if (event_type == "hot_swap_succeeded") return "swap";
  return "rollback";
}

int64_t version_of(const boost::json::object& payload) {
  const auto* version = payload.if_contains("version");
  return version && version->is_int64() ? version->as_int64() : 0;
}

std::string restored_code(Database& db, const std::string& tenant_id, const std::string& service_id,
                          int64_t rollback_id, int64_t version) {
  auto& statement = db.cached(db.dialect() == Dialect::sqlite ? kRestoredCode : kRestoredCodePostgres);
  statement.bind(1, tenant_id).bind(2, service_id).bind(3, rollback_id).bind(4, version);
  std::string code = statement.step() && !statement.column_is_null(0) ? statement.column_text(0) : std::string();
  statement.reset();
  return code;
}

// One row of kVersionsBelow / kVersionAt, without the rollback's code.
ServiceVersion read_row(const Statement& row) {
  ServiceVersion entry;
  entry.event_id = row.column_int(0);
  entry.kind = kind_of(row.column_view(1));
  auto payload = boost::json::parse(row.column_view(2));
  if (payload.is_object()) {
    entry.version = version_of(payload.as_object());
    if (const auto* code = payload.as_object().if_contains("code"); code && code->is_string()) {
      entry.code = std::string(code->as_string());
    }
  }
  entry.at = row.column_text(3);
  return entry;
}

void fill_rollback_code(Database& db, const std::string& tenant_id, const std::string& service_id,
                        ServiceVersion& entry) {
  if (entry.kind == "rollback") entry.code = restored_code(db, tenant_id, service_id, entry.event_id, entry.version);
}

}  // namespace

std::vector<ServiceVersion> list_service_versions(Database& db, const std::string& tenant_id,
                                                  const std::string& service_id, int64_t before_id, size_t limit) {
  std::vector<ServiceVersion> entries;
  if (limit == 0) return entries;
  auto& statement = db.cached(kVersionsBelow);
  statement.bind(1, tenant_id).bind(2, service_id);
  statement.bind(3, before_id > 0 ? before_id : INT64_MAX).bind(4, static_cast<int64_t>(limit));
  while (statement.step()) entries.push_back(read_row(statement));
  statement.reset();
  for (auto& entry : entries) fill_rollback_code(db, tenant_id, service_id, entry);
  return entries;
}

std::optional<ServiceVersion> find_service_version(Database& db, const std::string& tenant_id,
                                                   const std::string& service_id, int64_t event_id) {
  auto& statement = db.cached(kVersionAt);
  statement.bind(1, tenant_id).bind(2, service_id).bind(3, event_id);
  std::optional<ServiceVersion> entry;
  if (statement.step()) entry = read_row(statement);
  statement.reset();
  if (entry) fill_rollback_code(db, tenant_id, service_id, *entry);
  return entry;
}

}  // namespace solo
