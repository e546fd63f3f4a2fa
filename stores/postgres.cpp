#include "stores/postgres.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <vector>

namespace solo {

namespace {

// Type OIDs of the parameters a statement declares (PostgreSQL's
// catalog/pg_type.h, which is not in libpq's headers). Integers declare none:
// the server infers the column's type and parses their text.
constexpr Oid kTextOid = 25;
constexpr Oid kByteaOid = 17;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// libpq's messages span lines (and repeat themselves when a connection
// breaks: once for the statement, once for the connection): one line, once,
// for /health's store_error and a caller's error.
std::string one_line(std::string_view text) {
  std::string out;
  for (char c : text) {
    bool space = c == '\n' || c == '\t' || c == '\r' || c == ' ';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  size_t half = out.size() / 2;
  if (out.size() > 1 && out.size() % 2 == 1 && out[half] == ' ' && out.compare(0, half, out, half + 1) == 0) {
    out.resize(half);
  }
  return out;
}

// Calls `on_placeholder(number, position, length)` for every ?N outside
// quoted strings and identifiers.
template <class F>
void scan_placeholders(std::string_view sql, F&& on_placeholder) {
  char quote = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    if (quote) {
      if (c == quote) quote = 0;  // a doubled quote closes and reopens: the same
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      continue;
    }
    if (c != '?') continue;
    size_t end = i + 1;
    while (end < sql.size() && is_digit(sql[end])) ++end;
    if (end == i + 1) throw StoreError("SQL for PostgreSQL needs numbered placeholders (?N): " + std::string(sql));
    on_placeholder(std::atoi(std::string(sql.substr(i + 1, end - i - 1)).c_str()), i, end - i);
    i = end - 1;
  }
}

}  // namespace

// ---- statement -------------------------------------------------------------

PostgresStatement::PostgresStatement(PostgresDatabase& db, std::string_view sql) : db_(db) {
  int highest = 0;
  scan_placeholders(sql, [&](int number, size_t, size_t) { highest = std::max(highest, number); });
  dense_.assign(static_cast<size_t>(highest) + 1, 0);
  scan_placeholders(sql, [&](int number, size_t, size_t) { dense_[static_cast<size_t>(number)] = 1; });
  int next = 0;
  for (auto& slot : dense_) slot = slot ? ++next : 0;
  params_.resize(static_cast<size_t>(next));
  size_t copied = 0;
  scan_placeholders(sql, [&](int number, size_t at, size_t length) {
    sql_.append(sql.substr(copied, at - copied));
    sql_ += "$" + std::to_string(dense_[static_cast<size_t>(number)]);
    copied = at + length;
  });
  sql_.append(sql.substr(copied));
}

PostgresStatement::~PostgresStatement() {
  PQclear(result_);
  std::erase(db_.preparing_, this);
  // One-shot statements (query_int, tools) would otherwise pile up on the
  // server for the connection's life; a connection that is closing drops
  // them all with itself.
  if (!name_.empty() && !db_.closing_ && !db_.pipelining_ && PQstatus(db_.conn_) == CONNECTION_OK &&
      PQtransactionStatus(db_.conn_) != PQTRANS_INERROR) {
    PQclear(PQexec(db_.conn_, ("DEALLOCATE " + name_).c_str()));
  }
}

PostgresStatement::Parameter& PostgresStatement::slot(int index) {
  if (index <= 0 || static_cast<size_t>(index) >= dense_.size() || dense_[static_cast<size_t>(index)] == 0) {
    return ignored_;
  }
  return params_[static_cast<size_t>(dense_[static_cast<size_t>(index)] - 1)];
}

Statement& PostgresStatement::bind(int index, int64_t value) {
  auto& param = slot(index);
  param.kind = Kind::integer;
  param.owned = std::to_string(value);
  param.view = param.owned;
  return *this;
}

Statement& PostgresStatement::bind(int index, std::string_view value) {
  auto& param = slot(index);
  param.kind = Kind::text;
  param.owned.assign(value);
  param.view = param.owned;
  return *this;
}

Statement& PostgresStatement::bind_static(int index, std::string_view value) {
  auto& param = slot(index);
  param.kind = Kind::text;
  param.view = value;
  return *this;
}

Statement& PostgresStatement::bind_null(int index) {
  auto& param = slot(index);
  param.kind = Kind::null;
  param.view = {};
  return *this;
}

Statement& PostgresStatement::bind_blob(int index, std::string_view bytes) {
  auto& param = slot(index);
  param.kind = Kind::blob;
  param.owned.assign(bytes);
  param.view = param.owned;
  return *this;
}

std::vector<Oid> PostgresStatement::parameter_types() const {
  // The kinds bound at the first run give the text and bytea parameters
  // their types (sent in binary, they could not be inferred as anything
  // else); integers are left to the server.
  std::vector<Oid> types(params_.size(), 0);
  for (size_t i = 0; i < params_.size(); ++i) {
    if (params_[i].kind == Kind::text) types[i] = kTextOid;
    if (params_[i].kind == Kind::blob) types[i] = kByteaOid;
  }
  return types;
}

PostgresStatement::Wire PostgresStatement::wire() const {
  Wire wire;
  wire.values.resize(params_.size());
  wire.lengths.resize(params_.size());
  wire.formats.resize(params_.size());
  for (size_t i = 0; i < params_.size(); ++i) {
    const auto& param = params_[i];
    if (param.kind == Kind::unbound || param.kind == Kind::null) continue;  // NULL, as SQLite binds
    wire.values[i] = param.view.empty() ? "" : param.view.data();
    wire.lengths[i] = static_cast<int>(param.view.size());
    wire.formats[i] = param.kind == Kind::integer ? 0 : 1;
  }
  return wire;
}

void PostgresStatement::execute() {
  db_.drain();  // the answers to what was pipelined come first
  const int count = static_cast<int>(params_.size());
  if (name_.empty()) {
    std::string name = db_.next_statement_name();
    auto types = parameter_types();
    pg_result* prepared = PQprepare(db_.conn_, name.c_str(), sql_.c_str(), count, types.data());
    db_.check(prepared, "prepare");  // clears it when it throws
    PQclear(prepared);
    name_ = std::move(name);
  }
  auto sent = wire();
  pg_result* result = PQexecPrepared(db_.conn_, name_.c_str(), count, sent.values.data(), sent.lengths.data(),
                                     sent.formats.data(), 0);
  db_.check(result, "step");
  result_ = result;
  const char* changed = PQcmdTuples(result_);
  db_.changes_ = changed && *changed ? std::atoi(changed) : 0;
  row_ = -1;
}

void PostgresStatement::run() {
  if (!db_.in_write_) {
    Statement::run();
    return;
  }
  db_.start_pipeline();
  const int count = static_cast<int>(params_.size());
  if (name_.empty()) {
    std::string name = db_.next_statement_name();
    auto types = parameter_types();
    if (!PQsendPrepare(db_.conn_, name.c_str(), sql_.c_str(), count, types.data())) {
      throw StoreError("prepare: " + one_line(PQerrorMessage(db_.conn_)));
    }
    name_ = std::move(name);
    db_.preparing_.push_back(this);
  }
  auto sent = wire();
  // libpq copies the values into its output buffer here: the bindings may go.
  if (!PQsendQueryPrepared(db_.conn_, name_.c_str(), count, sent.values.data(), sent.lengths.data(),
                           sent.formats.data(), 0)) {
    throw StoreError("run: " + one_line(PQerrorMessage(db_.conn_)));
  }
  reset();
}

bool PostgresStatement::step() {
  if (!result_) execute();
  ++row_;
  return row_ < PQntuples(result_);
}

void PostgresStatement::reset() {
  PQclear(result_);
  result_ = nullptr;
  row_ = -1;
  for (auto& param : params_) param = Parameter{};
}

int64_t PostgresStatement::column_int(int col) const {
  if (PQgetisnull(result_, row_, col)) return 0;
  return std::strtoll(PQgetvalue(result_, row_, col), nullptr, 10);
}

std::string PostgresStatement::column_text(int col) const { return std::string(column_view(col)); }

std::string_view PostgresStatement::column_view(int col) const {
  return std::string_view(PQgetvalue(result_, row_, col), static_cast<size_t>(PQgetlength(result_, row_, col)));
}

std::string PostgresStatement::column_blob(int col) const {
  if (PQftype(result_, col) != kByteaOid) return column_text(col);
  size_t length = 0;
  unsigned char* bytes =
      PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(result_, row_, col)), &length);
  if (!bytes) throw StoreError("a bytea column did not decode");
  std::string out(reinterpret_cast<const char*>(bytes), length);
  PQfreemem(bytes);
  return out;
}

bool PostgresStatement::column_is_null(int col) const { return PQgetisnull(result_, row_, col) != 0; }

// ---- connection ------------------------------------------------------------

PostgresDatabase::PostgresDatabase(const std::string& uri, const OpenOptions& options) {
  // Defaults first: the URI's own settings, if it has any, override them.
  // A server that vanishes from the network (no reset, no FIN) must not hang
  // the Writer in a commit for the kernel's two hours of TCP silence: TCP
  // keepalives after 10 s idle, and at most 30 s for unacknowledged data;
  // the commit then fails and the store reports itself degraded.
  const char* keywords[] = {"connect_timeout", "keepalives_idle", "keepalives_interval", "keepalives_count",
                            "tcp_user_timeout", "dbname", nullptr};
  const char* values[] = {"10", "10", "5", "3", "30000", uri.c_str(), nullptr};
  conn_ = PQconnectdbParams(keywords, values, 1);
  if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
    std::string message = one_line(conn_ ? PQerrorMessage(conn_) : "out of memory");
    PQfinish(conn_);
    conn_ = nullptr;
    throw StoreError("connect to " + StoreLocation::parse(uri).describe() + ": " + message);
  }
  // The server's notices ("there is no transaction in progress"...) are not
  // the store's business; its errors are, through check().
  PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
  const std::string& sync = options.synchronous;
  if (sync != "FULL" && sync != "NORMAL" && sync != "EXTRA" && sync != "OFF") {
    throw StoreError("synchronous must be FULL, NORMAL, EXTRA or OFF, not '" + sync + "'");
  }
  std::string setup = "SET client_encoding = 'UTF8'; SET synchronous_commit = ";
  setup += (sync == "FULL" || sync == "EXTRA") ? "on" : "off";
  // SQLite's busy timeout: how long a statement waits for another's lock.
  setup += "; SET lock_timeout = " + std::to_string(options.busy_timeout_ms);
  if (options.read_only) setup += "; SET default_transaction_read_only = on";
  exec(setup);
}

PostgresDatabase::~PostgresDatabase() {
  closing_ = true;
  drop_statements();
  PQfinish(conn_);
}

void PostgresDatabase::check(pg_result* result, std::string_view context) {
  auto status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return;
  std::string message = result ? PQresultErrorMessage(result) : "";
  if (message.empty()) message = PQerrorMessage(conn_);
  PQclear(result);
  throw StoreError(std::string(context) + ": " + one_line(message));
}

void PostgresDatabase::exec(std::string_view sql) {
  drain();
  pg_result* result = PQexec(conn_, std::string(sql).c_str());
  check(result, "exec");
  const char* changed = PQcmdTuples(result);
  changes_ = changed && *changed ? std::atoi(changed) : 0;
  PQclear(result);
}

std::unique_ptr<Statement> PostgresDatabase::prepare(std::string_view sql) {
  return std::make_unique<PostgresStatement>(*this, sql);
}

bool PostgresDatabase::broken() const { return PQstatus(conn_) != CONNECTION_OK; }

void PostgresDatabase::begin_write() {
  exec("BEGIN");
  in_write_ = true;
}

void PostgresDatabase::commit() {
  in_write_ = false;
  if (pipelining_ && !PQsendQueryParams(conn_, "COMMIT", 0, nullptr, nullptr, nullptr, nullptr, 0)) {
    throw StoreError("commit: " + one_line(PQerrorMessage(conn_)));
  }
  if (pipelining_) {
    drain();  // the COMMIT's result with the rest
  } else {
    exec("COMMIT");
  }
}

void PostgresDatabase::rollback() {
  in_write_ = false;
  try {
    drain();  // an error among them is why we roll back: already known
  } catch (const StoreError&) {
  }
  exec("ROLLBACK");
}

void PostgresDatabase::start_pipeline() {
  if (pipelining_) return;
  if (!PQenterPipelineMode(conn_)) throw StoreError("pipeline: " + one_line(PQerrorMessage(conn_)));
  pipelining_ = true;
}

void PostgresDatabase::drain() {
  if (!pipelining_) return;
  pipelining_ = false;
  std::string error;
  if (!PQpipelineSync(conn_)) {
    error = PQerrorMessage(conn_);
  } else {
    for (;;) {
      pg_result* result = PQgetResult(conn_);
      if (!result) {
        // Between two statements' results; a broken connection gives only these.
        if (PQstatus(conn_) != CONNECTION_OK) {
          if (error.empty()) error = PQerrorMessage(conn_);
          break;
        }
        continue;
      }
      auto status = PQresultStatus(result);
      if (status == PGRES_FATAL_ERROR && error.empty()) error = PQresultErrorMessage(result);
      PQclear(result);
      if (status == PGRES_PIPELINE_SYNC) break;
    }
  }
  PQexitPipelineMode(conn_);
  if (!error.empty()) {
    for (auto* statement : preparing_) statement->name_.clear();
  }
  preparing_.clear();
  if (!error.empty()) throw StoreError("write: " + one_line(error));
}

// REPEATABLE READ: one snapshot for the whole transaction (READ COMMITTED,
// the default, takes one per statement).
void PostgresDatabase::begin_read() { exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); }

}  // namespace solo
