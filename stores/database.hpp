// The store's database, whatever the backend: a connection (Database) and a
// prepared statement (Statement), with one error (StoreError). Two backends
// implement them: SQLite, the embedded default (stores/sqlite.hpp), and
// PostgreSQL (stores/postgres.hpp). The stores above write their SQL once,
// in the subset both take (placeholders `?N`, upserts as `ON CONFLICT ... DO
// UPDATE`, no backend's functions); where the dialects part (the schema, a
// JSON field, the integrity check) they ask dialect() or a member below.
//
// Thread safety: a Database is used by exactly one thread (the writer, a
// reader or the checkpointer).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace solo {

// A store that could not do what was asked (the disk, the database, a row
// that does not parse). Its message says why; it carries no backend's error
// codes, so the layers above handle one vocabulary whatever the store is.
class StoreError : public std::runtime_error {
 public:
  explicit StoreError(const std::string& what) : std::runtime_error(what) {}
};

enum class Dialect { sqlite, postgresql };

// Where the store lives: a SQLite file, or a PostgreSQL database named by a
// libpq connection URI (postgresql://... or postgres://...). A path converts
// implicitly, so the embedded default reads as before.
class StoreLocation {
 public:
  StoreLocation(std::filesystem::path file) : file_(std::move(file)) {}  // NOLINT: implicit on purpose
  // A postgresql:// or postgres:// URI names PostgreSQL; anything else is a file.
  static StoreLocation parse(std::string_view text);

  Dialect dialect() const { return uri_.empty() ? Dialect::sqlite : Dialect::postgresql; }
  const std::filesystem::path& file() const { return file_; }  // SQLite
  const std::string& uri() const { return uri_; }              // PostgreSQL
  // For messages and logs: the file, or the URI without its password.
  std::string describe() const;

 private:
  StoreLocation() = default;
  std::filesystem::path file_;
  std::string uri_;
};

struct OpenOptions {
  bool read_only = false;
  // FULL: survives power loss; NORMAL: survives a process crash only.
  // (PostgreSQL: FULL and EXTRA are synchronous_commit=on, NORMAL and OFF
  // are off: a crash of the database server may lose the last commits.)
  std::string synchronous = "FULL";
  int busy_timeout_ms = 5000;
  // The Writer's fence (cluster mode: stores/cluster_store.hpp): run first in
  // every transaction the Writer opens, after BEGIN; what it throws fails the
  // transaction, and so does any error it leaves for the commit to report.
  std::function<void(class Database&)> fence = {};
};

class Statement {
 public:
  virtual ~Statement() = default;
  Statement() = default;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Binding is 1-based: ?1 is index 1.
  virtual Statement& bind(int index, int64_t value) = 0;
  virtual Statement& bind(int index, std::string_view value) = 0;
  // Binds text without copying it: the bytes must stay alive and unchanged
  // until the statement is reset (the Writer's event rows outlive their insert).
  virtual Statement& bind_static(int index, std::string_view value) = 0;
  virtual Statement& bind_null(int index) = 0;
  // Binds raw bytes (std::string_view as a byte container).
  virtual Statement& bind_blob(int index, std::string_view bytes) = 0;
  Statement& bind(int index, const std::optional<int64_t>& value) {
    return value ? bind(index, *value) : bind_null(index);
  }
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }

  // Returns true while a row is available.
  virtual bool step() = 0;
  // Runs a statement that returns no rows, then resets it. Inside a write
  // transaction a backend may send it without waiting for its outcome
  // (PostgreSQL pipelines them): its error, if any, is then thrown by the
  // next step(), exec() or commit() of the connection.
  virtual void run() {
    while (step()) {
    }
    reset();
  }
  // Ends the current run and clears the bindings.
  virtual void reset() = 0;

  virtual int64_t column_int(int col) const = 0;
  virtual std::string column_text(int col) const = 0;
  // The text without a copy: valid until the next step() or reset().
  virtual std::string_view column_view(int col) const = 0;
  // Raw bytes (what bind_blob bound).
  virtual std::string column_blob(int col) const = 0;
  virtual bool column_is_null(int col) const = 0;
};

class Database {
 public:
  virtual ~Database() = default;
  Database() = default;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  virtual Dialect dialect() const = 0;
  // Runs SQL that returns no rows (may hold several statements).
  virtual void exec(std::string_view sql) = 0;
  virtual std::unique_ptr<Statement> prepare(std::string_view sql) = 0;
  // Rows changed by the last statement run.
  virtual int changes() const = 0;
  // Starts the transaction the Writer commits a batch in; commit() ends it
  // (throwing StoreError when it did not commit: the caller then calls
  // rollback()), rollback() abandons it. Both also end a begin_read().
  virtual void begin_write() = 0;
  virtual void commit() = 0;
  virtual void rollback() = 0;
  // Starts a read-only transaction that sees one snapshot throughout.
  virtual void begin_read() = 0;
  // The backend's own integrity check of the whole store: "ok" or what is
  // wrong; nullopt when the backend has none to run (PostgreSQL checks its
  // pages and replays its own WAL itself).
  virtual std::optional<std::string> integrity_check() = 0;
  // The connection is gone (a database server that restarted or was cut
  // off): its owner opens a new one rather than fail on it forever.
  virtual bool broken() const = 0;

  // A statement prepared once per connection and reused (reset before use).
  // The text is copied into the cache's key: callers may pass constants that
  // exit handlers never destroy (constexpr string_views), which the Writer's
  // idle work needs when a process ends with exit() while it runs.
  Statement& cached(std::string_view sql);
  // The first column of the first row, 0 when there is none.
  int64_t query_int(std::string_view sql);

 protected:
  // Backends call it first in their destructor, while the connection is open.
  void drop_statements() { cache_.clear(); }

 private:
  std::map<std::string, std::unique_ptr<Statement>, std::less<>> cache_;
};

// Opens a connection to the store at `location` (the file is created when
// missing and not read-only). Throws StoreError.
std::unique_ptr<Database> open_database(const StoreLocation& location, const OpenOptions& options);

}  // namespace solo
