// The schema of a PostgreSQL store: the tables of stores/schema.hpp with the
// same names and columns, in PostgreSQL's types (BIGINT for SQLite's
// INTEGER, BYTEA for BLOB), every text column in the "C" collation so that
// keys sort by their bytes as in SQLite (storage listings and their cursors
// agree across backends). The version is the one row of solo_schema;
// migrate_postgres() takes an advisory lock, so nodes starting together on
// one database migrate it once.
#pragma once

namespace solo {

class Database;

inline constexpr int kPostgresSchemaVersion = 4;

// Applies all pending steps; throws StoreError when the database's version is
// newer than this binary knows.
void migrate_postgres(Database& db);

}  // namespace solo
