#include "stores/meta_store.hpp"

#include <string>

#include "stores/database.hpp"

namespace solo {

ProjectionFn MetaStore::mark_verified_through() {
  return [](Database& db, const Event& event) {
    static const std::string kMark =
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value";
    auto& statement = db.cached(kMark);
    statement.bind(1, std::string_view(kVerifiedThroughKey)).bind(2, std::to_string(event.id));
    statement.run();
  };
}

int64_t MetaStore::verified_through(Database& db) {
  static const std::string kRead = "SELECT value FROM meta WHERE key = ?1";
  auto& statement = db.cached(kRead);
  statement.bind(1, std::string_view(kVerifiedThroughKey));
  int64_t mark = statement.step() ? std::stoll(statement.column_text(0)) : int64_t{0};
  statement.reset();
  return mark;
}

}  // namespace solo
