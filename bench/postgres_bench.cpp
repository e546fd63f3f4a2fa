// Scenario `postgres`: durable appends through the real EventStore on the
// PostgreSQL backend (solo serve --store), beside raw libpq on the same
// server in the same run.
//
//   ours      the `append` scenario's load (bench/append_load.hpp): W
//             coroutines each looping `co_await append_durable(event)`; every
//             ack means "committed" (group commit on the Writer thread, one
//             transaction per batch, one round trip per statement).
//   raw       one libpq connection, the same schema (migrate() on a fresh
//             schema), the same rows and statements (the event, its two
//             tenant index rows, the index mark per transaction):
//               ceiling     10,000 rows per transaction, pipelined (libpq's
//                           pipeline mode: no round trip per statement);
//               same batch  ours' mean batch per transaction, a round trip
//                           per statement, as the Writer does (diagnostic).
//
// Without --store it starts a throwaway server of its own
// (tests/support/postgres_server.sh, with fsync on), so that `solo-bench
// postgres` runs on a machine where `make deps` installed PostgreSQL. Each
// side writes into a schema of its own, dropped first.
#include <libpq-fe.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <span>
#include <string>
#include <vector>

#include <boost/json/serialize.hpp>

#include "base/iso8601.hpp"
#include "bench/append_load.hpp"
#include "bench/scenario.hpp"
#include "stores/postgres.hpp"
#include "stores/schema.hpp"

namespace solo::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t kCeilingRowsPerTransaction = 10'000;

// The throwaway server, stopped when this goes away.
class ThrowawayServer {
 public:
  explicit ThrowawayServer(const std::filesystem::path& state) : state_(state) {
    std::string command = "SOLO_PG_FSYNC=on sh " + script() + " start " + state_.string() + " >/dev/null";
    if (std::system(command.c_str()) != 0) throw std::runtime_error("could not start PostgreSQL: " + command);
    std::ifstream in(state_ / "uri");
    std::getline(in, uri_);
  }
  ~ThrowawayServer() {
    std::string command = "sh " + script() + " stop " + state_.string();
    if (std::system(command.c_str()) != 0) std::fprintf(stderr, "postgres: stopping the server failed\n");
  }
  const std::string& uri() const { return uri_; }

 private:
  static std::string script() { return std::string(SOLO_SOURCE_DIR) + "/tests/support/postgres_server.sh"; }
  std::filesystem::path state_;
  std::string uri_;
};

// `server` with its search_path on a fresh, empty `schema`.
std::string fresh_schema(const std::string& server, const std::string& schema) {
  PostgresDatabase admin(server, OpenOptions{});
  admin.exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE; CREATE SCHEMA " + schema);
  return server + (server.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + schema;
}

void expect(PGresult* result, ExecStatusType status, const char* what) {
  bool ok = result && PQresultStatus(result) == status;
  std::string message = ok ? "" : (result ? PQresultErrorMessage(result) : "no result");
  PQclear(result);
  if (!ok) throw std::runtime_error(std::string(what) + ": " + message);
}

struct RawResult {
  double seconds = 0;
  double cpu_s = 0;
};

constexpr const char* kInsertEvent =
    "INSERT INTO events (id, event_type, tenant_id, service_id, subject, payload, causation_id, wall_clock, "
    "mono_ns) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
constexpr const char* kIndexTenant = "INSERT INTO events_tenant_index (tenant_id, id) VALUES ($1, $2)";
constexpr const char* kIndexService = "INSERT INTO events_service_index (tenant_id, service_id, id) VALUES ($1, $2, $3)";
constexpr const char* kMark =
    "INSERT INTO meta (key, value) VALUES ('event_index_through', $1) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value";

// The raw side. `pipelined`: every statement of a transaction sent before
// any result is read (PQpipelineSync at COMMIT); otherwise one round trip per
// statement.
RawResult run_raw(const AppendOptions& options, const std::string& uri, int64_t rows_per_transaction,
                  bool pipelined) {
  PostgresDatabase database(uri, OpenOptions{.synchronous = options.synchronous});
  migrate(database);  // the same schema; everything below is libpq
  PGconn* conn = database.handle();
  expect(PQprepare(conn, "event", kInsertEvent, 0, nullptr), PGRES_COMMAND_OK, "prepare");
  expect(PQprepare(conn, "tenant", kIndexTenant, 0, nullptr), PGRES_COMMAND_OK, "prepare");
  expect(PQprepare(conn, "service", kIndexService, 0, nullptr), PGRES_COMMAND_OK, "prepare");
  expect(PQprepare(conn, "mark", kMark, 0, nullptr), PGRES_COMMAND_OK, "prepare");
  RowShape shape = make_shape(options);
  std::string payload, id, mono, end_text, wall_clock;
  // Sends one statement: queued in a pipeline, or run and checked at once.
  auto send = [&](const char* name, std::vector<const char*> values) {
    if (pipelined) {
      if (!PQsendQueryPrepared(conn, name, static_cast<int>(values.size()), values.data(), nullptr, nullptr, 0)) {
        throw std::runtime_error(std::string("send: ") + PQerrorMessage(conn));
      }
    } else {
      expect(PQexecPrepared(conn, name, static_cast<int>(values.size()), values.data(), nullptr, nullptr, 0),
             PGRES_COMMAND_OK, name);
    }
  };
  double cpu_start = process_cpu_seconds();
  auto start = Clock::now();
  for (int64_t i = 0; i < options.events;) {
    int64_t end = std::min<int64_t>(options.events, i + rows_per_transaction);
    if (pipelined && !PQenterPipelineMode(conn)) throw std::runtime_error("pipeline mode refused");
    // (libpq copies each statement's values into its output buffer at the
    // send, so the texts above may be reused for the next row.)
    if (pipelined) {
      if (!PQsendQueryParams(conn, "BEGIN", 0, nullptr, nullptr, nullptr, nullptr, 0)) {
        throw std::runtime_error(PQerrorMessage(conn));
      }
    } else {
      expect(PQexec(conn, "BEGIN"), PGRES_COMMAND_OK, "begin");
    }
    wall_clock = utc_now_iso8601();
    int64_t statements = 1;
    for (; i < end; ++i) {
      payload_text(shape, i, payload);
      const auto& tenant = shape.tenants[static_cast<size_t>(i) % shape.tenants.size()];
      const auto& service = shape.services[static_cast<size_t>(i) % shape.services.size()];
      id = std::to_string(i + 1);
      mono = std::to_string(steady_now_ns());
      send("event", {id.c_str(), kEventType, tenant.c_str(), service.c_str(), kSubject, payload.c_str(), nullptr,
                     wall_clock.c_str(), mono.c_str()});
      send("tenant", {tenant.c_str(), id.c_str()});
      send("service", {tenant.c_str(), service.c_str(), id.c_str()});
      statements += 3;
    }
    end_text = std::to_string(end);
    send("mark", {end_text.c_str()});
    ++statements;
    if (!pipelined) {
      expect(PQexec(conn, "COMMIT"), PGRES_COMMAND_OK, "commit");
      continue;
    }
    if (!PQsendQueryParams(conn, "COMMIT", 0, nullptr, nullptr, nullptr, nullptr, 0) || !PQpipelineSync(conn)) {
      throw std::runtime_error(PQerrorMessage(conn));
    }
    ++statements;
    for (int64_t n = 0; n < statements; ++n) {
      expect(PQgetResult(conn), PGRES_COMMAND_OK, "pipelined statement");
      if (PGresult* tail = PQgetResult(conn)) expect(tail, PGRES_COMMAND_OK, "pipelined statement end");
    }
    expect(PQgetResult(conn), PGRES_PIPELINE_SYNC, "sync");
    if (!PQexitPipelineMode(conn)) throw std::runtime_error(PQerrorMessage(conn));
  }
  return RawResult{std::chrono::duration<double>(Clock::now() - start).count(), process_cpu_seconds() - cpu_start};
}

int run_postgres(std::span<std::string> argv) {
  Args args(argv);
  if (args.flag("--help")) {
    std::cout << "usage: solo-bench postgres [--store postgresql://...] [--events N] [--writers W]\n"
                 "                           [--payload-bytes B] [--tenants T] [--services S] [--dir DIR] [--json]\n";
    return 0;
  }
  AppendOptions options;
  options.events = args.integer("--events", 50'000);
  options.writers = args.integer("--writers", options.writers);
  options.payload_bytes = args.integer("--payload-bytes", options.payload_bytes, 0);
  options.tenants = args.integer("--tenants", options.tenants);
  options.services = args.integer("--services", options.services);
  options.dir = args.value("--dir");
  options.json = args.flag("--json");
  auto store = args.value("--store");
  args.finish();

  ScratchDir dir(options.dir);
  std::optional<ThrowawayServer> throwaway;
  if (!store) throwaway.emplace(dir.path() / "postgres");
  const std::string server = store ? *store : throwaway->uri();

  OursResult ours = run_ours(options, StoreLocation::parse(fresh_schema(server, "solo_bench_ours")));
  RawResult ceiling = run_raw(options, fresh_schema(server, "solo_bench_raw"), kCeilingRowsPerTransaction, true);
  int64_t same_batch = ours.commits ? std::max<int64_t>(1, std::llround(static_cast<double>(ours.ops_committed) /
                                                                        static_cast<double>(ours.commits)))
                                    : 1;
  RawResult same = run_raw(options, fresh_schema(server, "solo_bench_raw_same"), same_batch, false);

  double events = static_cast<double>(options.events);
  double ours_rate = events / ours.seconds;
  double raw_rate = events / ceiling.seconds;
  double mean_batch = ours.commits ? static_cast<double>(ours.ops_committed) / static_cast<double>(ours.commits) : 0;
  boost::json::object report{
      {"scenario", "postgres"},
      {"events", options.events},
      {"writers", options.writers},
      {"server", throwaway ? "throwaway (fsync on)" : StoreLocation::parse(server).describe()},
      {"events_per_s", std::llround(ours_rate)},
      {"raw_pipelined_events_per_s", std::llround(raw_rate)},
      {"ratio", std::round(ours_rate / raw_rate * 1000) / 1000},
      {"raw_same_batch_events_per_s", std::llround(events / same.seconds)},
      {"raw_same_batch_rows_per_transaction", same_batch},
      {"ack_p50_us", std::round(static_cast<double>(percentile(ours.latency_ns, 0.50)) / 100) / 10},
      {"ack_p99_us", std::round(static_cast<double>(percentile(ours.latency_ns, 0.99)) / 100) / 10},
      {"commits", ours.commits},
      {"mean_batch", std::round(mean_batch * 10) / 10},
      {"commit_p50_us", std::round(static_cast<double>(percentile(ours.commit_ns, 0.50)) / 100) / 10},
      {"engine_cpu_us_per_event", std::round(ours.engine_cpu_s * 1e7 / events) / 10},
      {"writer_cpu_us_per_event", std::round(ours.other_cpu_s * 1e7 / events) / 10},
      {"raw_cpu_us_per_event", std::round(ceiling.cpu_s * 1e7 / events) / 10},
  };
  publish(report, options.json);
  if (options.json) return 0;
  auto fixed = [](double v, int digits = 0) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*f", digits, v);
    return std::string(buffer);
  };
  auto line = [](const char* label, const std::string& value) { std::printf("  %-40s %s\n", label, value.c_str()); };
  std::printf("postgres: %lld events, %lld writers, %s\n", static_cast<long long>(options.events),
              static_cast<long long>(options.writers), report.at("server").as_string().c_str());
  line("EventStore append_durable", fixed(ours_rate) + " events/s (" + fixed(ours.seconds, 2) + " s)");
  line("raw libpq, 10k rows/transaction, pipelined", fixed(raw_rate) + " events/s (" + fixed(ceiling.seconds, 2) + " s)");
  line("ratio (ours / raw)", fixed(ours_rate / raw_rate, 3) + "   target >= 0.5");
  line(("raw libpq, " + std::to_string(same_batch) + " rows/transaction, round trips").c_str(),
       fixed(events / same.seconds) + " events/s (diagnostic: ours' batch, ours' round trips)");
  line("ack latency p50 / p99", fixed(static_cast<double>(percentile(ours.latency_ns, 0.50)) / 1000) + " / " +
                                    fixed(static_cast<double>(percentile(ours.latency_ns, 0.99)) / 1000) + " us");
  line("commits / mean batch / commit p50", std::to_string(ours.commits) + " / " + fixed(mean_batch, 1) + " / " +
                                                fixed(static_cast<double>(percentile(ours.commit_ns, 0.50)) / 1000) +
                                                " us");
  line("CPU per event: engine / writer / raw", fixed(ours.engine_cpu_s * 1e6 / events, 1) + " / " +
                                                   fixed(ours.other_cpu_s * 1e6 / events, 1) + " / " +
                                                   fixed(ceiling.cpu_s * 1e6 / events, 1) + " us");
  return 0;
}

const RegisterScenario registered{
    {"postgres", "durable appends through the EventStore on PostgreSQL vs raw libpq on the same server", run_postgres}};

}  // namespace
}  // namespace solo::bench
