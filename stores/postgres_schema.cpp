#include "stores/postgres_schema.hpp"

#include <array>
#include <string>

#include "stores/database.hpp"

namespace solo {
namespace {

// Step N brings the schema from version N-1 to N. Append only; never edit a
// step that has shipped. Step 1 is SQLite's schema as of its step 9.
constexpr std::array<const char*, kPostgresSchemaVersion> kSteps = {
    R"sql(
    CREATE TABLE events (
      id           BIGINT PRIMARY KEY,
      event_type   TEXT COLLATE "C" NOT NULL,
      tenant_id    TEXT COLLATE "C" NOT NULL DEFAULT '',
      service_id   TEXT COLLATE "C" NOT NULL DEFAULT '',
      subject      TEXT COLLATE "C" NOT NULL DEFAULT '',
      payload      TEXT NOT NULL DEFAULT '{}',
      causation_id BIGINT,
      wall_clock   TEXT NOT NULL,
      mono_ns      BIGINT NOT NULL
    );
    CREATE INDEX events_by_type ON events(event_type, id);
    CREATE TABLE meta (key TEXT COLLATE "C" PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE services (
      tenant_id     TEXT COLLATE "C" NOT NULL,
      service_id    TEXT COLLATE "C" NOT NULL,
      version       BIGINT NOT NULL,
      format        TEXT NOT NULL,
      code          TEXT NOT NULL,
      code_sha256   TEXT NOT NULL,
      spec          TEXT NOT NULL,
      created_at    TEXT NOT NULL,
      updated_at    TEXT NOT NULL,
      last_event_id BIGINT NOT NULL,
      PRIMARY KEY (tenant_id, service_id)
    );
    CREATE TABLE tokens (
      token_id    TEXT COLLATE "C" PRIMARY KEY,
      token_hash  TEXT COLLATE "C" NOT NULL UNIQUE,
      tenant_id   TEXT COLLATE "C" NOT NULL,
      permissions TEXT NOT NULL,
      resource    TEXT NOT NULL,
      expires_at  BIGINT,
      parent_id   TEXT,
      revoked     BIGINT NOT NULL DEFAULT 0,
      created_at  BIGINT NOT NULL
    );
    CREATE INDEX tokens_by_tenant ON tokens(tenant_id, token_id);
    CREATE TABLE secrets (
      tenant_id   TEXT COLLATE "C" NOT NULL,
      name        TEXT COLLATE "C" NOT NULL,
      key_version BIGINT NOT NULL,
      nonce       BYTEA NOT NULL,
      ciphertext  BYTEA NOT NULL,
      tag         BYTEA NOT NULL,
      updated_at  TEXT NOT NULL,
      PRIMARY KEY (tenant_id, name)
    );
    CREATE TABLE registrations (
      handle      TEXT COLLATE "C" PRIMARY KEY,
      tenant_id   TEXT COLLATE "C" NOT NULL,
      service_id  TEXT COLLATE "C" NOT NULL,
      name        TEXT COLLATE "C" NOT NULL,
      version     TEXT NOT NULL,
      metadata    TEXT NOT NULL DEFAULT '{}',
      expires_at  BIGINT NOT NULL,
      created_at  TEXT NOT NULL
    );
    CREATE INDEX registrations_by_tenant_name ON registrations(tenant_id, name);
    CREATE TABLE tenant_quotas (
      tenant_id     TEXT COLLATE "C" PRIMARY KEY,
      overrides     TEXT NOT NULL,
      updated_at    TEXT NOT NULL,
      last_event_id BIGINT NOT NULL
    );
    CREATE TABLE events_tenant_index (
      tenant_id TEXT COLLATE "C",
      id        BIGINT,
      PRIMARY KEY (tenant_id, id)
    );
    CREATE TABLE events_service_index (
      tenant_id  TEXT COLLATE "C",
      service_id TEXT COLLATE "C",
      id         BIGINT,
      PRIMARY KEY (tenant_id, service_id, id)
    );
    CREATE TABLE service_storage (
      tenant_id  TEXT COLLATE "C",
      service_id TEXT COLLATE "C",
      key        TEXT COLLATE "C",
      value      TEXT NOT NULL,
      PRIMARY KEY (tenant_id, service_id, key)
    );
    )sql",
    // Step 2: cluster mode (stores/cluster_store.hpp). The nodes that share the
    // store, and the leases: one row per scope, owned by one node for an epoch
    // until expires_at by this server's clock. solo_check_lease() is the fence
    // every write transaction of a node in cluster mode runs first: it raises
    // unless the node still holds the lease, and locks the lease row (FOR
    // SHARE) until the transaction ends, so a takeover waits for it; and it
    // bounds the transaction's idle time, so that a node paused in the middle
    // of one cannot hold that lock (and the takeover) for ever.
    R"sql(
    CREATE TABLE cluster_nodes (
      node         TEXT COLLATE "C" PRIMARY KEY,
      url          TEXT NOT NULL,
      started_at   TIMESTAMPTZ NOT NULL,
      heartbeat_at TIMESTAMPTZ NOT NULL
    );
    CREATE TABLE leases (
      scope       TEXT COLLATE "C" PRIMARY KEY,
      owner       TEXT COLLATE "C" NOT NULL,
      epoch       BIGINT NOT NULL,
      acquired_at TIMESTAMPTZ NOT NULL,
      expires_at  TIMESTAMPTZ NOT NULL
    );
    CREATE FUNCTION solo_check_lease(p_scope TEXT, p_owner TEXT, p_epoch BIGINT, p_idle_ms BIGINT)
    RETURNS void LANGUAGE plpgsql AS $fence$
    BEGIN
      PERFORM set_config('idle_in_transaction_session_timeout', p_idle_ms::text, true);
      PERFORM 1 FROM leases
        WHERE scope = p_scope AND owner = p_owner AND epoch = p_epoch AND expires_at > clock_timestamp()
        FOR SHARE;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'node % no longer holds the lease on the store (epoch %): nothing of this transaction was kept',
          p_owner, p_epoch USING ERRCODE = 'P0001';
      END IF;
    END
    $fence$;
    )sql",
    // Step 3: each node's figures (JSON text, e.g. what it forwarded), written
    // with its heartbeat, so that GET /cluster and the active node's /metrics
    // show every node's.
    R"sql(
    ALTER TABLE cluster_nodes ADD COLUMN stats TEXT NOT NULL DEFAULT '{}';
    )sql",
    // Step 4: the fence locks the lease row FOR KEY SHARE (was FOR SHARE).
    // A renewal (an UPDATE of expires_at, no key) no longer waits for the
    // owner's own transactions in flight: a transaction longer than what was
    // left of the lease (a large batch on a slow disk, a loaded machine) no
    // longer costs the node its lease. A takeover still waits for them: it
    // locks the row FOR UPDATE first (cluster_store::try_acquire), which
    // conflicts with KEY SHARE.
    R"sql(
    CREATE OR REPLACE FUNCTION solo_check_lease(p_scope TEXT, p_owner TEXT, p_epoch BIGINT, p_idle_ms BIGINT)
    RETURNS void LANGUAGE plpgsql AS $fence$
    BEGIN
      PERFORM set_config('idle_in_transaction_session_timeout', p_idle_ms::text, true);
      PERFORM 1 FROM leases
        WHERE scope = p_scope AND owner = p_owner AND epoch = p_epoch AND expires_at > clock_timestamp()
        FOR KEY SHARE;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'node % no longer holds the lease on the store (epoch %): nothing of this transaction was kept',
          p_owner, p_epoch USING ERRCODE = 'P0001';
      END IF;
    END
    $fence$;
    )sql",
};

// Any constant: the advisory lock every node's migration takes.
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(7316504021)";

}  // namespace

void migrate_postgres(Database& db) {
  for (;;) {
    db.begin_write();
    try {
      db.query_int(kMigrationLock);
      db.exec("CREATE TABLE IF NOT EXISTS solo_schema (version BIGINT NOT NULL)");
      int64_t version = db.query_int("SELECT coalesce(max(version), 0) FROM solo_schema");
      if (version > kPostgresSchemaVersion) {
        throw StoreError("database schema version " + std::to_string(version) + " is newer than this solo (" +
                         std::to_string(kPostgresSchemaVersion) + ")");
      }
      if (version == kPostgresSchemaVersion) {
        db.commit();
        return;
      }
      db.exec(kSteps[static_cast<size_t>(version)]);
      db.exec("DELETE FROM solo_schema");
      db.exec("INSERT INTO solo_schema (version) VALUES (" + std::to_string(version + 1) + ")");
      db.commit();
    } catch (...) {
      db.rollback();
      throw;
    }
  }
}

}  // namespace solo
