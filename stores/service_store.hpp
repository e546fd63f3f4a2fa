// The `services` projection (schema.hpp): one row per live service with its
// current spec, code and version — the desired state recovery starts from.
// These functions run on the writer thread inside the transaction of the
// event that changes the row (as ProjectionFns), or on the reader thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace solo {

class Database;

struct ServiceRow {
  std::string tenant_id;
  std::string service_id;
  int64_t version = 1;
  std::string format;
  std::string code;
  std::string code_sha256;
  std::string spec;  // JSON text, the full spec
  std::string created_at;
  std::string updated_at;
  int64_t last_event_id = 0;
};

// Inserts or replaces the row; created_at is kept from an existing row.
void upsert_service_row(Database& db, const ServiceRow& row);
void delete_service_row(Database& db, const std::string& tenant_id, const std::string& service_id);
std::vector<ServiceRow> load_service_rows(Database& db);

}  // namespace solo
