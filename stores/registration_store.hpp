// RegistrationStore: the `registrations` projection (schema step 5), one row
// per live discovery registration:
//   handle      "reg_" + 24 hex characters (PRIMARY KEY)
//   tenant_id, service_id, name, version
//   metadata    JSON object text
//   expires_at  Unix time in milliseconds (wall clock: TTLs survive restarts)
//   created_at  UTC ISO 8601 with ms
// Rows are written only through the ProjectionFns below, each handed to
// EventStore::append_durable with its event (service_registered,
// service_unregistered, registration_expired). load_all() runs on the Reader.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "stores/event_store.hpp"

namespace solo {

struct RegistrationRow {
  std::string handle;
  std::string tenant_id;
  std::string service_id;
  std::string name;
  std::string version;
  std::string metadata = "{}";  // JSON object text
  int64_t expires_at = 0;       // Unix ms
  std::string created_at;
};

class RegistrationStore {
 public:
  // Inserts the row or replaces the one with its handle (a renewal keeps the handle).
  static ProjectionFn upsert(RegistrationRow row);
  static ProjectionFn erase(std::string handle);
  // Several rows at once (an expiry sweep).
  static ProjectionFn erase_all(std::vector<std::string> handles);
  // Reader thread: every row, ordered by handle.
  static std::vector<RegistrationRow> load_all(Database& db);
};

}  // namespace solo
