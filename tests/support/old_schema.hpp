// Turns a current solo.db back into what older versions left, for the tests
// of the schema's migration steps (stores/schema.cpp).
#pragma once

#include "stores/sqlite.hpp"

namespace solo::test {

// Undoes step 9: no service_storage table.
inline void undo_schema_step_9(Database& db) { db.exec("DROP TABLE service_storage"); }

// Undoes steps 9 and 8: SQLite's tenant indexes back, the index tables and
// their mark gone; the caller sets user_version.
inline void undo_schema_step_8(Database& db) {
  undo_schema_step_9(db);
  db.exec(
      "DROP TABLE events_tenant_index; DROP TABLE events_service_index;"
      "DELETE FROM meta WHERE key = 'event_index_through';"
      "CREATE INDEX events_by_tenant ON events(tenant_id, id);"
      "CREATE INDEX events_by_tenant_service ON events(tenant_id, service_id, id)");
}

}  // namespace solo::test
