// The SQLite backend of the store (stores/database.hpp): RAII over the SQLite
// C API. Errors throw StoreError with SQLite's message; callers on the writer
// thread turn those into failed batches.
//
// Tools and tests that read a SQLite file directly use these classes by
// name; everything else goes through Database and Statement. SQLite is opened
// with SQLITE_OPEN_NOMUTEX: one thread per connection.
#pragma once

#include "stores/database.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace solo {

class SqliteStatement final : public Statement {
 public:
  SqliteStatement(sqlite3* db, std::string_view sql);
  ~SqliteStatement() override;

  using Statement::bind;
  Statement& bind(int index, int64_t value) override;
  Statement& bind(int index, std::string_view value) override;
  Statement& bind_static(int index, std::string_view value) override;
  Statement& bind_null(int index) override;
  Statement& bind_blob(int index, std::string_view bytes) override;

  bool step() override;
  void reset() override;

  int64_t column_int(int col) const override;
  std::string column_text(int col) const override;
  std::string_view column_view(int col) const override;
  std::string column_blob(int col) const override;
  bool column_is_null(int col) const override;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

class SqliteDatabase final : public Database {
 public:
  SqliteDatabase(const std::filesystem::path& path, const OpenOptions& options);
  ~SqliteDatabase() override;

  Dialect dialect() const override { return Dialect::sqlite; }
  void exec(std::string_view sql) override;
  std::unique_ptr<Statement> prepare(std::string_view sql) override;
  int changes() const override;
  void begin_write() override;
  void commit() override { exec("COMMIT"); }
  void rollback() override { exec("ROLLBACK"); }
  void begin_read() override;
  // PRAGMA quick_check: reads every page.
  std::optional<std::string> integrity_check() override;
  bool broken() const override { return false; }  // a file handle stays valid

  sqlite3* handle() const { return db_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
};

[[noreturn]] void throw_sqlite_error(sqlite3* db, int code, std::string_view context);

}  // namespace solo
