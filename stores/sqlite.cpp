#include "stores/sqlite.hpp"

#include <sqlite3.h>

namespace solo {

void throw_sqlite_error(sqlite3* db, int code, std::string_view context) {
  std::string message(context);
  message += ": ";
  message += db ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  throw StoreError(message);
}

SqliteStatement::SqliteStatement(sqlite3* db, std::string_view sql) : db_(db) {
  int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                              &stmt_, nullptr);
  if (rc != SQLITE_OK) throw_sqlite_error(db, rc, "prepare");
}

SqliteStatement::~SqliteStatement() { sqlite3_finalize(stmt_); }

Statement& SqliteStatement::bind(int index, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) throw_sqlite_error(db_, rc, "bind");
  return *this;
}

Statement& SqliteStatement::bind(int index, std::string_view value) {
  int rc = sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) throw_sqlite_error(db_, rc, "bind");
  return *this;
}

Statement& SqliteStatement::bind_static(int index, std::string_view value) {
  int rc = sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
  if (rc != SQLITE_OK) throw_sqlite_error(db_, rc, "bind");
  return *this;
}

Statement& SqliteStatement::bind_blob(int index, std::string_view bytes) {
  // A zero-length blob still binds as a BLOB, not NULL (the pointer must be non-null).
  static const char kEmpty = 0;
  const char* data = bytes.empty() ? &kEmpty : bytes.data();
  int rc = sqlite3_bind_blob(stmt_, index, data, static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) throw_sqlite_error(db_, rc, "bind");
  return *this;
}

Statement& SqliteStatement::bind_null(int index) {
  int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) throw_sqlite_error(db_, rc, "bind");
  return *this;
}

bool SqliteStatement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  sqlite3_reset(stmt_);
  throw_sqlite_error(db_, rc, "step");
}

void SqliteStatement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t SqliteStatement::column_int(int col) const { return sqlite3_column_int64(stmt_, col); }

std::string SqliteStatement::column_text(int col) const {
  auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  return text ? std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt_, col))) : std::string();
}

std::string_view SqliteStatement::column_view(int col) const {
  auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  return text ? std::string_view(text, static_cast<size_t>(sqlite3_column_bytes(stmt_, col))) : std::string_view();
}

std::string SqliteStatement::column_blob(int col) const {
  const void* data = sqlite3_column_blob(stmt_, col);
  int size = sqlite3_column_bytes(stmt_, col);  // after column_blob, as SQLite requires
  return data ? std::string(static_cast<const char*>(data), static_cast<size_t>(size)) : std::string();
}

bool SqliteStatement::column_is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

SqliteDatabase::SqliteDatabase(const std::filesystem::path& path, const OpenOptions& options) : path_(path) {
  int flags = SQLITE_OPEN_NOMUTEX | (options.read_only ? SQLITE_OPEN_READONLY
                                                       : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = "open " + path.string();
    sqlite3* db = db_;
    db_ = nullptr;
    try {
      throw_sqlite_error(db, rc, message);
    } catch (...) {
      sqlite3_close(db);
      throw;
    }
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, options.busy_timeout_ms);
  if (!options.read_only) {
    const std::string& sync = options.synchronous;
    if (sync != "FULL" && sync != "NORMAL" && sync != "EXTRA" && sync != "OFF") {
      throw StoreError("synchronous must be FULL, NORMAL, EXTRA or OFF, not '" + sync + "'");
    }
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=" + options.synchronous);
  }
}

SqliteDatabase::~SqliteDatabase() {
  drop_statements();
  sqlite3_close_v2(db_);
}

void SqliteDatabase::exec(std::string_view sql) {
  std::string text(sql);
  char* error = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    std::string message = error ? error : sqlite3_errstr(rc);
    sqlite3_free(error);
    throw StoreError("exec: " + message);
  }
}

std::unique_ptr<Statement> SqliteDatabase::prepare(std::string_view sql) {
  return std::make_unique<SqliteStatement>(db_, sql);
}

int SqliteDatabase::changes() const { return sqlite3_changes(db_); }

// IMMEDIATE: the write lock at BEGIN, so a busy database fails the BEGIN
// rather than a write halfway through the batch.
void SqliteDatabase::begin_write() { exec("BEGIN IMMEDIATE"); }

// A deferred read transaction: its snapshot is taken at the first read and
// kept to the end (WAL mode).
void SqliteDatabase::begin_read() { exec("BEGIN"); }

std::optional<std::string> SqliteDatabase::integrity_check() {
  SqliteStatement statement(db_, "PRAGMA quick_check");
  std::string result;
  while (statement.step()) result += (result.empty() ? "" : "; ") + statement.column_text(0);
  return result;
}

}  // namespace solo
