#include "stores/schema.hpp"

#include <array>
#include <string>

#include "stores/database.hpp"
#include "stores/postgres_schema.hpp"

namespace solo {
namespace {

// Migration N brings the schema from version N-1 to N. Append only; never edit
// a step that has shipped.
constexpr std::array<const char*, kSchemaVersion> kMigrations = {
    // 1: the event log and its query indexes.
    R"sql(
    CREATE TABLE events (
      id           INTEGER PRIMARY KEY,
      event_type   TEXT    NOT NULL,
      tenant_id    TEXT    NOT NULL DEFAULT '',
      service_id   TEXT    NOT NULL DEFAULT '',
      subject      TEXT    NOT NULL DEFAULT '',
      payload      TEXT    NOT NULL DEFAULT '{}',
      causation_id INTEGER,
      wall_clock   TEXT    NOT NULL,
      mono_ns      INTEGER NOT NULL
    );
    CREATE INDEX events_by_tenant ON events(tenant_id, id);
    CREATE INDEX events_by_tenant_service ON events(tenant_id, service_id, id);
    CREATE INDEX events_by_service ON events(service_id, id);
    CREATE INDEX events_by_type ON events(event_type, id);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    )sql",
    // 2: the services projection (desired state of every live service).
    R"sql(
    CREATE TABLE services (
      tenant_id     TEXT    NOT NULL,
      service_id    TEXT    NOT NULL,
      version       INTEGER NOT NULL,
      format        TEXT    NOT NULL,
      code          TEXT    NOT NULL,
      code_sha256   TEXT    NOT NULL,
      spec          TEXT    NOT NULL,
      created_at    TEXT    NOT NULL,
      updated_at    TEXT    NOT NULL,
      last_event_id INTEGER NOT NULL,
      PRIMARY KEY (tenant_id, service_id)
    ) WITHOUT ROWID;
    )sql",
    // 3: capability tokens (only the SHA-256 of each token is stored).
    R"sql(
    CREATE TABLE tokens (
      token_id    TEXT    PRIMARY KEY,
      token_hash  TEXT    NOT NULL UNIQUE,
      tenant_id   TEXT    NOT NULL,
      permissions TEXT    NOT NULL,
      resource    TEXT    NOT NULL,
      expires_at  INTEGER,
      parent_id   TEXT,
      revoked     INTEGER NOT NULL DEFAULT 0,
      created_at  INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX tokens_by_tenant ON tokens(tenant_id, token_id);
    )sql",
    // 4: vault secrets, encrypted (AES-256-GCM; see engine/security/vault.hpp).
    R"sql(
    CREATE TABLE secrets (
      tenant_id   TEXT    NOT NULL,
      name        TEXT    NOT NULL,
      key_version INTEGER NOT NULL,
      nonce       BLOB    NOT NULL,
      ciphertext  BLOB    NOT NULL,
      tag         BLOB    NOT NULL,
      updated_at  TEXT    NOT NULL,
      PRIMARY KEY (tenant_id, name)
    ) WITHOUT ROWID;
    )sql",
    // 5: discovery registrations (engine/discovery/service_registry.hpp),
    // written with service_registered / service_unregistered / registration_expired.
    R"sql(
    CREATE TABLE registrations (
      handle      TEXT    PRIMARY KEY,
      tenant_id   TEXT    NOT NULL,
      service_id  TEXT    NOT NULL,
      name        TEXT    NOT NULL,
      version     TEXT    NOT NULL,
      metadata    TEXT    NOT NULL DEFAULT '{}',
      expires_at  INTEGER NOT NULL,
      created_at  TEXT    NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX registrations_by_tenant_name ON registrations(tenant_id, name);
    )sql",
    // 6: tenant quotas set by the admin (stores/quota_store.hpp), written with
    // tenant_quota_set; a tenant without a row lives under the defaults.
    R"sql(
    CREATE TABLE tenant_quotas (
      tenant_id     TEXT    PRIMARY KEY,
      overrides     TEXT    NOT NULL,
      updated_at    TEXT    NOT NULL,
      last_event_id INTEGER NOT NULL
    ) WITHOUT ROWID;
    )sql",
    // 7: drop events_by_service. Every commit dirtied one of its leaf pages per
    // service written (a third of the Writer's page writes under load), and
    // only the admin's query by service across every tenant used it; that
    // query now reads the primary key from its cursor (see EventStore::query).
    R"sql(
    DROP INDEX IF EXISTS events_by_service;
    )sql",
    // 8: the tenant indexes become tables the Writer fills in sorted runs
    // (stores/event_index.hpp). As SQLite indexes every commit dirtied one
    // leaf per tenant and per (tenant, service) it wrote, for a handful of
    // rows each: most of the Writer's page writes under load. The rows come
    // from the old indexes, in their order; everything up to the last event
    // is indexed. (The primary key columns of a WITHOUT ROWID table are NOT
    // NULL by SQLite's rule; spelled out, PRAGMA quick_check would read every
    // row to check them: ~1 s more of the check after a crash at 1M events.)
    R"sql(
    CREATE TABLE events_tenant_index (
      tenant_id TEXT,
      id        INTEGER,
      PRIMARY KEY (tenant_id, id)
    ) WITHOUT ROWID;
    CREATE TABLE events_service_index (
      tenant_id  TEXT,
      service_id TEXT,
      id         INTEGER,
      PRIMARY KEY (tenant_id, service_id, id)
    ) WITHOUT ROWID;
    INSERT INTO events_tenant_index (tenant_id, id)
      SELECT tenant_id, id FROM events WHERE tenant_id <> '' ORDER BY tenant_id, id;
    INSERT INTO events_service_index (tenant_id, service_id, id)
      SELECT tenant_id, service_id, id FROM events WHERE tenant_id <> '' AND service_id <> ''
      ORDER BY tenant_id, service_id, id;
    INSERT OR REPLACE INTO meta (key, value)
      VALUES ('event_index_through', (SELECT CAST(coalesce(max(id), 0) AS TEXT) FROM events));
    DROP INDEX IF EXISTS events_by_tenant;
    DROP INDEX IF EXISTS events_by_tenant_service;
    )sql",
    // 9: solo.storage, every service's durable data (stores/storage_store.hpp).
    R"sql(
    CREATE TABLE service_storage (
      tenant_id  TEXT,
      service_id TEXT,
      key        TEXT,
      value      TEXT NOT NULL,
      PRIMARY KEY (tenant_id, service_id, key)
    ) WITHOUT ROWID;
    )sql",
};

}  // namespace

void migrate(Database& db) {
  if (db.dialect() == Dialect::postgresql) {
    migrate_postgres(db);
    return;
  }
  int64_t version = db.query_int("PRAGMA user_version");
  if (version > kSchemaVersion) {
    throw StoreError("database schema version " + std::to_string(version) + " is newer than this solo (" +
                     std::to_string(kSchemaVersion) + ")");
  }
  for (int64_t next = version + 1; next <= kSchemaVersion; ++next) {
    db.begin_write();
    try {
      db.exec(kMigrations[static_cast<size_t>(next - 1)]);
      db.exec("PRAGMA user_version=" + std::to_string(next));
      db.commit();
    } catch (...) {
      db.rollback();
      throw;
    }
  }
}

}  // namespace solo
