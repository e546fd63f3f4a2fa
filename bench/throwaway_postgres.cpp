// The server of bench/throwaway_postgres.hpp: postgres_server.sh start/stop, fsync on.
#include "bench/throwaway_postgres.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include "stores/database.hpp"
#include "stores/postgres.hpp"

namespace solo::bench {
namespace {
std::string script() { return std::string(SOLO_SOURCE_DIR) + "/tests/support/postgres_server.sh"; }
}  // namespace

ThrowawayServer::ThrowawayServer(const std::filesystem::path& state) : state_(state) {
  std::string command = "SOLO_PG_FSYNC=on sh " + script() + " start " + state_.string() + " >/dev/null";
  if (std::system(command.c_str()) != 0) throw std::runtime_error("could not start PostgreSQL: " + command);
  std::ifstream in(state_ / "uri");
  std::getline(in, uri_);
}

ThrowawayServer::~ThrowawayServer() {
  std::string command = "sh " + script() + " stop " + state_.string();
  if (std::system(command.c_str()) != 0) std::fprintf(stderr, "postgres: stopping the server failed\n");
}

BenchPostgres::BenchPostgres(const std::optional<std::string>& store, const std::filesystem::path& state) {
  if (store) {
    store_ = *store;
  } else {
    throwaway_.emplace(state);
  }
}

std::string BenchPostgres::describe() const {
  return throwaway_ ? "throwaway (fsync on)" : StoreLocation::parse(store_).describe();
}

std::string fresh_schema(const std::string& server, const std::string& schema) {
  PostgresDatabase admin(server, OpenOptions{});
  admin.exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE; CREATE SCHEMA " + schema);
  return server + (server.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + schema;
}

}  // namespace solo::bench
