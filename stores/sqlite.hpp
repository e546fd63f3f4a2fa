// RAII wrappers over the SQLite C API: a connection (Database) and a prepared
// statement (Statement). Errors throw StoreError with SQLite's message;
// callers on the writer thread turn those into failed batches.
//
// Thread safety: a Database is used by exactly one thread (the writer, the
// reader or the checkpointer); SQLite is opened with SQLITE_OPEN_NOMUTEX.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace solo {

// A store that could not do what was asked (the disk, the database, a row
// that does not parse). Its message says why; it carries no backend's error
// codes, so the layers above handle one vocabulary whatever the store is.
class StoreError : public std::runtime_error {
 public:
  explicit StoreError(const std::string& what) : std::runtime_error(what) {}
};

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Binding is 1-based, as in SQLite.
  Statement& bind(int index, int64_t value);
  Statement& bind(int index, std::string_view value);
  // Binds text without copying it: the bytes must stay alive and unchanged
  // until the statement is reset (the Writer's event rows outlive their insert).
  Statement& bind_static(int index, std::string_view value);
  Statement& bind_null(int index);
  Statement& bind(int index, const std::optional<int64_t>& value);
  // Binds raw bytes as a BLOB (std::string_view as a byte container).
  Statement& bind_blob(int index, std::string_view bytes);

  // Returns true while a row is available.
  bool step();
  // Runs a statement that returns no rows, then resets it.
  void run();
  void reset();

  int64_t column_int(int col) const;
  std::string column_text(int col) const;
  // The text without a copy: valid until the next step() or reset().
  std::string_view column_view(int col) const;
  // A BLOB (or any value) as raw bytes.
  std::string column_blob(int col) const;
  bool column_is_null(int col) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

struct OpenOptions {
  bool read_only = false;
  // FULL: survives power loss; NORMAL: survives a process crash only.
  std::string synchronous = "FULL";
  int busy_timeout_ms = 5000;
};

class Database {
 public:
  Database(const std::filesystem::path& path, const OpenOptions& options);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void exec(std::string_view sql);
  // A statement prepared once per connection and reused (reset before use).
  // The text is copied into the cache's key: callers may pass constants that
  // exit handlers never destroy (constexpr string_views), which the Writer's
  // idle work needs when a process ends with exit() while it runs.
  Statement& cached(std::string_view sql);
  int64_t query_int(std::string_view sql);
  int64_t last_insert_rowid() const;
  int changes() const;
  sqlite3* handle() const { return db_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
  std::map<std::string, std::unique_ptr<Statement>, std::less<>> cache_;
};

[[noreturn]] void throw_sqlite_error(sqlite3* db, int code, std::string_view context);

}  // namespace solo
