// The database schema and its migrations. `PRAGMA user_version` holds the
// schema version; migrate() applies every step above it, each in its own
// transaction, at start on the writer's connection. This is SQLite's; a
// PostgreSQL store has a schema of its own with the same tables and columns
// (stores/postgres_schema.hpp), which migrate() applies instead.
//
// Tables (users read them with the sqlite3 tool):
//   events    the durable log: one row per event, id gap-free and monotonic;
//             payload is JSON text; wall_clock is UTC ISO 8601 with ms;
//             mono_ns is the steady clock of the process that wrote it.
//             Index: (event_type, id). events_by_service was dropped in
//             step 7; the tenant indexes became tables in step 8:
//   events_tenant_index, events_service_index  (tenant_id[, service_id], id)
//             of the events with a tenant (and a service), written by the
//             Writer in sorted runs; meta's `event_index_through` is the id
//             up to which every event is in them (stores/event_index.hpp).
//   services  projection: the desired state of every live service (spec,
//             code, version), written in the same transaction as its event.
//   meta      small key/value facts about the store itself.
//   tokens    projection: capability tokens (SHA-256 of the token only, never
//             the token), written with capability_granted / _revoked (token_store.hpp).
//   secrets   projection: vault secrets as AES-256-GCM ciphertext, written with
//             secret_stored / secret_deleted / vault_reencrypted (secret_store.hpp).
//   registrations  projection: discovery registrations (handle, tenant, service,
//             name, version, metadata JSON, expires_at in Unix ms), written with
//             service_registered / service_unregistered / registration_expired
//             (registration_store.hpp).
//   service_storage  solo.storage: (tenant_id, service_id, key) -> value JSON
//             text, WITHOUT ROWID; written by the write operation of a
//             message's writes (not an event: data, not history), purged with
//             a service_killed of ?purge=true (storage_store.hpp).
#pragma once

namespace solo {

class Database;

inline constexpr int kSchemaVersion = 9;

// Applies all pending migrations; throws StoreError when the file's version is
// newer than this binary knows.
void migrate(Database& db);

}  // namespace solo
