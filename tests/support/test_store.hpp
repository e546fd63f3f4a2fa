// The store a test opens in its temporary directory: <dir>/solo.db, or, when
// SOLO_TEST_POSTGRES holds a postgresql:// URI (ctest's unit_stores_postgresql
// runs the store suite so, against the server tests/support/postgres_server.sh
// starts), a schema of its own in that database, named after the directory,
// so that a reopen in the same test finds the same data. Suites that test
// SQLite itself (its query plans, its file's migrations) carry the label
// sqlite_only, which that run leaves out; those of PostgreSQL's own ways
// carry postgres_only, which the SQLite run leaves out. SoloProcess (solo_process.hpp)
// does the same for the real binary: with SOLO_TEST_POSTGRES set it serves
// with --store, a schema named after its data directory.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <filesystem>
#include <memory>
#include <string>

#include <boost/test/unit_test.hpp>

#include "stores/database.hpp"
#include "support/async_test.hpp"

namespace solo::test {

inline const char* postgres_under_test() {
  const char* uri = std::getenv("SOLO_TEST_POSTGRES");
  return uri && *uri ? uri : nullptr;
}

// The PostgreSQL URI of the store for `dir`: a schema named after the
// directory's whole path (created when missing), as the connection's
// search_path.
inline std::string postgres_schema_for(const std::filesystem::path& dir) {
  char name[32];
  std::snprintf(name, sizeof name, "solo_%016zx", std::hash<std::string>{}(dir.string()));
  return name;
}
inline std::string postgres_store_for(const char* server, const std::filesystem::path& dir) {
  const auto name = postgres_schema_for(dir);
  open_database(StoreLocation::parse(server), OpenOptions{})->exec("CREATE SCHEMA IF NOT EXISTS " + name);
  std::string uri = server;
  uri += uri.find('?') == std::string::npos ? "?" : "&";
  return uri + "options=-csearch_path%3D" + name;
}

inline StoreLocation store_at(const std::filesystem::path& dir) {
  const char* server = postgres_under_test();
  if (!server) return StoreLocation(dir / "solo.db");
  return StoreLocation::parse(postgres_store_for(server, dir));
}

inline StoreLocation store_at(const TempDir& dir) { return store_at(dir.path()); }

// A second connection to the store, for reading back what was committed.
inline std::unique_ptr<Database> open_reader(const StoreLocation& location) {
  return open_database(location, OpenOptions{.read_only = true});
}

// The decorator of a test or suite that exercises SQLite itself.
inline auto sqlite_only() { return boost::unit_test::label("sqlite_only"); }
// And of one that exercises PostgreSQL's own ways (unit_stores leaves it out).
inline auto postgres_only() { return boost::unit_test::label("postgres_only"); }

}  // namespace solo::test
