#include "stores/database.hpp"

#include "stores/postgres.hpp"
#include "stores/sqlite.hpp"

namespace solo {

StoreLocation StoreLocation::parse(std::string_view text) {
  if (text.starts_with("postgresql://") || text.starts_with("postgres://")) {
    StoreLocation location;
    location.uri_ = std::string(text);
    return location;
  }
  return StoreLocation(std::filesystem::path(text));
}

std::string StoreLocation::describe() const {
  if (uri_.empty()) return file_.string();
  // postgresql://user:password@host/... -> postgresql://user@host/...
  auto scheme_end = uri_.find("://") + 3;
  auto at = uri_.find('@', scheme_end);
  auto slash = uri_.find('/', scheme_end);
  if (at == std::string::npos || (slash != std::string::npos && slash < at)) return uri_;
  auto colon = uri_.find(':', scheme_end);
  if (colon == std::string::npos || colon > at) return uri_;
  return uri_.substr(0, colon) + uri_.substr(at);
}

Statement& Database::cached(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) it = cache_.emplace(std::string(sql), prepare(sql)).first;
  it->second->reset();
  return *it->second;
}

int64_t Database::query_int(std::string_view sql) {
  auto statement = prepare(sql);
  return statement->step() ? statement->column_int(0) : 0;
}

std::unique_ptr<Database> open_database(const StoreLocation& location, const OpenOptions& options) {
  if (location.dialect() == Dialect::postgresql) return std::make_unique<PostgresDatabase>(location.uri(), options);
  return std::make_unique<SqliteDatabase>(location.file(), options);
}

}  // namespace solo
