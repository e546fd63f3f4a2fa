// The PostgreSQL server a scenario measures on (`postgres`, `cluster`): the
// one --store names, or, without it, a throwaway server of the scenario's own
// (tests/support/postgres_server.sh, with fsync on, as a production server
// runs), so that the scenario runs on a machine where `make deps` installed
// PostgreSQL. Every side of a comparison writes into a fresh schema of its
// own on the same server (fresh_schema), so no side finds the other's rows,
// indexes or bloat.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace solo::bench {

// A throwaway server, started in the constructor (throws when it cannot be)
// and stopped, its files deleted, when this goes away.
class ThrowawayServer {
 public:
  explicit ThrowawayServer(const std::filesystem::path& state);
  ~ThrowawayServer();
  ThrowawayServer(const ThrowawayServer&) = delete;
  ThrowawayServer& operator=(const ThrowawayServer&) = delete;
  const std::string& uri() const { return uri_; }

 private:
  std::filesystem::path state_;
  std::string uri_;
};

// `store` (a postgresql:// URI) when given, otherwise a ThrowawayServer under `state`.
class BenchPostgres {
 public:
  BenchPostgres(const std::optional<std::string>& store, const std::filesystem::path& state);
  const std::string& uri() const { return throwaway_ ? throwaway_->uri() : store_; }
  // For the reports: "throwaway (fsync on)", or the store's description.
  std::string describe() const;

 private:
  std::string store_;
  std::optional<ThrowawayServer> throwaway_;
};

// `server` with its search_path on `schema`, dropped and created empty first.
std::string fresh_schema(const std::string& server, const std::string& schema);

}  // namespace solo::bench
