// The PostgreSQL backend of the store (stores/database.hpp), over libpq.
//
// The stores' SQL is written with SQLite's numbered placeholders (?1, ?2...);
// a statement rewrites them to PostgreSQL's ($1, $2...), numbered densely in
// the order of their numbers (PostgreSQL cannot infer the type of a
// parameter the text never uses, and the event queries skip some). A
// statement is prepared on the server at its first run, once the kinds of its
// bindings are known: text is sent in binary form with its length (no copy,
// no terminating NUL needed), blobs as bytea, integers as decimal text (the
// server parses them into whatever integer type the column has). Results come
// back as text; a bytea column is decoded from its hex form.
//
// Each step() fetches the whole result at once (PQexecPrepared): the stores'
// reads are bounded pages, and several statements may be stepped
// interleaved on one connection, as SQLite allows.
//
// Inside a write transaction (begin_write() to commit()) run() does not wait
// for its statement's outcome: the statements of a batch go out in libpq's
// pipeline mode, one after the other on the socket, and their results are
// read once something needs an answer (a step(), an exec(), the COMMIT),
// the first error thrown then. A batch of hundreds of writes thus costs one
// round trip to the server instead of one per statement.
#pragma once

#include <string>
#include <vector>

#include "stores/database.hpp"

struct pg_conn;
struct pg_result;

namespace solo {

class PostgresDatabase;

class PostgresStatement final : public Statement {
 public:
  PostgresStatement(PostgresDatabase& db, std::string_view sql);
  ~PostgresStatement() override;

  using Statement::bind;
  Statement& bind(int index, int64_t value) override;
  Statement& bind(int index, std::string_view value) override;
  Statement& bind_static(int index, std::string_view value) override;
  Statement& bind_null(int index) override;
  Statement& bind_blob(int index, std::string_view bytes) override;

  bool step() override;
  void run() override;
  void reset() override;

  int64_t column_int(int col) const override;
  std::string column_text(int col) const override;
  std::string_view column_view(int col) const override;
  std::string column_blob(int col) const override;
  bool column_is_null(int col) const override;

 private:
  enum class Kind { unbound, null, integer, text, blob };
  struct Parameter {
    Kind kind = Kind::unbound;
    std::string owned;      // integers as text, copied text, blobs
    std::string_view view;  // what is sent: owned, or bind_static's bytes
  };
  Parameter& slot(int index);  // nullptr-safe: an index the SQL does not use is ignored
  void execute();
  // The parameters as libpq takes them; the pointers are into params_.
  struct Wire {
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats;
  };
  Wire wire() const;
  std::vector<unsigned> parameter_types() const;

  friend class PostgresDatabase;  // drain() forgets names whose preparation failed

  PostgresDatabase& db_;
  std::string sql_;                // with $N placeholders
  std::vector<int> dense_;         // ?N -> $M (0: not in the text)
  std::vector<Parameter> params_;  // by $M - 1
  Parameter ignored_;
  std::string name_;  // the server-side prepared statement, once prepared
  pg_result* result_ = nullptr;
  int row_ = -1;
};

class PostgresDatabase final : public Database {
 public:
  // uri: a libpq connection URI (postgresql://user@host:port/db?...).
  PostgresDatabase(const std::string& uri, const OpenOptions& options);
  ~PostgresDatabase() override;

  Dialect dialect() const override { return Dialect::postgresql; }
  void exec(std::string_view sql) override;
  std::unique_ptr<Statement> prepare(std::string_view sql) override;
  int changes() const override { return changes_; }
  void begin_write() override;
  void commit() override;
  void rollback() override;
  void begin_read() override;
  std::optional<std::string> integrity_check() override { return std::nullopt; }
  bool broken() const override;

  pg_conn* handle() const { return conn_; }

 private:
  friend class PostgresStatement;
  // Throws StoreError with the server's message unless `result` succeeded;
  // clears it when it throws.
  void check(pg_result* result, std::string_view context);
  std::string next_statement_name() { return "solo_" + std::to_string(++statements_); }
  // Pipeline mode: entered by the first run() of a write transaction.
  void start_pipeline();
  // Reads every pipelined result through a sync and leaves pipeline mode;
  // throws the first error among them.
  void drain();

  pg_conn* conn_ = nullptr;
  bool closing_ = false;  // statements being dropped with the connection
  bool in_write_ = false;    // between begin_write() and commit()/rollback()
  bool pipelining_ = false;  // statements sent whose results are not read yet
  // Statements whose PQsendPrepare is in the current pipeline: when the
  // pipeline fails they may not exist on the server (aborted with the rest),
  // so they are prepared afresh at their next use.
  std::vector<PostgresStatement*> preparing_;
  int changes_ = 0;
  uint64_t statements_ = 0;
};

}  // namespace solo
